import time
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from ganlab.ui.latent_session import image_checkpoints

# autouse: torch on one thread, as the app's server sets it (ganlab.ui.runtime.APP_TORCH_THREADS) and a
# worker has it; on a busy machine a second intra-op thread only waits
from tests.torch_threads import one_torch_thread  # noqa: F401

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "latent_explorer.py")
CHECKPOINTS = Path(__file__).resolve().parents[2] / "checkpoints"
SHIPPED = list(image_checkpoints())


def pin_three(app: AppTest) -> AppTest:
    for number in (1, 2, 3):
        app.selectbox(key="lx_pick_number").set_value(number).run()
        next(b for b in app.button if b.label == "Pin").click().run()
    return app


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_checkpoint_renders_every_panel(name):
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = name
    app.run()
    assert not app.exception and not app.error
    assert any("No generator" in i.value or "pin" in i.value.lower() for i in app.info)
    pin_three(app)
    assert not app.exception
    session = app.session_state["latent_session"]
    assert len(session.pins) == 3 and session.name == name
    headers = [h.value for h in app.header]
    for title in ("Interpolation", "Four-corner sheet", "Latent arithmetic", "Attribute directions",
                  "Nearest training digits", "Inversion"):
        assert title in headers
    if session.generator.n_labels:
        assert any("sweep" in h for h in headers)


def test_new_samples_changes_the_seed_and_clear_pins_empties():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    seed = app.session_state["latent_session"].seed
    next(b for b in app.button if b.label == "New samples").click().run()
    assert app.session_state["latent_session"].seed == seed + 1
    pin_three(app)
    next(b for b in app.button if b.label == "Clear pins").click().run()
    assert app.session_state["latent_session"].pins == []


def test_a_bad_upload_gets_a_message_and_keeps_the_open_generator():
    from ganlab.checkpoint import CheckpointError
    from ganlab.ui.latent_session import LatentSession

    with pytest.raises(CheckpointError, match="empty"):
        LatentSession.open(b"", "upload:empty.pt")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        LatentSession.open(b"junk" * 100, "upload:junk.pt")


@pytest.mark.parametrize("name", ["toy_ring8.pt", "toy_grid25.pt", "toy_disjoint-gaussians.pt"])
def test_toy_generators_show_samples_and_latent_paths(name):
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = name
    app.run()
    assert not app.exception
    figure = app.get("plotly_chart")[0].proto.spec
    for trace in ("G(z) samples", "G(linear path)", "G(spherical path)", "mode centres"):
        assert trace in figure
    app.slider(key="lx_toy_steps").set_value(7).run()
    assert not app.exception


class Recorder:
    """Wraps ganlab.latent's functions to record the latents each panel hands them (the panels' z inputs)."""

    def __init__(self, monkeypatch):
        from ganlab import latent

        self.calls: dict[str, list] = {}
        for name in ("lerp", "four_corner_grid", "latent_arithmetic"):
            original = getattr(latent, name)

            def wrapper(*args, _name=name, _original=original, **kwargs):
                self.calls.setdefault(_name, []).append([a.clone() for a in args if isinstance(a, torch.Tensor)])
                return _original(*args, **kwargs)

            monkeypatch.setattr(latent, name, wrapper)

    def last(self, name: str) -> list:
        return self.calls[name][-1]

    def clear(self) -> None:
        self.calls.clear()


def pin(app: AppTest, number: int) -> AppTest:
    app.selectbox(key="lx_pick_number").set_value(number).run()
    next(b for b in app.button if b.label == "Pin").click().run()
    assert not app.exception
    return app


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.equal(a, b)


def test_each_panel_uses_distinct_pins_pinned_one_by_one_and_the_ones_chosen(monkeypatch):
    record = Recorder(monkeypatch)
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = "mnist_dcgan.pt"
    app.run()
    pin(app, 3)
    infos = [i.value for i in app.info]
    assert "Pin 1 more sample to interpolate between two of them: this panel uses 2 different pins and 1 is " \
           "pinned." in infos
    assert any(i.startswith("Pin 3 more samples to fill the four-corner sheet") for i in infos)
    assert any(i.startswith("Pin 2 more samples to compute A − B + C") for i in infos)
    assert record.calls == {}  # no panel repeats the one pin
    for number in (5, 7, 11, 2, 13, 16, 1, 9):  # nine pins, one by one, as lesson 10 (the DCGAN) asks
        pin(app, number)
    z = [p.z for p in app.session_state["latent_session"].pins]
    assert len(z) == 9 and len({tuple(v.tolist()) for v in z}) == 9

    from_z, to_z = record.last("lerp")
    assert same(from_z, z[0]) and same(to_z, z[1])
    assert all(same(c, z[k]) for k, c in enumerate(record.last("four_corner_grid")))
    a, b, c = record.last("latent_arithmetic")
    assert same(a, torch.stack(z[0:3])) and same(b, torch.stack(z[3:6])) and same(c, torch.stack(z[6:9]))
    captions = [c.value for c in app.caption]
    assert "Interpolating pin z1 → pin z2." in captions
    assert "Corners: top-left pin z1, top-right pin z2, bottom-left pin z3, bottom-right pin z4." in captions
    assert "Decoding mean(z1, z2, z3) − mean(z4, z5, z6) + mean(z7, z8, z9)." in captions

    # the user's own choice is used, and kept when more samples are pinned
    names = [p.name for p in app.session_state["latent_session"].pins]
    app.selectbox(key="lx_from").set_value(names[4])
    app.selectbox(key="lx_to").set_value(names[7]).run()
    for k, name in enumerate([names[8], names[6], names[2], names[0]]):
        app.selectbox(key=f"lx_corner{k}").set_value(name)
    app.multiselect(key="lx_group_A").set_value([names[5]])
    app.multiselect(key="lx_group_B").set_value([names[1], names[3]])
    app.multiselect(key="lx_group_C").set_value([names[8]]).run()
    pin(app, 4)
    record.clear()
    app.slider(key="lx_steps").set_value(5).run()  # draw every panel again
    from_z, to_z = record.last("lerp")
    assert same(from_z, z[4]) and same(to_z, z[7])
    assert [c.tolist() for c in record.last("four_corner_grid")] == [z[8].tolist(), z[6].tolist(),
                                                                      z[2].tolist(), z[0].tolist()]
    a, b, c = record.last("latent_arithmetic")
    assert same(a, torch.stack([z[5]])) and same(b, torch.stack([z[1], z[3]])) and same(c, torch.stack([z[8]]))
    captions = [c.value for c in app.caption]
    assert "Interpolating pin z5 → pin z8." in captions
    assert "Corners: top-left pin z9, top-right pin z7, bottom-left pin z3, bottom-right pin z1." in captions
    assert "Decoding mean(z6) − mean(z2, z4) + mean(z9)." in captions
    assert not app.exception and not app.warning


