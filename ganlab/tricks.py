"""GAN training tricks: the catalogue of every trick ganlab offers, and the new ones' building blocks.

The options live in `RunConfig.tricks` (`TricksConfig`, dotted paths `tricks.*`), beside the older
tricks that are regularisers (`reg.label-smoothing`, `reg.instance-noise`) or plain options (`d_steps`,
`g_opt.lr` / `d_opt.lr`, `ema`). `TRICKS` below lists them all, with the option that switches each on;
`python -m ganlab list` prints it.

Building blocks here (pure functions and small modules; the Trainer wires them in):

- `feature_matching_loss`: G's loss ||E f(x) - E f(G(z))||^2 on D's last hidden layer (Salimans et al.
  2016, "Improved Techniques for Training GANs", sec. 3.1).
- `MinibatchDiscrimination`: appends o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1) to D's features (sec. 3.2).
- `HistoricalAverage`: the running mean of a player's past parameters and the penalty
  lambda ||theta - mean||^2 (sec. 3.3).
- `VirtualBatchNorm`: batch norm with the statistics of a fixed reference batch plus the sample itself
  (sec. 3.5).
- `UnrolledOptimizer`, `unroll`, `FunctionalDiscriminator` and `unrolled_discriminator` (a trainer's D
  unrolled): k differentiable updates of a copy of D, through which G's gradient flows (Metz et al. 2017,
  "Unrolled Generative Adversarial Networks").
- `ema_decay`, `update_ema`, `ema_source`: the moving average of G's weights the trainer samples from,
  with a warm-up (see `ema_decay`).

This module imports only torch (and ganlab.fast_ops, itself torch only), so the networks can use its layers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call

from ganlab.fast_ops import copy_all_, lerp_all_

MBD_KERNELS = 8  # B: minibatch-discrimination kernels, i.e. features appended to D's last hidden layer
MBD_KERNEL_DIM = 4  # C: size of each kernel's projection M_i,b
VBN_REFERENCE_SIZE = 64  # samples in virtual batch norm's fixed reference batch
MBD_CHUNK_ELEMENTS = 2**24  # minibatch discrimination on big batches works in row chunks of this many entries

TRICKS: dict[str, str] = {
    "label-smoothing": "reg.label-smoothing=T (--reg label-smoothing=0.9): D's target for real data is T < 1, "
                       "fakes keep 0; losses with targets only (Salimans et al. 2016, sec. 3.4)",
    "instance-noise": "reg.instance-noise=S (--reg instance-noise=0.1): every input of D, real and fake, gets "
                      "N(0, S^2) noise (Sonderby et al. 2017; Arjovsky & Bottou 2017)",
    "d-steps": "d_steps=K (--d-steps K): K discriminator updates per generator update "
               "(Goodfellow et al. 2014, Algorithm 1)",
    "two-time-scale": "g_opt.lr, d_opt.lr (--g-lr, --d-lr): separate learning rates for G and D, "
                      "TTUR (Heusel et al. 2017)",
    "ema": "ema=BETA (--ema 0.999): sample from an exponential moving average of G's weights "
           "(Karras et al. 2018; Yazici et al. 2019), warmed up: decay min(BETA, (1 + t) / (10 + t)) at "
           "update t, so it follows G early on",
    "feature-matching": "tricks.feature_matching (--feature-matching): G's loss becomes "
                        "||mean f(x) - mean f(G(z))||^2, f = D's last hidden layer; D's loss unchanged "
                        "(Salimans et al. 2016, sec. 3.1)",
    "minibatch-discrimination": f"tricks.minibatch_discrimination (--minibatch-discrimination): D appends "
                                f"o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1), M = f(x) T, to its last hidden "
                                f"layer (B={MBD_KERNELS} kernels of C={MBD_KERNEL_DIM}) "
                                f"(Salimans et al. 2016, sec. 3.2)",
    "historical-averaging": "tricks.historical_averaging=L (--historical-averaging L): each player's loss "
                            "gets L ||theta - mean of its past theta||^2 (Salimans et al. 2016, sec. 3.3)",
    "virtual-batch-norm": f"tricks.virtual_batch_norm (--virtual-batch-norm): DCGAN G normalises each sample "
                          f"with the statistics of a fixed reference batch ({VBN_REFERENCE_SIZE} z) plus "
                          f"itself; image runs (Salimans et al. 2016, sec. 3.5)",
    "unrolled-steps": "tricks.unrolled_steps=K (--unrolled-steps K): G's loss is taken against D after K "
                      "differentiable updates of a copy of D (Metz et al. 2017); toy runs",
}


# --- exponential moving average of G ---------------------------------------------------------------

EMA_WARMUP = 10  # the "10" of the warm-up rule (1 + t) / (10 + t)


def ema_decay(decay: float, updates: int) -> float:
    """The decay used for EMA update number `updates` (0 for the first): min(decay, (1 + t) / (10 + t)).

    This is TensorFlow's ExponentialMovingAverage rule with `num_updates`. A plain EMA with decay 0.999
    starts from G's initial weights and keeps 0.999^t of them after t updates (61 % after 500), so early
    on it shows the untrained generator: noise for minutes on a CPU. With the warm-up the first update
    copies 90 % of G, and the decay grows so the average spans about the last tenth of training,
    (10 + t) / 9 updates, until it reaches `decay` (at t = 8,990 for 0.999); from there it is the plain
    EMA. A bias-corrected EMA (divide by 1 - decay^t, as Adam does) was not used: it weights every
    update since the start almost equally for the first thousand or so, the early, noisy G included.
    """
    return min(float(decay), (1.0 + updates) / (EMA_WARMUP + updates))


@torch.no_grad()
def update_ema(ema: nn.Module, net: nn.Module, decay: float, updates: int) -> float:
    """ema <- d * ema + (1 - d) * net for every parameter, d = ema_decay(decay, updates); buffers (batch
    norm statistics, a virtual-batch-norm reference) are copied. Returns d."""
    d = ema_decay(decay, updates)
    lerp_all_(list(ema.parameters()), list(net.parameters()), 1.0 - d)
    for ema_buf, buf in zip(ema.buffers(), net.buffers(), strict=True):
        ema_buf.copy_(buf)
    return d


def ema_source(decay: float, updates: int) -> str:
    """Which generator samples come from, for a caption: "G (raw)" when the EMA is off, else the EMA with
    its decay and, during the warm-up, the decay its last update used (`updates` EMA updates done)."""
    if not decay:
        return "G (raw)"
    if updates == 0:
        return f"EMA of G (decay {decay:g}; no update yet, so the initial G)"
    last = ema_decay(decay, updates - 1)
    if last < decay:
        return f"EMA of G (decay {decay:g}, warm-up: effective decay {last:.3f} at update {updates:,})"
    return f"EMA of G (decay {decay:g})"


# --- feature matching ------------------------------------------------------------------------------

def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """||mean_batch f(x_real) - mean_batch f(G(z))||_2^2 (Salimans et al. 2016, sec. 3.1).

    Args:
        real_features: (n, k) D's features of a real batch (no gradient needed).
        fake_features: (m, k) D's features of a generated batch.
    Returns:
        scalar, minimised by G.
    """
    return (real_features.mean(dim=0) - fake_features.mean(dim=0)).square().sum()


# --- minibatch discrimination ----------------------------------------------------------------------

def minibatch_similarity(m: Tensor) -> Tensor:
    """(n, B, C) kernel projections -> (n, B): o_ib = sum_j exp(-||m_ib - m_jb||_1), j over the whole batch.

    j runs over every sample, i itself included (which adds exp(0) = 1). Big batches (a snapshot's grid)
    are done in row chunks so memory stays near MBD_CHUNK_ELEMENTS entries.
    """
    n, kernels, _ = m.shape
    per_kernel = m.transpose(0, 1).contiguous()  # (B, n, C)
    chunk = max(1, MBD_CHUNK_ELEMENTS // max(1, kernels * n))
    parts = [torch.cdist(per_kernel[:, start:start + chunk], per_kernel, p=1).neg().exp().sum(dim=-1)
             for start in range(0, n, chunk)]  # each (B, rows)
    return torch.cat(parts, dim=1).t()


class MinibatchDiscrimination(nn.Module):
    """(n, A) features -> (n, A + B): the features with o(x_i) (n, B) appended (Salimans et al. 2016, 3.2).

    M_i = f(x_i) T reshaped to (B, C), T (A, B, C) learned; o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1).
    A sample's output therefore depends on the rest of its batch: `mixes_batch` tells the trainer not to
    push real and fake batches through D together.
    """

    mixes_batch = True

    def __init__(self, in_features: int, kernels: int = MBD_KERNELS, kernel_dim: int = MBD_KERNEL_DIM):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, kernels, kernel_dim) / math.sqrt(in_features))

    def forward(self, f: Tensor) -> Tensor:
        m = (f.float() @ self.T.flatten(1)).unflatten(1, (self.kernels, self.kernel_dim))
        return torch.cat([f.float(), minibatch_similarity(m)], dim=1).to(f.dtype)


# --- virtual batch norm ------------------------------------------------------------------------------

class VirtualBatchNorm(nn.Module):
    """Batch norm with the statistics of a fixed reference batch and the sample itself (Salimans et al.
    2016, sec. 3.5), for inputs (r + n, C) or (r + n, C, H, W).

    The first r = `reference_size` rows are the reference batch's activations: they are normalised with
    their own statistics (mean and E[h^2] per channel over rows and positions). Every other row i is
    normalised with the statistics of the reference batch and row i together, as if it were one more
    sample of the reference batch: mu_i = (r mu_ref + mean(h_i)) / (r + 1), likewise E[h^2], var = E[h^2] -
    mu^2 (biased, as batch norm). So a sample's output never depends on the other samples of its batch.
    Scale and shift per channel as batch norm; train and eval modes compute the same thing.
    """

    def __init__(self, num_features: int, reference_size: int = VBN_REFERENCE_SIZE, eps: float = 1e-5):
        super().__init__()
        self.reference_size, self.eps = reference_size, eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, h: Tensor) -> Tensor:
        r = self.reference_size
        if h.shape[0] < r:
            raise ValueError(f"virtual batch norm expects the {r} reference rows first, got {h.shape[0]} rows")
        x = h.float()
        spatial = list(range(2, x.dim()))
        ref, rest = x[:r], x[r:]
        ref_mean = ref.mean(dim=[0, *spatial], keepdim=True)
        ref_sq = ref.square().mean(dim=[0, *spatial], keepdim=True)
        own_mean = rest.mean(dim=spatial, keepdim=True) if spatial else rest
        own_sq = rest.square().mean(dim=spatial, keepdim=True) if spatial else rest.square()
        w = 1.0 / (r + 1)
        mean = (1 - w) * ref_mean + w * own_mean
        sq = (1 - w) * ref_sq + w * own_sq
        ref_out = (ref - ref_mean) * torch.rsqrt((ref_sq - ref_mean.square()).clamp_min(0) + self.eps)
        rest_out = (rest - mean) * torch.rsqrt((sq - mean.square()).clamp_min(0) + self.eps)
        shape = (1, -1) + (1,) * len(spatial)
        out = torch.cat([ref_out, rest_out]) * self.weight.view(shape) + self.bias.view(shape)
        return out.to(h.dtype)


# --- historical averaging ------------------------------------------------------------------------------

class HistoricalAverage:
    """lambda ||theta - (1/t) sum_{i<=t} theta_i||^2 for one player (Salimans et al. 2016, sec. 3.3).

    theta_1..theta_t are every value the parameters have had when an update of this player starts: the
    initial ones and those after each earlier update, the current one included. `step()`, called once
    per update before the backward pass, folds the current values into the running mean and returns the
    penalty; the mean is a constant (no gradient flows into it), so the penalty's gradient is
    2 lambda (theta - mean). The mean and the count t are part of the trainer's state (`state_dict`).
    """

    def __init__(self, params: list[Tensor], weight: float):
        self.params, self.weight = params, float(weight)
        self.mean = [p.detach().clone() for p in params]
        self.count = 0

    @torch.no_grad()
    def observe(self) -> None:
        """mean <- mean + (theta - mean) / t with t the new count (the first call copies theta)."""
        self.count += 1
        lerp_all_(self.mean, [p.detach() for p in self.params], 1.0 / self.count)

    def penalty(self) -> Tensor:
        """lambda * sum over parameters of ||p - mean_p||^2 (differentiable in the parameters)."""
        return self.weight * sum((p - m).square().sum() for p, m in zip(self.params, self.mean, strict=True))

    def step(self, *unused) -> Tensor:
        """observe() then penalty(); ignores its arguments, so it can sit in a list of D penalties."""
        self.observe()
        return self.penalty()

    def state_dict(self) -> dict:
        return {"count": self.count, "mean": [m.clone() for m in self.mean]}

    @torch.no_grad()
    def load_state_dict(self, state: dict) -> None:
        self.count = int(state["count"])
        copy_all_(self.mean, [m.to(p.device) for m, p in zip(state["mean"], self.mean, strict=True)])


# --- unrolled discriminator --------------------------------------------------------------------------

class _FeaturesOf(nn.Module):
    """Wraps a discriminator so that functional_call can run its `features` method."""

    def __init__(self, d: nn.Module):
        super().__init__()
        self.d = d

    def forward(self, x: Tensor) -> Tensor:
        return self.d.features(x)


class FunctionalDiscriminator:
    """A discriminator module run with given parameter tensors and buffers (torch.func.functional_call).

    Calling it gives the scores (n,); `.features(x)` the input of its last layer. In-place buffer updates
    (batch-norm statistics, spectral norm's power iteration) land in `buffers`, never in the module.
    """

    def __init__(self, module: nn.Module, params: dict[str, Tensor], buffers: dict[str, Tensor]):
        self.module, self.params, self.buffers = module, params, buffers
        self._features = _FeaturesOf(module)

    def __call__(self, x: Tensor) -> Tensor:
        return functional_call(self.module, (self.params, self.buffers), (x,))

    def features(self, x: Tensor) -> Tensor:
        prefixed = {f"d.{k}": v for k, v in {**self.params, **self.buffers}.items()}
        return functional_call(self._features, prefixed, (x,))

    def with_params(self, params: list[Tensor]) -> FunctionalDiscriminator:
        """The same discriminator (and buffers) with `params` in the order of `self.params`."""
        return FunctionalDiscriminator(self.module, dict(zip(self.params, params, strict=True)), self.buffers)


class UnrolledOptimizer:
    """The update rule of a torch optimiser (Adam, RMSprop or SGD) as differentiable tensor maths.

    Starts from detached copies of the optimiser's hyperparameters and per-parameter state and never
    writes to the optimiser: `step(params, grads)` returns new parameter tensors (still in the autograd
    graph) and advances only its own copy of the state. Each rule is torch's (no weight decay, no
    Nesterov, no AMSGrad, RMSprop not centred).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, params: list[Tensor]):
        group = optimizer.param_groups[0]
        self.lr = float(group["lr"])
        states = [optimizer.state.get(p, {}) for p in params]

        def copied(key: str, zeros: bool = True) -> list[Tensor | None]:
            """Each parameter's state[key], detached (zeros, or None, where the optimiser has none yet)."""
            return [s[key].detach() if s.get(key) is not None else (torch.zeros_like(p) if zeros else None)
                    for s, p in zip(states, params, strict=True)]

        if isinstance(optimizer, torch.optim.Adam):
            self.kind = "adam"
            self.beta1, self.beta2 = (float(b) for b in group["betas"])
            self.eps = float(group["eps"])
            self.t = [float(s["step"]) if "step" in s else 0.0 for s in states]
            self.m, self.v = copied("exp_avg"), copied("exp_avg_sq")
        elif isinstance(optimizer, torch.optim.RMSprop):
            self.kind = "rmsprop"
            self.alpha, self.eps = float(group["alpha"]), float(group["eps"])
            self.momentum = float(group["momentum"])
            self.v, self.buf = copied("square_avg"), copied("momentum_buffer")
        elif isinstance(optimizer, torch.optim.SGD):
            self.kind = "sgd"
            self.momentum = float(group["momentum"])
            self.buf = copied("momentum_buffer", zeros=False)  # torch starts the buffer at the first gradient
        else:
            raise ValueError(f"cannot unroll {type(optimizer).__name__}; supported: Adam, RMSprop, SGD")

    def step(self, params: list[Tensor], grads: list[Tensor]) -> list[Tensor]:
        return getattr(self, f"_{self.kind}")(params, grads)

    def _adam(self, params: list[Tensor], grads: list[Tensor]) -> list[Tensor]:
        out = []
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self.t[i] += 1
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            bias1, bias2 = 1 - self.beta1 ** self.t[i], 1 - self.beta2 ** self.t[i]
            # clamp: sqrt'(0) is infinite; where v is 0 so is m, and the clamp changes no value above 1e-19
            root = self.v[i].clamp_min(torch.finfo(self.v[i].dtype).tiny).sqrt()
            out.append(p - (self.lr / bias1) * self.m[i] / (root / math.sqrt(bias2) + self.eps))
        return out

    def _rmsprop(self, params: list[Tensor], grads: list[Tensor]) -> list[Tensor]:
        out = []
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self.v[i] = self.alpha * self.v[i] + (1 - self.alpha) * g * g
            scaled = g / (self.v[i].clamp_min(torch.finfo(self.v[i].dtype).tiny).sqrt() + self.eps)
            if self.momentum > 0:
                self.buf[i] = self.momentum * self.buf[i] + scaled
                scaled = self.buf[i]
            out.append(p - self.lr * scaled)
        return out

    def _sgd(self, params: list[Tensor], grads: list[Tensor]) -> list[Tensor]:
        out = []
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if self.momentum != 0:
                self.buf[i] = g if self.buf[i] is None else self.momentum * self.buf[i] + g
                g = self.buf[i]
            out.append(p - self.lr * g)
        return out


