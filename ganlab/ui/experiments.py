"""The Experiments page's sweep jobs: a sweep runs in a subprocess (`python -m ganlab sweep`) so the
page stays responsive; progress is read from the CSV it appends to. No streamlit here."""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ganlab.sweep import SweepSpec, expand, read_csv

RUNS_DIR = Path("runs")


@dataclass
class SweepJob:
    """One sweep running in a child process, writing `out_csv` row by row."""

    spec: SweepSpec
    out_csv: Path
    preset: str | None = None
    total: int = field(init=False)
    process: subprocess.Popen | None = field(init=False, default=None)
    log_path: Path = field(init=False)

    def __post_init__(self):
        self.total = len(expand(self.spec))  # validates every config first (ConfigError names the field)
        self.log_path = self.out_csv.with_suffix(".log")

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "ganlab", "sweep", "--out", str(self.out_csv), "--quiet",
               "--end-with-parent", str(os.getpid()),
               "--workers", str(self.spec.workers), "--steps", str(self.spec.steps),
               "--seeds", ",".join(map(str, self.spec.seeds))]
        if self.preset:
            cmd += ["--preset", self.preset]
        cmd += ["--datasets", ",".join(self.spec.datasets), "--losses", ",".join(self.spec.losses)]
        for key, value in self.spec.base.items():
            cmd += ["--set", f"{key}={value}"]
        return cmd

    def start(self) -> None:
        self.out_csv.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)

    def done_runs(self) -> int:
        """Rows written so far (the CSV's lines less its header)."""
        if not self.out_csv.exists():
            return 0
        with open(self.out_csv) as handle:
            return max(sum(1 for line in handle if line.strip()) - 1, 0)

    def finished(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def failed(self) -> str | None:
        """The log's tail when the process ended with an error, else None."""
        if not self.finished() or self.process.returncode == 0:
            return None
        return self.log_path.read_text(errors="replace")[-1500:]

    def cancel(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()


def new_csv_path(now: _dt.datetime | None = None) -> Path:
    now = now or _dt.datetime.now()
    return RUNS_DIR / f"sweep-{now:%Y%m%d-%H%M%S}.csv"


def saved_sweeps(directory: Path = RUNS_DIR) -> list[Path]:
    """Finished or partial sweep CSVs, newest first."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.csv"), key=lambda p: p.stat().st_mtime, reverse=True)


def load_rows(path: Path) -> list[dict]:
    return read_csv(path)
