"""Periodic evaluation of a toy run: mode coverage, exact W1, grid divergences against the exact
p_data, k-NN precision/recall, and the discriminator's own divergence estimate beside the grid (or
exact) value of the same divergence.

Everything here draws from its own seeded generator, so evaluating never changes the training run.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganlab.metrics import grid_centres, grid_divergences, mode_stats, precision_recall, wasserstein1

METRIC_COLUMNS = ("modes_covered", "modes_total", "hq_fraction", "mode_kl", "w1", "jsd", "kl_data_fake",
                  "kl_fake_data", "tv", "pearson", "hellinger", "triangular", "precision", "recall",
                  "estimate", "reference", "d_real", "d_fake")
EVAL_SEED_OFFSET = 104_729
W1_SAMPLES = 500       # exact W1 on 500 vs 500 points: ~10 ms
PR_SAMPLES = 1000      # k-NN precision / recall on 1,000 vs 1,000 points: ~8 ms (2,500: ~120 ms)
GRID_SIZE = 64         # grid divergences at 64 x 64 during training (128 x 128 in benchmarks)

# what each loss's discriminator estimates, as a metric key computed here (None: no reference)
REFERENCE_METRIC: dict[str, str | None] = {
    "Jensen-Shannon": "jsd",
    "2 x Jensen-Shannon (2 JSD, in [0, 2 log 2])": "2jsd",
    "Kullback-Leibler KL(P||Q)": "kl_data_fake",
    "reverse KL(Q||P)": "kl_fake_data",
    "Pearson chi^2": "pearson",
    "squared Hellinger": "hellinger",
    "total variation": "tv",
    "triangular discrimination": "triangular",
    "Wasserstein-1": "w1",
    "Wasserstein-1 (times K)": "w1",
    "relativistic average divergence": None,
}


def reference_value(divergence: str, metrics: dict[str, float]) -> float:
    """The grid / exact value of the divergence a loss's D estimates (nan when there is none)."""
    key = REFERENCE_METRIC.get(divergence)
    if key is None:
        return math.nan
    if key == "2jsd":
        return 2.0 * metrics.get("jsd", math.nan)
    return metrics.get(key, math.nan)


class Evaluator:
    """Evaluates a Trainer's generator and discriminator on fixed real samples.

    Args:
        trainer: the run (its dataset, G, D and loss are read, never changed).
        n_samples: generated and real samples per evaluation (2,500 by the PacGAN protocol).
    """

    def __init__(self, trainer, n_samples: int = 2500):
        self.trainer = trainer
        self.n_samples = n_samples
        seed = trainer.config.seed + EVAL_SEED_OFFSET
        gen = torch.Generator(device=trainer.device).manual_seed(seed)
        self.real = trainer.dataset.sample(n_samples, gen)
        self.real_np = self.real.cpu().numpy().astype(np.float64)
        self.seed = seed + 1
        dataset = trainer.dataset
        self.data_grid = None
        if dataset.has_density:
            xs, ys = grid_centres(dataset.bounds, GRID_SIZE)
            gx, gy = np.meshgrid(xs, ys)
            self.data_grid = dataset.density(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(
                GRID_SIZE, GRID_SIZE)

    @torch.no_grad()
    def _fake(self) -> torch.Tensor:
        t = self.trainer
        z = t.sample_noise(self.n_samples, generator=torch.Generator(device=t.device).manual_seed(self.seed))
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
            usable = self.n_samples - self.n_samples % t.pack
            real_scores = t.D(t.packed(self.real[:usable]))
            fake_scores = t.D(t.packed(fake[:usable]))
        finally:
            t.D.train(was_training)
        estimate = t.loss.estimate(real_scores, fake_scores).item()
        if t.loss.output == "probability":
            real_scores, fake_scores = torch.sigmoid(real_scores), torch.sigmoid(fake_scores)
        return estimate, real_scores.mean().item(), fake_scores.mean().item()

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
        dataset = t.dataset
        if dataset.centers is not None:
            stats = mode_stats(fake, dataset.centers, dataset.std, dataset.weights)
            out.update({k: float(v) for k, v in stats.items()})
        else:
            out.update(precision_recall(self.real_np[:PR_SAMPLES], fake[:PR_SAMPLES]))
        out["w1"] = wasserstein1(self.real_np[:W1_SAMPLES], fake[:W1_SAMPLES])
        if self.data_grid is not None:
            grid = grid_divergences(self.data_grid, fake, dataset.bounds, size=GRID_SIZE)
            out.update({k: v for k, v in grid.items() if k in METRIC_COLUMNS})
        out["reference"] = reference_value(t.loss.divergence, out)
        return out
