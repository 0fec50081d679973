"""The Experiments page's sweep jobs: a sweep runs in a subprocess (`python -m ganlab sweep --spec FILE`) so
the page stays responsive; progress is read from the CSV it appends to. No streamlit here.

The whole specification goes through a JSON file beside the CSV (an argument list has a size limit, and a
file is checked against one schema, ganlab.sweep.SPEC_KEYS). The sweep starts in its own process group,
so Cancel (and the end of the browser session, through SessionResources) stops it and its pool workers
together; `--end-with-parent` stops it when the server itself goes.

A sweep from the page is held to this server's limits as well as the library's (ganlab.operator_settings:
GANLAB_SWEEP_MAX_RUNS, GANLAB_SWEEP_MAX_TOTAL_STEPS), and none starts while server saves are off
(GANLAB_SAVES=off): a sweep writes its specification, log and CSV into the session's folder.

Where it runs: this server's processes, or, when the operator named a Ray cluster (GANLAB_RAY_ADDRESS), that
cluster if the student picks it (the address comes from the operator's setting only; the page has no field
for one). The sweep writes where it runs and how big that is (nodes, CPUs, GPUs) to a status file beside the
CSV once it has started (`--status-file`); the page shows it, and keeps the last size seen of each cluster
for the form. The job lives in the session's state, so a student who goes to another page and comes back
sees the running sweep's progress again; another session has neither the job nor the folder.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ganlab import operator_settings
from ganlab.operator_settings import OperatorSettings
from ganlab.sweep import MAX_SEEDS, MAX_STEPS, SweepSpec, check_limits, expand, parse_seeds, read_csv, write_spec

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the ganlab package
STOP_GRACE_SECONDS = 3.0
"""How long Cancel waits for the sweep's processes to end after SIGTERM before it sends SIGKILL."""
LOCAL, RAY = "local", "ray"
MAX_STATUS_BYTES = 4096
"""Size of a sweep's status file read back (it holds a few numbers)."""
_SEEN_CLUSTERS: dict[str, dict] = {}
"""Ray address -> the last status a sweep of this server wrote for it (what the cluster had then)."""


SAVES_OFF_NO_SWEEPS = ("The operator of this server turned server saves off (GANLAB_SAVES=off), and a sweep "
                      "writes its results to a file on the server, so this server runs no sweeps from this page. "
                      "`python -m ganlab sweep` runs one on your own computer.")


def sweeps_refused(settings: OperatorSettings) -> str | None:
    """Why this server starts no sweep from the page (server saves are off), or None when it does."""
    return None if settings.saves else SAVES_OFF_NO_SWEEPS


def max_steps_per_run(settings: OperatorSettings) -> int:
    """The most steps one run of a page's sweep may take: the library's MAX_STEPS or the server's total."""
    return min(MAX_STEPS, settings.sweep_max_total_steps)


def limits_caption(settings: OperatorSettings) -> str:
    """The form's note on the limits of one sweep started from the page."""
    return (f"Limits of one sweep (the server is shared): at most {settings.sweep_max_runs:,} runs, {MAX_SEEDS} "
            f"seeds, {max_steps_per_run(settings):,} steps per run and {settings.sweep_max_total_steps:,} steps "
            "in all.")


def backend_labels(settings: OperatorSettings) -> dict[str, str]:
    """The page's choice of where a sweep runs, key -> label: this server, and the operator's Ray cluster
    when GANLAB_RAY_ADDRESS names one (only then is there a choice)."""
    labels = {LOCAL: "This server (its own processes)"}
    if settings.ray_address:
        labels[RAY] = f"The operator's Ray cluster ({settings.ray_address})"
    return labels


def backend_caption(backend: str, settings: OperatorSettings) -> str:
    """What the chosen backend is, for the form: the cluster's last known size, or this server's processes."""
    if backend != RAY or not settings.ray_address:
        return "Runs on this server, in as many processes as 'Parallel processes' says."
    seen = _SEEN_CLUSTERS.get(settings.ray_address)
    size = (f"it had {_size(seen)} at {_dt.datetime.fromtimestamp(seen['since']):%H:%M}" if seen else
            "its size shows once a sweep has connected")
    return (f"Runs as Ray tasks on the cluster the operator set up at {settings.ray_address} ({size}); it runs "
            "as many runs at once as it has CPUs, so 'Parallel processes' does not apply.")


