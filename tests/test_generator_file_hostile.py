"""Hostile generator files and checkpoints (issue 18): the Latent Explorer's loader checks every value it
reads against a schema and refuses anything else with a one-line CheckpointError naming the file."""

import json

import pytest
import torch
from hypothesis import HealthCheck, given, settings

from ganlab.checkpoint import CheckpointError
from ganlab.generator_file import LoadedGenerator, generator_checkpoints, load_generator
from ganlab.image_eval import IMAGE_METRIC_TITLES
from ganlab.model_card import card_metrics_caption, command_caption, steps_text
from ganlab.ui.latent_session import LatentSession
from tests.hostile import (
    audit_files,
    checkpoint_payload_for_g,
    generator_payload,
    one_fault,
    tiny_image_config,
    to_bytes,
)

AUDIT = audit_files()
NAME = "upload:hostile.pt"


def refused_with_one_line(data: bytes, fragment: str = "") -> str:
    with pytest.raises(CheckpointError) as info:
        LatentSession.open(data, NAME)
    message = str(info.value)
    assert message.startswith(NAME) and "\n" not in message and fragment in message, message
    return message


def test_the_valid_baselines_load():
    for payload in (generator_payload(), checkpoint_payload_for_g()):
        loaded = load_generator(to_bytes(payload), name=NAME)
        assert loaded.is_image and loaded.latent_dim == 16
        assert loaded.generate(loaded.random_z(2, 0)).shape == (2, 1, 28, 28)


@pytest.mark.parametrize("name", list(AUDIT))
def test_each_audit_file_gets_a_one_line_message(name):
    data, fragment = AUDIT[name]
    refused_with_one_line(data, fragment)


def test_the_audit_has_nine_files():
    assert len(AUDIT) == 9


def test_weights_of_the_wrong_shape_dtype_or_values_are_named():
    state = generator_payload()["state"]
    first = next(iter(state))
    for bad, fragment in ((torch.zeros(3), "expected a tensor of shape"),
                          (state[first].double(), "float32, got a tensor"),
                          (state[first] * float("nan"), "finite values"),
                          ("weights", "expected a tensor, got a str")):
        message = refused_with_one_line(to_bytes(generator_payload(state={**state, first: bad})), fragment)
        assert f"state.{first}" in message
    missing = dict(state)
    missing.pop(first)
    refused_with_one_line(to_bytes(generator_payload(state=missing)), f"an entry {first!r}")
    refused_with_one_line(to_bytes(generator_payload(state={**state, "extra.weight": torch.zeros(1)})),
                          "an extra entry 'extra.weight'")


def test_a_card_entry_of_the_wrong_kind_and_a_newer_version():
    for card, fragment in (({"steps": -5}, "card.steps"), ({"steps": True}, "card.steps"),
                           ({"metrics": [1, 2]}, "card.metrics: expected a mapping"),
                           ({"command": ["rm"]}, "card.command: expected text"),
                           ({"unknown": {"nested": 1}}, "card.unknown: expected text, a number")):
        refused_with_one_line(to_bytes(generator_payload(card=json.dumps(card))), fragment)
    refused_with_one_line(to_bytes(generator_payload(format_version=2)), "newer ganlab")
    refused_with_one_line(to_bytes(generator_payload(config="{")), "config: expected JSON text")
    refused_with_one_line(to_bytes(generator_payload(config=json.dumps({"g": {"channels": 10**6}}))),
                          "config.g.channels")


def test_an_upload_never_names_a_folder_on_the_server():
    cfg = tiny_image_config(**{"data.data_dir": "/etc"})
    session = LatentSession.open(to_bytes(generator_payload(cfg)), NAME)
    assert session.generator.config.data.data_dir is None


def test_shipped_files_need_their_card(tmp_path):
    data = to_bytes(generator_payload())
    (tmp_path / "with_card.pt").write_bytes(data)
    (tmp_path / "with_card.json").write_text(json.dumps({"dataset": "mnist"}))
    (tmp_path / "student-save-step0.pt").write_bytes(data)
    (tmp_path / "bad_card.pt").write_bytes(data)
    (tmp_path / "bad_card.json").write_text("[1, 2]")
    assert list(generator_checkpoints(tmp_path)) == ["with_card.pt"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_fault(generator_payload()))
def test_any_structural_fault_in_a_generator_file_is_refused_or_harmless(payload):
    check_refused_or_usable(payload)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_fault(checkpoint_payload_for_g()))
def test_any_structural_fault_in_a_checkpoint_is_refused_or_harmless(payload):
    check_refused_or_usable(payload)


def check_refused_or_usable(payload) -> None:
    """Either CheckpointError with a one-line message naming the file, or a generator that samples and a
    card the page can show; never another exception."""
    try:
        loaded = load_generator(to_bytes(payload), name=NAME)
    except CheckpointError as err:
        assert str(err).startswith(NAME) and "\n" not in str(err)
        return
    assert isinstance(loaded, LoadedGenerator)
    z = loaded.random_z(2, 0)
    labels = torch.zeros(2, dtype=torch.long) if loaded.n_labels else None
    assert loaded.generate(z, labels).shape == (2, 1, 28, 28)
    card_metrics_caption(loaded.card, IMAGE_METRIC_TITLES), command_caption(loaded.card), steps_text(loaded.card)
