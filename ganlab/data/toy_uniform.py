"""Uniform, noise-free families: checkerboard and parallel lines (Arjovsky et al. 2017)."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch

from ganlab.data.toy_base import ToyDataset
from ganlab.number_option import NumberOption

# Lower-left corners (a, b) of the 8 black unit squares of the 4 x 4 board over [-2, 2]^2.
_BLACK_CORNERS = np.array(
    [(a, b) for a in range(-2, 2) for b in range(-2, 2) if (a + b) % 2 == 0], dtype=np.float64
)


def _interval_mass(t: np.ndarray, width: float) -> np.ndarray:
    """Phi(t) - Phi(t - width), computed on the tail nearer zero so it does not cancel."""
    from scipy.special import ndtr  # here: scipy.special costs a training worker ~0.5-1 s to import

    upper = ndtr(t) - ndtr(t - width)
    lower = ndtr(width - t) - ndtr(-t)  # the same value, by symmetry, accurate for t > width / 2
    return np.where(t > 0.5 * width, lower, upper)


class Checkerboard(ToyDataset):
    """Uniform on the black squares (floor(x) + floor(y) even) of a 4 x 4 board over [-2, 2)^2.

    Density 1/8 there and 0 elsewhere (log density -inf). Bounds (-2.5, 2.5, -2.5, 2.5).
    """

    def __init__(self) -> None:
        super().__init__("checkerboard", (-2.5, 2.5, -2.5, 2.5))

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        device = generator.device
        corners = self._constant("corners", _BLACK_CORNERS, device)
        index = torch.randint(len(corners), (n,), generator=generator, device=device)
        offset = torch.rand((n, 2), generator=generator, device=device, dtype=torch.float32)
        return corners[index] + offset

    def _log_density(self, points: np.ndarray) -> np.ndarray:
        inside = np.all((points >= -2.0) & (points < 2.0), axis=1)
        cell = np.floor(points)
        black = inside & (np.mod(cell[:, 0] + cell[:, 1], 2.0) == 0.0)
        return np.where(black, -math.log(len(_BLACK_CORNERS)), -np.inf)

    def _smoothed_log_density(self, points: np.ndarray, bandwidth: float) -> np.ndarray:
        # a unit square [a, a+1) x [b, b+1) convolved with N(0, h^2 I) is a product of
        # Phi((x - a) / h) - Phi((x - a - 1) / h) along each axis
        x = (points[:, 0:1] - _BLACK_CORNERS[None, :, 0]) / bandwidth  # (m, 8)
        y = (points[:, 1:2] - _BLACK_CORNERS[None, :, 1]) / bandwidth
        mass = (_interval_mass(x, 1.0 / bandwidth) * _interval_mass(y, 1.0 / bandwidth)).sum(axis=1)
        with np.errstate(divide="ignore"):
            return np.log(mass) - math.log(len(_BLACK_CORNERS))


class ParallelLines(ToyDataset):
    """P0 = (0, Z), Z ~ U[0, 1] (Arjovsky et al. 2017, Example 1); no 2-D density.

    `theta` is the x-position of the comparison line P_theta = (theta, Z), sampled by
    `companion_sample`. Bounds: both lines padded by 0.5 in x, y in [-0.25, 1.25].
    """

    has_density = False
    PARAMETERS: ClassVar[dict[str, NumberOption]] = {
        "theta": NumberOption("theta (companion line)", -100.0, 100.0,
                              help="x position of the generator's line (parallel lines, WGAN paper ex. 1)"),
    }

    def __init__(self, theta: float = 1.0) -> None:
        self.theta = float(theta)
        bounds = (min(0.0, self.theta) - 0.5, max(0.0, self.theta) + 0.5, -0.25, 1.25)
        super().__init__("parallel-lines", bounds)

    def _line(self, x: float, n: int, generator: torch.Generator) -> torch.Tensor:
        z = torch.rand(n, generator=generator, device=generator.device, dtype=torch.float32)
        return torch.stack([torch.full_like(z, x), z], dim=1)

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self._line(0.0, n, generator)

    def companion_sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n, 2) float32 samples of P_theta = (theta, Z) on `generator.device`."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be an integer >= 0; got {n!r}")
        return self._line(self.theta, int(n), generator)
