"""Sweeps: many seeded runs over datasets x losses x variants, a CSV of final metrics, a summary table.

A sweep is a `SweepSpec`. `expand` turns it into one `RunSpec` per combination and validates every
config before anything trains, `run_sweep` trains them (in parallel "spawn" processes, one torch thread
each) and appends a CSV row as each run finishes, `summarize` gives the mean and standard error per
(dataset, loss, variant), and `format_table` prints them, optionally beside a paper's figures.

Presets (JSON files in ganlab/presets/) name a published protocol; `pacgan` reproduces the setting of
Table 1 of PacGAN (Lin et al. 2018) on the 2-D ring and grid.

    spec, paper, description = load_preset("pacgan")
    rows = run_sweep(spec, "runs/pacgan.csv")
    print(format_table(summarize(rows), paper))
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganlab import file_checks as fc
from ganlab.config import ConfigError, RunConfig, with_overrides
from ganlab.device import resolve_device

PRESET_DIR = Path(__file__).resolve().parent / "presets"

# final metrics kept per run (see ganlab.evaluation); None in a row where a metric does not apply
# (modes_covered and hq_fraction are means over ganlab.evaluation.MODE_DRAWS draws of eval_samples;
# jsd is the sample estimate with its standard error jsd_se and a perfect generator's reading jsd_floor)
METRICS = ("modes_covered", "modes_total", "hq_fraction", "mode_kl", "w1", "w1_floor", "jsd", "jsd_se",
           "jsd_floor", "precision", "recall", "estimate", "reference")
COLUMNS = ("dataset", "loss", "variant", "seed", "steps", "seconds", "diverged", "diverged_at", "device",
           *METRICS)
_STR_COLUMNS = frozenset({"dataset", "loss", "variant", "device"})
_INT_COLUMNS = frozenset({"seed", "steps", "diverged_at", "modes_total"})
_BOOL_COLUMNS = frozenset({"diverged"})
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


# --- limits (a page's student and the command line get the same ones) --------------------------------
# A sweep shares the server's cores with everyone else's runs, so every field of a SweepSpec is bounded.
# Checked before anything is expanded or trained (and before a seed range is turned into a list).

MAX_RUNS = 100
"""Runs per sweep (datasets x losses x variants x seeds): the PacGAN preset is 20."""
MAX_SEEDS = 50
"""Seeds per sweep: ten times the PacGAN protocol's 5 (the issue's 0-29999 is refused at once)."""
MAX_STEPS = 100_000
"""Iterations per run: four times the PacGAN protocol's full length (25,000)."""
MAX_TOTAL_STEPS = 1_000_000
"""Iterations over all runs (runs x steps): twice the PacGAN preset with --full (20 x 25,000)."""
MAX_WORKERS = 8
"""Parallel processes of one sweep (the page offers at most the server's core count)."""
MAX_NAMES = 32
"""Entries of datasets, losses and dataset_overrides."""
MAX_VARIANTS = 16
"""Variants of one sweep."""
MAX_OVERRIDES = 64
"""Options set by one mapping of overrides (base, a variant's, a dataset's)."""
MAX_TEXT = 200
"""Characters of a name, an option path or an option's value."""
MAX_SPEC_BYTES = 64 * 1024
"""Size of a sweep specification file (--spec)."""


