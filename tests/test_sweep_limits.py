"""Issue 18: a sweep is bounded in every field, its duplicate check is linear, and its whole specification
travels through a JSON file checked against one schema (`python -m ganlab sweep --spec FILE.json`)."""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab.config import ConfigError
from ganlab.sweep import (
    MAX_NAMES,
    MAX_OVERRIDES,
    MAX_RUNS,
    MAX_SEEDS,
    MAX_SPEC_BYTES,
    MAX_STEPS,
    MAX_TOTAL_STEPS,
    MAX_VARIANTS,
    MAX_WORKERS,
    METRICS,
    SweepSpec,
    _check_axis,
    add_arguments,
    check_limits,
    expand,
    load_spec,
    parse_seeds,
    read_csv,
    run_from_args,
    write_spec,
)

ROOT = Path(__file__).resolve().parents[1]
TINY_BASE = {"batch_size": "32", "g.width": "32", "d.width": "32", "g.depth": "2", "d.depth": "2"}


def parse(argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def spec(**changes) -> SweepSpec:
    values = dict(datasets=["ring8"], losses=["nonsaturating"], seeds=[0], steps=10, workers=1)
    values.update(changes)
    return SweepSpec(**values)


# --- limits -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field", "limit"), [
    (dict(seeds=list(range(MAX_SEEDS + 1))), "seeds", f"at most {MAX_SEEDS}"),
    (dict(datasets=[f"d{i}" for i in range(MAX_NAMES + 1)]), "datasets", f"at most {MAX_NAMES}"),
    (dict(losses=["nonsaturating", "hinge", "lsgan"], seeds=list(range(MAX_SEEDS))), "runs",
     f"at most {MAX_RUNS}"),
    (dict(steps=MAX_STEPS + 1), "steps", f"at most {MAX_STEPS:,}"),
    (dict(seeds=list(range(11)), steps=MAX_STEPS), "steps", f"at most {MAX_TOTAL_STEPS:,} iterations in all"),
    (dict(workers=MAX_WORKERS + 1), "workers", f"at most {MAX_WORKERS}"),
    (dict(variants=[{"name": f"v{i}"} for i in range(MAX_VARIANTS + 1)]), "variants", f"at most {MAX_VARIANTS}"),
    (dict(base={f"k{i}": "1" for i in range(MAX_OVERRIDES + 1)}), "base", f"at most {MAX_OVERRIDES}"),
])
def test_every_field_is_bounded_and_the_message_names_it_and_its_limit(changes, field, limit):
    with pytest.raises(ValueError) as info:
        expand(spec(**changes))
    message = str(info.value)
    assert message.startswith(field) and limit in message, message
    assert "\n" not in message


def test_a_spec_at_the_limits_is_accepted():
    at_limit = spec(seeds=list(range(MAX_SEEDS)), losses=["nonsaturating", "hinge"], steps=MAX_TOTAL_STEPS // 100)
    assert check_limits(at_limit) == 2 * MAX_SEEDS == MAX_RUNS
    assert len(expand(at_limit)) == MAX_RUNS


def test_a_huge_seed_list_is_refused_without_looking_at_its_entries():
    huge = spec(seeds=list(range(10_000_000)))
    started = time.perf_counter()
    with pytest.raises(ValueError, match=f"seeds: at most {MAX_SEEDS}"):
        expand(huge)
    assert time.perf_counter() - started < 0.05


def test_the_duplicate_check_is_linear():
    """200,000 entries (four times the issue's 0-29999 that took the server down) in well under a second."""
    many = [*range(200_000), 7, 12]
    started = time.perf_counter()
    with pytest.raises(ValueError, match="duplicate entries 12, 7"):
        _check_axis("seeds", many, int)
    assert time.perf_counter() - started < 0.5
    assert _check_axis("datasets", ["ring8", "grid25"], str) == ["ring8", "grid25"]


def test_a_big_seed_range_is_refused_at_once_naming_the_field():
    started = time.perf_counter()
    with pytest.raises(ValueError, match=f"^Seeds: at most {MAX_SEEDS} seeds per sweep, got 100,000,001$"):
        parse_seeds("0-100000000", "Seeds")
    with pytest.raises(ValueError, match=f"--seeds: at most {MAX_SEEDS}"):
        run_from_args(parse(["--seeds", "0-100000000", "--out", "/nonexistent/never.csv"]))
    with pytest.raises(ValueError, match="at most 50 seeds per sweep, got 100,001 entries"):
        parse_seeds("1," * 100_000 + "1")
    assert time.perf_counter() - started < 0.2
    assert parse_seeds(f"0-{MAX_SEEDS - 1}") == list(range(MAX_SEEDS))
    with pytest.raises(ValueError, match="a range goes up"):
        parse_seeds("4-1")


def test_the_command_line_answers_a_big_seed_range_with_one_line_and_status_2(tmp_path):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ganlab", "sweep", "--seeds", "0-100000000", "--out",
                           str(tmp_path / "never.csv")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"python -m ganlab sweep: error: --seeds: at most {MAX_SEEDS} seeds per sweep, "
                                   "got 100,000,001")
    assert time.monotonic() - started < 30  # the interpreter and torch starting; the check itself is instant
    assert not (tmp_path / "never.csv").exists()


