"""Periodic evaluation of a toy run: mode coverage (with its spread), exact W1 beside its floor,
divergence estimates with error bars against the exact p_data, k-NN precision / recall, and the
discriminator's own divergence estimate beside the sample estimate of the same divergence.

Everything here draws from its own seeded generators, so evaluating never changes the training run.

Floors. Two samples of the same distribution never score a perfect 0: `w1_floor` is the same exact
W1 between two independent real samples of W1_SAMPLES points, and `<divergence>_floor` is the
divergence estimate with a second real sample in the generator's place: what a perfect generator
reads. Both are computed once per data set, seed and sample size (`reference_samples`), and repeated in
every row.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
import torch

from ganlab.config import to_dict
from ganlab.metrics import mode_stats, precision_recall, wasserstein1
from ganlab.metrics.divergence_estimates import DIVERGENCES, DivergenceEstimator

EVAL_SEED_OFFSET = 104_729
W1_SAMPLES = 500       # exact W1 on 500 vs 500 points: ~10 ms
PR_SAMPLES = 1000      # k-NN precision / recall on 1,000 vs 1,000 points: ~8 ms (2,500: ~120 ms)
MODE_DRAWS = 4         # mode metrics on this many independent draws of n_samples: mean and sd

MODE_COLUMNS = ("modes_covered", "modes_covered_sd", "modes_total", "hq_fraction", "hq_fraction_sd", "mode_kl")
DIVERGENCE_COLUMNS = tuple(f"{name}{suffix}" for name in DIVERGENCES for suffix in ("", "_se", "_floor"))
METRIC_COLUMNS = (*MODE_COLUMNS, "w1", "w1_floor", *DIVERGENCE_COLUMNS, "divergence_bandwidth", "precision",
                  "recall", "estimate", "reference", "reference_se", "reference_floor", "d_real", "d_fake")

# what each loss's discriminator estimates, by its LossSpec.divergence_id (never by the display label):
# (the metric column computed here, the factor its value is multiplied by); None: no reference
REFERENCE_METRIC: dict[str, tuple[str, float] | None] = {
    "jsd": ("jsd", 1.0),
    "2jsd": ("jsd", 2.0),  # the f-GAN Jensen-Shannon: 2 JSD, in [0, 2 log 2]
    "kl_data_fake": ("kl_data_fake", 1.0),
    "kl_fake_data": ("kl_fake_data", 1.0),
    "pearson": ("pearson", 1.0),
    "hellinger": ("hellinger", 1.0),
    "tv": ("tv", 1.0),
    "triangular": ("triangular", 1.0),
    "w1": ("w1", 1.0),
    "w1_times_k": ("w1", 1.0),  # WGAN's clipped critic estimates K x W1; the reference is W1 itself
    "relativistic": None,
}


def reference_value(divergence_id: str, metrics: dict[str, float], suffix: str = "") -> float:
    """The sample estimate of the divergence a loss's D estimates (nan when there is none).

    Args:
        divergence_id: the loss's `divergence_id` (a key of REFERENCE_METRIC; others raise ValueError).
        metrics: an evaluation's values.
        suffix: "" for the value, "_se" for its standard error, "_floor" for a perfect generator's value.
    """
    if divergence_id not in REFERENCE_METRIC:
        raise ValueError(f"unknown divergence id {divergence_id!r}; known: {', '.join(REFERENCE_METRIC)}")
    reference = REFERENCE_METRIC[divergence_id]
    if reference is None:
        return math.nan
    column, factor = reference
    return factor * metrics.get(f"{column}{suffix}", math.nan)


class Reference(NamedTuple):
    """What an evaluation compares a run with, fixed by its data set, seed and sample size: the real
    samples (a tensor on the run's device, and float64 numpy), the floors (what a perfect generator reads),
    and the divergence estimator fitted to the real samples (None for a data set without a density)."""

    real: torch.Tensor
    real_np: np.ndarray
    floors: dict[str, float]
    divergences: DivergenceEstimator | None


_REFERENCES: OrderedDict = OrderedDict()  # (data options, n_samples, seed, device) -> Reference
_REFERENCES_KEPT = 16
_REFERENCES_LOCK = threading.Lock()


def reference_samples(trainer, n_samples: int) -> Reference:
    """The Reference of a toy run's evaluations, remembered for the last _REFERENCES_KEPT (data options,
    n_samples, seed, device): it is deterministic in them, and costs 30 ms (250 ms with the KDE bandwidth's
    choice), paid again whenever a run is reset or handed to a training worker, and by each of a class's
    runs of the same preset. A Reference is only read, never changed, so runs share it."""
    key = (json.dumps(to_dict(trainer.config)["data"], sort_keys=True), n_samples, trainer.config.seed,
           str(trainer.device))
    with _REFERENCES_LOCK:
        if key in _REFERENCES:
            _REFERENCES.move_to_end(key)
            return _REFERENCES[key]
    reference = _new_reference(trainer, n_samples)
    with _REFERENCES_LOCK:
        _REFERENCES[key] = reference
        while len(_REFERENCES) > _REFERENCES_KEPT:
            _REFERENCES.popitem(last=False)
    return reference


def _new_reference(trainer, n_samples: int) -> Reference:
    seed = trainer.config.seed + EVAL_SEED_OFFSET
    gen = torch.Generator(device=trainer.device).manual_seed(seed)
    real = trainer.dataset.sample(n_samples, gen)
    real_np = real.cpu().numpy().astype(np.float64)
    second_real = trainer.dataset.sample(n_samples, gen).cpu().numpy().astype(np.float64)
    w1_n = min(W1_SAMPLES, n_samples)
    floors = {"w1": wasserstein1(real_np[:w1_n], second_real[:w1_n])}
    divergences = None
    if trainer.dataset.has_density:
        divergences = DivergenceEstimator(trainer.dataset.smoothed_log_density, real_np, seed=seed)
        perfect = divergences.estimate(second_real)
        floors.update({name: perfect[name] for name in DIVERGENCES})
    return Reference(real, real_np, floors, divergences)


class Evaluator:
    """Evaluates a Trainer's generator and discriminator on fixed real samples.

    Args:
        trainer: the run (its dataset, G, D and loss are read, never changed).
        n_samples: generated and real samples per evaluation (2,500 by the PacGAN protocol).
    """

    def __init__(self, trainer, n_samples: int = 2500):
        self.trainer = trainer
        self.n_samples = n_samples
        self.seed = trainer.config.seed + EVAL_SEED_OFFSET + 1
        reference = reference_samples(trainer, n_samples)
        self.real, self.real_np = reference.real, reference.real_np
        self.floors, self.divergences = dict(reference.floors), reference.divergences

    @torch.no_grad()
    def _fake(self, draw: int = 0) -> torch.Tensor:
        t = self.trainer
        gen = torch.Generator(device=t.device).manual_seed(self.seed + 7919 * draw)
        z = t.sample_noise(self.n_samples, generator=gen)
        was_training = t.G.training
        t.G.eval()
        try:
            return t.G(z)
        finally:
            t.G.train(was_training)

    @torch.no_grad()
    def d_estimate(self, fake: torch.Tensor) -> tuple[float, float, float]:
        """(D's divergence estimate, mean D(real), mean D(fake)) on the evaluation samples."""
        t = self.trainer
        was_training = t.D.training
        t.D.eval()
        try:
            usable = self.n_samples - self.n_samples % t.problem.pack
            real_scores = t.D(t.problem.packed(self.real[:usable]))
            fake_scores = t.D(t.problem.packed(fake[:usable]))
        finally:
            t.D.train(was_training)
        estimate = t.loss.estimate(real_scores, fake_scores).item()
        if t.loss.output == "probability":
            real_scores, fake_scores = torch.sigmoid(real_scores), torch.sigmoid(fake_scores)
        return estimate, real_scores.mean().item(), fake_scores.mean().item()

    def _mode_metrics(self, first_draw: np.ndarray) -> dict[str, float]:
        """PacGAN's mode metrics on MODE_DRAWS independent draws: their means and standard deviations."""
        dataset = self.trainer.dataset
        rows = []
        for draw in range(MODE_DRAWS):
            fake = first_draw if draw == 0 else self._fake(draw).cpu().numpy().astype(np.float64)
            if not np.isfinite(fake).all():
                return {}
            rows.append(mode_stats(fake, dataset.centers, dataset.std, dataset.weights))
        out = {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}
        for key in ("modes_covered", "hq_fraction"):
            out[f"{key}_sd"] = float(np.std([row[key] for row in rows], ddof=1))
        return out

    def sample_values(self, fake: np.ndarray) -> dict[str, float]:
        """The metrics of generated samples `fake` (n, 2), finite: mode metrics (or precision / recall for a
        data set without modes), W1, the divergence estimates and their floors. A likelihood model's
        evaluator (ganlab.likelihood.evaluation) scores its samples with the same."""
        dataset, out = self.trainer.dataset, {}
        if dataset.centers is not None:
            out.update(self._mode_metrics(fake))
        else:
            out.update(precision_recall(self.real_np[:PR_SAMPLES], fake[:PR_SAMPLES]))
        w1_n = min(W1_SAMPLES, self.n_samples)
        out["w1"] = wasserstein1(self.real_np[:w1_n], fake[:w1_n])
        if self.divergences is not None:
            values = self.divergences.estimate(fake)
            out.update({k: v for k, v in values.items() if k in DIVERGENCE_COLUMNS})
            out["divergence_bandwidth"] = values["bandwidth"]
        out.update({f"{name}_floor": value for name, value in self.floors.items()})
        return out

    def evaluate(self) -> dict[str, float]:
        """One evaluation: a dict with every METRIC_COLUMNS key (nan where a metric does not apply)."""
        t = self.trainer
        fake_t = self._fake()
        fake = fake_t.cpu().numpy().astype(np.float64)
        out = dict.fromkeys(METRIC_COLUMNS, math.nan)
        estimate, mean_real, mean_fake = self.d_estimate(fake_t)
        out.update(estimate=estimate, d_real=mean_real, d_fake=mean_fake)
        if not np.isfinite(fake).all():
            return out
        out.update(self.sample_values(fake))
        for suffix in ("", "_se", "_floor"):
            out[f"reference{suffix}"] = reference_value(t.loss.divergence_id, out, suffix)
        return out
