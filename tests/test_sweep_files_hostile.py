"""Hostile sweep CSVs and presets (issue 18): sweep.read_csv and sweep.load_preset check what they read
against a schema before using a value. A file that does not fit raises SweepFileError (a ValueError, so the
CLI and the Experiments page catch it) or, for an option no run accepts, ConfigError, each with a one-line
message naming the file; nothing else escapes, and what is accepted is usable (summarize, format_table)."""

from __future__ import annotations

import copy
import json
import math
import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ganlab.config import ConfigError
from ganlab.options import OPTIONS
from ganlab.sweep import (
    COLUMNS,
    MAX_CSV_BYTES,
    MAX_SPEC_BYTES,
    MAX_STEPS,
    MAX_TEXT,
    PRESET_DIR,
    SweepFileError,
    check_limits,
    format_table,
    load_preset,
    read_csv,
    summarize,
    write_csv,
)
from tests.hostile import JSON_VALUES, _apply, _paths

PACGAN = json.loads((PRESET_DIR / "pacgan.json").read_text())
ROW = {"dataset": "ring8", "loss": "nonsaturating", "variant": "GAN", "seed": 0, "steps": 5, "seconds": 0.5,
       "diverged": False, "diverged_at": None, "device": "cpu", "modes_covered": 7.5, "modes_total": 8,
       "hq_fraction": 0.9, "mode_kl": 0.01, "w1": 0.1, "w1_floor": 0.02, "jsd": 0.05, "jsd_se": 0.01,
       "jsd_floor": 0.001, "precision": None, "recall": None, "estimate": None, "reference": None,
       "status": "ok", "attempts": 1, "error": None, "config_hash": "0123456789abcdef"}
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def refused_naming(err: Exception, name: str) -> None:
    """A one-line message of readable length naming the file."""
    text = str(err)
    assert isinstance(err, SweepFileError | ConfigError), repr(err)
    assert name in text and "\n" not in text and len(text) <= 700, text


# --- sweep CSVs: the known bugs ----------------------------------------------------------------------

