"""Hostile classifier files (issue 18): classifier.load_classifier checks the file against its schema (safe
loading, the format marker, its entries, the weights tensor by tensor against a fresh LeNet with
file_checks.like, the card as a model card) before loading anything into the model; a file that does not fit
raises ClassifierError (a ValueError) with a one-line message naming the file. The Evaluating GANs lesson
reads the shipped DCGAN's model card through model_card.read_card_file, so a broken card is left out."""

from __future__ import annotations

import json
import pickle

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings

from ganlab import generator_file
from ganlab.classifier import CLASSIFIER_PATH, FORMAT, ClassifierError, load_classifier
from ganlab.lessons import experiments
from ganlab.nets.lenet import LeNet
from tests.hostile import one_fault

STATE = LeNet().state_dict()
FIRST = next(iter(STATE))


def payload(**entries) -> dict:
    """A valid classifier file's payload (fresh LeNet weights, a small card), with `entries` replaced."""
    return {"format": FORMAT, "state": {k: v.clone() for k, v in STATE.items()},
            "card": json.dumps({"held_out_accuracy": 0.9, "epochs": 1, "steps": 10}), **entries}


def save(tmp_path, value, name="c.pt"):
    path = tmp_path / name
    torch.save(value, path)
    return path


def refused(path, fragment: str) -> str:
    with pytest.raises(ClassifierError) as caught:
        load_classifier(path)
    text = str(caught.value)
    assert repr(str(path)) in text and "\n" not in text and len(text) <= 600, text
    assert fragment in text, text
    return text


def test_the_shipped_classifier_and_a_fresh_one_load(tmp_path):
    model, card = load_classifier(CLASSIFIER_PATH)
    assert isinstance(model, LeNet) and not model.training and card["held_out_accuracy"] > 0.9
    model, card = load_classifier(save(tmp_path, payload()))
    assert card["steps"] == 10 and torch.equal(model.state_dict()[FIRST], STATE[FIRST])


@pytest.mark.parametrize("change, fragment", [
    ({"state": {k: v for k, v in STATE.items() if k != FIRST}}, f"state: expected an entry '{FIRST}'"),
    ({"state": {**STATE, "extra.weight": torch.zeros(2)}}, "state: expected only the entries"),
    ({"state": {**STATE, FIRST: STATE[FIRST][:1]}}, f"state.{FIRST}: expected a tensor of shape"),
    ({"state": {**STATE, FIRST: STATE[FIRST].double()}}, f"state.{FIRST}: expected a tensor of shape"),
    ({"state": {**STATE, FIRST: torch.full_like(STATE[FIRST], float("nan"))}}, "finite values"),
    ({"state": {**STATE, FIRST: [1.0, 2.0]}}, f"state.{FIRST}: expected a tensor"),
    ({"state": [1, 2]}, "state: expected a mapping"),
    ({"card": "not json"}, "card: expected JSON text"),
    ({"card": json.dumps([1, 2])}, "card: expected a mapping"),
    ({"card": json.dumps({"steps": "960"})}, "card.steps: expected an integer"),
    ({"card": json.dumps({"held_out": {"nested": 1}})}, "card.held_out: expected text, a number"),
    ({"card": 7}, "card: expected JSON text"),
    ({"colour": "red"}, "expected only the entries"),
])
def test_a_structurally_wrong_file_is_refused_naming_the_file_and_the_entry(tmp_path, change, fragment):
    refused(save(tmp_path, payload(**change)), fragment)


def test_foreign_unsafe_empty_and_newer_files(tmp_path):
    refused(save(tmp_path, {"weights": torch.zeros(2)}), "not a ganlab MNIST classifier")
    refused(save(tmp_path, [1, 2, 3]), "not a ganlab MNIST classifier")
    refused(save(tmp_path, payload(format_version=99)), "newer ganlab")
    refused(save(tmp_path, payload(format_version="one")), "format_version: expected an integer")
    refused(save(tmp_path, payload(card=print), "unsafe.pt"), "refused")  # a pickle naming a function
    foreign = tmp_path / "foreign.pt"
    foreign.write_bytes(pickle.dumps({"format": FORMAT}))  # a plain pickle, not a PyTorch file
    refused(foreign, "not a readable checkpoint")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    refused(empty, "empty")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(save(tmp_path, payload(), "whole.pt").read_bytes()[:200])
    refused(truncated, "not a readable checkpoint")
    refused(tmp_path / "missing.pt", "does not exist")


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=one_fault(payload()))
def test_any_one_fault_is_loaded_within_the_schema_or_refused_naming_the_file(tmp_path, value):
    path = save(tmp_path, value, "hostile.pt")
    try:
        model, card = load_classifier(path)
    except ClassifierError as err:
        event("refused")
        text = str(err)
        assert repr(str(path)) in text and "\n" not in text and len(text) <= 600, text
        return
    event("loaded")
    assert isinstance(model, LeNet) and isinstance(card, dict)
    assert all(torch.isfinite(v).all() for v in model.state_dict().values() if v.is_floating_point())


# --- the Evaluating GANs lesson reads the shipped card through model_card.read_card_file ---------------

def test_the_evaluating_gans_lesson_leaves_out_a_broken_model_card(tmp_path, monkeypatch):
    (tmp_path / "mnist_dcgan.json").write_text('{"metrics": {"classifier_score": "good", "fid_lenet": [45]}}')
    monkeypatch.setattr(generator_file, "CHECKPOINT_DIR", tmp_path)
    outcome = experiments.evaluating_gans()
    assert "model card is missing or unreadable" in outcome.summary
    assert outcome.values["score_ten"] >= 9.0 and outcome.answer == 0