# --- inversion: "Find z" runs as a job, in a process apart from the server ------------------------------

def find_z_until_back(app: AppTest, seconds: float = 180) -> None:
    """Press Find z, then rerun the page (the panel's 1 s timer, which AppTest does not run) until the job is
    back."""
    next(b for b in app.button if b.label == "Find z").click().run()
    deadline = time.monotonic() + seconds
    while "lx_inversion_job" in app.session_state and time.monotonic() < deadline:
        time.sleep(0.2)
        app.run()


def test_find_z_runs_in_a_process_of_its_own_and_shows_what_invert_finds(monkeypatch):
    from ganlab import latent
    from ganlab.ui.latent_session import LatentSession, test_images

    session = LatentSession.open(CHECKPOINTS / "mnist_dcgan.pt", "mnist_dcgan.pt")
    target = test_images()[0][3][None]
    expected = session.invert(target, None, 100)  # the same seed and steps as the page's job below

    def not_here(*args, **kwargs):
        raise AssertionError("invert ran in the server's process")

    monkeypatch.setattr(latent, "invert", not_here)  # the job's process imports its own
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = "mnist_dcgan.pt"
    app.run()
    pin(app, 1)  # the panels show once a sample is pinned
    app.number_input(key="lx_inv_index").set_value(3)
    app.slider(key="lx_inv_steps").set_value(100).run()
    next(b for b in app.button if b.label == "Find z").click().run()
    assert not app.exception
    assert [i.value for i in app.info if i.value.startswith("Finding z")] == [
        "Finding z for mnist_dcgan.pt: 100 Adam steps from 4 starts, in a process of its own."]
    assert next(b for b in app.button if b.label == "Find z").disabled
    assert not any(c.value.startswith("Pixel MSE") for c in app.caption)
    deadline = time.monotonic() + 180
    while "lx_inversion_job" in app.session_state and time.monotonic() < deadline:
        time.sleep(0.2)
        app.run()
    assert not app.exception and not app.error
    _, found, label, source = app.session_state["lx_inversion"]
    assert (label, source) == (None, "mnist_dcgan.pt")
    assert found.final_error == pytest.approx(expected.final_error, rel=1e-4)
    assert found.initial_error == pytest.approx(expected.initial_error, rel=1e-4)
    assert torch.allclose(found.z, expected.z, atol=1e-3) and len(found.errors) == 101
    assert [c.value for c in app.caption if c.value.startswith("Pixel MSE")] == [
        f"Pixel MSE: {found.initial_error:.4f} at the best start → {found.final_error:.4f} after 100 steps."]
    assert not next(b for b in app.button if b.label == "Find z").disabled
    next(b for b in app.button if b.label.startswith("Pin the found z")).click().run()
    pinned = app.session_state["latent_session"].pins
    assert len(pinned) == 2 and torch.equal(pinned[-1].z, found.z)

    # the z was found for the DCGAN: with another generator open it is not offered (nor pinned there)
    app.selectbox(key="lx_choice").set_value("mnist_cgan.pt").run()
    pin(app, 1)  # a new generator starts without pins
    assert "Inversion" in [h.value for h in app.header]
    assert not any(c.value.startswith("Pixel MSE") for c in app.caption)
    assert not any(b.label.startswith("Pin the found z") for b in app.button)
    app.selectbox(key="lx_choice").set_value("mnist_dcgan.pt").run()
    pin(app, 1)
    assert any(c.value.startswith("Pixel MSE") for c in app.caption)


def test_an_inversion_that_fails_in_its_process_is_named_and_find_z_comes_back(monkeypatch):
    from concurrent.futures import Future

    from ganlab.runtime import jobs
    from ganlab.runtime.pool import WorkerLost

    lost: Future = Future()
    lost.set_exception(WorkerLost("the training worker exited (exit code -9)"))

    class Failing:
        def submit(self, function, *args):
            return lost

        def ahead(self, future):
            return 0

    monkeypatch.setattr(jobs, "_RUNNER", Failing())
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lx_choice"] = "mnist_dcgan.pt"
    app.run()
    pin(app, 1)
    find_z_until_back(app)
    assert not app.exception
    assert [e.value for e in app.error] == [
        "The inversion did not finish: the training worker exited (exit code -9). Press Find z to try again."]
    assert not next(b for b in app.button if b.label == "Find z").disabled
    assert "lx_inversion" not in app.session_state