def _size(placement: dict) -> str:
    nodes, cpus, gpus = placement.get("nodes"), placement.get("cpus"), placement.get("gpus") or 0
    return f"{nodes} node{'s' if nodes != 1 else ''}, {cpus:g} CPUs, " + \
        (f"{gpus:g} GPU{'s' if gpus != 1 else ''}" if gpus else "no GPU")


def check_operator_limits(spec: SweepSpec, settings: OperatorSettings) -> int:
    """The number of runs of `spec` after the library's limits (ganlab.sweep.check_limits) and this server's
    (GANLAB_SWEEP_MAX_RUNS, GANLAB_SWEEP_MAX_TOTAL_STEPS); ValueError naming the limit and its variable."""
    runs = check_limits(spec)
    if runs > settings.sweep_max_runs:
        raise ValueError(f"runs: at most {settings.sweep_max_runs:,} per sweep on this server (the operator's "
                         f"limit GANLAB_SWEEP_MAX_RUNS), got {runs:,}")
    if runs * spec.steps > settings.sweep_max_total_steps:
        raise ValueError(f"steps: at most {settings.sweep_max_total_steps:,} iterations in all (runs x steps) on "
                         f"this server (the operator's limit GANLAB_SWEEP_MAX_TOTAL_STEPS), got {runs} x "
                         f"{spec.steps:,} = {runs * spec.steps:,}")
    return runs


def spec_from_form(spec: SweepSpec, datasets: list[str], losses: list[str], seeds_text: str, steps: int,
                   workers: int, settings: OperatorSettings | None = None) -> SweepSpec:
    """The sweep the page's form asks for: `spec` (the preset's, or the page's default) with the form's
    datasets, losses, seeds, steps and workers, checked against the library's limits and this server's
    (`settings`, default the operator's). ValueError naming what is wrong (nothing is written)."""
    settings = operator_settings.current() if settings is None else settings
    refused = sweeps_refused(settings)
    if refused:
        raise ValueError(refused)
    if not datasets or not losses:
        raise ValueError("pick at least one dataset and one loss")
    asked = replace(spec, datasets=list(datasets), losses=list(losses), seeds=parse_seeds(seeds_text, "Seeds"),
                    steps=int(steps), workers=int(workers))
    check_operator_limits(asked, settings)
    return asked


