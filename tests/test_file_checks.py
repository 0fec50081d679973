"""The schema helpers every loader of an external file uses (ganlab.file_checks) and the model card's
schema (ganlab.model_card): each refuses what it does not allow with SchemaError, one line saying where
and what was expected, and never with another exception."""

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab import file_checks as fc
from ganlab.model_card import (
    card_metrics_caption,
    check_card,
    command_caption,
    metric_text,
    parse_card,
    read_card_file,
    steps_text,
)
from tests.hostile import JSON_VALUES, TORCH_VALUES

TEMPLATE = {"w": torch.zeros(2, 3), "n": torch.tensor(0), "count": 1, "mean": [torch.zeros(2)], "name": "x",
            "flag": True, "rate": 0.5, "nothing": None, "pair": (1, 2)}


def test_like_accepts_its_template_and_names_the_first_difference():
    assert fc.like(TEMPLATE, TEMPLATE, "state") is TEMPLATE
    cases = [({**TEMPLATE, "w": torch.zeros(3, 2)}, "state.w: expected a tensor of shape (2, 3) float32"),
             ({**TEMPLATE, "w": torch.zeros(2, 3, dtype=torch.int64)}, "state.w"),
             ({**TEMPLATE, "w": torch.full((2, 3), math.nan)}, "state.w: expected finite values"),
             ({**TEMPLATE, "w": torch.zeros(3, 2).t()}, "dense and contiguous"),
             ({**TEMPLATE, "count": "1"}, "state.count: expected an integer, got a str '1'"),
             ({**TEMPLATE, "count": True}, "state.count"),
             ({**TEMPLATE, "mean": []}, "state.mean: expected a list of 1 items"),
             ({**TEMPLATE, "flag": 1}, "state.flag: expected true or false"),
             ({**TEMPLATE, "rate": math.inf}, "state.rate: expected a finite number"),
             ({**TEMPLATE, "nothing": 0}, "state.nothing: expected None"),
             ({**TEMPLATE, "extra": 1}, "an extra entry 'extra'"),
             ({k: v for k, v in TEMPLATE.items() if k != "w"}, "state: expected an entry 'w', got none"),
             ({**TEMPLATE, 3: 1}, "state: expected text keys, got the key an int 3"),
             ([1], "state: expected a mapping (dict), got a list of 1 item")]
    for value, fragment in cases:
        with pytest.raises(fc.SchemaError) as info:
            fc.like(value, TEMPLATE, "state")
        assert fragment in str(info.value) and "\n" not in str(info.value)


def test_numbers_and_ranges():
    assert fc.integer(5, "n", 0, 10) == 5
    for bad in (-1, 11, 5.0, "5", None, True):
        with pytest.raises(fc.SchemaError, match=r"n: expected an integer in \[0, 10\]"):
            fc.integer(bad, "n", 0, 10)
    assert fc.number(2, "x") == 2.0 and math.isnan(fc.number(math.nan, "x", finite=False))
    for bad in (math.nan, math.inf, 10**400, "1", [1]):
        with pytest.raises(fc.SchemaError):
            fc.number(bad, "x")
    assert fc.option_value(2000, "h", "history") == 2000
    for bad in (10**9, 1e9, 9, 2000.5, "2000"):
        with pytest.raises(fc.SchemaError, match=r"an integer in \[10, 100000\] \(the range of the option"):
            fc.option_value(bad, "h", "history")


def test_json_text_and_text():
    assert fc.json_text('{"a": 1}', "config") == {"a": 1}
    for bad, fragment in ((5, "expected JSON text, got an int 5"), ("{", "expected JSON text (Expecting"),
                          ("[" * 100_000, "nested"), ("x" * 20, "at most 10 characters")):
        with pytest.raises(fc.SchemaError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
            fc.json_text(bad, "config", max_chars=10 if len(bad if isinstance(bad, str) else "") == 20 else 10**6)
    with pytest.raises(fc.SchemaError, match="text of at most 3 characters"):
        fc.text("abcd", "t", 3)


def test_image_size_refuses_before_decoding():
    assert fc.image_size((28, 28), "image", 1000, 50) == (28, 28)
    for size in ((0, 5), (51, 1), (40, 40), ("a", 1), (1,), None):
        with pytest.raises(fc.SchemaError, match="image"):
            fc.image_size(size, "image", 1000, 50)


def test_messages_are_one_line_and_short():
    with pytest.raises(fc.SchemaError) as info:
        fc.text("line one\nline two" * 100, "the\nfile", 3)
    assert "\n" not in str(info.value) and len(str(info.value)) <= fc.MAX_MESSAGE


# --- the model card ---------------------------------------------------------------------------------

def test_a_shipped_card_passes_unchanged_and_reads_as_text():
    from ganlab.generator_file import CHECKPOINT_DIR
    from ganlab.image_eval import IMAGE_METRIC_TITLES

    path = CHECKPOINT_DIR / "mnist_dcgan.pt"
    card = read_card_file(path)
    assert card == json.loads(path.with_suffix(".json").read_text())
    assert steps_text(card) == "15,000 steps"
    assert card_metrics_caption(card, IMAGE_METRIC_TITLES).startswith("Card metrics (5000 samples): ")
    assert command_caption(card).startswith("Made with `python -m ganlab train")


def test_card_faults_are_named():
    for card, fragment in (([1], "card: expected a mapping"), ({"steps": "1,000"}, "card.steps"),
                           ({"metrics": {"fid_lenet": "low"}}, "card.metrics.fid_lenet: expected a number"),
                           ({"metrics": {"metrics_reference": 3}}, "metrics_reference: expected text"),
                           ({"seconds": -1}, "card.seconds"), ({"x": [1]}, "card.x: expected text, a number"),
                           ({"conditional": "yes"}, "card.conditional: expected true or false")):
        with pytest.raises(fc.SchemaError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
            check_card(card)
    assert metric_text(None) == "n/a" and metric_text(math.inf) == "inf" and metric_text(0.12345) == "0.123"


def test_card_files_that_are_not_cards_read_as_none(tmp_path):
    for name, content in (("list", "[1]"), ("junk", "{"), ("steps", '{"steps": "x"}'), ("bin", b"\xff\xfe")):
        path = tmp_path / f"{name}.pt"
        (tmp_path / f"{name}.json").write_bytes(content if isinstance(content, bytes) else content.encode())
        assert read_card_file(path) is None
    assert read_card_file(tmp_path / "absent.pt") is None


# --- properties: nothing but SchemaError, whatever the value ----------------------------------------

@settings(max_examples=50, deadline=None)
@given(TORCH_VALUES)
def test_like_raises_only_schema_errors(value):
    for candidate in (value, {**TEMPLATE, "w": value}, {**TEMPLATE, "mean": value}, {**TEMPLATE, "count": value}):
        try:
            fc.like(candidate, TEMPLATE, "state")
        except fc.SchemaError as err:
            assert str(err) and "\n" not in str(err)


@settings(max_examples=50, deadline=None)
@given(st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(["steps", "metrics", "seconds", "command", "x"]),
                                              JSON_VALUES, max_size=4)))
def test_card_checks_raise_only_schema_errors_and_a_passing_card_reads_as_text(value):
    from ganlab.image_eval import IMAGE_METRIC_TITLES

    for text in (json.dumps(value), json.dumps({"metrics": value}), json.dumps({"steps": value})):
        try:
            card = parse_card(text)
        except fc.SchemaError as err:
            assert str(err).startswith("card") and "\n" not in str(err)
            continue
        steps_text(card), command_caption(card), card_metrics_caption(card, IMAGE_METRIC_TITLES)
