"""Sweeps: many seeded runs over datasets x losses x variants, a CSV of final metrics, a summary table.

A sweep is a `SweepSpec`. `expand` turns it into one `RunSpec` per combination and validates every
config before anything trains, `run_sweep` trains them and appends a CSV row as each run finishes,
`summarize` gives the mean and standard error per (dataset, loss, variant), and `format_table` prints
them, optionally beside a paper's figures.

Runs train on a backend (ganlab.sweep_backends): by default this machine (in parallel "spawn"
processes, one torch thread each), or, with `backend=BackendChoice("ray", address)` (`--backend ray`),
as Ray tasks on a cluster (ganlab.sweep_ray; the optional `ray` package, imported only then). A run whose
Ray worker or node is lost is tried again (`--retries`); `resume=True` (`--resume CSV`) continues an
interrupted sweep from its CSV (ganlab.sweep_driver). The pieces: ganlab.sweep_limits (every size
bounded), ganlab.sweep_run (one run: RunSpec, run_one), ganlab.sweep_csv (the CSV); their public names
are re-exported here.

Presets (JSON files in ganlab/presets/) name a published protocol; `pacgan` reproduces the setting of
Table 1 of PacGAN (Lin et al. 2018) on the 2-D ring and grid.

    spec, paper, description = load_preset("pacgan")
    rows = run_sweep(spec, "runs/pacgan.csv")
    print(format_table(summarize(rows), paper))
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganlab import file_checks as fc
from ganlab.config import ConfigError
from ganlab.device import resolve_device
from ganlab.sweep_backends import (
    BACKENDS,
    DEFAULT_RETRIES,
    MAX_RETRIES,
    RAY_MISSING,
    BackendChoice,
    check_ray_address,
    open_backend,
)
from ganlab.sweep_csv import (  # noqa: F401  (re-exported: ganlab.sweep is the sweep's one import)
    COLUMNS,
    FAILED,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    METRICS,
    OK,
    RowLog,
    SweepFileError,
    is_ok,
    read_csv,
    write_csv,
)
from ganlab.sweep_csv import file_error as _file_error
from ganlab.sweep_csv import read_text as _read_text
from ganlab.sweep_driver import NoteCallback, Plan, drive, fresh_plan, resume_plan, sweep_order
from ganlab.sweep_limits import (  # noqa: F401  (re-exported)
    MAX_NAMES,
    MAX_OVERRIDES,
    MAX_RUNS,
    MAX_SEEDS,
    MAX_SPEC_BYTES,
    MAX_STEPS,
    MAX_TEXT,
    MAX_TOTAL_STEPS,
    MAX_VARIANTS,
    MAX_WORKERS,
    check_limits,
)
from ganlab.sweep_limits import short as _short
from ganlab.sweep_run import RunSpec, run_one  # noqa: F401  (re-exported)

PRESET_DIR = Path(__file__).resolve().parent / "presets"

# options a sweep sets itself from its axes; base overrides and variants may not set them
_AXIS_OPTIONS = {"data.name": "datasets", "loss.name": "losses", "seed": "seeds", "eval_samples": "eval_samples"}

Row = dict[str, Any]
ProgressCallback = Callable[[int, int, Row], None]


def default_workers() -> int:
    """Parallel processes by default: min(2, CPU count)."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass
class SweepSpec:
    """What to run: every dataset x loss x variant x seed, each for `steps` iterations.

    Args:
        datasets: dataset names (ganlab.data.DATASETS).
        losses: loss names (ganlab.losses.LOSSES).
        seeds: run seeds.
        steps: training iterations per run.
        base: dotted-path overrides (strings, as `--set`) applied to every run, e.g. the architecture.
        variants: [{"name": "GAN", "overrides": {...}}, ...]; None or empty = one variant named "-".
        dataset_overrides: per dataset name, overrides applied to its runs only (e.g. its data.std).
        workers: parallel processes (1 = in this process).
        eval_samples: generator samples of the final evaluation (2,500 by the PacGAN protocol).
    """

    datasets: list[str]
    losses: list[str]
    seeds: list[int]
    steps: int
    base: dict[str, str] = field(default_factory=dict)
    variants: list[dict[str, Any]] | None = None
    dataset_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    workers: int = field(default_factory=default_workers)
    eval_samples: int = 2500


# --- expanding and validating -------------------------------------------------------------------