@dataclass
class SweepJob:
    """One sweep running in a child process (its own process group), writing `out_csv` row by row; on this
    server (`backend` "local") or as the driver of Ray tasks on the cluster at `address` ("ray")."""

    spec: SweepSpec
    out_csv: Path
    backend: str = LOCAL
    address: str | None = None
    total: int = field(init=False)
    process: subprocess.Popen | None = field(init=False, default=None)
    log_path: Path = field(init=False)
    spec_path: Path = field(init=False)
    status_path: Path = field(init=False)
    cancelled: bool = field(init=False, default=False)

    def __post_init__(self):
        if self.backend not in (LOCAL, RAY) or (self.backend == RAY) != bool(self.address):
            raise ValueError(f"a sweep runs on this server or on the operator's Ray cluster, got {self.backend!r}"
                             + ("" if self.address else " without the operator's GANLAB_RAY_ADDRESS"))
        self.total = len(expand(self.spec, check_devices=self.backend == LOCAL))  # limits, then each config
        self.log_path = self.out_csv.with_suffix(".log")
        self.spec_path = self.out_csv.with_suffix(".spec.json")
        self.status_path = self.out_csv.with_suffix(".status.json")

    def command(self) -> list[str]:
        ray = ["--backend", RAY, "--address", self.address] if self.backend == RAY else []
        return [sys.executable, "-m", "ganlab", "sweep", "--spec", str(self.spec_path), "--out", str(self.out_csv),
                *ray, "--status-file", str(self.status_path), "--quiet", "--end-with-parent", str(os.getpid())]

    def placement(self) -> dict | None:
        """Where the sweep runs, as its process wrote it once started (ganlab.sweep_backends.Placement:
        where, nodes, cpus, gpus, parallel), or None before that (or when the file is unreadable)."""
        try:
            with open(self.status_path, "rb") as handle:
                placed = json.loads(handle.read(MAX_STATUS_BYTES))
        except (OSError, ValueError):
            return None
        if not isinstance(placed, dict) or not isinstance(placed.get("where"), str):
            return None
        if self.backend == RAY and isinstance(placed.get("since"), int | float):
            _SEEN_CLUSTERS[self.address] = placed
        return placed

    def where(self) -> str:
        """One line: where the sweep runs and how big that is (or where it is connecting to)."""
        placed = self.placement()
        if placed is not None:
            return f"Runs on {placed['where']}."
        if self.backend == RAY:
            return f"Connecting to the operator's Ray cluster at {self.address}…"
        return "Starting on this server…"

    def start(self) -> None:
        self.out_csv.parent.mkdir(parents=True, exist_ok=True)
        write_spec(self.spec, self.spec_path)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT),
                                                                       os.environ.get("PYTHONPATH")]))}
        with open(self.log_path, "wb") as log:  # this ganlab, whatever the working directory
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)

    def done_runs(self) -> int:
        """Rows written so far: the CSV's whole lines (with their line end) less its header."""
        if not self.out_csv.exists():
            return 0
        with open(self.out_csv, newline="") as handle:
            return max(sum(1 for line in handle if line.strip() and line.endswith("\n")) - 1, 0)

    def finished(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def failed(self) -> str | None:
        """The log's tail when the process ended with an error (not a Cancel), else None."""
        if self.cancelled or not self.finished() or self.process.returncode == 0:
            return None
        return self.log_path.read_text(errors="replace")[-1500:]

    def cancel(self) -> None:
        """Stop the sweep and every process it started (its pool workers); returns once they have ended."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.cancelled = True
        stop_process_group(self.process)

    def close(self) -> None:
        """The browser session ended (SessionResources.release): stop the sweep like Cancel."""
        self.cancel()


def stop_process_group(process: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the process group `process` leads (started with start_new_session=True), SIGKILL to
    what is left after `grace` seconds; returns when no process of the group is left (or after the
    SIGKILL, which cannot be ignored) and the leader is reaped. (A leader whose main thread has ended shows as
    a zombie while its other threads, torch's, still exit: it is waited for too.)"""
    group = process.pid
    if not _signal_group(group, signal.SIGTERM):
        process.poll()
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, so a dead leader does not count as a member
        if not _group_running(group):
            break
        time.sleep(0.05)
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 0.5))
    except subprocess.TimeoutExpired:
        _signal_group(group, signal.SIGKILL)
        process.wait(timeout=10)


def _signal_group(group: int, sig: int) -> bool:
    """Send `sig` to process group `group`; False when no process is left in it."""
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        return False
    return True


def _group_running(group: int) -> bool:
    """Whether a process of group `group` is still running (zombies awaiting their reaper do not count)."""
    if not _signal_group(group, 0):
        return False
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return not os.path.isdir("/proc")


def new_csv_path(folder: Path, preset: str | None = None, now: _dt.datetime | None = None) -> Path:
    """A new sweep CSV in `folder` (the session's folder): sweep[-preset]-<time>.csv, never an existing one."""
    now = now or _dt.datetime.now()
    stem = f"sweep-{preset}-{now:%Y%m%d-%H%M%S}" if preset else f"sweep-{now:%Y%m%d-%H%M%S}"
    path, n = folder / f"{stem}.csv", 1
    while path.exists() or path.with_suffix(".spec.json").exists():
        n += 1
        path = folder / f"{stem}-{n}.csv"
    return path


def saved_sweeps(folder: Path) -> list[Path]:
    """The sweep CSVs in `folder` (this session's own), newest first. (No example sweep ships with ganlab.)"""
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_mtime, reverse=True)


def load_rows(path: Path) -> list[dict]:
    return read_csv(path)