def _bounded_int(name: str, value: Any, high: int, what: str) -> int:
    """`value` as an integer in [1, high], else ValueError naming the field and the limit."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if value > high:
        raise ValueError(f"{name}: at most {high:,} {what}, got {value:,}")
    return value


def check_limits(spec: SweepSpec) -> int:
    """Check the sizes of `spec` against the limits above, in time independent of how big it is; returns
    the number of runs. Raises ValueError naming the field and its limit (entries themselves are checked
    by `expand`)."""
    sizes = {}
    for name, limit in (("datasets", MAX_NAMES), ("losses", MAX_NAMES), ("seeds", MAX_SEEDS),
                        ("variants", MAX_VARIANTS)):
        values = getattr(spec, name)
        if name == "variants" and not values:
            sizes[name] = 1
            continue
        if isinstance(values, str | bytes) or not isinstance(values, list | tuple) or not values:
            raise ValueError(f"{name}: give a non-empty list, got {_short(values)}")
        if len(values) > limit:
            raise ValueError(f"{name}: at most {limit} per sweep, got {len(values):,}")
        sizes[name] = len(values)
    steps = _bounded_int("steps", spec.steps, MAX_STEPS, "iterations per run")
    _bounded_int("workers", spec.workers, MAX_WORKERS, "parallel processes")
    runs = math.prod(sizes.values())
    if runs > MAX_RUNS:
        raise ValueError(f"runs: at most {MAX_RUNS} per sweep, got {runs:,} "
                         f"({' x '.join(f'{n} {k}' for k, n in sizes.items())})")
    if runs * steps > MAX_TOTAL_STEPS:
        raise ValueError(f"steps: at most {MAX_TOTAL_STEPS:,} iterations in all (runs x steps), got "
                         f"{runs} x {steps:,} = {runs * steps:,}")
    return runs


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


@dataclass
class RunSpec:
    """One run of a sweep; `overrides` is the complete set of dotted-path options applied to RunConfig()."""

    dataset: str
    loss: str
    variant: str
    seed: int
    steps: int
    overrides: dict[str, str]

    def config(self) -> RunConfig:
        return with_overrides(RunConfig(), self.overrides)

    def label(self) -> str:
        return f"{self.dataset} {self.loss} {self.variant} seed {self.seed}"


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


def expand(spec: SweepSpec) -> list[RunSpec]:
    """Every dataset x loss x variant x seed as a RunSpec, each config validated now.

    Runs come in the sweep's order (datasets outermost, seeds innermost). Options are applied in this
    order: eval_every 0 (the sweep evaluates once, at the end), `base`, the dataset and its
    `dataset_overrides`, the loss, the variant's overrides, then seed and eval_samples.

    Raises:
        ConfigError naming the bad option (and the run it came from) for an invalid config;
        ValueError for a malformed spec (empty axis, duplicate names, steps < 1, a limit exceeded
        (check_limits), unavailable device).
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
    for device in sorted(devices):
        resolve_device(device)  # ValueError when e.g. cuda is asked for and absent
    return runs


# --- running --------------------------------------------------------------------------------------

def _clean(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def run_one(run: RunSpec) -> Row:
    """Train one run for `run.steps` iterations and evaluate it once at the end.

    A run that diverges (TrainingDiverged) is evaluated from its last good state and its row says
    diverged True, diverged_at the step, steps the iterations kept. Metrics that do not apply are None.
    """
    from ganlab.train import Trainer, TrainingDiverged

    started = time.perf_counter()
    trainer = Trainer(run.config())
    diverged_at = None
    try:
        trainer.step(run.steps)
    except TrainingDiverged as err:
        diverged_at = int(err.step)
    metrics = trainer.evaluate()
    row: Row = {"dataset": run.dataset, "loss": run.loss, "variant": run.variant, "seed": run.seed,
                "steps": int(trainer.step_count), "seconds": round(time.perf_counter() - started, 3),
                "diverged": diverged_at is not None, "diverged_at": diverged_at, "device": str(trainer.device)}
    for key in METRICS:
        value = _clean(metrics.get(key, math.nan))
        if key == "modes_total" and value is not None:
            value = int(value)
        row[key] = value
    return row


def _init_worker(sweep_pid: int) -> None:
    """A pool worker: one torch thread; it ends when the sweep process `sweep_pid` does, even one killed
    outright (a worker left alone would finish its run on a core nobody reads)."""
    from ganlab.parent_watch import end_with_parent

    torch.set_num_threads(1)
    end_with_parent(sweep_pid)


@contextlib.contextmanager
def _single_thread() -> Iterator[None]:
    """One torch thread, as in a worker process, so workers=1 and workers=2 give the same numbers."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _sort_key(runs: list[RunSpec]) -> Callable[[Row], tuple]:
    order = {(r.dataset, r.loss, r.variant, r.seed): i for i, r in enumerate(runs)}
    return lambda row: (order.get((row["dataset"], row["loss"], row["variant"], row["seed"]), len(order)),)


def run_sweep(spec: SweepSpec, out_csv: str | os.PathLike, progress: ProgressCallback | None = None) -> list[Row]:
    """Run every combination of `spec`; write the rows to `out_csv`; return them in the sweep's order.

    Rows are appended (and flushed) to `out_csv` as runs finish, so an interrupted sweep leaves a usable
    file; at the end the file is rewritten atomically in the sweep's order (dataset, loss, variant, seed
    as listed in the spec). With `spec.workers` > 1 runs go to a pool of "spawn" processes, each with
    one torch thread; with 1 they run here, also with one thread. `progress(done, total, row)` is called
    after each run.
    """
    runs = expand(spec)  # validates everything before any training
    path = Path(out_csv)
    path.parent.mkdir(parents=True, exist_ok=True)
    total = len(runs)
    rows: list[Row] = []
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        handle.flush()

        def finished(row: Row) -> None:
            rows.append(row)
            writer.writerow(_csv_values(row))
            handle.flush()
            if progress is not None:
                progress(len(rows), total, row)

        workers = min(spec.workers, total)
        if workers <= 1:
            with _single_thread():
                for run in runs:
                    finished(run_one(run))
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                     initargs=(os.getpid(),)) as pool:
                pending = {pool.submit(run_one, run) for run in runs}
                try:
                    while pending:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            finished(future.result())
                except BaseException:
                    for future in pending:
                        future.cancel()
                    raise
    rows.sort(key=_sort_key(runs))
    write_csv(rows, path)
    return rows


# --- CSV ------------------------------------------------------------------------------------------

def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _csv_values(row: Row) -> list[str]:
    return [_csv_value(row.get(column)) for column in COLUMNS]


def write_csv(rows: list[Row], path: str | os.PathLike) -> None:
    """Write rows (COLUMNS) atomically: a temporary file beside `path`, then a rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(_csv_values(row) for row in rows)
    os.replace(tmp, path)


