"""The Latent Explorer's external files (issue 18): the inversion upload's size is checked before any
pixel is decoded, image bombs are refused with a message; the checkpoint list is the shipped files plus
this session's own saves ("your saves"), and a hostile file there gets a one-line message while the
generator the user had stays loaded."""

import io
import os
import secrets
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from ganlab.file_checks import FileError
from ganlab.ui.latent_session import (
    MAX_IMAGE_PIXELS,
    checkpoint_label,
    image_checkpoints,
    read_digit_image,
    session_checkpoints,
)
from ganlab.ui.session_files import SESSIONS_DIR
from tests.hostile import audit_files, checkpoint_payload_for_g, png_header, to_bytes

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "latent_explorer.py")


def encoded(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def test_a_digit_image_decodes_to_mnist_form():
    page = np.full((56, 56), 255, np.uint8)
    page[10:46, 25:31] = 0  # a dark "1" on a light page
    for kind in ("PNG", "JPEG"):
        target = read_digit_image(encoded(Image.fromarray(page), kind), f"one.{kind.lower()}")
        assert target.shape == (1, 1, 28, 28) and target.dtype == torch.float32
        assert -1 <= float(target.min()) and float(target.max()) <= 1
        assert float(target[0, 0, 14, 14]) > 0.5 and float(target[0, 0, 2, 2]) < -0.5  # flipped: light ink


@pytest.mark.parametrize("width, height", [(12_000, 12_000), (20_000, 20_000), (60_000, 60_000), (9000, 10)])
def test_image_bombs_are_refused_from_the_header_quickly(width, height):
    started = time.perf_counter()
    with pytest.raises(FileError) as info:
        read_digit_image(png_header(width, height), "bomb.png")
    message = str(info.value)
    assert "bomb.png" in message and f"{MAX_IMAGE_PIXELS / 1e6:.1f} megapixels" in message and "\n" not in message
    assert time.perf_counter() - started < 1.0  # nothing was decoded


def test_other_files_are_refused_with_a_message():
    gif = encoded(Image.new("L", (28, 28)), "GIF")
    for data, fragment in ((b"not an image", "not a readable PNG or JPEG"), (gif, "not a readable PNG or JPEG"),
                           (png_header(3000, 3000), "not a readable PNG or JPEG"),  # truncated pixel data
                           (b"\x89PNG" + b"\0" * (17 * 2**20), "images are limited to 16 MiB")):
        with pytest.raises(FileError, match=fragment):
            read_digit_image(data, "x.png")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_any_damaged_png_gives_a_file_error_or_an_image(tail, width, height):
    data = png_header(width, height)
    for candidate in (data[:33] + tail, data + tail, tail):
        try:
            target = read_digit_image(candidate, "fuzz.png")
        except FileError as err:
            assert "fuzz.png" in str(err) and "\n" not in str(err)
        else:
            assert target.shape == (1, 1, 28, 28)


def test_session_saves_are_listed_after_the_shipped_ones(tmp_path):
    assert session_checkpoints(None) == {} and session_checkpoints(tmp_path / "absent") == {}
    (tmp_path / "older.pt").write_bytes(b"x")
    (tmp_path / "newer.pt").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "link.pt").symlink_to(tmp_path / "older.pt")
    stamp = time.time()
    os.utime(tmp_path / "older.pt", (stamp - 60, stamp - 60))
    assert list(session_checkpoints(tmp_path)) == ["session:newer.pt", "session:older.pt"]
    assert checkpoint_label("session:newer.pt") == "newer.pt (your saves)"
    assert checkpoint_label("mnist_dcgan.pt") == "mnist_dcgan.pt"


@pytest.fixture
def session_dir():
    """A session folder for an AppTest session (runs/sessions/<hex>, removed afterwards)."""
    name = secrets.token_hex(8)
    folder = SESSIONS_DIR / name
    folder.mkdir(parents=True)
    yield name, folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_page_lists_shipped_first_then_this_sessions_saves(session_dir):
    name, folder = session_dir
    (folder / "mine.pt").write_bytes(to_bytes(checkpoint_payload_for_g()))
    other = SESSIONS_DIR / secrets.token_hex(8)
    other.mkdir(parents=True)
    try:
        (other / "someone-elses.pt").write_bytes(b"x")
        app = AppTest.from_file(PAGE, default_timeout=120)
        app.session_state["session_folder_name"] = name
        app.run()
    finally:
        shutil.rmtree(other, ignore_errors=True)
    box = app.selectbox(key="lx_choice")
    shipped = list(image_checkpoints())
    assert box.options[: len(shipped)] == shipped and box.value == shipped[0]
    assert "mine.pt (your saves)" in box.options and not any("someone" in o for o in box.options)
    box.set_value("session:mine.pt").run()
    assert not app.exception and not app.error
    assert app.session_state["latent_session"].name == "mine.pt (your saves)"


