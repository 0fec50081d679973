"""Gradient penalties and the registry of regularisers usable with any loss.

Each penalty flattens every sample before taking the gradient norm, so the same code serves 2-D
points (n, 2) and images (n, C, H, W) with any number of channels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor


def input_gradients(scores: Tensor, inputs: Tensor) -> Tensor:
    """d(sum scores)/d inputs, kept in the graph so a penalty on it can be back-propagated."""
    (grads,) = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
    return grads


def per_sample_grad_norm(grads: Tensor) -> Tensor:
    """(n, ...) -> (n,) Euclidean norm of each flattened sample."""
    return grads.flatten(start_dim=1).norm(dim=1)


def zero_centred_penalty(d: Callable[[Tensor], Tensor], points: Tensor,
                         scores: Tensor | None = None) -> Tensor:
    """E ||grad_x D(x)||^2 at `points` (R1 on reals, R2 on fakes, gp0 on interpolates).

    If `scores` = D(points) was already computed with `points.requires_grad`, it is reused.
    """
    if scores is None:
        points = points.detach().requires_grad_(True)
        scores = d(points)
    grads = input_gradients(scores, points)
    return grads.flatten(start_dim=1).square().sum(dim=1).mean()


def one_centred_penalty(d: Callable[[Tensor], Tensor], points: Tensor) -> Tensor:
    """E (||grad_x D(x)|| - 1)^2 at `points` (WGAN-GP, DRAGAN)."""
    points = points.detach().requires_grad_(True)
    grads = input_gradients(d(points), points)
    return (per_sample_grad_norm(grads) - 1.0).square().mean()


def random_interpolates(real: Tensor, fake: Tensor, generator: torch.Generator) -> Tensor:
    """x_hat = a x + (1 - a) G(z), one a ~ U[0, 1] per sample (Gulrajani et al. 2017)."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    return torch.lerp(fake.detach(), real.detach(), alpha)


def dragan_points(real: Tensor, generator: torch.Generator, spread: float = 0.5) -> Tensor:
    """Points between x and x + spread * std(x) * U[0,1) noise (Kodali et al. 2017)."""
    noise = torch.rand(real.shape, generator=generator, device=real.device, dtype=real.dtype)
    perturbed = real + spread * real.std() * noise
    return random_interpolates(perturbed, real, generator)


@dataclass(frozen=True)
class RegularizerSpec:
    """A named regulariser: `strength` means `meaning`; valid strengths lie in [low, high]."""

    name: str
    description: str
    meaning: str
    default: float
    low: float
    high: float
    low_inclusive: bool = True


REGULARIZERS: dict[str, RegularizerSpec] = {spec.name: spec for spec in [
    RegularizerSpec("r1", "(gamma/2) E||grad D(x)||^2 on real data (Mescheder et al. 2018)",
                    "gamma", 10.0, 0.0, 1e4, low_inclusive=False),
    RegularizerSpec("r2", "(gamma/2) E||grad D(G(z))||^2 on generated data (Mescheder et al. 2018)",
                    "gamma", 10.0, 0.0, 1e4, low_inclusive=False),
    RegularizerSpec("gp0", "lambda E||grad D(x_hat)||^2 on interpolates, zero-centred "
                    "(Thanh-Tung et al. 2019)", "lambda", 10.0, 0.0, 1e4, low_inclusive=False),
    RegularizerSpec("dragan", "lambda E(||grad D(x_p)|| - 1)^2 around the data (Kodali et al. 2017)",
                    "lambda", 10.0, 0.0, 1e4, low_inclusive=False),
    RegularizerSpec("instance-noise", "Gaussian noise of this std added to every input of D "
                    "(Sonderby et al. 2017)", "noise std", 0.1, 0.0, 10.0, low_inclusive=False),
    RegularizerSpec("label-smoothing", "one-sided label smoothing: D's target for real data "
                    "(Salimans et al. 2016)", "real target", 0.9, 0.5, 1.0, low_inclusive=False),
]}


def get_regularizer(name: str) -> RegularizerSpec:
    """Look a regulariser up by name; unknown names raise ValueError listing the valid ones."""
    try:
        return REGULARIZERS[name]
    except KeyError:
        raise ValueError(f"unknown regulariser {name!r}; valid: {', '.join(REGULARIZERS)}") from None


def d_penalties(regularizers: dict[str, float], gp_lambda: float | None, generator: torch.Generator,
                d_real: Callable[[Tensor], Tensor], d_fake: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                real_scores: Tensor, fake_scores: Tensor) -> list[Tensor]:
    """Each active gradient penalty on D, weighted, in a fixed order: WGAN-GP (when `gp_lambda` is given:
    the loss has one), R1, R2, GP-0, DRAGAN.

    Args:
        regularizers: RunConfig.regularizers (name -> strength; other names are ignored here).
        generator: the run's generator (interpolates and DRAGAN's perturbations are drawn from it).
        d_real, d_fake: D as a function of points, conditioned as the real / fake batch is (the same
            function for unconditional D); d_fake is used by R2 only.
        real, fake: (n, ...) the batches D just scored, as real_scores, fake_scores (n,); for R1 / R2 they
            must require grad before D scores them.
    """
    out = []
    if gp_lambda is not None:  # Gulrajani et al. 2017: lambda (||grad D(x_hat)|| - 1)^2
        out.append(gp_lambda * one_centred_penalty(d_real, random_interpolates(real, fake, generator)))
    if "r1" in regularizers:  # Mescheder et al. 2018: gamma / 2 E ||grad D(x)||^2 on real points
        out.append(regularizers["r1"] / 2 * zero_centred_penalty(d_real, real, real_scores))
    if "r2" in regularizers:  # ... and on fake points
        out.append(regularizers["r2"] / 2 * zero_centred_penalty(d_fake, fake, fake_scores))
    if "gp0" in regularizers:  # Thanh-Tung et al. 2019: zero-centred, on interpolates
        out.append(regularizers["gp0"] * zero_centred_penalty(d_real, random_interpolates(real, fake, generator)))
    if "dragan" in regularizers:  # Kodali et al. 2017: one-centred, around the data
        out.append(regularizers["dragan"] * one_centred_penalty(d_real, dragan_points(real.detach(), generator)))
    return out