# --- reading files (a sweep CSV, a preset: files from anywhere, checked against their schema) ---------

class SweepFileError(fc.FileError):
    """A sweep CSV or preset file that cannot be used; one line naming the file and what was expected."""


MAX_CSV_BYTES = 4 * 1024 * 1024
"""Size of a sweep CSV read back (a sweep of MAX_RUNS runs writes about 40 kB)."""
MAX_CSV_ROWS = 10_000
"""Rows of a sweep CSV read back."""
_REQUIRED_COLUMNS = ("dataset", "loss", "variant", "seed")
_INT_RANGES = {"steps": (0, MAX_STEPS), "diverged_at": (0, MAX_STEPS), "modes_total": (0, 10**6)}  # seed: OPTIONS


def _file_error(what: str, path: Path, detail: str) -> SweepFileError:
    return SweepFileError(fc.one_line(f"{what} {fc.short_repr(path.name, 80)}: {detail}", 500))


def _read_text(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of the regular file `path` of at most `limit` bytes (SweepFileError naming it if not)."""
    try:
        if not path.is_file():
            raise _file_error(what, path, "does not exist or is not a regular file")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise _file_error(what, path, f"cannot be read ({err.strerror})") from None
    if len(data) > limit:
        raise _file_error(what, path, f"more than {limit:,} bytes; a {what} is at most {limit:,}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _file_error(what, path, f"not UTF-8 text (byte {err.start:,}; a binary file?)") from None


def _parse_cell(column: str, text: str) -> Any:
    """One cell, typed and bounded by its column (SchemaError naming the column when it does not fit)."""
    if text == "":
        if column in _REQUIRED_COLUMNS:
            raise fc.SchemaError(column, "a value", got="an empty cell")
        return None
    if len(text) > MAX_TEXT:
        raise fc.SchemaError(column, f"at most {MAX_TEXT} characters", got=f"{len(text):,}")
    if column in _STR_COLUMNS:
        return text
    if column in _BOOL_COLUMNS:
        if text.lower() not in ("true", "1", "false", "0"):
            raise fc.SchemaError(column, "true or false", text)
        return text.lower() in ("true", "1")
    try:
        number = float(text)
    except ValueError:
        raise fc.SchemaError(column, "a number", text) from None
    whole = int(number) if number.is_integer() else text
    if column == "seed":
        return fc.option_value(whole, column, "seed")
    if column in _INT_COLUMNS:
        return fc.integer(whole, column, *_INT_RANGES[column])
    return fc.number(number, column, finite=False)


def _csv_header(cells: list[str]) -> list[str]:
    """The header row: known COLUMNS only, each once, the dataset, loss, variant and seed among them."""
    missing = [c for c in _REQUIRED_COLUMNS if c not in cells]
    if missing:
        raise fc.SchemaError("header", f"a sweep CSV's columns ({', '.join(_REQUIRED_COLUMNS)}, ...)",
                             got=f"no column {missing[0]!r}")
    unknown = [c for c in cells if c not in COLUMNS]
    if unknown:
        raise fc.SchemaError("header", f"only the columns {', '.join(COLUMNS)}",
                             got=f"a column {fc.short_repr(unknown[0])}")
    if len(set(cells)) != len(cells):
        raise fc.SchemaError("header", "each column once", got=f"{len(cells) - len(set(cells))} repeated")
    return cells


def read_csv(path: str | os.PathLike) -> list[Row]:
    """Rows of a sweep CSV, typed back (str, int, float, bool; None for an empty cell), in file order.

    The file is checked against its schema first: a regular UTF-8 file of at most MAX_CSV_BYTES; a header of
    known COLUMNS (dataset, loss, variant and seed among them, none twice); at most MAX_CSV_ROWS rows of
    exactly the header's number of cells, each typed and bounded by its column (text of at most MAX_TEXT
    characters, seed and step counts in range, numbers). Raises SweepFileError, a ValueError whose one-line
    message names the file and the line.
    """
    path = Path(path)
    reader = csv.reader(io.StringIO(_read_text(path, MAX_CSV_BYTES, "sweep CSV")))
    rows: list[Row] = []
    try:
        header = _csv_header(next(reader, []))
        for cells in reader:
            if not cells:
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise fc.SchemaError("rows", f"at most {MAX_CSV_ROWS:,} rows", show_value=False)
            if len(cells) != len(header):
                raise fc.SchemaError("row", f"{len(header)} cells, one per column of the header",
                                     got=f"{len(cells):,}")
            rows.append({column: _parse_cell(column, cell) for column, cell in zip(header, cells, strict=True)})
    except csv.Error as err:
        raise _file_error("sweep CSV", path, f"line {reader.line_num}: not a CSV file ({err})") from None
    except fc.SchemaError as err:
        raise _file_error("sweep CSV", path, f"line {max(reader.line_num, 1)}: {err}") from None
    return rows


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
    """Per (dataset, loss, variant), in order of first appearance: n, n_diverged, mean seconds, and
    `{metric}_mean`, `{metric}_se` of every metric over the runs where it applies (diverged runs included,
    at their last good state); None where no run has the metric."""
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["loss"], row["variant"]), []).append(row)
    summary = []
    for (dataset, loss, variant), members in groups.items():
        entry: Row = {"dataset": dataset, "loss": loss, "variant": variant, "n": len(members),
                      "n_diverged": sum(bool(r.get("diverged")) for r in members)}
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
    the runs) and seconds per run. With `paper`
    ({(dataset, variant): {"modes": .., "modes_se": .., "hq": ..}}, hq in %) two more columns give
    the paper's figures."""
    header = ["dataset", "loss", "variant", "n", "div", "modes (mean ± se)", "hq % (mean ± se)", "mode KL",
              "W1 (floor)", "JSD est. (floor)", "s/run"]
    if paper is not None:
        header += ["paper modes", "paper hq %"]
    lines = []
    for s in summary:
        modes = _pm(s["modes_covered_mean"], s["modes_covered_se"], 2)
        if s["modes_covered_mean"] is not None and s["modes_total_mean"] is not None:
            modes += f" /{s['modes_total_mean']:g}"
        cells = [s["dataset"], s["loss"], s["variant"], str(s["n"]), str(s["n_diverged"]), modes,
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
    return f"[{done}/{total}] {row['dataset']} {row['loss']} {row['variant']} seed {row['seed']}: " + \
        ", ".join(parts)


def _json_safe(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def run_from_args(args: argparse.Namespace) -> int:
    """`python -m ganlab sweep ...`: run (or --show) a sweep, print the table; 0 on success.

    Bad input raises ConfigError or ValueError with a message naming the problem.
    """
    spec, paper, description = spec_from_args(args)
    if getattr(args, "end_with_parent", None) is not None:
        from ganlab.parent_watch import end_with_parent

        end_with_parent(args.end_with_parent)
    if args.show:
        rows = read_csv(args.show)
        out = Path(args.show)
    else:
        runs = expand(spec)
        out = Path(args.out) if args.out else Path("runs") / f"sweep-{time.strftime('%Y%m%d-%H%M%S')}.csv"
        if not args.quiet:
            variants = len({r.variant for r in runs})
            sys.stderr.write(f"ganlab sweep: {len(runs)} runs ({len(spec.datasets)} datasets x {len(spec.losses)} "
                             f"losses x {variants} variants x {len(spec.seeds)} seeds), {spec.steps} steps each, "
                             f"{min(spec.workers, len(runs))} worker(s) -> {out}\n")
            sys.stderr.flush()

        def progress(done: int, total: int, row: Row) -> None:
            if not args.quiet:
                sys.stderr.write(_progress_line(done, total, row) + "\n")
                sys.stderr.flush()

        rows = run_sweep(spec, out, progress)
        if not args.quiet:
            sys.stderr.write(f"wrote {out}\n")
    summary = summarize(rows)
    if description and not args.quiet:
        print(description)
    print(format_table(summary, paper))
    if args.json:
        print(json.dumps([{k: _json_safe(v) for k, v in s.items()} for s in summary]))
    return 0