def unroll(d_loss: Callable[[list[Tensor]], Tensor], params: list[Tensor], optimizer: UnrolledOptimizer,
           steps: int, clip: float | None = None) -> list[Tensor]:
    """D's parameters after `steps` differentiable updates (Metz et al. 2017, eq. 6-7).

    Args:
        d_loss: parameter tensors (in the order of `params`) -> D's loss on the current batch; the batch
            may depend on G, so the result stays a function of G's parameters.
        params: D's parameters; copied (detached), never changed.
        optimizer: the update rule, with its own copy of D's optimiser state.
        steps: k >= 0 (0 returns the detached copies).
        clip: WGAN weight clipping after each update (differentiable clamp), or None.
    Returns:
        theta_D^k, in the autograd graph (create_graph=True), so G's gradient flows through every update.
    """
    current = [p.detach().requires_grad_(True) for p in params]
    for _ in range(steps):
        grads = torch.autograd.grad(d_loss(current), current, create_graph=True, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(current, grads, strict=True)]
        current = optimizer.step(current, grads)
        if clip is not None:
            current = [p.clamp(-clip, clip) for p in current]
    return current


def unrolled_discriminator(trainer, real, fake, steps: int) -> FunctionalDiscriminator:
    """A trainer's D after `steps` differentiable updates on this batch (Metz et al. 2017); toy runs.

    `real`, `fake`: the batches (ganlab.problems.Batch) of the generator step that unrolls D.

    Each update is D's own: its loss with the label target, its gradient penalties and weight clipping,
    and its optimiser's rule started from a copy of that optimiser's state. `fake` keeps its graph to
    G, so the returned discriminator's parameters are functions of G's. D, its buffers and its
    optimiser are left untouched (buffers are copied).
    """
    names = [name for name, p in trainer.D.named_parameters() if p.requires_grad]
    buffers = {name: b.clone() for name, b in trainer.D.named_buffers()}
    start = FunctionalDiscriminator(trainer.D, dict(zip(names, trainer.d_params, strict=True)), buffers)
    if "r1" in trainer.config.regularizers:
        real = dataclasses.replace(real, x=real.x.detach().requires_grad_(True))

    def d_loss(params: list[Tensor]) -> Tensor:
        d = start.with_params(params)
        real_scores, fake_scores = d(real.x), d(fake.x)
        loss = trainer.loss.d_loss(real_scores, fake_scores, trainer.real_target)
        for penalty in trainer.d_penalties(real, fake, real_scores, fake_scores, d):
            loss = loss + penalty
        return loss

    clip = trainer.config.loss.clip if trainer.loss.weight_clip else None
    params = unroll(d_loss, trainer.d_params, UnrolledOptimizer(trainer.d_opt, trainer.d_params), steps, clip)
    return start.with_params(params)
