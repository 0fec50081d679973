"""The Trainer: owns G, D, both optimisers, the EMA of G and the run's random generator.

One iteration (`step()`) is `d_steps` discriminator updates then `g_steps` generator updates. The hot
path keeps every per-step scalar on the device (no host sync); every `check_every` iterations the
scalars are copied to the host once, checked for non-finite values and appended to the bounded
history, and a copy of the (good) state is kept so a diverged run falls back to it.

Tricks (RunConfig.tricks, ganlab.tricks) are wired in once, in `_configure_objective`: feature matching
and unrolled D steps choose G's update, historical averaging adds a term to each player's loss (D's
sits with the penalties), minibatch discrimination is a layer of D. With every trick off the generator
update is the plain one, unchanged.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from ganlab.config import RunConfig, to_dict, validate
from ganlab.data import ToyDataset, make_dataset
from ganlab.device import resolve_device
from ganlab.evaluation import METRIC_COLUMNS, Evaluator
from ganlab.fast_ops import clamp_all_, lerp_all_
from ganlab.history import History
from ganlab.losses import LossSpec, get_loss
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator, batch_norm_free
from ganlab.optim import build_optimizer
from ganlab.penalties import (
    dragan_points,
    one_centred_penalty,
    random_interpolates,
    zero_centred_penalty,
)
from ganlab.tricks import (
    FunctionalDiscriminator,
    HistoricalAverage,
    UnrolledOptimizer,
    feature_matching_loss,
    unroll,
)

HISTORY_COLUMNS = ("d_loss", "g_loss", "estimate")
# options a running trainer takes on the fly (prefixes of dotted paths); any other change needs a new run
MAX_CONFIG_CHANGES = 200  # mid-run changes remembered for the charts' markers
LIVE_OPTIONS = ("loss.", "g_opt.", "d_opt.", "d_steps", "g_steps", "batch_size", "reg.", "eval_every",
                "eval_samples", "ema", "tricks.feature_matching", "tricks.historical_averaging",
                "tricks.unrolled_steps")
SNAPSHOT_SEED_OFFSET = 7919  # the snapshot's fixed z and real samples use their own generator


class TrainingDiverged(RuntimeError):
    """A loss or weight became non-finite; the trainer has been put back to its last good state."""

    def __init__(self, step: int, quantity: str, value: float, restored_step: int):
        super().__init__(f"training diverged at step {step}: {quantity} became {value} "
                         f"(non-finite); the run was restored to its last good state, step {restored_step}")
        self.step = step
        self.quantity = quantity
        self.value = value
        self.restored_step = restored_step


def build_dataset(cfg: RunConfig) -> ToyDataset:
    data = cfg.data
    return make_dataset(data.name, std=data.std, n_modes=data.n_modes, radius=data.radius,
                        theta=data.theta, separation=data.separation, points=data.points)


def latent_grid(latent_dim: int, size: int, noise: str) -> Tensor:
    """(rows, size, latent_dim) grid over the first two latent coordinates (others 0).

    Spans +/-2 for Gaussian noise and [-1, 1] for uniform; one row when latent_dim is 1.
    """
    span = 2.0 if noise == "gaussian" else 1.0
    axis = torch.linspace(-span, span, size)
    rows = 1 if latent_dim == 1 else size
    grid = torch.zeros(rows, size, latent_dim)
    grid[:, :, 0] = axis
    if latent_dim > 1:
        grid[:, :, 1] = axis[:, None]
    return grid


def build_generator(cfg: RunConfig) -> MLPGenerator:
    """The toy run's generator: latent_dim -> 2 through cfg.g's MLP (initialised from torch's global RNG)."""
    return MLPGenerator(cfg.latent_dim, 2, cfg.g.depth, cfg.g.width, cfg.g.activation,
                        cfg.g.norm, cfg.g.spectral_norm, cfg.g.maxout_pieces)


def core_state(trainer) -> dict:
    """What every trainer saves: G, D, both optimisers, EMA of G, update counters and the RNG state
    (and, with historical averaging, each player's running mean of past parameters)."""
    state = {"G": trainer.G.state_dict(), "D": trainer.D.state_dict(), "g_opt": trainer.g_opt.state_dict(),
             "d_opt": trainer.d_opt.state_dict(), "step_count": trainer.step_count,
             "d_updates": trainer.d_updates, "g_updates": trainer.g_updates, "rng": trainer.generator.get_state()}
    if trainer.G_ema is not None:
        state["G_ema"] = trainer.G_ema.state_dict()
    for player, average in getattr(trainer, "param_averages", {}).items():
        state[f"average_{player}"] = average.state_dict()
    return state


def load_core_state(trainer, state: dict) -> None:
    """Inverse of core_state()."""
    trainer.G.load_state_dict(state["G"])
    trainer.D.load_state_dict(state["D"])
    trainer.g_opt.load_state_dict(state["g_opt"])
    trainer.d_opt.load_state_dict(state["d_opt"])
    if trainer.G_ema is not None and "G_ema" in state:
        trainer.G_ema.load_state_dict(state["G_ema"])
    for player, average in getattr(trainer, "param_averages", {}).items():
        if f"average_{player}" in state:
            average.load_state_dict(state[f"average_{player}"])
    trainer.step_count, trainer.d_updates, trainer.g_updates = (
        int(state[key]) for key in ("step_count", "d_updates", "g_updates"))
    trainer.generator.set_state(state["rng"].cpu())


class Trainer:
    """Trains one GAN on a toy dataset from a validated RunConfig.

    Args:
        config: the run's options (validated here).
        check_every: iterations between host syncs (finite check, history flush, good-state copy).
    """

    def __init__(self, config: RunConfig, check_every: int = 64):
        self.config = validate(copy.deepcopy(config))
        cfg = self.config
        self.device = resolve_device(cfg.device)
        self.dataset = build_dataset(cfg)
        self.loss: LossSpec = get_loss(cfg.loss.name)
        self.generator = torch.Generator(device=self.device).manual_seed(cfg.seed)
        torch.manual_seed(cfg.seed)  # parameter initialisation
        self.pack = cfg.pack
        self.G = build_generator(cfg).to(self.device)
        self.D = MLPDiscriminator(2 * cfg.pack, cfg.d.depth, cfg.d.width, cfg.d.activation,
                                  cfg.d.norm, cfg.d.spectral_norm, cfg.d.maxout_pieces,
                                  cfg.tricks.minibatch_discrimination).to(self.device)
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False) if cfg.ema > 0 else None
        self.g_params = [p for p in self.G.parameters() if p.requires_grad]
        self.d_params = [p for p in self.D.parameters() if p.requires_grad]
        self.g_opt = build_optimizer(self.g_params, cfg.g_opt.name, cfg.g_opt.lr, cfg.g_opt.beta1,
                                     cfg.g_opt.beta2, cfg.g_opt.momentum)
        self.d_opt = build_optimizer(self.d_params, cfg.d_opt.name, cfg.d_opt.lr, cfg.d_opt.beta1,
                                     cfg.d_opt.beta2, cfg.d_opt.momentum)

        self._joint_forward = batch_norm_free(self.D)
        self.param_averages: dict[str, HistoricalAverage] = {}
        self._configure_objective()

        self.check_every = max(1, int(check_every))
        self.step_count = 0
        self.d_updates = 0
        self.g_updates = 0
        self.history = History(HISTORY_COLUMNS, cfg.history)
        self.metrics = History(METRIC_COLUMNS, cfg.history)
        self._evaluator: Evaluator | None = None
        # (step, "option: old -> new, ...") for every change taken mid-run, oldest first; at most
        # MAX_CONFIG_CHANGES kept (charts mark them)
        self.config_changes: list[tuple[int, str]] = []
        self._staged: list[Tensor] = []  # per iteration: D's loss, G's loss, D's plain loss or estimate
        self._last_d: tuple[Tensor, Tensor] | None = None
        self._z = torch.empty(cfg.batch_size * cfg.pack, cfg.latent_dim, device=self.device)
        self._good_state = self._copy_state()
        self._snapshot_inputs: dict[str, Tensor] | None = None

    # --- live changes ---------------------------------------------------------------------------

    def apply_config(self, config: RunConfig) -> list[str]:
        """Take `config` mid-run where possible; return the dotted options that need a restart.

        Learning rates, betas and momentum are changed in place (optimiser state kept); a changed
        optimiser name builds a fresh optimiser for that network only; loss, regularisers, update
        counts and batch size apply from the next update. When anything else differs (data,
        architecture, latent size, noise, packing, seed, device, history) nothing is changed and those
        options are returned: the caller must build a new Trainer.
        """
        from ganlab.config import diff

        config = validate(copy.deepcopy(config))
        changed = diff(self.config, config)
        restart = [k for k in changed if not k.startswith(LIVE_OPTIONS)]
        if restart or not changed:
            return restart
        if config.ema != self.config.ema and (config.ema == 0) != (self.config.ema == 0):
            return ["ema"]
        for name, net_params, old, new in (("g_opt", self.g_params, self.config.g_opt, config.g_opt),
                                           ("d_opt", self.d_params, self.config.d_opt, config.d_opt)):
            if old.name != new.name:
                setattr(self, name, build_optimizer(net_params, new.name, new.lr, new.beta1, new.beta2,
                                                    new.momentum))
                continue
            opt = getattr(self, name)
            for group in opt.param_groups:
                group["lr"] = new.lr
                if "betas" in group:
                    group["betas"] = (new.beta1, new.beta2)
                if "momentum" in group:
                    group["momentum"] = new.momentum
                if "alpha" in group:
                    group["alpha"] = new.beta2
        self.check()
        described = ", ".join(f"{key}: {old} -> {new}" for key, (old, new) in changed.items())
        self.config_changes = [*self.config_changes, (self.step_count, described)][-MAX_CONFIG_CHANGES:]
        self.config = config
        self.loss = get_loss(config.loss.name)
        self._configure_objective()
        self._z = torch.empty(config.batch_size * config.pack, config.latent_dim, device=self.device)
        if self._evaluator is not None and self._evaluator.n_samples != config.eval_samples:
            self._evaluator = None
        self._good_state = self._copy_state()
        return []

    # --- building blocks ------------------------------------------------------------------------

    def _configure_objective(self) -> None:
        """Derive the per-step settings of the loss and regularisers from self.config / self.loss."""
        regs = self.config.regularizers
        self.real_target = float(regs.get("label-smoothing", 1.0))
        self.instance_noise = float(regs.get("instance-noise", 0.0))
        self._needs_real_grad = "r1" in regs
        self._needs_fake_grad = "r2" in regs
        # the estimate is an affine function of D's plain loss unless label smoothing changes that loss
        self._estimate_per_step = self.real_target != 1.0 or self.loss.estimate_from_loss is None
        tricks = self.config.tricks
        self._configure_averages(tricks.historical_averaging)
        self._d_penalties = self._build_penalties()
        self._g_terms: list[Callable[[], Tensor]] = []
        if self.param_averages:  # lambda ||theta - mean past theta||^2 on each player's loss
            self._d_penalties.append(self.param_averages["D"].step)
            self._g_terms.append(self.param_averages["G"].step)
        self._unrolled_steps = int(tricks.unrolled_steps)
        self._g_objective = self._feature_matching_objective if tricks.feature_matching else self._plain_objective
        self._g_needs_real = self.loss.g_uses_real or tricks.feature_matching or self._unrolled_steps > 0
        plain = not (tricks.feature_matching or self._unrolled_steps or self._g_terms)
        self._g_backward = self._plain_g_backward if plain else self._tricks_g_backward

    def _configure_averages(self, weight: float) -> None:
        """Keep (or start, or drop) each player's running mean of past parameters for historical averaging."""
        if not weight:
            self.param_averages = {}
            return
        if not self.param_averages:
            self.param_averages = {"G": HistoricalAverage(self.g_params, weight),
                                   "D": HistoricalAverage(self.d_params, weight)}
        for average in self.param_averages.values():
            average.weight = float(weight)

    def _build_penalties(self, d: Callable[[Tensor], Tensor] | None = None) \
            -> list[Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]]:
        """Closures (real, fake, real_scores, fake_scores) -> weighted penalty, one per regulariser.

        `d` is the discriminator the gradient penalties differentiate (default: self.D).
        """
        regs, gen = self.config.regularizers, self.generator
        d = self.D if d is None else d
        penalties: list[Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]] = []
        if self.loss.gradient_penalty:
            lam = self.config.loss.gp_lambda
            penalties.append(lambda x, y, rs, fs: lam * one_centred_penalty(d, random_interpolates(x, y, gen)))
        if "r1" in regs:
            g1 = regs["r1"] / 2
            penalties.append(lambda x, y, rs, fs: g1 * zero_centred_penalty(d, x, rs))
        if "r2" in regs:
            g2 = regs["r2"] / 2
            penalties.append(lambda x, y, rs, fs: g2 * zero_centred_penalty(d, y, fs))
        if "gp0" in regs:
            l0 = regs["gp0"]
            penalties.append(lambda x, y, rs, fs: l0 * zero_centred_penalty(d, random_interpolates(x, y, gen)))
        if "dragan" in regs:
            ld = regs["dragan"]
            penalties.append(lambda x, y, rs, fs: ld * one_centred_penalty(d, dragan_points(x.detach(), gen)))
        return penalties

    def sample_noise(self, n: int, out: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        """(n, latent_dim) latent codes, drawn with `generator` (default: the run's own)."""
        generator = self.generator if generator is None else generator
        if out is None:
            out = torch.empty(n, self.config.latent_dim, device=self.device)
        if self.config.noise == "gaussian":
            return out.normal_(generator=generator)
        return out.uniform_(-1.0, 1.0, generator=generator)

    def _perturb(self, x: Tensor) -> Tensor:
        if self.instance_noise:
            return x + self.instance_noise * torch.randn(x.shape, generator=self.generator, device=x.device)
        return x

    def packed(self, x: Tensor) -> Tensor:
        """(n * pack, 2) -> (n, 2 * pack): consecutive samples form one pack (identity for pack 1)."""
        return x if self.pack == 1 else x.reshape(-1, 2 * self.pack)

    def _scores(self, real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
        if self._joint_forward:
            scores = self.D(torch.cat([real, fake]))
            return scores[: real.shape[0]], scores[real.shape[0]:]
        return self.D(real), self.D(fake)

    # --- updates --------------------------------------------------------------------------------

    def d_step(self) -> None:
        """One discriminator update on a fresh real batch and a fresh (detached) fake batch."""
        n = self.config.batch_size * self.pack
        real = self.packed(self._perturb(self.dataset.sample(n, self.generator)))
        with torch.no_grad():
            fake = self.packed(self._perturb(self.G(self.sample_noise(n, self._z))))
        if self._needs_real_grad:
            real.requires_grad_(True)
        if self._needs_fake_grad:
            fake.requires_grad_(True)
        real_scores, fake_scores = self._scores(real, fake)
        plain = loss = self.loss.d_loss(real_scores, fake_scores, self.real_target)
        for penalty in self._d_penalties:
            loss = loss + penalty(real, fake, real_scores, fake_scores)
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.d_opt.step()
        if self.loss.weight_clip:
            c = self.config.loss.clip
            with torch.no_grad():
                clamp_all_(self.d_params, -c, c)
        self.d_updates += 1
        if self._estimate_per_step:
            with torch.no_grad():
                plain = self.loss.estimate(real_scores.detach(), fake_scores.detach())
        self._last_d = (loss.detach(), plain.detach())

    def g_step(self) -> None:
        """One generator update through a frozen discriminator (no gradients for D's weights)."""
        loss = self._g_backward()
        self.g_opt.step()
        if self.G_ema is not None:
            self._update_ema()
        self.g_updates += 1
        self._last_g = loss.detach()

    def _plain_g_backward(self) -> Tensor:
        """G's loss on a fresh fake batch, back-propagated into G's gradients; returns the loss."""
        n = self.config.batch_size * self.pack
        fake = self.packed(self._perturb(self.G(self.sample_noise(n, self._z))))
        for p in self.d_params:
            p.requires_grad_(False)
        try:
            fake_scores = self.D(fake)
            real_scores = None
            if self.loss.g_uses_real:
                with torch.no_grad():
                    real_scores = self.D(self.packed(self._perturb(self.dataset.sample(n, self.generator))))
            loss = self.loss.g_loss(fake_scores, real_scores)
            self.g_opt.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            for p in self.d_params:
                p.requires_grad_(True)
        return loss

    def _tricks_g_backward(self) -> Tensor:
        """The same with tricks: a fake batch, then a real batch when G's objective needs one; G's objective
        (the loss's, or feature matching) against D or, unrolled, against D after k updates of a copy;
        plus the historical-averaging term."""
        n = self.config.batch_size * self.pack
        fake = self.packed(self._perturb(self.G(self.sample_noise(n, self._z))))
        real = self.packed(self._perturb(self.dataset.sample(n, self.generator))) if self._g_needs_real else None
        if self._unrolled_steps:
            loss = self._g_objective(self.unrolled_discriminator(real, fake), fake, real)
        else:
            for p in self.d_params:
                p.requires_grad_(False)
            try:
                loss = self._g_objective(self.D, fake, real)
            finally:
                for p in self.d_params:
                    p.requires_grad_(True)
        for term in self._g_terms:
            loss = loss + term()
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=self.g_params)
        return loss

    def _plain_objective(self, d, fake: Tensor, real: Tensor | None) -> Tensor:
        """The loss's generator term: g_loss(D(fake), D(real) for losses that use real scores)."""
        return self.loss.g_loss(d(fake), d(real) if self.loss.g_uses_real else None)

    def _feature_matching_objective(self, d, fake: Tensor, real: Tensor) -> Tensor:
        """||mean f(real) - mean f(fake)||^2 with f = d.features (Salimans et al. 2016, sec. 3.1)."""
        return feature_matching_loss(d.features(real), d.features(fake))

    def unrolled_discriminator(self, real: Tensor, fake: Tensor,
                               steps: int | None = None) -> FunctionalDiscriminator:
        """D after `steps` (default: tricks.unrolled_steps) differentiable updates on this batch (Metz et al.
        2017).

        Each update is D's own: its loss with the label target, its gradient penalties and weight clipping,
        and its optimiser's rule started from a copy of that optimiser's state. `fake` keeps its graph to
        G, so the returned discriminator's parameters are functions of G's. D, its buffers and its
        optimiser are left untouched (buffers are copied).
        """
        steps = self._unrolled_steps if steps is None else steps
        names = [name for name, p in self.D.named_parameters() if p.requires_grad]
        buffers = {name: b.clone() for name, b in self.D.named_buffers()}
        start = FunctionalDiscriminator(self.D, dict(zip(names, self.d_params, strict=True)), buffers)
        real_in = real.detach().requires_grad_(True) if self._needs_real_grad else real

        def d_loss(params: list[Tensor]) -> Tensor:
            d = start.with_params(params)
            real_scores, fake_scores = d(real_in), d(fake)
            loss = self.loss.d_loss(real_scores, fake_scores, self.real_target)
            for penalty in self._build_penalties(d):
                loss = loss + penalty(real_in, fake, real_scores, fake_scores)
            return loss

        clip = self.config.loss.clip if self.loss.weight_clip else None
        params = unroll(d_loss, self.d_params, UnrolledOptimizer(self.d_opt, self.d_params), steps, clip)
        return start.with_params(params)

    @torch.no_grad()
    def _update_ema(self) -> None:
        ema_params = list(self.G_ema.parameters())
        lerp_all_(ema_params, list(self.G.parameters()), 1.0 - self.config.ema)
        for ema_buf, buf in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            ema_buf.copy_(buf)

    def d_phase(self) -> None:
        """The discriminator half of an iteration: `d_steps` D updates."""
        for _ in range(self.config.d_steps):
            self.d_step()

    def g_phase(self) -> None:
        """The generator half of an iteration: `g_steps` G updates; completes the iteration."""
        for _ in range(self.config.g_steps):
            self.g_step()
        self.step_count += 1
        self._staged += [self._last_d[0], self._last_g, self._last_d[1]]
        if len(self._staged) >= 3 * self.check_every:
            self.check()
        if self.config.eval_every and self.step_count % self.config.eval_every == 0:
            self.check()
            self.evaluate()

    def evaluate(self) -> dict[str, float]:
        """Evaluate now (ganlab.evaluation), append to the metrics history, return the values."""
        if self._evaluator is None:
            self._evaluator = Evaluator(self, self.config.eval_samples)
        values = self._evaluator.evaluate()
        self.metrics.extend(np.array([self.step_count]), np.array([[values[k] for k in METRIC_COLUMNS]]))
        return values

    def step(self, n: int = 1, check: bool = True) -> None:
        """Run `n` iterations, then check for divergence (raises TrainingDiverged). With check=False the
        caller checks later (`check()`): until then the history lags and the last good state is older."""
        for _ in range(n):
            self.d_phase()
            self.g_phase()
        if check:
            self.check()

    def run(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` of wall time (or `max_steps` iterations); returns iterations done."""
        start, done = time.perf_counter(), 0
        while time.perf_counter() - start < seconds and (max_steps is None or done < max_steps):
            self.d_phase()
            self.g_phase()
            done += 1
        self.check()
        return done

    # --- divergence check, history, good state ----------------------------------------------------

    def check(self) -> None:
        """Copy staged scalars to the host, verify they and the weights are finite, extend history."""
        if not self._staged:
            return
        staged = torch.stack(self._staged).reshape(-1, 3).cpu().double().numpy()
        self._staged = []
        if not self._estimate_per_step:
            staged[:, 2] = self.loss.estimate_from_loss(staged[:, 2])
        rows = len(staged)
        first_step = self.step_count - rows + 1
        bad = ~np.isfinite(staged[:, :2])
        if bad.any():
            row, col = np.argwhere(bad)[0]
            self._diverge(first_step + int(row), HISTORY_COLUMNS[col], float(staged[row, col]))
        for name, module in (("G weights", self.G), ("D weights", self.D)):
            if not all(torch.isfinite(p).all() for p in module.parameters()):
                self._diverge(self.step_count, name, float("nan"))
        self.history.extend(np.arange(first_step, self.step_count + 1), staged)
        self._good_state = self._copy_state()

    def _diverge(self, step: int, quantity: str, value: float) -> None:
        restored = self._good_state["step_count"]
        self.load_state_dict(self._good_state)
        raise TrainingDiverged(step, quantity, value, restored)

    def _copy_state(self) -> dict:
        return copy.deepcopy(self.state_dict(include_history=False))

    # --- state --------------------------------------------------------------------------------------

    def state_dict(self, include_history: bool = True) -> dict:
        """Everything needed to continue bit-for-bit: weights, optimisers, EMA, counters, RNG."""
        state = core_state(self)
        if include_history:
            state["history"], state["metrics"] = self.history.tensor_state(), self.metrics.tensor_state()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from `state_dict()` of a trainer built from the same config."""
        load_core_state(self, state)
        for key, history in (("history", self.history), ("metrics", self.metrics)):
            if key in state:
                history.load_tensor_state(state[key])
        self._staged = []

    def config_dict(self) -> dict:
        return to_dict(self.config)

    # --- what the UI draws ----------------------------------------------------------------------

    def _fixed_snapshot_inputs(self, n: int) -> dict[str, Tensor]:
        """The same z and real points in every snapshot, from a generator apart from the run's."""
        if self._snapshot_inputs is None or self._snapshot_inputs["z"].shape[0] != n:
            gen = torch.Generator(device=self.device).manual_seed(self.config.seed + SNAPSHOT_SEED_OFFSET)
            self._snapshot_inputs = {"z": self.sample_noise(n, generator=gen), "real": self.dataset.sample(n, gen)}
        return self._snapshot_inputs

    def snapshot(self, n_samples: int = 512, grid_size: int = 64, manifold_size: int = 16) -> dict:
        """Small numpy arrays for drawing (no training RNG is consumed).

        Returns:
            step, d_updates, g_updates: ints.
            real (n, 2), fake (n, 2): fixed real points and G at fixed z (fake_ema too when EMA is on).
            fake_grad (n, 2): gradient of G's loss per fake sample w.r.t. its position (arrows: minus it);
                G's objective (feature matching when on) against the current D, never an unrolled one.
                With minibatch discrimination D's scores depend on the batch: the grid is one batch.
            grid_x (S,), grid_y (S,), d_score (S, S): D's raw output at (grid_x[j], grid_y[i])
                (a packed D sees the point repeated `pack` times);
                d_prob (S, S) = sigmoid(d_score) when the loss reads D as a probability.
            manifold (R, M, 2): G's image of a latent grid over the first two coordinates.
            history: {"step", "d_loss", "g_loss", "estimate"} bounded arrays.
            metrics: {"step", METRIC_COLUMNS...} from the periodic evaluations (ganlab.evaluation).
            divergence, estimate_formula, output, bounds.
        """
        n_samples -= n_samples % self.pack
        inputs = self._fixed_snapshot_inputs(n_samples)
        was_training = (self.G.training, self.D.training)
        self.G.eval()
        self.D.eval()
        try:
            xmin, xmax, ymin, ymax = self.dataset.bounds
            gx = torch.linspace(xmin, xmax, grid_size, device=self.device)
            gy = torch.linspace(ymin, ymax, grid_size, device=self.device)
            with torch.no_grad():
                fake = self.G(inputs["z"])
                plane = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), dim=-1).reshape(-1, 2)
                d_score = self.D(plane.repeat(1, self.pack)).reshape(grid_size, grid_size)
                lat = latent_grid(self.config.latent_dim, manifold_size, self.config.noise).to(self.device)
                manifold = self.G(lat.reshape(-1, self.config.latent_dim)).reshape(*lat.shape[:2], 2)
                fake_ema = self.G_ema(inputs["z"]) if self.G_ema is not None else None
            points = fake.detach().requires_grad_(True)
            for p in self.d_params:
                p.requires_grad_(False)
            try:
                per_sample_loss = self._g_objective(self.D, self.packed(points), self.packed(inputs["real"])) \
                    * (n_samples // self.pack)
                (fake_grad,) = torch.autograd.grad(per_sample_loss, points)
            finally:
                for p in self.d_params:
                    p.requires_grad_(True)
        finally:
            self.G.train(was_training[0])
            self.D.train(was_training[1])
        snap = {
            "step": self.step_count, "d_updates": self.d_updates, "g_updates": self.g_updates,
            "real": inputs["real"].cpu().numpy(), "fake": fake.cpu().numpy(),
            "fake_grad": fake_grad.cpu().numpy(),
            "grid_x": gx.cpu().numpy(), "grid_y": gy.cpu().numpy(), "d_score": d_score.cpu().numpy(),
            "manifold": manifold.cpu().numpy(),
            "history": self.history.as_arrays(),
            "metrics": self.metrics.as_arrays(),
            "divergence": self.loss.divergence, "estimate_formula": self.loss.estimate_formula,
            "output": self.loss.output, "bounds": tuple(self.dataset.bounds),
        }
        if self.loss.output == "probability":
            snap["d_prob"] = torch.sigmoid(d_score).cpu().numpy()
        if fake_ema is not None:
            snap["fake_ema"] = fake_ema.cpu().numpy()
        return snap

    def sample(self, n: int, use_ema: bool = True, seed: int | None = None) -> np.ndarray:
        """(n, 2) generator samples (EMA weights when on), with their own seed (default: run seed + 1)."""
        gen = torch.Generator(device=self.device).manual_seed(self.config.seed + 1 if seed is None else seed)
        net = self.G_ema if (use_ema and self.G_ema is not None) else self.G
        was_training = net.training
        net.eval()
        with torch.no_grad():
            out = net(self.sample_noise(n, generator=gen)).cpu().numpy()
        net.train(was_training)
        return out