def _string_overrides(values: Any, where: str) -> dict[str, str]:
    """A mapping of dotted path -> value, values turned into the strings `with_overrides` parses."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(f"{where} must be a mapping of dotted option path to value, got {_short(values)}")
    if len(values) > MAX_OVERRIDES:
        raise ValueError(f"{where}: at most {MAX_OVERRIDES} options, got {len(values):,}")
    out = {}
    for key, value in values.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = repr(value) if isinstance(value, float) else str(value)
        elif not isinstance(value, str):
            raise ValueError(f"{where}: value of {_short(key)} must be a string or a number, got {_short(value)}")
        if not isinstance(key, str) or len(key) > MAX_TEXT or len(value) > MAX_TEXT:
            raise ValueError(f"{where}: option {_short(key)}: paths and values are text of at most "
                             f"{MAX_TEXT} characters")
        out[key] = value
    return out


def _check_no_axis_options(overrides: dict[str, str], where: str) -> None:
    for path, axis in _AXIS_OPTIONS.items():
        if path in overrides:
            raise ConfigError(path, f"is set by the sweep's {axis}; do not set it in {where}")


def _variants(spec: SweepSpec) -> list[tuple[str, dict[str, str]]]:
    if not spec.variants:
        return [("-", {})]
    out: list[tuple[str, dict[str, str]]] = []
    for i, variant in enumerate(spec.variants):
        if not isinstance(variant, dict) or not isinstance(variant.get("name"), str) or not variant["name"]:
            raise ValueError(f"variant {i} must be {{'name': NAME, 'overrides': {{...}}}}, got {variant!r}")
        unknown = set(variant) - {"name", "overrides"}
        if unknown:
            raise ValueError(f"variant {variant['name']!r}: unknown key(s) {', '.join(sorted(unknown))}; "
                             "valid: name, overrides")
        overrides = _string_overrides(variant.get("overrides"), f"variant {variant['name']!r}")
        _check_no_axis_options(overrides, f"variant {variant['name']!r}")
        out.append((variant["name"], overrides))
    return out


def _check_axis(name: str, values: list | tuple, kind: type) -> list:
    """The entries of one axis (its size already checked by check_limits): all `kind`, no duplicates
    (one pass with a set), names at most MAX_TEXT characters."""
    seen: set = set()
    duplicates: set[str] = set()
    for value in values:
        if not isinstance(value, kind) or isinstance(value, bool) or (kind is str and len(value) > MAX_TEXT):
            raise ValueError(f"{name}: every entry must be {'an integer' if kind is int else 'a name'}"
                             f"{'' if kind is int else f' of at most {MAX_TEXT} characters'}, got {_short(value)}")
        if value in seen:
            duplicates.add(str(value))
        seen.add(value)
    if duplicates:
        raise ValueError(f"{name}: duplicate entries {', '.join(sorted(duplicates))}")
    return list(values)


def expand(spec: SweepSpec, check_devices: bool = True) -> list[RunSpec]:
    """Every dataset x loss x variant x seed as a RunSpec, each config validated now.

    Runs come in the sweep's order (datasets outermost, seeds innermost). Options are applied in this
    order: eval_every 0 (the sweep evaluates once, at the end), `base`, the dataset and its
    `dataset_overrides`, the loss, the variant's overrides, then seed and eval_samples.

    Raises:
        ConfigError naming the bad option (and the run it came from) for an invalid config;
        ValueError for a malformed spec (empty axis, duplicate names, steps < 1, a limit exceeded
        (check_limits), a device this machine does not have (unless not `check_devices`: the Ray
        backend checks the cluster's instead)).
    """
    check_limits(spec)  # sizes first: nothing below runs on an oversized spec
    datasets = _check_axis("datasets", spec.datasets, str)
    losses = _check_axis("losses", spec.losses, str)
    seeds = _check_axis("seeds", spec.seeds, int)
    base = _string_overrides(spec.base, "base")
    _check_no_axis_options(base, "the base overrides")
    if not isinstance(spec.dataset_overrides, dict) or len(spec.dataset_overrides) > MAX_NAMES:
        raise ValueError(f"dataset_overrides must map at most {MAX_NAMES} dataset names -> overrides, "
                         f"got {_short(spec.dataset_overrides)}")
    per_dataset = {name: _string_overrides(spec.dataset_overrides.get(name), f"dataset_overrides[{name!r}]")
                   for name in datasets}
    for name, overrides in per_dataset.items():
        _check_no_axis_options(overrides, f"dataset_overrides[{name!r}]")
    variants = _variants(spec)
    names = [name for name, _ in variants]
    if len(set(names)) != len(names):
        raise ValueError(f"variant names must be unique, got {', '.join(names)}")

    runs: list[RunSpec] = []
    devices: set[str] = set()
    for dataset in datasets:
        for loss in losses:
            for variant, variant_overrides in variants:
                for seed in seeds:
                    overrides = {"eval_every": "0", **base, "data.name": dataset, **per_dataset[dataset],
                                 "loss.name": loss, **variant_overrides, "seed": str(seed),
                                 "eval_samples": str(spec.eval_samples)}
                    run = RunSpec(dataset, loss, variant, seed, spec.steps, overrides)
                    try:
                        cfg = run.config()
                    except ConfigError as err:
                        message = str(err).removeprefix(f"{err.field}: ")
                        raise ConfigError(err.field, f"{message} (in sweep run {run.label()})") from None
                    devices.add(cfg.device)
                    runs.append(run)
    for device in sorted(devices) if check_devices else ():
        resolve_device(device)  # ValueError when e.g. cuda is asked for and absent
    return runs


# --- running --------------------------------------------------------------------------------------

StartedCallback = Callable[[dict[str, Any]], None]


def run_sweep(spec: SweepSpec, out_csv: str | os.PathLike, progress: ProgressCallback | None = None, *,
              backend: BackendChoice | None = None, resume: bool = False, note: NoteCallback | None = None,
              started: StartedCallback | None = None) -> list[Row]:
    """Run every combination of `spec`; write the rows to `out_csv`; return them in the sweep's order.

    Each finished run's row is appended to `out_csv` as one whole line (flushed and fsynced), so an
    interrupted sweep leaves a usable file; at the end the file is rewritten atomically in the sweep's
    order (dataset, loss, variant, seed as listed in the spec). `progress(done, total, row)` is called
    after each run, `note(text)` for a retry or what resuming found, `started(placement)` once the backend
    is up (ganlab.sweep_backends.Placement.as_json: where the sweep runs and how big that is).

    Args:
        backend: where runs train (default: this machine; with `spec.workers` > 1 a pool of "spawn"
            processes, each with one torch thread; with 1 here, also with one thread). Ray: see
            ganlab.sweep_ray; a run whose worker or node is lost is tried again `backend.retries` times.
        resume: continue the interrupted sweep whose CSV is `out_csv` (ganlab.sweep_driver.resume_plan):
            runs with an ok row there are not trained again; failed ones are.

    Raises ConfigError / ValueError before anything trains or is written: a bad spec, a CSV that does not
    match (resume), a backend that cannot be had (no ray package, no cluster at the address).
    """
    choice = backend or BackendChoice()
    runs = expand(spec, check_devices=choice.kind == "local")  # validates everything before any training
    path = Path(out_csv)
    plan = resume_plan(runs, path) if resume else fresh_plan(runs)
    for text in plan.notes:
        if note is not None:
            note(text)
    if plan.todo:
        rows = _train(plan, spec, choice, path, progress, note, started)
    else:
        rows = sorted(plan.done, key=sweep_order(runs))
    write_csv(rows, path)
    return rows


def _train(plan: Plan, spec: SweepSpec, choice: BackendChoice, path: Path, progress: ProgressCallback | None,
           note: NoteCallback | None, started: StartedCallback | None) -> list[Row]:
    """Open the backend (before the CSV is touched), then start the CSV with the rows already done and
    drive the runs left (ganlab.sweep_driver.drive)."""
    opened = open_backend(choice, spec.workers, plan.todo)
    log = RowLog(path)
    try:
        if started is not None:
            started(opened.placement.as_json())
        log.start(plan.done)
        return drive(plan, opened, log, choice.retries, progress, note)
    finally:
        log.close()
        opened.close()


# --- summary and table ----------------------------------------------------------------------------

def _mean_se(values: list[float]) -> tuple[float | None, float | None]:
    """Mean and standard error std(ddof=1)/sqrt(n) (0 for n = 1); (None, None) for no values."""
    if not values:
        return None, None
    arr = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # an inf (e.g. mode KL with no high-quality sample) -> se None
        mean = float(arr.mean())
        if len(arr) == 1:
            return mean, 0.0
        se = float(arr.std(ddof=1) / math.sqrt(len(arr)))
    return mean, se if math.isfinite(se) else None


def summarize(rows: list[Row]) -> list[Row]:
    """Per (dataset, loss, variant), in order of first appearance: n (runs that finished), n_diverged,
    n_failed (runs recorded as failed: no metrics, not in n), mean seconds, and `{metric}_mean`,
    `{metric}_se` of every metric over the finished runs where it applies (diverged runs included, at
    their last good state); None where no run has the metric."""
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["loss"], row["variant"]), []).append(row)
    summary = []
    for (dataset, loss, variant), group in groups.items():
        members = [r for r in group if is_ok(r)]
        entry: Row = {"dataset": dataset, "loss": loss, "variant": variant, "n": len(members),
                      "n_diverged": sum(bool(r.get("diverged")) for r in members),
                      "n_failed": len(group) - len(members)}
        steps = [r["steps"] for r in members if r.get("steps") is not None]
        entry["steps"] = max(steps) if steps else None
        seconds = [r["seconds"] for r in members if r.get("seconds") is not None]
        entry["seconds_mean"] = _mean_se(seconds)[0]
        for key in METRICS:
            values = [float(r[key]) for r in members
                      if r.get(key) is not None and not math.isnan(float(r[key]))]
            entry[f"{key}_mean"], entry[f"{key}_se"] = _mean_se(values)
        summary.append(entry)
    return summary


def _pm(mean: float | None, se: float | None, digits: int, scale: float = 1.0) -> str:
    if mean is None:
        return "n/a"
    if se is None:
        return f"{mean * scale:.{digits}f}"
    return f"{mean * scale:.{digits}f} ± {se * scale:.{digits}f}"


def _floor(value: float | None, digits: int) -> str:
    return "" if value is None else f" ({value:.{digits}f})"


def format_table(summary: list[Row], paper: dict[tuple[str, str], dict[str, float]] | None = None) -> str:
    """A fixed-width table, one line per (dataset, loss, variant): n, diverged runs, modes covered,
    high-quality %, mode KL, W1 with its floor (two real samples) in brackets, the JSD sample estimate
    (nats, in [0, log 2]) with a perfect generator's reading in brackets (mean ± standard error over
    the runs) and seconds per run. When a run failed (no row of metrics), a column "failed" after "div"
    counts them. With `paper` ({(dataset, variant): {"modes": .., "modes_se": .., "hq": ..}}, hq in %) two
    more columns give the paper's figures."""
    failures = any(s.get("n_failed") for s in summary)
    header = ["dataset", "loss", "variant", "n", "div", *(["failed"] if failures else []), "modes (mean ± se)",
              "hq % (mean ± se)", "mode KL", "W1 (floor)", "JSD est. (floor)", "s/run"]
    if paper is not None:
        header += ["paper modes", "paper hq %"]
    lines = []
    for s in summary:
        modes = _pm(s["modes_covered_mean"], s["modes_covered_se"], 2)
        if s["modes_covered_mean"] is not None and s["modes_total_mean"] is not None:
            modes += f" /{s['modes_total_mean']:g}"
        cells = [s["dataset"], s["loss"], s["variant"], str(s["n"]), str(s["n_diverged"]),
                 *([str(s.get("n_failed", 0))] if failures else []), modes,
                 _pm(s["hq_fraction_mean"], s["hq_fraction_se"], 1, 100.0),
                 _pm(s["mode_kl_mean"], s["mode_kl_se"], 3),
                 _pm(s["w1_mean"], s["w1_se"], 3) + _floor(s.get("w1_floor_mean"), 3),
                 _pm(s["jsd_mean"], s["jsd_se"], 3) + _floor(s.get("jsd_floor_mean"), 4),
                 "n/a" if s["seconds_mean"] is None else f"{s['seconds_mean']:.1f}"]
        if paper is not None:
            figures = paper.get((s["dataset"], s["variant"]), {})
            cells.append(_pm(figures["modes"], figures.get("modes_se"), 1) if "modes" in figures else "")
            cells.append(f"{figures['hq']:.1f}" if "hq" in figures else "")
        lines.append(cells)
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    left = 3  # dataset, loss, variant are left-aligned; numbers right-aligned

    def render(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([render(header), rule, *(render(cells) for cells in lines)])


# --- presets --------------------------------------------------------------------------------------

_PRESET_KEYS = {"description", "datasets", "dataset_overrides", "losses", "seeds", "steps", "full_steps",
                "base", "variants", "eval_samples", "paper"}


def list_presets() -> list[str]:
    """Names of the shipped presets (ganlab/presets/*.json)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def _preset_path(name_or_path: str | os.PathLike) -> Path:
    text = str(name_or_path)
    path = Path(text)
    if path.suffix == ".json" or os.sep in text or "/" in text:
        return path
    shipped = PRESET_DIR / f"{text}.json"
    if not shipped.is_file():
        raise SweepFileError(f"unknown preset {fc.short_repr(text, 80)}; shipped presets: "
                             f"{', '.join(list_presets())} (or give a path to a .json file)")
    return shipped


_PAPER_NUMBERS = {"modes": (0.0, 1e6), "modes_se": (0.0, 1e6), "hq": (0.0, 100.0), "hq_se": (0.0, 100.0)}
"""A paper figure's numbers and their ranges (hq in %)."""


def _paper_figures(values: Any, where: str = "paper") -> dict[tuple[str, str], dict[str, float]] | None:
    """{"source": text, "figures": [{"dataset", "variant", "modes", "modes_se", "hq", "hq_se"}, ...]} ->
    {(dataset, variant): {number name: value}}; SchemaError naming the entry that does not fit."""
    if values is None:
        return None
    paper = fc.mapping(values, where, required=("figures",), optional=("source",))
    fc.text(paper.get("source", ""), f"{where}.source", 1000)
    out: dict[tuple[str, str], dict[str, float]] = {}
    for i, item in enumerate(fc.sequence(paper["figures"], f"{where}.figures", max_length=MAX_RUNS)):
        at = f"{where}.figures[{i}]"
        figure = fc.mapping(item, at, required=("dataset", "variant"), optional=tuple(_PAPER_NUMBERS))
        key = (fc.text(figure["dataset"], f"{at}.dataset", MAX_TEXT),
               fc.text(figure["variant"], f"{at}.variant", MAX_TEXT))
        out[key] = {name: fc.number(figure[name], f"{at}.{name}", low, high)
                    for name, (low, high) in _PAPER_NUMBERS.items() if name in figure}
    return out


def _checked_overrides(values: Any, where: str) -> dict[str, str]:
    """A preset's {dotted option path: text, a number or true/false} (null: none) -> the override strings."""
    if values is None:
        return {}
    entries = fc.mapping(values, where, any_keys=True, max_entries=MAX_OVERRIDES)
    for key, value in entries.items():
        at = fc.join_where(where, fc.text(key, f"{where} key", MAX_TEXT))
        if isinstance(value, str):
            fc.text(value, at, MAX_TEXT)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            fc.number(value, at)
        elif not isinstance(value, bool):
            raise fc.SchemaError(at, "text, a number or true/false", value)
    return _string_overrides(entries, where)


def _name_list(values: Any, where: str, limit: int) -> list[str]:
    """A list of at most `limit` names, each text of at most MAX_TEXT characters."""
    items = fc.sequence(values, where, max_length=limit)
    return [fc.text(value, f"{where}[{i}]", MAX_TEXT) for i, value in enumerate(items)]


def _preset_spec(values: Any, full: bool) -> tuple[SweepSpec, dict | None, str]:
    """A preset's parsed JSON checked against its schema -> (spec, paper figures, description)."""
    entries = fc.mapping(values, "", required=("datasets", "losses", "seeds", "steps"),
                         optional=sorted(_PRESET_KEYS - {"datasets", "losses", "seeds", "steps"}))
    steps = {key: fc.integer(entries[key], key, 1, MAX_STEPS) for key in ("steps", "full_steps") if key in entries}
    if full and "full_steps" not in steps:
        raise fc.SchemaError("full_steps", "a full-length step count (--full runs it)", got="none")
    seeds = [fc.option_value(seed, f"seeds[{i}]", "seed")
             for i, seed in enumerate(fc.sequence(entries["seeds"], "seeds", max_length=MAX_SEEDS))]
    variants = []
    given = entries.get("variants")
    for i, item in enumerate(fc.sequence([] if given is None else given, "variants", max_length=MAX_VARIANTS)):
        variant = fc.mapping(item, f"variants[{i}]", required=("name",), optional=("overrides",))
        name = fc.text(variant["name"], f"variants[{i}].name", MAX_TEXT)
        variants.append({"name": name, "overrides": _checked_overrides(variant.get("overrides"),
                                                                        f"variants[{i}].overrides")})
    given = entries.get("dataset_overrides")
    per_dataset = fc.mapping({} if given is None else given, "dataset_overrides", any_keys=True,
                             max_entries=MAX_NAMES)
    eval_samples = fc.option_value(entries.get("eval_samples", 2500), "eval_samples", "eval_samples")
    spec = SweepSpec(datasets=_name_list(entries["datasets"], "datasets", MAX_NAMES),
                     losses=_name_list(entries["losses"], "losses", MAX_NAMES), seeds=seeds,
                     steps=steps["full_steps" if full else "steps"],
                     base=_checked_overrides(entries.get("base"), "base"), variants=variants or None,
                     dataset_overrides={key: _checked_overrides(value, fc.join_where("dataset_overrides", key))
                                        for key, value in per_dataset.items()},
                     eval_samples=eval_samples)
    description = fc.text(entries.get("description", ""), "description", 4000)
    return spec, _paper_figures(entries.get("paper")), description


def load_preset(name_or_path: str | os.PathLike, full: bool = False
                ) -> tuple[SweepSpec, dict[tuple[str, str], dict[str, float]] | None, str]:
    """(SweepSpec, paper figures or None, description) of a shipped preset name or a JSON file.

    With `full` the preset's `full_steps` (the full-length protocol) replace its reduced `steps`.
    Paper figures are keyed by (dataset, variant): {"modes": mean, "modes_se": se, "hq": percent}.

    The file is checked against its schema before a value is used: a regular UTF-8 file of at most
    MAX_SPEC_BYTES holding JSON (bounded nesting); an object with datasets and losses (lists of at most
    MAX_NAMES names), seeds (at most MAX_SEEDS, each in the seed option's range), steps and full_steps
    (integers in [1, MAX_STEPS]), base, variants (at most MAX_VARIANTS {name, overrides}) and
    dataset_overrides (each {dotted path: text, a number or true/false}), eval_samples (its option's
    range), a description (text) and paper figures (finite numbers in range); then every run's config is
    validated (`expand`). Raises SweepFileError, a ValueError whose one-line message names the file, or,
    for an option no run accepts, ConfigError naming the option and the file.
    """
    path = _preset_path(name_or_path)
    try:
        values = fc.json_text(_read_text(path, MAX_SPEC_BYTES, "preset"), "", MAX_SPEC_BYTES)
        spec, paper, description = _preset_spec(values, full)
    except fc.SchemaError as err:
        raise _file_error("preset", path, str(err)) from None
    try:
        expand(spec)  # a broken preset fails here, naming the option
    except ConfigError as err:
        message = str(err).removeprefix(f"{err.field}: ")
        raise ConfigError(err.field, f"{message} (preset {fc.short_repr(path.name, 80)})") from None
    except ValueError as err:
        raise _file_error("preset", path, str(err)) from None
    return spec, paper, description


# --- specification files (--spec) ----------------------------------------------------------------

SPEC_KEYS = {"datasets": list, "losses": list, "seeds": list, "steps": int, "base": dict, "variants": list,
             "dataset_overrides": dict, "workers": int, "eval_samples": int}
"""The keys of a sweep specification file and the JSON type of each (datasets, losses, seeds, steps are
required); every value is then checked by `expand`, limits first (check_limits)."""
_REQUIRED_SPEC_KEYS = ("datasets", "losses", "seeds", "steps")
_JSON_TYPES = {list: "a list", int: "an integer", dict: "an object"}


def write_spec(spec: SweepSpec, path: str | os.PathLike) -> Path:
    """Write `spec` as a JSON specification file (read back by `load_spec`); returns the path."""
    path = Path(path)
    values = {key: getattr(spec, key) for key in SPEC_KEYS if getattr(spec, key) is not None}
    path.write_text(json.dumps(values, indent=1))
    return path


def spec_from_values(values: Any, where: str = "spec") -> SweepSpec:
    """A SweepSpec from parsed JSON, checked against SPEC_KEYS and then by `expand` (limits first).

    Raises ValueError (ConfigError for a bad option) whose one-line message names the field."""
    if not isinstance(values, dict):
        raise ValueError(f"{where}: must be a JSON object with keys {', '.join(SPEC_KEYS)}")
    unknown = sorted(str(k)[:MAX_TEXT] for k in set(values) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(SPEC_KEYS)}")
    missing = [k for k in _REQUIRED_SPEC_KEYS if k not in values]
    if missing:
        raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
    for key, kind in SPEC_KEYS.items():
        value = values.get(key)
        if key in values and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ValueError(f"{where}: {key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
    optional = {k: values[k] for k in ("base", "variants", "dataset_overrides", "workers", "eval_samples")
                if k in values}
    spec = SweepSpec(datasets=values["datasets"], losses=values["losses"], seeds=values["seeds"],
                     steps=values["steps"], **optional)
    try:
        expand(spec)
    except ConfigError:
        raise
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    spec.base = _string_overrides(spec.base, "base")
    return spec


def load_spec(path: str | os.PathLike) -> SweepSpec:
    """The SweepSpec of a JSON specification file (at most MAX_SPEC_BYTES); ValueError naming the file
    and the field when it is unreadable, too big, not JSON or breaks the schema or a limit."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as err:
        raise ValueError(f"cannot read sweep spec {str(path)!r}: {err.strerror}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise ValueError(f"{path.name}: a sweep spec is at most {MAX_SPEC_BYTES:,} bytes")
    try:
        values = json.loads(data)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, an over-long or too deep number
        detail = f"{err.msg} at line {err.lineno}" if isinstance(err, json.JSONDecodeError) else type(err).__name__
        raise ValueError(f"{path.name}: not a valid JSON sweep spec ({detail})") from None
    return spec_from_values(values, path.name)


# --- command line ---------------------------------------------------------------------------------

def parse_seeds(text: str, field: str = "--seeds") -> list[int]:
    """"0,1,2" or "0-4" or a mix ("0-2,7") -> list of ints. More than MAX_SEEDS seeds raise ValueError
    (naming `field` and the limit) before any range is expanded, so "0-100000000" is refused at once."""
    parts = text.split(",")
    if len(parts) > MAX_SEEDS:
        raise ValueError(f"{field}: at most {MAX_SEEDS} seeds per sweep, got {len(parts):,} entries")
    seeds: list[int] = []
    for part in (p.strip() for p in parts):
        try:
            low, dash, high = part.partition("-")
            low, high = int(low), int(high if dash else low)
        except ValueError:
            raise ValueError(f"{field}: write seeds as 0,1,2 or a range 0-4, got {_short(text)}") from None
        if high < low:
            raise ValueError(f"{field}: a range goes up (low-high), got {_short(part)}")
        count = len(seeds) + high - low + 1
        if count > MAX_SEEDS:
            raise ValueError(f"{field}: at most {MAX_SEEDS} seeds per sweep, got {count:,}"
                             f"{'' if part == parts[-1].strip() else ' or more'}")
        seeds.extend(range(low, high + 1))
    return seeds


def _names(text: str, option: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError(f"{option}: give at least one name, got {text!r}")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `sweep` options to an (sub)parser; `run_from_args` reads them."""
    parser.add_argument("--spec", metavar="FILE.json",
                        help="the whole sweep from a JSON file (keys: " + ", ".join(SPEC_KEYS) +
                             "); not with the options that describe a sweep")
    parser.add_argument("--preset", help=f"a shipped preset ({', '.join(list_presets())}) or a JSON file")
    parser.add_argument("--full", action="store_true", help="the preset's full-length step budget")
    parser.add_argument("--datasets", help="comma-separated dataset names (default ring8)")
    parser.add_argument("--losses", help="comma-separated loss names (default nonsaturating)")
    parser.add_argument("--seeds", help="seeds: 0,1,2 or a range 0-4 (default 0-2)")
    parser.add_argument("--steps", type=int, help="iterations per run (default 2000, or the preset's)")
    parser.add_argument("--workers", type=int, help=f"parallel processes (default {default_workers()})")
    parser.add_argument("--out", help="CSV to write (default runs/sweep-<timestamp>.csv)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="an option for every run, by dotted path (e.g. g.width=128); repeatable")
    parser.add_argument("--show", metavar="CSV", help="print the table of a finished sweep's CSV; no training")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line last")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--end-with-parent", dest="end_with_parent", type=int, metavar="PID",
                        help="stop (and stop the workers) when PID, the process that started this one, exits; "
                             "the Experiments page starts its sweeps so")
    add_backend_arguments(parser)


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """The `sweep` options of where the runs train, and of resuming."""
    parser.add_argument("--backend", choices=BACKENDS,
                        help="where runs train: local (default: this machine, --workers processes) or ray (Ray "
                             "tasks on a cluster; needs the ray package: pip install ray)")
    parser.add_argument("--address", metavar="auto|local|HOST:PORT",
                        help="with --backend ray: the cluster (auto, the default: the one `ray start` runs on "
                             "this machine; HOST:PORT: a cluster's head; local: a private Ray instance for this "
                             "sweep with --workers CPUs)")
    parser.add_argument("--retries", type=int, metavar="N",
                        help=f"with --backend ray: times a run whose worker or node is lost is tried again before "
                             f"it is recorded as failed (default {DEFAULT_RETRIES}, at most {MAX_RETRIES})")
    parser.add_argument("--resume", metavar="CSV",
                        help="continue the interrupted sweep whose CSV this is (give its sweep options again): "
                             "runs already there are not trained again, runs recorded as failed are")
    parser.add_argument("--status-file", dest="status_file", metavar="FILE.json",
                        help="write where the sweep runs (backend, nodes, CPUs, GPUs) to this file once it "
                             "started; the Experiments page shows it")


def ray_installed() -> bool:
    """Whether the ray package can be imported (looked up, not imported)."""
    if "ray" in sys.modules:
        return sys.modules["ray"] is not None
    return importlib.util.find_spec("ray") is not None


def backend_from_args(args: argparse.Namespace) -> BackendChoice:
    """The BackendChoice the command line asks for, its flags checked together (ValueError naming them)."""
    kind, address, retries = (getattr(args, name, None) for name in ("backend", "address", "retries"))
    resume = getattr(args, "resume", None)
    for flag, other in (("--out", args.out), ("--show", args.show)):
        if resume and other:
            raise ValueError(f"give --resume or {flag}, not both (--resume continues the sweep in its own CSV)")
    if kind != "ray":
        if address is not None:
            raise ValueError("--address needs --backend ray (it names the Ray cluster the runs go to)")
        if retries is not None:
            raise ValueError("--retries needs --backend ray (on this machine a run that raises is recorded as "
                             "failed at once, and a lost pool process stops the sweep: continue it with --resume)")
        return BackendChoice()
    if not ray_installed():
        raise ValueError(RAY_MISSING)
    if retries is not None and not 0 <= retries <= MAX_RETRIES:
        raise ValueError(f"--retries: expected a whole number from 0 to {MAX_RETRIES}, got {retries}")
    return BackendChoice("ray", check_ray_address("auto" if address is None else address),
                         DEFAULT_RETRIES if retries is None else retries)


def spec_from_args(args: argparse.Namespace) -> tuple[SweepSpec, dict | None, str]:
    """The SweepSpec (and paper figures, description) the command line asks for."""
    if getattr(args, "spec", None):
        given = [flag for flag, value in (("--preset", args.preset), ("--full", args.full),
                                          ("--datasets", args.datasets), ("--losses", args.losses),
                                          ("--seeds", args.seeds), ("--steps", args.steps),
                                          ("--workers", args.workers), ("--set", args.set))
                 if value not in (None, False, [])]
        if given:
            raise ValueError(f"give --spec or {', '.join(given)}, not both (the spec file holds the whole sweep)")
        return load_spec(args.spec), None, ""
    if args.preset:
        spec, paper, description = load_preset(args.preset, full=args.full)
    else:
        if args.full:
            raise ValueError("--full needs --preset (it selects a preset's full-length step budget)")
        spec, paper, description = SweepSpec(["ring8"], ["nonsaturating"], [0, 1, 2], 2000), None, ""
    if args.steps is not None and args.full:
        raise ValueError("give --steps or --full, not both")
    if args.datasets:
        spec.datasets = _names(args.datasets, "--datasets")
    if args.losses:
        spec.losses = _names(args.losses, "--losses")
    if args.seeds:
        spec.seeds = parse_seeds(args.seeds)
    if args.steps is not None:
        spec.steps = args.steps
    if args.workers is not None:
        spec.workers = args.workers
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        spec.base = {**spec.base, key.strip(): value}
    return spec, paper, description


def _progress_line(done: int, total: int, row: Row) -> str:
    head = f"[{done}/{total}] {row['dataset']} {row['loss']} {row['variant']} seed {row['seed']}: "
    if not is_ok(row):
        tries = row.get("attempts") or 1
        return head + f"FAILED after {tries} attempt{'s' if tries != 1 else ''}: {row.get('error')}"
    parts = []
    if row.get("modes_covered") is not None:
        parts.append(f"{row['modes_covered']} modes")
    if row.get("hq_fraction") is not None:
        parts.append(f"{100 * row['hq_fraction']:.1f} % hq")
    if not parts and row.get("w1") is not None:
        parts.append(f"W1 {row['w1']:.3f}")
    parts.append(f"{row['seconds']:.1f} s")
    if row.get("diverged"):
        parts.append(f"DIVERGED at step {row['diverged_at']} (kept {row['steps']} steps)")
    if (row.get("attempts") or 1) > 1:
        parts.append(f"attempt {row['attempts']}")
    return head + ", ".join(parts)


def _json_safe(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def run_from_args(args: argparse.Namespace) -> int:
    """`python -m ganlab sweep ...`: run (or --show, or --resume) a sweep, print the table; 0 on success.

    Bad input raises ConfigError or ValueError with a message naming the problem.
    """
    spec, paper, description = spec_from_args(args)
    choice = backend_from_args(args)
    if getattr(args, "end_with_parent", None) is not None:
        from ganlab.parent_watch import end_with_parent

        end_with_parent(args.end_with_parent)
    rows = read_csv(args.show) if args.show else _sweep_from_args(args, spec, choice)
    summary = summarize(rows)
    if description and not args.quiet:
        print(description)
    print(format_table(summary, paper))
    if args.json:
        print(json.dumps([{k: _json_safe(v) for k, v in s.items()} for s in summary]))
    return 0


def _sweep_from_args(args: argparse.Namespace, spec: SweepSpec, choice: BackendChoice) -> list[Row]:
    """Run the sweep the command line asks for, saying on stderr what runs where, each finished run, each
    retry and what resuming found (unless --quiet); returns its rows."""
    runs = expand(spec, check_devices=choice.kind == "local")
    resume = getattr(args, "resume", None)
    out = Path(resume or args.out or Path("runs") / f"sweep-{time.strftime('%Y%m%d-%H%M%S')}.csv")

    def say(text: str) -> None:
        if not args.quiet:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    variants = len({r.variant for r in runs})
    how = f"{min(spec.workers, len(runs))} worker(s)" if choice.kind == "local" else \
        f"Ray at {choice.address}, {choice.retries} retries"
    say(f"ganlab sweep: {len(runs)} runs ({len(spec.datasets)} datasets x {len(spec.losses)} losses x {variants} "
        f"variants x {len(spec.seeds)} seeds), {spec.steps} steps each, {how} -> {out}")

    def started(placement: dict[str, Any]) -> None:
        say(f"ganlab sweep: runs on {placement['where']}")
        if getattr(args, "status_file", None):
            write_status(args.status_file, placement)

    rows = run_sweep(spec, out, lambda done, total, row: say(_progress_line(done, total, row)), backend=choice,
                     resume=bool(resume), note=lambda text: say(f"ganlab sweep: {text}"), started=started)
    say(f"wrote {out}")
    return rows


def write_status(path: str | os.PathLike, placement: dict[str, Any]) -> None:
    """Where a running sweep runs (Placement.as_json and this process's id), as JSON written atomically to
    `path` (--status-file: the Experiments page shows it)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({**placement, "pid": os.getpid(), "since": time.time()}))
    os.replace(tmp, path)