@pytest.mark.parametrize("hostile", ["no_G.pt", "card_steps_text.pt", "card_metric_text.pt"])
def test_a_hostile_save_gets_one_line_and_the_open_generator_stays(session_dir, hostile):
    name, folder = session_dir
    data, fragment = audit_files()[hostile]
    (folder / hostile).write_bytes(data)
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["session_folder_name"] = name
    app.run()
    before = app.session_state["latent_session"]
    app.selectbox(key="lx_choice").set_value(f"session:{hostile}").run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and fragment in errors[0] and "\n" not in errors[0]
    assert errors[0].endswith("The generator you had open is still loaded.")
    assert app.session_state["latent_session"] is before


def test_messages_show_as_typed_not_as_markdown():
    from ganlab.ui.latent_session import as_plain_markdown

    shown = as_plain_markdown("upload:$x$ [a](b) *c*.pt: state[0]: expected `x`.", "Kept.")
    assert shown == r"upload:\$x\$ \[a\](b) \*c\*.pt: state\[0\]: expected \`x\`. Kept."


# --- a VAE's or a flow's file (ganlab.likelihood) holds no generator: a message naming its model ---------------

def test_the_shipped_vae_is_not_listed_as_a_generator():
    from ganlab.generator_file import CHECKPOINT_DIR, generator_checkpoints
    from ganlab.links import parse_link_partial

    assert (CHECKPOINT_DIR / "mnist_vae.pt").is_file() and (CHECKPOINT_DIR / "mnist_vae.json").is_file()
    assert "mnist_vae.pt" not in generator_checkpoints() and "mnist_vae.pt" not in image_checkpoints()
    assert "mnist_dcgan.pt" in image_checkpoints()
    _, errors = parse_link_partial("latent-explorer", {"checkpoint": "mnist_vae"})  # nor offered by a link
    assert len(errors) == 1 and errors[0].field == "checkpoint" and "mnist_dcgan" in str(errors[0])
    shipped_link = parse_link_partial("latent-explorer", {"checkpoint": "mnist_dcgan"})
    assert shipped_link == ({"lx_choice": "mnist_dcgan.pt"}, [])


def test_a_vae_or_a_flow_file_is_refused_with_a_message_naming_its_model():
    from ganlab.checkpoint import CheckpointError, checkpoint_bytes
    from ganlab.config import RunConfig, with_overrides
    from ganlab.generator_file import CHECKPOINT_DIR
    from ganlab.likelihood import make_trainer
    from ganlab.ui.latent_session import LatentSession

    with pytest.raises(CheckpointError) as info:
        LatentSession.open(CHECKPOINT_DIR / "mnist_vae.pt", "mnist_vae.pt")
    assert str(info.value).startswith("mnist_vae.pt holds a VAE (variational autoencoder) trained on mnist "
                                      "(step 2,500), not a GAN generator: the Latent Explorer browses GAN "
                                      "generators.")
    assert "flow page shows the shipped MNIST VAE's samples and reconstructions" in str(info.value)
    assert str(info.value).endswith("python -m ganlab eval --checkpoint FILE gives a file's metrics")
    flow = make_trainer(with_overrides(RunConfig(device="cpu"), {"model": "flow", "flow.depth": "2",
                                                                "flow.width": "8", "batch_size": "16"}))
    flow.step(3)
    with pytest.raises(CheckpointError) as info:
        LatentSession.open(checkpoint_bytes(flow), "upload:flow.pt")
    message = str(info.value)
    assert message.startswith("upload:flow.pt holds a RealNVP normalising flow trained on ring8 (step 3), not a "
                              "GAN generator") and "trains a VAE and a flow beside a GAN on toy data" in message
    assert "\n" not in message


def test_opening_a_vae_save_keeps_the_open_generator_and_says_what_the_file_holds(session_dir):
    from ganlab.generator_file import CHECKPOINT_DIR

    name, folder = session_dir
    shutil.copyfile(CHECKPOINT_DIR / "mnist_vae.pt", folder / "my-vae.pt")
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["session_folder_name"] = name
    app.run()
    before = app.session_state["latent_session"]
    app.selectbox(key="lx_choice").set_value("session:my-vae.pt").run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and errors[0].startswith("my-vae.pt (your saves) holds a VAE (variational "
                                                     "autoencoder) trained on mnist (step 2,500)")
    assert errors[0].endswith("The generator you had open is still loaded.")
    assert app.session_state["latent_session"] is before  # nothing the user had is lost
