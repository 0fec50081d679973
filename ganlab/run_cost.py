"""What one training iteration of a config costs, in floating-point operations, and the live limit on it.

Every option stays within its declared bounds, but the bounds multiply: width 1024 x depth 8 x batch 8192
x 20 D steps is hours per iteration on a CPU. A live run (Toy Lab, MNIST Lab, compare mode's run B, however
its config arrived: widgets, a share link, a `vs=` link) must answer Pause within about a frame and share
the server, so its iteration cost is bounded. The networks are built on PyTorch's meta device (no memory,
no data) and their forward passes counted with torch.utils.flop_counter.FlopCounterMode.

Operator settings (environment variables): GANLAB_MAX_STEP_GFLOP (CPU, default 50: about 0.4 s per
iteration on one core) and GANLAB_MAX_STEP_GFLOP_GPU (default 5000).
"""

from __future__ import annotations

import copy
import os

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from ganlab.config import ConfigError, RunConfig
from ganlab.losses import LOSSES

IMAGE_SIDE = 28
DEFAULT_LIMITS_GFLOP = {"cpu": 50.0, "gpu": 5000.0}
COST_FIELDS = "batch_size, pack, g.width / d.width, g.depth / d.depth, g.channels / d.channels, d_steps, " \
              "g_steps, tricks.unrolled_steps"


def _count(forward) -> int:
    with FlopCounterMode(display=False) as counter:
        forward()
    return counter.get_total_flops()


def forward_flops(net: nn.Module, *inputs: Tensor) -> int:
    """FLOPs of one forward pass of `net` (a meta-device net, put in eval mode so batch norm takes one row)
    on `inputs` (meta tensors of one row each)."""
    net.eval()
    return _count(lambda: net(*inputs))


def _row(*shape: int) -> Tensor:
    return torch.zeros(1, *shape, device="meta")


def _input_width(net: nn.Module) -> int:
    return next(m for m in net.modules() if isinstance(m, nn.Linear)).in_features


def _row_flops(cfg: RunConfig) -> tuple[int, int]:
    """(G's FLOPs per sample, D's per row) of the config's networks, built on the meta device. Image nets
    are counted with their conditioning inputs (a label embedding, InfoGAN's one-hot code); virtual batch
    norm's reference rows are left out (one fixed batch of VBN_REFERENCE_SIZE rows per G call)."""
    from ganlab.problems import is_image_run

    with torch.device("meta"):
        if not is_image_run(cfg):
            from ganlab.problems.toy import build_discriminator, build_generator

            generator, discriminator = build_generator(cfg), build_discriminator(cfg)
            return (forward_flops(generator, _row(cfg.latent_dim)),
                    forward_flops(discriminator, _row(_input_width(discriminator))))  # 2 x pack
        from ganlab.problems.images import EMBED_DIM, build_image_nets

        plain = copy.deepcopy(cfg)
        plain.tricks.virtual_batch_norm = False
        generator, discriminator, _ = build_image_nets(plain)
        cond_g = EMBED_DIM if cfg.conditional else cfg.info_codes
        g_inputs = (_row(cfg.latent_dim), _row(cond_g)) if cond_g else (_row(cfg.latent_dim),)
        d_inputs = (_row(1, IMAGE_SIDE, IMAGE_SIDE), _row(EMBED_DIM)) if cfg.conditional \
            else (_row(1, IMAGE_SIDE, IMAGE_SIDE),)
        return forward_flops(generator.net, *g_inputs), forward_flops(discriminator, *d_inputs)


def iteration_flops(cfg: RunConfig) -> float:
    """About the FLOPs of one iteration (d_steps D updates, g_steps G updates); a backward pass counted as
    twice its forward. D reads `batch_size` rows of each kind (packs of `pack` samples); a gradient penalty
    doubles D's work on the points it reads; an unrolled G step runs `unrolled_steps` D updates more."""
    g_row, d_row = (float(flops) for flops in _row_flops(cfg))
    samples, rows = cfg.batch_size * cfg.pack, cfg.batch_size
    penalties = {"r1", "r2", "gp0", "dragan"} & set(cfg.regularizers)
    penalised = LOSSES[cfg.loss.name].gradient_penalty or bool(penalties)
    d_step = g_row * samples + 3 * d_row * 2 * rows * (2 if penalised else 1)
    reads_real = LOSSES[cfg.loss.name].g_uses_real or cfg.tricks.feature_matching
    g_step = 3 * g_row * samples + 3 * d_row * rows * (2 if reads_real else 1)
    g_step += cfg.tricks.unrolled_steps * 2 * 3 * d_row * 2 * rows  # D updates G differentiates through
    return cfg.d_steps * d_step + cfg.g_steps * g_step


def limit_gflop(device: str) -> float:
    """The operator's limit on one live iteration, in GFLOP, for `device` ("cpu", "cuda", "mps", "auto")."""
    kind = "cpu" if device in ("cpu", "auto") else "gpu"
    name = "GANLAB_MAX_STEP_GFLOP" + ("" if kind == "cpu" else "_GPU")
    try:
        value = float(os.environ.get(name, DEFAULT_LIMITS_GFLOP[kind]))
    except ValueError:
        value = DEFAULT_LIMITS_GFLOP[kind]
    return value if value > 0 else DEFAULT_LIMITS_GFLOP[kind]


def check_live_cost(cfg: RunConfig, label: str = "") -> float:
    """The config's GFLOP per iteration; ConfigError (field "cost", naming the options that drive it and the
    limit) when it is over the live limit for its device. `label`: which run, e.g. "run B: "."""
    gflop = iteration_flops(cfg) / 1e9
    limit, kind = limit_gflop(cfg.device), "CPU" if cfg.device in ("cpu", "auto") else "GPU"
    if gflop > limit:
        raise ConfigError("cost", f"{label}one iteration would take about {gflop:,.1f} GFLOP; a live run on this "
                          f"server may take at most {limit:g} GFLOP ({kind}), so Pause and the other users stay "
                          f"responsive: lower some of {COST_FIELDS}")
    return gflop
