"""Driving a sweep's runs on a backend (ganlab.sweep_backends): what is left to run (`Plan`, from scratch
or from the CSV an interrupted sweep left, `resume_plan`), and the loop that submits the runs, appends each
finished run's row to the CSV at once and submits again a run whose worker or node was lost (`drive`).

Retries: a run whose worker process or node is lost (a backend's Failure marked retryable) is submitted
again, up to `retries` times (`--retries`, default 2), then recorded as failed with the last reason; an
error the run raises itself is recorded as failed at once. Either way the sweep goes on.

Resume (`--resume CSV`, the same sweep options as the interrupted sweep): the CSV's rows must all be runs of
this sweep with the same options and steps (their config_hash); a run with an "ok" row is not trained again,
whichever backend wrote it; a run recorded as failed trains again (its row is replaced, so the final CSV
holds one row per run); an unfinished last line (a killed driver's write) is dropped and said so. The
resumed file is first rewritten atomically with the rows kept, then appended to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlab.sweep_backends import Backend, Failure
from ganlab.sweep_csv import Row, RowLog, SweepFileError, is_ok, read_sweep_csv
from ganlab.sweep_run import RunSpec, failed_row, ok_row, row_key

ProgressCallback = Callable[[int, int, Row], None]
NoteCallback = Callable[[str], None]


@dataclass
class Plan:
    """A sweep's runs (in the sweep's order), the rows already done (ok, one per run, from a resumed CSV),
    the runs left to train, and what resuming did, for the person (`notes`)."""

    runs: list[RunSpec]
    done: list[Row] = field(default_factory=list)
    todo: list[RunSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fresh_plan(runs: list[RunSpec]) -> Plan:
    """Every run to train."""
    return Plan(list(runs), [], list(runs), [])


def _mismatch(name: str, detail: str) -> ValueError:
    return ValueError(f"--resume: {name} does not match this sweep: {detail} (give the interrupted sweep's "
                      "options again, or start a new sweep with --out)")


def _kept_rows(runs: list[RunSpec], rows: list[Row], name: str) -> tuple[dict[tuple, Row], int, int]:
    """(ok row per run key, failed rows, duplicate ok rows) of a CSV's rows, each checked to be a run of
    `runs` with the same config_hash (ValueError naming the first that is not)."""
    by_key = {run.key(): run for run in runs}
    done: dict[tuple, Row] = {}
    failed = duplicates = 0
    for row in rows:
        run = by_key.get(row_key(row))
        if run is None:
            label = f"{row['dataset']} {row['loss']} {row['variant']} seed {row['seed']}"
            raise _mismatch(name, f"its run {label} is not one of this sweep's runs")
        if row.get("config_hash") != run.config_hash():
            raise _mismatch(name, f"its run {run.label()} was trained with other options or steps "
                            f"(config_hash {row.get('config_hash')}, this sweep's {run.config_hash()})")
        if not is_ok(row):
            failed += 1
        elif run.key() in done:
            duplicates += 1
        else:
            done[run.key()] = row
    return done, failed, duplicates


def resume_plan(runs: list[RunSpec], path: str | Path) -> Plan:
    """What is left of the sweep of `runs` whose interrupted CSV is `path` (see the module docstring).

    Raises ValueError naming --resume and the file: unreadable or not a sweep CSV, written before sweeps
    could resume (no config_hash column), or holding a run this sweep does not have or trains differently.
    """
    path = Path(path)
    name = repr(path.name)
    try:
        found = read_sweep_csv(path)
    except SweepFileError as err:
        raise ValueError(f"--resume: {err}") from None
    missing = [c for c in ("status", "config_hash") if c not in found.header]
    if missing:
        raise ValueError(f"--resume: {name} cannot be resumed: it has no {missing[0]} column (a sweep CSV "
                         "written before sweeps could resume, or not one); start a new sweep with --out")
    done, failed, duplicates = _kept_rows(runs, found.rows, name)
    notes = []
    if found.dropped_tail:
        notes.append(f"dropped the unfinished last line of {name} ({len(found.dropped_tail)} characters "
                     "without a line end: a row the interrupted sweep was writing); that run trains again")
    if failed:
        notes.append(f"runs recorded as failed in {name}: {failed}; they train again, and each new row "
                     "replaces the failed one")
    if duplicates:
        notes.append(f"dropped repeated rows of {name} (one row per run): {duplicates}")
    todo = [run for run in runs if run.key() not in done]
    notes.append(f"resuming {name}: {len(done)} of {len(runs)} runs already done, {len(todo)} to train")
    return Plan(list(runs), [done[run.key()] for run in runs if run.key() in done], todo, notes)


def sweep_order(runs: list[RunSpec]) -> Callable[[Row], int]:
    """Sort key of rows in the sweep's order (dataset, loss, variant, seed as the spec lists them)."""
    order = {run.key(): i for i, run in enumerate(runs)}
    return lambda row: order.get(row_key(row), len(order))


def drive(plan: Plan, backend: Backend, log: RowLog, retries: int, progress: ProgressCallback | None = None,
          note: NoteCallback | None = None) -> list[Row]:
    """Train `plan.todo` on `backend`; append each finished run's row to `log` as it arrives and call
    `progress(done, total, row)`; a run whose worker or node was lost is submitted again up to `retries`
    times (`note` says so), then recorded as failed, as is a run that raised. Returns every row (the plan's
    done ones too), one per run, in the sweep's order."""
    rows = list(plan.done)
    attempts: dict[tuple, int] = {}
    in_flight: dict[Any, RunSpec] = {}
    for run in plan.todo:
        in_flight[backend.submit(run)] = run
        attempts[run.key()] = 1
    while in_flight:
        for handle, outcome in backend.wait(list(in_flight)):
            run = in_flight.pop(handle)
            tries = attempts[run.key()]
            if isinstance(outcome, Failure) and outcome.retryable and tries <= retries:
                if note is not None:
                    note(f"{run.label()}: {outcome.reason}; trying it again (attempt {tries + 1} of "
                         f"{retries + 1})")
                attempts[run.key()] = tries + 1
                in_flight[backend.submit(run)] = run
                continue
            row = failed_row(run, outcome.reason, tries) if isinstance(outcome, Failure) else \
                ok_row(run, outcome, tries)
            log.append(row)
            rows.append(row)
            if progress is not None:
                progress(len(rows), len(plan.runs), row)
    return sorted(rows, key=sweep_order(plan.runs))
