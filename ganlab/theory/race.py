"""The race: several losses train from the same seed with the generator started on a support disjoint
from the data; how far each generator gets shows which losses give it a useful gradient.

Data: N(0, 0.1^2 I) in 2-D. Every generator starts as the same network (same seed) whose output is
shifted by `offset` along x, so p_g starts around (offset, 0), far from the data.
"""

from __future__ import annotations

import numpy as np
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.metrics import wasserstein1
from ganlab.train import Trainer, TrainingDiverged

RACE_LOSSES = ("minimax", "nonsaturating", "wgan", "wgan-gp", "lsgan", "hinge")
EVAL_POINTS = 256


class Race:
    """Trainers for `losses`, stepped together; `history[loss]` holds (step, W1 to the data) pairs."""

    def __init__(self, losses=RACE_LOSSES, seed: int = 0, offset: float = 4.0, lr: float = 1e-3):
        self.losses = tuple(losses)
        self.offset = offset
        self.trainers: dict[str, Trainer] = {}
        for loss in self.losses:
            cfg = with_overrides(RunConfig(device="cpu", eval_every=0), {
                "data.name": "gaussian", "data.std": "0.1", "loss.name": loss, "seed": str(seed),
                "batch_size": "128", "g_opt.lr": str(lr), "d_opt.lr": str(lr)})
            if loss == "wgan":
                cfg = with_overrides(cfg, {"g_opt.name": "rmsprop", "d_opt.name": "rmsprop", "d_steps": "5"})
            if loss == "wgan-gp":
                cfg = with_overrides(cfg, {"d_steps": "5", "g_opt.beta2": "0.9", "d_opt.beta2": "0.9"})
            trainer = Trainer(cfg)
            with torch.no_grad():
                trainer.G.net[-1].bias[0] += offset  # start disjoint from the data
            self.trainers[loss] = trainer
        gen = torch.Generator().manual_seed(seed + 1)
        self.data = 0.1 * torch.randn(EVAL_POINTS, 2, generator=gen).numpy()
        self.stopped: dict[str, str] = {}
        self.history: dict[str, list[tuple[int, float]]] = {loss: [] for loss in self.losses}
        self._measure()

    def _measure(self) -> None:
        for loss, trainer in self.trainers.items():
            fake = trainer.sample(EVAL_POINTS, use_ema=False, seed=trainer.config.seed + 2).cpu().numpy()
            value = wasserstein1(self.data, fake) if np.isfinite(fake).all() else float("nan")
            self.history[loss].append((trainer.step_count, value))

    def step(self, n: int) -> None:
        """Train every runner `n` iterations (a diverged runner stops and says so), then measure."""
        for loss, trainer in self.trainers.items():
            if loss in self.stopped:
                continue
            try:
                trainer.step(n)
            except TrainingDiverged as err:
                self.stopped[loss] = str(err)
        self._measure()

    def distances(self) -> dict[str, np.ndarray]:
        """loss -> (k, 2) array of (step, W1 to the data)."""
        return {loss: np.array(rows, dtype=float) for loss, rows in self.history.items()}
