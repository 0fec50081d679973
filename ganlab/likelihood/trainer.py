"""The LikelihoodTrainer: a VAE or a normalising flow trained by maximum likelihood (or its lower bound) on
the same data, with the same machinery and public surface as the GAN Trainer (ganlab.train).

One run owns its model, its one optimiser (built from `g_opt` the way the GAN Trainer builds G's: the
fused Adam of ganlab.optim), its torch.Generator (every data batch and every reparameterisation draw),
its bounded histories (ganlab.history) and its way back from a diverged step (ganlab.rollback). A step
draws a fresh batch of `batch_size` points (toy data) or digits (MNIST), takes the model's objective
(ganlab.likelihood.models) and one optimiser step. Per-step values stay on the device; every
`check_every` steps they are copied to the host once, checked for non-finite values (with the weights)
and appended to the history, and the state is kept as the last good one.

Surface shared with the GAN Trainer (what the CLI, checkpoints and sweeps call): `step(n, check)`,
`run(seconds, max_steps)`, `check()`, `evaluate()`, `sample(n, use_ema, seed)`, `state_dict()` /
`load_state_dict()`, `config_dict()`, and `config`, `device`, `dataset`, `generator`, `step_count`,
`history`, `metrics`, `check_every`.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from torch import Tensor

from ganlab.config import ConfigError, RunConfig, to_dict, validate
from ganlab.device import resolve_device
from ganlab.history import History
from ganlab.likelihood.evaluation import METRIC_COLUMNS, ImageEvaluator, ToyEvaluator
from ganlab.likelihood.models import HISTORY_COLUMNS, build_model, objective
from ganlab.optim import build_optimizer, clear_grads, optimizer_step
from ganlab.problems import is_image_run
from ganlab.rollback import Rollback, TrainingDiverged

TOY_CHECK_EVERY, IMAGE_CHECK_EVERY = 64, 16  # steps between host syncs (as the GAN's toy and image problems)


class LikelihoodRollback(Rollback):
    """ganlab.rollback's last good state for a likelihood model: every history column and the model's
    weights must be finite; if not, the state is restored and TrainingDiverged raised (the GAN's message)."""

    def verify(self, values: np.ndarray, first_step: int, names: tuple[str, ...]) -> None:
        bad = ~np.isfinite(values)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            self._diverge(first_step + int(row), names[col], float(values[row, col]))
        if not all(bool(torch.isfinite(p).all()) for p in self.trainer.params):
            self._diverge(self.trainer.step_count, "model weights", float("nan"))


class LikelihoodTrainer:
    """Trains a VAE or a RealNVP flow from a validated RunConfig with model "vae" or "flow".

    Args:
        config: the run's options (validated here).
        data: an ImageDataset to train an image run on instead of loading MNIST.
        test_data: the ImageDataset an image run is evaluated on (default: MNIST's test digits).
        check_every: steps between host syncs (default 64 for toy data, 16 for images).
    """

    def __init__(self, config: RunConfig, data=None, test_data=None, check_every: int | None = None):
        cfg = self.config = validate(copy.deepcopy(config))
        if cfg.model not in HISTORY_COLUMNS:
            raise ConfigError("model", f"{cfg.model!r} is trained by the GAN Trainer (ganlab.train); the "
                                       f"likelihood trainer trains {', '.join(HISTORY_COLUMNS)}")
        self.device = resolve_device(cfg.device)
        self.images = is_image_run(cfg)
        self.dataset = self._load_data(data)
        self._test_data = test_data
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.seed)
        torch.manual_seed(cfg.seed)  # parameter initialisation
        self.model = build_model(cfg).to(self.device)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        opt = cfg.g_opt
        self.opt = build_optimizer(self.params, opt.name, opt.lr, opt.beta1, opt.beta2, opt.momentum)
        self.objective = objective(cfg)
        self.check_every = max(1, int(check_every or (IMAGE_CHECK_EVERY if self.images else TOY_CHECK_EVERY)))
        self.step_count = 0
        self.history = History(HISTORY_COLUMNS[cfg.model], cfg.history)
        self.metrics = History(METRIC_COLUMNS, cfg.history)
        self._staged: list[Tensor] = []  # per step not yet checked: its history row, on the device
        self._evaluator = None
        self.rollback = LikelihoodRollback(self)

    def _load_data(self, data):
        if not self.images:
            from ganlab.problems.toy import build_dataset

            return build_dataset(self.config)
        from ganlab.data.images import load_mnist

        dataset = data if data is not None else load_mnist(self.config.data.data_dir, train=True)
        self._images = dataset.images.to(self.device)
        return dataset

    def test_data(self):
        """The images an image run is evaluated on: the given test set, else MNIST's test split."""
        if self._test_data is None:
            from ganlab.data.images import load_mnist

            self._test_data = load_mnist(self.config.data.data_dir, train=False)
        return self._test_data

    # --- steps ----------------------------------------------------------------------------------

    def batch(self) -> Tensor:
        """A fresh training batch of `batch_size` points or digits, drawn with the run's generator."""
        n = self.config.batch_size
        if self.images:
            index = torch.randint(len(self._images), (n,), generator=self.generator, device=self.device)
            return self._images[index]
        return self.dataset.sample(n, self.generator)

    def train_step(self) -> None:
        """One optimiser step on the objective of a fresh batch; stages its history row."""
        loss, row = self.objective(self.model, self.batch(), self.generator)
        clear_grads(self.params)
        loss.backward()
        optimizer_step(self.opt)
        self.step_count += 1
        self._staged.append(row)
        if len(self._staged) >= self.check_every:
            self.check()
        if self.config.eval_every and self.step_count % self.config.eval_every == 0:
            self.check()
            self.evaluate()

    def step(self, n: int = 1, check: bool = True) -> None:
        """Run `n` steps, then check for divergence (raises TrainingDiverged). With check=False the caller
        checks later (`check()`): until then the history lags and the last good state is older."""
        for _ in range(n):
            self.train_step()
        if check:
            self.check()

    def run(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` of wall time (or `max_steps` steps); returns steps done (at least one
        when max_steps allows)."""
        start, done = time.perf_counter(), 0
        while (max_steps is None or done < max_steps) and (done == 0 or time.perf_counter() - start < seconds):
            self.train_step()
            done += 1
        self.check()
        return done

    def check(self) -> None:
        """Copy staged rows to the host, verify them and the weights (LikelihoodRollback restores the last
        good state and raises TrainingDiverged if not), extend the history, keep this state as good."""
        if not self._staged:
            return
        rows = torch.stack(self._staged).cpu().double().numpy()
        self._staged = []
        first_step = self.step_count - len(rows) + 1
        self.rollback.verify(rows, first_step, self.history.columns)
        self.history.extend(np.arange(first_step, self.step_count + 1), rows)
        self.rollback.keep()

    def evaluate(self) -> dict[str, float]:
        """Evaluate now (ganlab.likelihood.evaluation), append to the metrics history, return the values."""
        if self._evaluator is None or self._evaluator.n_samples != self.config.eval_samples:
            kind = ImageEvaluator if self.images else ToyEvaluator
            self._evaluator = kind(self, self.config.eval_samples)
        values = self._evaluator.evaluate()
        self.metrics.extend(np.array([self.step_count]), np.array([[values[k] for k in METRIC_COLUMNS]]))
        return values

    # --- samples and state ----------------------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int, use_ema: bool = True, seed: int | None = None) -> Tensor:
        """(n, ...) samples on the device (toy: (n, 2) draws of p_model; images: (n, 1, 28, 28) decoder means
        in [-1, 1]), with their own generator seeded `seed` (default: the run's seed + 1). `use_ema` is
        accepted for the GAN Trainer's signature: a likelihood model keeps no weight average."""
        gen = torch.Generator(device=self.device).manual_seed(self.config.seed + 1 if seed is None else seed)
        return self.model.sample(n, gen)

    def sample_source(self, use_ema: bool = True) -> str:
        """What `sample` draws from, for a caption."""
        return "the flow f^-1(z), z ~ N(0, I)" if self.config.model == "flow" else \
            "the VAE's decoder, z ~ N(0, I)"

    def state_dict(self, include_history: bool = True) -> dict:
        """Everything needed to continue bit for bit: weights, optimiser, step count, RNG, histories."""
        state = {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "step_count": self.step_count,
                 "rng": self.generator.get_state()}
        if include_history:
            state["history"], state["metrics"] = self.history.tensor_state(), self.metrics.tensor_state()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from `state_dict()` of a trainer built from the same config (one without "opt"
        leaves the optimiser as it is)."""
        self.model.load_state_dict(state["model"])
        if "opt" in state:
            self.opt.load_state_dict(state["opt"])
        self.step_count = int(state["step_count"])
        self.generator.set_state(state["rng"].cpu())
        for key, history in (("history", self.history), ("metrics", self.metrics)):
            if key in state:
                history.load_tensor_state(state[key])
        self._staged = []

    def config_dict(self) -> dict:
        return to_dict(self.config)


__all__ = ["LikelihoodTrainer", "TrainingDiverged"]