def test_a_field_over_the_csv_modules_limit_is_a_message_naming_the_file(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("dataset,loss,variant,seed\n" + "a" * 200_000 + ",b,c,1\n")
    with pytest.raises(SweepFileError, match=r"^sweep CSV 'big.csv': line 2: "):
        read_csv(path)


def test_a_binary_file_is_a_message_naming_the_file(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(SweepFileError, match=r"^sweep CSV 'binary.csv': not UTF-8 text"):
        read_csv(path)


def test_extra_and_missing_cells_are_refused_not_ignored(tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text("dataset,loss,variant,seed\nring8,nonsaturating,-,1,EXTRA\n")
    with pytest.raises(SweepFileError, match=r"'cells.csv': line 2: row: expected 4 cells.*got 5"):
        read_csv(path)
    path.write_text("dataset,loss,variant,seed\nring8,nonsaturating,-\n")
    with pytest.raises(SweepFileError, match="got 3"):
        read_csv(path)


@pytest.mark.parametrize("header, row, fragment", [
    ("dataset,loss,variant", "ring8,ns,-", "header: expected a sweep CSV's columns"),
    ("dataset,loss,variant,seed,colour", "ring8,ns,-,0,red", "a column 'colour'"),
    ("dataset,loss,variant,seed,seed", "ring8,ns,-,0,0", "each column once"),
    ("dataset,loss,variant,seed", "ring8,ns,-,-1", "seed: expected an integer in [0, 2147483647]"),
    ("dataset,loss,variant,seed", "ring8,ns,-,2.5", "seed: expected an integer"),
    ("dataset,loss,variant,seed", "ring8,ns,-,1e999", "seed: expected an integer"),
    ("dataset,loss,variant,seed", ",ns,-,0", "dataset: expected a value, got an empty cell"),
    ("dataset,loss,variant,seed,steps", f"ring8,ns,-,0,{MAX_STEPS + 1}", "steps: expected an integer in"),
    ("dataset,loss,variant,seed,diverged", "ring8,ns,-,0,maybe", "diverged: expected true or false"),
    ("dataset,loss,variant,seed,w1", "ring8,ns,-,0,far", "w1: expected a number"),
    ("dataset,loss,variant,seed", "x" * (MAX_TEXT + 1) + ",ns,-,0", f"at most {MAX_TEXT} characters"),
    ("dataset,loss,variant,seed", "ring8,ns,-,\x00", "seed: expected a number"),
])
def test_each_cell_is_checked_against_its_column(tmp_path, header, row, fragment):
    path = tmp_path / "s.csv"
    path.write_text(f"{header}\n{row}\n")
    with pytest.raises(SweepFileError) as caught:
        read_csv(path)
    refused_naming(caught.value, "'s.csv'")
    assert fragment in str(caught.value), str(caught.value)


def test_size_and_kind_of_file_are_checked_before_reading(tmp_path):
    big = tmp_path / "huge.csv"
    with big.open("wb") as handle:
        handle.truncate(MAX_CSV_BYTES + 1)
    with pytest.raises(SweepFileError, match="'huge.csv': more than"):
        read_csv(big)
    with pytest.raises(SweepFileError, match="'missing.csv': does not exist"):
        read_csv(tmp_path / "missing.csv")
    os.mkfifo(tmp_path / "pipe.csv")  # reading a pipe would wait forever
    with pytest.raises(SweepFileError, match="'pipe.csv': does not exist or is not a regular file"):
        read_csv(tmp_path / "pipe.csv")


def test_a_written_sweep_reads_back_typed(tmp_path):
    rows = [ROW, {**ROW, "seed": 1, "diverged": True, "diverged_at": 3, "w1": math.inf}]
    write_csv(rows, tmp_path / "ok.csv")
    assert read_csv(tmp_path / "ok.csv") == rows


# --- sweep CSVs: any one cell, row or header changed ------------------------------------------------

CELLS = st.one_of(st.sampled_from(["", "0", "-1", "2.5", "1e999", "nan", "inf", "true", "maybe", "🙂", "a,b",
                                   '"', "\x00", "x" * 300, "9" * 30]), st.text(max_size=12))


@st.composite
def hostile_csv(draw) -> str:
    header = list(COLUMNS)
    rows = [[str(v) if v is not None else "" for v in ROW.values()] for _ in range(3)]
    kind = draw(st.sampled_from(["cell", "cell", "extra", "drop", "header", "rename"]))
    at = draw(st.integers(0, len(COLUMNS) - 1))
    row = draw(st.integers(0, 2))
    if kind == "cell":
        rows[row][at] = draw(CELLS)
    elif kind == "extra":
        rows[row].append(draw(CELLS))
    elif kind == "drop":
        del rows[row][at]
    elif kind == "header":
        del header[at]
    else:
        header[at] = draw(CELLS)

    def line(cells):
        return ",".join(f'"{c}"' if any(ch in c for ch in ',"\n') and '"' not in c else c for c in cells)
    return "\n".join(line(cells) for cells in [header, *rows]) + "\n"


@SETTINGS
@given(text=hostile_csv())
def test_any_csv_is_read_within_its_schema_or_refused_naming_the_file(tmp_path, text):
    path = tmp_path / "hostile.csv"
    path.write_text(text)
    try:
        rows = read_csv(path)
    except ValueError as err:
        event("refused")
        refused_naming(err, "'hostile.csv'")
        return
    event("read")
    for row in rows:
        assert all(isinstance(row[c], str) and 0 < len(row[c]) <= MAX_TEXT for c in ("dataset", "loss", "variant"))
        assert OPTIONS["seed"].allows(row["seed"]) and isinstance(row["seed"], int)
        assert row.get("steps") is None or 0 <= row["steps"] <= MAX_STEPS
        assert row.get("diverged") in (None, True, False)
        assert all(row.get(m) is None or isinstance(row[m], float | int) for m in ("w1", "jsd", "mode_kl"))
    format_table(summarize(rows))  # what was accepted can be shown


# --- presets: the known bugs -------------------------------------------------------------------------

def write_preset(tmp_path, values, name="p.json"):
    path = tmp_path / name
    path.write_text(values if isinstance(values, str) else json.dumps(values))
    return path


def changed(**paper_figure) -> dict:
    values = copy.deepcopy(PACGAN)
    values["paper"]["figures"][0].update(paper_figure)
    return values


def test_a_paper_figure_whose_dataset_is_a_list_is_a_message_naming_the_file(tmp_path):
    with pytest.raises(SweepFileError, match=r"^preset 'p.json': paper.figures\[0\].dataset: expected text"):
        load_preset(write_preset(tmp_path, changed(dataset=["ring8"])))


def test_deeply_nested_json_is_a_message_naming_the_file(tmp_path):
    with pytest.raises(SweepFileError, match="^preset 'deep.json': .*nested"):
        load_preset(write_preset(tmp_path, "[" * 50_000 + "]" * 50, "deep.json"))


def test_modes_as_text_is_a_message_naming_the_file(tmp_path):
    with pytest.raises(SweepFileError, match=r"^preset 'p.json': paper.figures\[0\].modes: expected a .*number"):
        load_preset(write_preset(tmp_path, changed(modes="many")))


@pytest.mark.parametrize("change, fragment", [
    ({"seeds": [0, "1"]}, "seeds[1]: expected an integer in [0, 2147483647]"),
    ({"seeds": list(range(51))}, "seeds: expected a list of at most 50 items"),
    ({"steps": 10**9}, "steps: expected an integer in [1, 100,000]"),
    ({"steps": True}, "steps: expected an integer"),
    ({"datasets": "ring8"}, "datasets: expected a list"),
    ({"losses": [{"name": "x"}]}, "losses[0]: expected text"),
    ({"base": ["g.width", "8"]}, "base: expected a mapping"),
    ({"base": {"g.width": [8]}}, "base.g.width: expected text, a number or true/false"),
    ({"base": {"g.width": math.nan}}, "base.g.width: expected a finite number"),
    ({"variants": [{"name": "A", "overrides": {}, "colour": 1}]}, "variants[0]: expected only the entries"),
    ({"variants": {"name": "A"}}, "variants: expected a list"),
    ({"dataset_overrides": {"ring8": "std=1"}}, "dataset_overrides.ring8: expected a mapping"),
    ({"eval_samples": 10**12}, "eval_samples: expected an integer in [100, 20000]"),
    ({"description": ["x"]}, "description: expected text"),
    ({"paper": {"figures": [{"dataset": "ring8", "variant": "GAN", "hq": 1000}]}}, "hq: expected a finite number"),
    ({"paper": {"source": "x"}}, "paper: expected an entry 'figures'"),
    ({"colour": "red"}, "top level: expected only the entries"),
    ({"datasets": []}, "datasets: give a non-empty list"),
    ({"seeds": [0, 0]}, "seeds: duplicate entries 0"),
])
def test_each_preset_entry_is_checked(tmp_path, change, fragment):
    with pytest.raises(SweepFileError) as caught:
        load_preset(write_preset(tmp_path, {**copy.deepcopy(PACGAN), **change}))
    refused_naming(caught.value, "'p.json'")
    assert fragment in str(caught.value), str(caught.value)


def test_a_bad_option_names_it_and_the_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_preset(write_preset(tmp_path, {**PACGAN, "base": {**PACGAN["base"], "g.width": "0"}}))
    assert caught.value.field == "g.width" and "(preset 'p.json')" in str(caught.value)


def test_unreadable_oversized_and_foreign_preset_files(tmp_path):
    with pytest.raises(SweepFileError, match="'big.json': more than"):
        load_preset(write_preset(tmp_path, " " * (MAX_SPEC_BYTES + 1), "big.json"))
    with pytest.raises(SweepFileError, match="'bin.json': not UTF-8"):
        path = tmp_path / "bin.json"
        path.write_bytes(b"\xff\xfe\x00garbage")
        load_preset(path)
    with pytest.raises(SweepFileError, match="'x.json': top level: expected JSON text"):
        load_preset(write_preset(tmp_path, "{'python': 'dict'}", "x.json"))
    with pytest.raises(SweepFileError, match="'no.json': does not exist"):
        load_preset(tmp_path / "no.json")
    with pytest.raises(SweepFileError, match="unknown preset 'nope'; shipped presets: pacgan"):
        load_preset("nope")
    with pytest.raises(SweepFileError, match="full_steps: expected a full-length step count"):
        load_preset(write_preset(tmp_path, {k: v for k, v in PACGAN.items() if k != "full_steps"}), full=True)


# --- presets: one fault anywhere ---------------------------------------------------------------------

@st.composite
def hostile_preset(draw) -> dict:
    values = copy.deepcopy(PACGAN)
    path = draw(st.sampled_from([p for p in _paths(values) if p]))
    action = draw(st.sampled_from(["delete", "replace", "replace", "add"]))
    return _apply(values, path, action, draw(JSON_VALUES), draw(st.text(max_size=6)))


@SETTINGS
@given(values=hostile_preset())
def test_any_preset_is_loaded_within_its_schema_or_refused_naming_the_file(tmp_path, values):
    try:
        spec, paper, description = load_preset(write_preset(tmp_path, values, "hostile.json"))
    except ValueError as err:
        event(f"refused: {type(err).__name__}")
        refused_naming(err, "'hostile.json'")
        return
    event("loaded")
    check_limits(spec)
    assert all(isinstance(v, str) for v in (*spec.datasets, *spec.losses, description))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in spec.base.items())
    for figures in (paper or {}).values():
        assert all(isinstance(v, float) and math.isfinite(v) for v in figures.values())
