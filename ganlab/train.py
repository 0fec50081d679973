"""The Trainer: one GAN training algorithm for every run, toy 2-D mixtures and MNIST alike.

What differs between runs is the Problem (ganlab.problems): the data, the networks and how D reads a
batch. The Trainer owns both optimisers, the EMA of G and the run's random generator, and alternates
`d_steps` discriminator updates (`d_step`) with `g_steps` generator updates (`g_step`), as in Goodfellow
et al. 2014, Algorithm 1. Both read top to bottom; the pieces they call are named: the loss
(ganlab.losses), gradient penalties (ganlab.penalties.d_penalties), feature matching, historical
averaging, unrolled D and the EMA (ganlab.tricks).

Per-step scalars stay on the device; every `check_every` iterations they are copied to the host once,
checked for non-finite values and appended to the bounded history. Beside the Trainer: the way back
from a diverged run (ganlab.rollback), live config changes (ganlab.live_config) and what the Toy Lab
draws (ganlab.toy_snapshot).
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.config import ConfigError, RunConfig, to_dict, validate
from ganlab.device import resolve_device
from ganlab.evaluation import METRIC_COLUMNS
from ganlab.fast_ops import clamp_all_
from ganlab.history import History
from ganlab.losses import get_loss
from ganlab.optim import build_optimizer, clear_grads, optimizer_step
from ganlab.penalties import d_penalties
from ganlab.problems import Batch, make_problem
from ganlab.rollback import Rollback, TrainingDiverged
from ganlab.tricks import HistoricalAverage, ema_source, feature_matching_loss, unrolled_discriminator, update_ema

# per iteration: D's loss (with penalties), G's loss, D's divergence estimate, mean D(real) and D(fake)
# (probabilities for losses that read D as one, else raw scores)
HISTORY_COLUMNS = ("d_loss", "g_loss", "estimate", "d_real", "d_fake")

__all__ = ["HISTORY_COLUMNS", "Trainer", "TrainingDiverged", "frozen"]


@contextlib.contextmanager
def frozen(params: list[Tensor]) -> Iterator[None]:
    """No gradients for `params` inside (a player's weights while the other one updates)."""
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


class Trainer:
    """Trains one GAN from a validated RunConfig: a toy run or an image run (ganlab.problems).

    Args:
        config: the run's options (validated here).
        data: an ImageDataset to train an image run on instead of loading MNIST.
        check_every: iterations between host syncs (default: the problem's).
    """

    def __init__(self, config: RunConfig, data=None, check_every: int | None = None):
        cfg = self.config = validate(copy.deepcopy(config))
        if cfg.model != "gan":
            raise ConfigError("model", f"{cfg.model!r} is not a GAN: ganlab.likelihood.make_trainer builds its "
                                       "trainer (LikelihoodTrainer)")
        self.device = resolve_device(cfg.device)
        self.problem = make_problem(cfg, self.device, data)
        self.dataset = self.problem.dataset
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.seed)
        torch.manual_seed(cfg.seed)  # parameter initialisation
        self.G, self.D = self.problem.build_networks(self.generator)
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False) if cfg.ema > 0 else None
        self.g_params, self.d_params = self.problem.parameters()
        self.g_opt = build_optimizer(self.g_params, cfg.g_opt.name, cfg.g_opt.lr, cfg.g_opt.beta1,
                                     cfg.g_opt.beta2, cfg.g_opt.momentum)
        self.d_opt = build_optimizer(self.d_params, cfg.d_opt.name, cfg.d_opt.lr, cfg.d_opt.beta1,
                                     cfg.d_opt.beta2, cfg.d_opt.momentum)
        self.param_averages: dict[str, HistoricalAverage] = {}
        self._evaluator = None
        self.configure(cfg)
        self.check_every = max(1, int(check_every or self.problem.check_every))
        self.step_count = self.d_updates = self.g_updates = 0
        self.history = History(HISTORY_COLUMNS, cfg.history)
        self.metrics = History(METRIC_COLUMNS, cfg.history)
        # (step, "option: old -> new, ...") for every change taken mid-run, oldest first (ganlab.live_config)
        self.config_changes: list[tuple[int, str]] = []
        # per iteration not yet checked: (D's loss, its real and fake scores (n,), G's loss), on the device
        self._staged: list[tuple[Tensor, Tensor, Tensor, Tensor]] = []
        self.rollback = Rollback(self)

    def configure(self, config: RunConfig) -> None:
        """Take `config`'s loss, regularisers and tricks (at the start, and from ganlab.live_config)."""
        if self._evaluator is not None and self._evaluator.n_samples != config.eval_samples:
            self._evaluator = None
        self.config = config
        self.loss = get_loss(config.loss.name)
        regs, tricks = config.regularizers, config.tricks
        self.real_target = float(regs.get("label-smoothing", 1.0))  # one-sided label smoothing
        self.instance_noise = float(regs.get("instance-noise", 0.0))
        self.gp_lambda = config.loss.gp_lambda if self.loss.gradient_penalty else None
        self.unrolled_steps = int(tricks.unrolled_steps)
        self.g_needs_real = self.loss.g_uses_real or tricks.feature_matching or self.unrolled_steps > 0
        weight = float(tricks.historical_averaging)
        if not weight:
            self.param_averages = {}
        elif not self.param_averages:
            self.param_averages = {"G": HistoricalAverage(self.g_params, weight),
                                   "D": HistoricalAverage(self.d_params, weight)}
        for average in self.param_averages.values():
            average.weight = weight
        self._z = torch.empty(config.batch_size * self.problem.pack, config.latent_dim, device=self.device)

    # --- batches --------------------------------------------------------------------------------

    def sample_noise(self, n: int, out: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        """(n, latent_dim) latent codes, drawn with `generator` (default: the run's own)."""
        generator = self.generator if generator is None else generator
        if out is None:
            out = torch.empty(n, self.config.latent_dim, device=self.device)
        if self.config.noise == "gaussian":
            return out.normal_(generator=generator)
        return out.uniform_(-1.0, 1.0, generator=generator)

    def perturb(self, x: Tensor) -> Tensor:
        """Instance noise (Sonderby et al. 2017): D sees x + sigma * N(0, I) when the regulariser is on."""
        if self.instance_noise:
            return x + self.instance_noise * torch.randn(x.shape, generator=self.generator, device=x.device)
        return x

    def real_batch(self) -> Batch:
        batch = self.problem.real_batch(self.config.batch_size, self.generator)
        batch.x = self.perturb(batch.x)
        return batch

    def fake_batch(self) -> Batch:
        z = self.sample_noise(len(self._z), self._z)
        codes = self.problem.draw_codes(self.config.batch_size, self.generator)
        x = self.perturb(self.problem.generate(self.G, z, codes))
        return Batch(x, self.problem.condition(codes), codes)

    # --- updates --------------------------------------------------------------------------------

    def d_step(self) -> None:
        """One discriminator update on a fresh real batch and a fresh (detached) fake batch."""
        real = self.real_batch()
        with torch.no_grad():
            fake = self.fake_batch()
        real.x.requires_grad_("r1" in self.config.regularizers)  # R1 / R2 differentiate D at the points
        fake.x.requires_grad_("r2" in self.config.regularizers)
        with self.problem.autocast():
            real_scores, fake_scores = self.problem.score_pair(real, fake)
            loss = self.loss.d_loss(real_scores.float(), fake_scores.float(), self.real_target)
            for penalty in self.d_penalties(real, fake, real_scores, fake_scores):
                loss = loss + penalty.float()
        if self.param_averages:
            loss = loss + self.param_averages["D"].step()
        clear_grads(self.d_params)
        loss.backward()
        optimizer_step(self.d_opt)
        if self.loss.weight_clip:  # WGAN: the critic's weights in [-c, c]
            with torch.no_grad():
                clamp_all_(self.d_params, -self.config.loss.clip, self.config.loss.clip)
        self.d_updates += 1
        self._last_d = (loss.detach(), real_scores.detach().float(), fake_scores.detach().float())

    def g_step(self) -> None:
        """One generator update through a frozen discriminator (no gradients for D's weights)."""
        with self.problem.autocast():
            fake = self.fake_batch()
            real = self.real_batch() if self.g_needs_real else None
            d = unrolled_discriminator(self, real, fake, self.unrolled_steps) if self.unrolled_steps else None
            with frozen(self.d_params):  # D's weights get no gradient (an unrolled D's do: D's step clears them)
                loss = self.g_objective(fake, real, d)
                if self.param_averages:
                    loss = loss + self.param_averages["G"].step()
                clear_grads(self.g_params)
                loss.backward()
        optimizer_step(self.g_opt)
        if self.G_ema is not None:
            update_ema(self.G_ema, self.G, self.config.ema, self.g_updates)
        self.g_updates += 1
        self._last_g = loss.detach()

    def g_objective(self, fake: Batch, real: Batch | None, d=None) -> Tensor:
        """G's loss on `fake`: the loss's generator term (with real scores for losses that use them), or
        feature matching ||mean f(real) - mean f(fake)||^2 (Salimans et al. 2016, sec. 3.1); plus
        InfoGAN's code loss. Against D, or `d` (an unrolled D)."""
        if self.config.tricks.feature_matching:
            fake_features, code_logits = self.problem.features(fake, d)
            loss = feature_matching_loss(self.problem.features(real, d)[0].float(), fake_features.float())
        else:
            fake_scores, code_logits = self.problem.g_scores(fake, d)
            real_scores = self.problem.scores(real, d).float() if self.loss.g_uses_real else None
            loss = self.loss.g_loss(fake_scores.float(), real_scores)
        if code_logits is not None:  # InfoGAN: Q recovers G's categorical code (Chen et al. 2016)
            loss = loss + F.cross_entropy(code_logits.float(), fake.codes)
        return loss

    def d_penalties(self, real: Batch, fake: Batch, real_scores: Tensor, fake_scores: Tensor,
                    d=None) -> list[Tensor]:
        """D's gradient penalties on these batches (D, or `d`: an unrolled D), each weighted."""
        return d_penalties(self.config.regularizers, self.gp_lambda, self.generator,
                           lambda x: self.problem.scores(Batch(x, real.labels), d),
                           lambda x: self.problem.scores(Batch(x, fake.labels), d),
                           real.x, fake.x, real_scores, fake_scores)

    @torch.no_grad()
    def d_readings(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        """(k, 3): D's divergence estimate, mean D(real) and mean D(fake) of k D steps' scores (k, n) each,
        in one batched pass (torch.vmap of the loss's estimate) rather than ten small kernels per step."""
        estimate = torch.vmap(self.loss.estimate)(real_scores, fake_scores)
        if self.loss.output == "probability":
            real_scores, fake_scores = torch.sigmoid(real_scores), torch.sigmoid(fake_scores)
        return torch.stack([estimate, real_scores.mean(dim=1), fake_scores.mean(dim=1)], dim=1)

    # --- iterations -----------------------------------------------------------------------------

    def d_phase(self) -> None:
        """The discriminator half of an iteration: `d_steps` D updates."""
        for _ in range(self.config.d_steps):
            self.d_step()

    def g_phase(self) -> None:
        """The generator half of an iteration: `g_steps` G updates; completes the iteration."""
        for _ in range(self.config.g_steps):
            self.g_step()
        self.step_count += 1
        self._staged.append((*self._last_d, self._last_g))  # the last D step's loss and scores, G's loss
        if len(self._staged) >= self.check_every:
            self.check()
        if self.config.eval_every and self.step_count % self.config.eval_every == 0:
            self.check()
            self.evaluate()

    def step(self, n: int = 1, check: bool = True) -> None:
        """Run `n` iterations, then check for divergence (raises TrainingDiverged). With check=False the
        caller checks later (`check()`): until then the history lags and the last good state is older."""
        for _ in range(n):
            self.d_phase()
            self.g_phase()
        if check:
            self.check()

    def run(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` of wall time (or `max_steps` iterations); returns iterations done. At
        least one iteration when max_steps allows."""
        start, done = time.perf_counter(), 0
        while (max_steps is None or done < max_steps) and (done == 0 or time.perf_counter() - start < seconds):
            self.d_phase()
            self.g_phase()
            done += 1
        self.check()
        return done

    def check(self) -> None:
        """Copy staged scalars to the host, verify them and the weights (ganlab.rollback restores the last
        good state and raises TrainingDiverged if not), extend the history, keep this state as good."""
        if not self._staged:
            return
        columns = zip(*self._staged, strict=True)
        d_loss, real_scores, fake_scores, g_loss = (torch.stack(column) for column in columns)
        self._staged = []
        rows = torch.cat([torch.stack([d_loss, g_loss], dim=1), self.d_readings(real_scores, fake_scores)], dim=1)
        staged = rows.cpu().double().numpy()
        first_step = self.step_count - len(staged) + 1
        self.rollback.verify(staged[:, :2], first_step, HISTORY_COLUMNS[:2])
        self.history.extend(np.arange(first_step, self.step_count + 1), staged)
        self.rollback.keep()

    def evaluate(self) -> dict[str, float]:
        """Evaluate now (the problem's evaluator), append to the metrics history, return the values ({}
        for a run without periodic metrics: image runs are scored by ganlab.image_eval)."""
        if self._evaluator is None:
            self._evaluator = self.problem.evaluator(self)
            if self._evaluator is None:
                return {}
        values = self._evaluator.evaluate()
        self.metrics.extend(np.array([self.step_count]), np.array([[values[k] for k in METRIC_COLUMNS]]))
        return values

    # --- samples and state ----------------------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int, use_ema: bool = True, seed: int | None = None,
               labels: Tensor | None = None) -> Tensor:
        """(n, ...) samples on the device (toy: (n, 2); images: (n, 1, 28, 28) in [-1, 1]) from the EMA of G
        when on, with their own generator seeded `seed` (default: the run's seed + 1). `labels`: the class
        or code of each sample (default for conditional / InfoGAN runs: 0, 1, 2, ... cyclically)."""
        gen = torch.Generator(device=self.device).manual_seed(self.config.seed + 1 if seed is None else seed)
        net = self.G_ema if (use_ema and self.G_ema is not None) else self.G
        z = self.sample_noise(n, generator=gen)
        n_codes = self.problem.n_codes
        if labels is None and n_codes:
            labels = torch.arange(n, device=self.device) % n_codes
        was_training = net.training
        net.eval()
        try:
            return self.problem.generate(net, z, labels) if n_codes else net(z)
        finally:
            net.train(was_training)

    def sample_source(self, use_ema: bool = True) -> str:
        """Which generator `sample` draws from, for a caption: "G (raw)", or e.g. "EMA of G (decay 0.999,
        warm-up: effective decay 0.980 at update 450)"."""
        return ema_source(self.config.ema if use_ema else 0.0, self.g_updates)

    def state_dict(self, include_history: bool = True) -> dict:
        """Everything needed to continue bit for bit: weights, optimisers, EMA, counters, RNG (and each
        player's running mean for historical averaging, the problem's extra modules, the histories)."""
        state = {"G": self.G.state_dict(), "D": self.D.state_dict(), "g_opt": self.g_opt.state_dict(),
                 "d_opt": self.d_opt.state_dict(), "step_count": self.step_count, "d_updates": self.d_updates,
                 "g_updates": self.g_updates, "rng": self.generator.get_state(), **self.problem.state_dict()}
        if self.G_ema is not None:
            state["G_ema"] = self.G_ema.state_dict()
        for player, average in self.param_averages.items():
            state[f"average_{player}"] = average.state_dict()
        if include_history:
            state["history"], state["metrics"] = self.history.tensor_state(), self.metrics.tensor_state()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from `state_dict()` of a trainer built from the same config. A state without the
        optimisers ("g_opt", "d_opt": a training worker's light refresh, ganlab.runtime) leaves them as
        they are."""
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if "g_opt" in state:
            self.g_opt.load_state_dict(state["g_opt"])
            self.d_opt.load_state_dict(state["d_opt"])
        self.problem.load_state_dict(state)
        if self.G_ema is not None and "G_ema" in state:
            self.G_ema.load_state_dict(state["G_ema"])
        for player, average in self.param_averages.items():
            if f"average_{player}" in state:
                average.load_state_dict(state[f"average_{player}"])
        self.step_count, self.d_updates, self.g_updates = (
            int(state[key]) for key in ("step_count", "d_updates", "g_updates"))
        self.generator.set_state(state["rng"].cpu())
        for key, history in (("history", self.history), ("metrics", self.metrics)):
            if key in state:
                history.load_tensor_state(state[key])
        self._staged = []

    def config_dict(self) -> dict:
        return to_dict(self.config)
