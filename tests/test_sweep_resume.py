"""Issue 20: a sweep's CSV never holds a partial or repeated row, a run that fails is recorded and the sweep
goes on, a lost worker is retried, and `--resume` continues an interrupted sweep (on this machine; the Ray
backend's own tests are in tests/test_sweep_ray.py)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab import sweep_backends, sweep_csv
from ganlab.sweep import (
    COLUMNS,
    METRICS,
    SweepSpec,
    add_arguments,
    expand,
    format_table,
    read_csv,
    run_from_args,
    run_sweep,
    summarize,
    write_csv,
    write_spec,
)
from ganlab.sweep_backends import Failure, InProcess
from ganlab.sweep_csv import RowLog, read_sweep_csv
from ganlab.sweep_driver import drive, fresh_plan

ROOT = Path(__file__).resolve().parents[1]
TINY_BASE = {"batch_size": "32", "g.width": "32", "d.width": "32", "g.depth": "2", "d.depth": "2"}
SAME = ("dataset", "loss", "variant", "seed", "steps", "diverged", "diverged_at", *METRICS, "status",
        "config_hash")
"""The columns equal for the same seed whoever trained the run (all but seconds, device and attempts)."""


def tiny_spec(seeds=(0, 1), losses=("nonsaturating", "lsgan"), steps=40) -> SweepSpec:
    return SweepSpec(["ring8"], list(losses), list(seeds), steps, base=dict(TINY_BASE), workers=1,
                     eval_samples=500)


def same(rows: list[dict]) -> list[tuple]:
    return [tuple(row[k] for k in SAME) for row in rows]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The tiny sweep run whole, once: its CSV and rows (the reference every resumed sweep must give)."""
    path = tmp_path_factory.mktemp("full") / "full.csv"
    return path, run_sweep(tiny_spec(), path)


# --- the CSV --------------------------------------------------------------------------------------------

def test_a_new_row_has_its_status_attempts_and_config_hash(full):
    _, rows = full
    assert [list(row) for row in rows] == [list(COLUMNS)] * 4
    runs = expand(tiny_spec())
    assert [(r["status"], r["attempts"], r["error"]) for r in rows] == [("ok", 1, None)] * 4
    assert [r["config_hash"] for r in rows] == [run.config_hash() for run in runs]
    assert len({r["config_hash"] for r in rows}) == 4 and all(len(r["config_hash"]) == 16 for r in rows)
    # the hash follows the training: other steps, another hash; the same spec built again, the same hash
    assert expand(tiny_spec(steps=41))[0].config_hash() != runs[0].config_hash()
    assert expand(tiny_spec())[0].config_hash() == runs[0].config_hash()