# --- the specification file ---------------------------------------------------------------------------

def test_a_spec_file_round_trips(tmp_path):
    original = SweepSpec(["ring8", "grid25"], ["hinge"], [3, 1], 40, base={"g.width": "32"},
                         variants=[{"name": "GAN", "overrides": {"pack": "1"}}],
                         dataset_overrides={"ring8": {"data.std": "0.02"}}, workers=2, eval_samples=500)
    path = write_spec(original, tmp_path / "s.json")
    assert load_spec(path) == original
    plain = write_spec(spec(), tmp_path / "plain.json")
    assert expand(load_spec(plain)) == expand(spec())


@pytest.mark.parametrize(("content", "message"), [
    ({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0]}, "s.json: missing key(s) steps"),
    ({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0], "steps": 5, "rm": 1}, "s.json: unknown key(s) rm"),
    ({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0], "steps": "5"}, "s.json: steps must be an integer"),
    ({"datasets": "ring8", "losses": ["hinge"], "seeds": [0], "steps": 5}, "s.json: datasets must be a list"),
    ({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0.5], "steps": 5}, "s.json: seeds: every entry must"),
    ({"datasets": ["ring8"], "losses": ["hinge"], "seeds": list(range(51)), "steps": 5},
     f"s.json: seeds: at most {MAX_SEEDS} per sweep, got 51"),
    ({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0], "steps": 10**9},
     f"s.json: steps: at most {MAX_STEPS:,} iterations per run"),
    ({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0], "steps": 5, "base": {"g.width": [1]}},
     "s.json: base: value of 'g.width' must be a string or a number"),
    ([1, 2], "s.json: must be a JSON object"),
])
def test_a_bad_spec_file_gives_one_line_naming_the_field(tmp_path, content, message):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError) as info:
        load_spec(path)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_a_spec_file_that_is_too_big_deep_or_not_json_is_refused(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0], "steps": 5,
                                "base": {"g.width": " " * MAX_SPEC_BYTES}}))
    with pytest.raises(ValueError, match=f"s.json: a sweep spec is at most {MAX_SPEC_BYTES:,} bytes"):
        load_spec(path)
    for text in ("[" * 50_000, "{not json", "1" * 5000):
        path.write_text(text)
        with pytest.raises(ValueError, match="s.json: not a valid JSON sweep spec"):
            load_spec(path)
    path.write_text(json.dumps({"datasets": ["ring8"], "losses": ["hinge"], "seeds": [0], "steps": 5,
                                "base": {"g_opt.lr": "-1"}}))
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert info.value.field == "g_opt.lr"
    with pytest.raises(ValueError, match="cannot read sweep spec"):
        load_spec(tmp_path / "missing.json")


def test_spec_and_the_options_that_describe_a_sweep_do_not_mix(tmp_path):
    path = write_spec(spec(), tmp_path / "s.json")
    with pytest.raises(ValueError, match="give --spec or --seeds, --set, not both"):
        run_from_args(parse(["--spec", str(path), "--seeds", "0-2", "--set", "g.width=8"]))


def test_a_bad_spec_file_on_the_command_line_exits_2_with_one_line(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"datasets": ["ring8"], "losses": ["hinge"], "seeds": list(range(60)), "steps": 5}))
    done = subprocess.run([sys.executable, "-m", "ganlab", "sweep", "--spec", str(path), "--out",
                           str(tmp_path / "never.csv")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == ("python -m ganlab sweep: error: big.json: seeds: "
                                   f"at most {MAX_SEEDS} per sweep, got 60")
    assert not (tmp_path / "never.csv").exists()


def test_a_sweep_through_a_spec_file_gives_the_rows_the_command_line_options_give(tmp_path):
    """End to end: `sweep --spec FILE` (a subprocess, as the Experiments page starts it) and the same sweep
    given as options give the same rows for the same seeds."""
    tiny = SweepSpec(["ring8"], ["nonsaturating", "hinge"], [0, 1], 20, base=dict(TINY_BASE), workers=1)
    path = write_spec(tiny, tmp_path / "tiny.spec.json")
    by_file = tmp_path / "by_file.csv"
    subprocess.run([sys.executable, "-m", "ganlab", "sweep", "--spec", str(path), "--out", str(by_file),
                    "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    by_options = tmp_path / "by_options.csv"
    assert run_from_args(parse(["--datasets", "ring8", "--losses", "nonsaturating,hinge", "--seeds", "0-1",
                                "--steps", "20", "--workers", "1", "--out", str(by_options), "--quiet",
                                *[f"--set={k}={v}" for k, v in TINY_BASE.items()]])) == 0
    file_rows, option_rows = read_csv(by_file), read_csv(by_options)
    assert len(file_rows) == 4

    def key(row):
        return tuple(row[k] for k in ("dataset", "loss", "variant", "seed", "steps", *METRICS))

    assert [key(r) for r in file_rows] == [key(r) for r in option_rows]
