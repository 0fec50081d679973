"""One run of a sweep: what it is (`RunSpec`), training and evaluating it (`run_one`), and its CSV row.

Every backend (ganlab.sweep_backends: this process or a local process pool; ganlab.sweep_ray: a Ray
cluster) calls the same `run_one` on the same `RunSpec`, so a seed gives the same row whichever ran it
(all but `seconds` and `device`).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass

from ganlab.config import RunConfig, with_overrides
from ganlab.sweep_csv import FAILED, METRICS, OK, Row, one_line_error


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

    def key(self) -> tuple[str, str, str, int]:
        """(dataset, loss, variant, seed): what names the run within its sweep (and its CSV row)."""
        return (self.dataset, self.loss, self.variant, self.seed)

    def config_hash(self) -> str:
        """16 hex digits of SHA-256 over the run's options and steps: equal for the same training, whoever
        computes it (the CSV's config_hash column, checked by `--resume`)."""
        text = json.dumps({"overrides": self.overrides, "steps": self.steps}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def row_key(row: Row) -> tuple:
    """(dataset, loss, variant, seed) of a CSV row."""
    return (row["dataset"], row["loss"], row["variant"], row["seed"])


def _clean(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def run_one(run: RunSpec) -> Row:
    """Train one run for `run.steps` iterations and evaluate it once at the end.

    A run that diverges (TrainingDiverged) is evaluated from its last good state and its row says
    diverged True, diverged_at the step, steps the iterations kept. Metrics that do not apply are None.
    Returns the columns up to the metrics (`ok_row` adds how the run went).
    """
    from ganlab.likelihood import make_trainer
    from ganlab.rollback import TrainingDiverged

    started = time.perf_counter()
    trainer = make_trainer(run.config())  # a GAN's Trainer, or a VAE's or a flow's (its config's model)
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


def ok_row(run: RunSpec, row: Row, attempts: int) -> Row:
    """`run_one`'s row of `run` with status ok, its attempts and the run's config_hash."""
    return {**row, "status": OK, "attempts": attempts, "error": None, "config_hash": run.config_hash()}


def failed_row(run: RunSpec, reason: str, attempts: int) -> Row:
    """The row of a run that did not finish: its key, no metrics, status failed and why (one line)."""
    row: Row = {"dataset": run.dataset, "loss": run.loss, "variant": run.variant, "seed": run.seed,
                "steps": None, "seconds": None, "diverged": None, "diverged_at": None, "device": None}
    row.update(dict.fromkeys(METRICS))
    return {**row, "status": FAILED, "attempts": attempts, "error": one_line_error(reason) or "unknown error",
            "config_hash": run.config_hash()}