def test_each_row_is_appended_as_one_line_and_fsynced(tmp_path, monkeypatch, full):
    _, rows = full
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(sweep_csv.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    log = RowLog(tmp_path / "log.csv")
    log.start([])
    synced.clear()
    for i, row in enumerate(rows[:3], start=1):
        log.append(row)
        assert len(synced) == i  # on disk before append returns
        lines = (tmp_path / "log.csv").read_text().splitlines(keepends=True)
        assert len(lines) == 1 + i and lines[-1].endswith("\n")
    log.close()
    assert read_csv(tmp_path / "log.csv") == rows[:3]


def test_a_torn_last_line_is_dropped_on_reading_and_a_whole_one_kept(tmp_path, full):
    path, rows = full
    text = path.read_text()
    torn = tmp_path / "torn.csv"
    torn.write_text(text + "ring8,lsgan,-,7,40,0.2")  # a killed driver's unfinished write
    found = read_sweep_csv(torn)
    assert found.rows == rows and found.dropped_tail == "ring8,lsgan,-,7,40,0.2"
    assert read_csv(torn) == rows
    whole = tmp_path / "whole.csv"
    whole.write_text(text.rstrip("\r\n"))  # the last row complete, only its line end missing: kept
    assert read_sweep_csv(whole).rows == rows and read_sweep_csv(whole).dropped_tail == ""
    cut = tmp_path / "cut.csv"
    cut.write_text(text.rstrip("\r\n")[:-3])  # cut inside the last row's config_hash: not a row
    assert read_sweep_csv(cut).rows == rows[:3]
    bad = tmp_path / "bad.csv"
    bad.write_text(text + "ring8,lsgan,-,x\n")  # a bad row with its line end is an error, as before
    with pytest.raises(ValueError, match=r"^sweep CSV 'bad.csv': line 6: "):
        read_csv(bad)


def test_an_old_csv_without_the_new_columns_still_reads_and_summarizes(tmp_path, full):
    _, rows = full
    old = tmp_path / "old.csv"
    old_columns = COLUMNS[:COLUMNS.index("status")]
    old.write_text(",".join(old_columns) + "\n" + "".join(
        ",".join("" if r[c] is None else str(r[c]).lower() if isinstance(r[c], bool) else repr(r[c])
                 if isinstance(r[c], float) else str(r[c]) for c in old_columns) + "\n" for r in rows))
    back = read_csv(old)
    assert [list(r) for r in back] == [list(old_columns)] * 4
    assert [tuple(r[k] for k in old_columns) for r in back] == [tuple(r[k] for k in old_columns) for r in rows]
    assert [(s["n"], s["n_failed"]) for s in summarize(back)] == [(2, 0), (2, 0)]


# --- a run that fails, a worker that is lost ----------------------------------------------------------

def test_a_run_that_raises_is_recorded_as_failed_and_the_sweep_goes_on(tmp_path, monkeypatch, full):
    _, reference = full
    real = sweep_backends.run_one

    def flaky(run):
        if run.seed == 1 and run.loss == "lsgan":
            raise RuntimeError("out of memory, say\nsecond line")
        return real(run)

    monkeypatch.setattr(sweep_backends, "run_one", flaky)
    seen = []
    rows = run_sweep(tiny_spec(), tmp_path / "f.csv", lambda d, t, r: seen.append((d, t, r["status"])))
    assert seen == [(1, 4, "ok"), (2, 4, "ok"), (3, 4, "ok"), (4, 4, "failed")]
    failed = rows[3]
    assert (failed["loss"], failed["seed"], failed["status"], failed["attempts"]) == ("lsgan", 1, "failed", 1)
    assert failed["error"] == "RuntimeError: out of memory, say"
    assert all(failed[m] is None for m in METRICS) and failed["steps"] is None
    assert same(rows[:3]) == same(reference[:3])
    assert read_csv(tmp_path / "f.csv") == rows
    lsgan = summarize(rows)[1]
    assert (lsgan["n"], lsgan["n_failed"], lsgan["modes_covered_mean"]) == (1, 1, reference[2]["modes_covered"])
    table = format_table(summarize(rows)).splitlines()
    assert table[0].split()[3:6] == ["n", "div", "failed"] and table[3].split()[3:6] == ["1", "0", "1"]


class LosesWorkers:
    """A backend whose worker is lost on the first `losses` attempts of each run, then trains it here."""

    def __init__(self, losses: int):
        self.inner, self.losses, self.tries, self.runs = InProcess(), losses, {}, {}
        self.placement = self.inner.placement

    def submit(self, run):
        self.tries[run.key()] = self.tries.get(run.key(), 0) + 1
        handle = self.inner.submit(run)
        self.runs[handle] = run
        return handle

    def wait(self, handles):
        [(handle, row)] = self.inner.wait(handles[:1])
        if self.tries[self.runs[handle].key()] <= self.losses:
            return [(handle, Failure("WorkerCrashedError: the worker died", retryable=True))]
        return [(handle, row)]

    def close(self):
        self.inner.close()


def test_a_lost_worker_is_retried_up_to_the_limit_then_recorded(tmp_path, full):
    _, reference = full
    runs = expand(tiny_spec(seeds=[0], losses=["nonsaturating"]))
    notes = []
    log = RowLog(tmp_path / "r.csv")
    log.start([])
    [row] = drive(fresh_plan(runs), LosesWorkers(2), log, retries=2, note=notes.append)
    assert (row["status"], row["attempts"]) == ("ok", 3)
    assert same([row]) == same(reference[:1])  # the third attempt gives the same numbers
    assert notes == [f"ring8 nonsaturating - seed 0: WorkerCrashedError: the worker died; trying it again "
                     f"(attempt {n} of 3)" for n in (2, 3)]
    [row] = drive(fresh_plan(runs), LosesWorkers(3), log, retries=2)
    assert (row["status"], row["attempts"], row["error"]) == ("failed", 3, "WorkerCrashedError: the worker died")
    log.close()
    assert [r["attempts"] for r in read_csv(tmp_path / "r.csv")] == [3, 3]


# --- resume -------------------------------------------------------------------------------------------

def test_resume_trains_only_what_is_missing_or_failed_and_keeps_one_row_per_run(tmp_path, full):
    path, reference = full
    part = tmp_path / "part.csv"
    failed = {**reference[1], "status": "failed", "attempts": 3, "error": "NodeDiedError: gone",
              **dict.fromkeys(METRICS)}
    write_csv([reference[0], failed, reference[3]], part)
    with part.open("a") as handle:
        handle.write("ring8,lsgan,-,0,40,0.1,fal")  # and a torn last line
    trained, notes = [], []
    rows = run_sweep(tiny_spec(), part, lambda d, t, r: trained.append((d, t, r["loss"], r["seed"])),
                     resume=True, note=notes.append)
    assert trained == [(3, 4, "nonsaturating", 1), (4, 4, "lsgan", 0)]
    assert notes == ["dropped the unfinished last line of 'part.csv' (26 characters without a line end: a row the "
                     "interrupted sweep was writing); that run trains again",
                     "runs recorded as failed in 'part.csv': 1; they train again, and each new row replaces the "
                     "failed one",
                     "resuming 'part.csv': 2 of 4 runs already done, 2 to train"]
    back = read_csv(part)
    assert back == rows and same(back) == same(reference)  # one row per run, in the sweep's order
    assert back[0]["seconds"] == reference[0]["seconds"] and back[3]["seconds"] == reference[3]["seconds"]
    again = []
    assert run_sweep(tiny_spec(), part, lambda d, t, r: again.append(r), resume=True) == rows
    assert again == []  # nothing left: nothing trains


@pytest.mark.parametrize(("change", "message"), [
    ({"steps": 41}, "its run ring8 nonsaturating - seed 0 was trained with other options or steps"),
    ({"seeds": [0]}, "its run ring8 nonsaturating - seed 1 is not one of this sweep's runs"),
])
def test_resume_refuses_a_csv_of_another_sweep(full, tmp_path, change, message):
    path, _ = full
    copy = tmp_path / "c.csv"
    copy.write_bytes(path.read_bytes())
    spec = tiny_spec(**change)
    with pytest.raises(ValueError) as info:
        run_sweep(spec, copy, resume=True)
    assert str(info.value).startswith(f"--resume: 'c.csv' does not match this sweep: {message}")
    assert str(info.value).endswith("(give the interrupted sweep's options again, or start a new sweep with "
                                    "--out)")
    assert copy.read_bytes() == path.read_bytes()  # refused before anything is written


def test_resume_refuses_an_old_or_foreign_file_naming_it(tmp_path, full):
    path, _ = full
    old = tmp_path / "old.csv"
    old.write_text("dataset,loss,variant,seed,steps\nring8,nonsaturating,-,0,40\n")
    with pytest.raises(ValueError, match=r"^--resume: 'old.csv' cannot be resumed: it has no status column"):
        run_sweep(tiny_spec(), old, resume=True)
    notes = tmp_path / "notes.csv"
    notes.write_text("name,score\nx,1\n")
    with pytest.raises(ValueError, match=r"^--resume: sweep CSV 'notes.csv': line 1: header: "):
        run_sweep(tiny_spec(), notes, resume=True)
    with pytest.raises(ValueError, match=r"^--resume: sweep CSV 'gone.csv': does not exist"):
        run_sweep(tiny_spec(), tmp_path / "gone.csv", resume=True)


def test_resume_flags_are_checked_together(tmp_path):
    csv_path = str(tmp_path / "x.csv")
    with pytest.raises(ValueError, match=r"^give --resume or --out, not both"):
        run_from_args(parse(["--resume", csv_path, "--out", csv_path]))
    with pytest.raises(ValueError, match=r"^give --resume or --show, not both"):
        run_from_args(parse(["--resume", csv_path, "--show", csv_path]))


def test_a_killed_local_sweep_resumes_from_the_command_line(tmp_path, full):
    """SIGKILL the driver once a row is written; `--resume` trains the rest, and the CSV has every run once."""
    _, reference = full
    out = tmp_path / "k.csv"
    flags = ["--spec", str(write_spec(tiny_spec(), tmp_path / "k.spec.json"))]
    driver = subprocess.Popen([sys.executable, "-m", "ganlab", "sweep", *flags, "--out", str(out), "--quiet"],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not out.exists() or len(read_csv(out)) < 1):
            time.sleep(0.02)
    finally:
        driver.kill()
        driver.wait()
    before = read_csv(out)
    assert 1 <= len(before) < 4, "the driver was not killed mid-sweep"
    done = subprocess.run([sys.executable, "-m", "ganlab", "sweep", *flags, "--resume", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"ganlab sweep: resuming 'k.csv': {len(before)} of 4 runs already done, {4 - len(before)} to train" \
        in done.stderr
    after = read_csv(out)
    assert same(after) == same(reference)
    kept = {(r["loss"], r["seed"]): r["seconds"] for r in before}
    assert all(r["seconds"] == kept[(r["loss"], r["seed"])] for r in after if (r["loss"], r["seed"]) in kept)


def test_a_sweep_run_of_a_flow_trains_the_flow_not_a_gan():
    from ganlab.sweep_run import RunSpec as SweepRun
    from ganlab.sweep_run import run_one

    overrides = {"model": "flow", "batch_size": "32", "eval_samples": "200"}
    run = SweepRun("ring8", "nonsaturating", "", 0, 30, overrides)
    row = run_one(run)
    assert row["steps"] == 30 and row["modes_total"] == 8
