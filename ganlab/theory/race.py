"""The race: several losses train from the same seed with the generator started on a support disjoint
from the data; how far each generator gets shows which losses give it a useful gradient.

Data: N(0, 0.1^2 I) in 2-D. Every generator starts as the same network (same seed) whose output is
shifted by `offset` along x, so p_g starts around (offset, 0), far from the data.

The race is bounded: it ends at `max_steps` (RACE_STEPS by default), so its histories hold at most
max_steps / n + 1 rows per loss when measured every n steps. A runner that diverges stops alone (its
trainer back at its last good state, its message in `stopped`); its curve ends there, the others go on.
The Divergences page trains a race in a worker process (ganlab.runtime.race_group), which moves it with
`advance` and `measure`; `state` / `Race(..., state=...)` carry it between processes.
"""

from __future__ import annotations

import numpy as np
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.metrics import wasserstein1
from ganlab.train import Trainer, TrainingDiverged

RACE_LOSSES = ("minimax", "nonsaturating", "wgan", "wgan-gp", "lsgan", "hinge")
EVAL_POINTS = 256
RACE_STEPS = 3000  # the race ends here (its histories stay bounded)


class Race:
    """Trainers for `losses`, stepped together; `history[loss]` holds (step, W1 to the data) pairs, one per
    measurement while the runner runs. `state`: a `state()` of a race with the same settings, to continue."""

    def __init__(self, losses=RACE_LOSSES, seed: int = 0, offset: float = 4.0, lr: float = 1e-3,
                 max_steps: int = RACE_STEPS, state: dict | None = None):
        self.losses = tuple(losses)
        self.seed, self.offset, self.lr = seed, offset, lr
        self.max_steps = int(max_steps)
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
            trainer.rollback.keep()  # the shifted start is the first good state
            self.trainers[loss] = trainer
        gen = torch.Generator().manual_seed(seed + 1)
        self.data = 0.1 * torch.randn(EVAL_POINTS, 2, generator=gen).numpy()
        self.stopped: dict[str, str] = {}
        self.history: dict[str, list[tuple[int, float]]] = {loss: [] for loss in self.losses}
        self.measured = 0  # the step of the latest measurement (every runner still running is there)
        if state is None:
            self.measure()
        else:
            self.load_state(state)

    # --- the race's settings and state (what crosses processes) ----------------------------------------

    def settings(self) -> dict:
        """The keyword arguments that build this race again (without its state)."""
        return {"losses": list(self.losses), "seed": self.seed, "offset": self.offset, "lr": self.lr,
                "max_steps": self.max_steps}

    def state(self) -> dict:
        """Everything needed to continue bit for bit: each trainer's full state, the histories, the stopped
        runners and the step measured. Its tensors are the trainers' own: copy it to keep it in-process."""
        return {"measured": self.measured, "trainers": {loss: t.state_dict() for loss, t in self.trainers.items()},
                "history": {loss: list(rows) for loss, rows in self.history.items()},
                "stopped": dict(self.stopped)}

    def load_state(self, state: dict) -> None:
        for loss, trainer in self.trainers.items():
            trainer.load_state_dict(state["trainers"][loss])
            trainer.rollback.keep()  # the state handed over is the last good one
        self.history = {loss: [(int(s), float(w)) for s, w in state["history"][loss]] for loss in self.losses}
        self.stopped = dict(state["stopped"])
        self.measured = int(state["measured"])

    # --- training ----------------------------------------------------------------------------------

    @property
    def running(self) -> list[str]:
        """The losses whose runners have not stopped."""
        return [loss for loss in self.losses if loss not in self.stopped]

    @property
    def finished(self) -> bool:
        """At max_steps, or every runner stopped: the race trains no further."""
        return self.measured >= self.max_steps or not self.running

    def advance(self, loss: str, n: int, until: int) -> None:
        """Train the runner of `loss` up to `n` iterations, never past step `until`, checked when it gets
        there (ganlab.rollback); a divergence stops it alone, back at its last good state, and says so."""
        trainer = self.trainers[loss]
        n = min(n, until - trainer.step_count)
        if n <= 0 or loss in self.stopped:
            return
        try:
            trainer.step(n, check=trainer.step_count + n >= until)
        except TrainingDiverged as err:
            self.stopped[loss] = str(err)

    def check(self) -> None:
        """Check every running runner's unchecked steps (a divergence stops it, as in `advance`)."""
        for loss in self.running:
            try:
                self.trainers[loss].check()
            except TrainingDiverged as err:
                self.stopped[loss] = str(err)

    def measure(self) -> None:
        """Append (step, W1 to the data) of every running runner; the race's step is theirs now."""
        for loss in self.running:
            trainer = self.trainers[loss]
            fake = trainer.sample(EVAL_POINTS, use_ema=False, seed=trainer.config.seed + 2).cpu().numpy()
            value = wasserstein1(self.data, fake) if np.isfinite(fake).all() else float("nan")
            self.history[loss].append((trainer.step_count, value))
            self.measured = max(self.measured, trainer.step_count)

    def step(self, n: int) -> None:
        """Train every runner to `n` steps past the last measurement (never past max_steps; a diverged
        runner stops and says so), then measure. At max_steps it does nothing."""
        if self.finished:
            return
        until = min(self.measured + n, self.max_steps)
        for loss in self.running:
            self.advance(loss, until, until)
        self.measure()

    def distances(self) -> dict[str, np.ndarray]:
        """loss -> (k, 2) array of (step, W1 to the data)."""
        return {loss: np.array(rows, dtype=float).reshape(-1, 2) for loss, rows in self.history.items()}
