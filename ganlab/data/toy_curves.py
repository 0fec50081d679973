"""Curves plus Gaussian noise: circles, moons, spiral, swissroll.

Each distribution has equal-mass arms c_a(u), u ~ U[0, 1], plus N(0, std^2 I) noise, so its
density is p(x) = (1/A) sum_a integral_0^1 N(x; c_a(u), std^2 I) du.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import i0e, logsumexp

from ganlab.data.toy_base import ToyDataset, gaussian_mixture_log_density, padded_bounds

_DENSE_CURVE_POINTS = 4097  # per arm: bounds and the speed estimate behind the quadrature size
_MIN_NODES, _MAX_NODES = 256, 200_000  # quadrature nodes per arm


class CurveDataset(ToyDataset):
    """Equal-mass curve arms plus isotropic Gaussian noise (std).

    The density is the noise kernel averaged over the curve parameter, evaluated with a midpoint
    rule in u whose neighbouring nodes are < std / 4 apart in space: exact up to quadrature
    error (far below 1e-3 relative; the node count is capped at 200,000 per arm for tiny std).
    Bounds: the noise-free curves' box padded by max(0.5, 4 std).
    """

    n_arms: int = 1

    def __init__(self, name: str, std: float) -> None:
        dense = self.arms(torch.linspace(0.0, 1.0, _DENSE_CURVE_POINTS, dtype=torch.float64))
        dense = dense.numpy()  # (A, L, 2)
        flat = dense.reshape(-1, 2)
        bounds = padded_bounds(flat.min(axis=0), flat.max(axis=0), max(0.5, 4.0 * std))
        super().__init__(name, bounds, std=std)
        steps = np.linalg.norm(np.diff(dense, axis=1), axis=2)  # (A, L - 1)
        self._max_speed = float(steps.max()) * (_DENSE_CURVE_POINTS - 1)  # max |dc/du|
        self._nodes: np.ndarray | None = None

    def arms(self, u: torch.Tensor) -> torch.Tensor:
        """Noise-free arm points: u (n,) in [0, 1] -> (n_arms, n, 2), same dtype and device."""
        raise NotImplementedError

    def quadrature_nodes(self) -> np.ndarray:
        """(n_arms * N, 2) float64 midpoint nodes c_a((k + 1/2) / N), spacing < std / 4."""
        if self._nodes is None:
            n_nodes = math.ceil(4.0 * self._max_speed / self.std) + 1
            n_nodes = int(min(max(n_nodes, _MIN_NODES), _MAX_NODES))
            u = (torch.arange(n_nodes, dtype=torch.float64) + 0.5) / n_nodes
            self._nodes = self.arms(u).reshape(-1, 2).numpy()
        return self._nodes

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        device = generator.device
        arm = torch.randint(self.n_arms, (n,), generator=generator, device=device)
        u = torch.rand(n, generator=generator, device=device, dtype=torch.float32)
        all_arms = self.arms(u)  # (A, n, 2)
        picked = all_arms.gather(0, arm.view(1, n, 1).expand(1, n, 2)).squeeze(0)
        noise = torch.randn((n, 2), generator=generator, device=device, dtype=torch.float32)
        return picked + self.std * noise

    def _log_density(self, points: np.ndarray) -> np.ndarray:
        return self.quadrature_log_density(points)

    def quadrature_log_density(self, points: np.ndarray) -> np.ndarray:
        """(m, 2) -> (m,) log density by quadrature over the curve parameter."""
        return gaussian_mixture_log_density(points, self.quadrature_nodes(), self.std)


class Circles(CurveDataset):
    """Concentric circles of radius 1 and 0.5, equal mass, angle uniform; closed-form density.

    A uniform circle of radius R convolved with N(0, s^2 I) has density
    exp(-(r - R)^2 / (2 s^2)) i0e(r R / s^2) / (2 pi s^2), i0e(x) = exp(-x) I0(x).
    """

    n_arms = 2
    radii = (1.0, 0.5)

    def __init__(self, std: float = 0.05) -> None:
        super().__init__("circles", std)

    def arms(self, u: torch.Tensor) -> torch.Tensor:
        angle = 2.0 * math.pi * u
        unit = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)
        return torch.stack([radius * unit for radius in self.radii])

    def _log_density(self, points: np.ndarray) -> np.ndarray:
        var = self.std * self.std
        r = np.linalg.norm(points, axis=1)
        per_circle = [
            -((r - radius) ** 2) / (2.0 * var) + np.log(i0e(r * radius / var))
            for radius in self.radii
        ]
        log_mix = logsumexp(np.stack(per_circle), axis=0) - math.log(len(self.radii))
        return log_mix - math.log(2.0 * math.pi * var)


class Moons(CurveDataset):
    """Two moons: upper (cos pi u, sin pi u), lower (1 - cos pi u, 0.5 - sin pi u), equal mass.

    Upper arc: centre (0, 0), radius 1, angles [0, pi]; lower arc: centre (1, 0.5), radius 1,
    angles [pi, 2 pi] (the usual scikit-learn geometry, not re-centred).
    """

    n_arms = 2

    def __init__(self, std: float = 0.05) -> None:
        super().__init__("moons", std)

    def arms(self, u: torch.Tensor) -> torch.Tensor:
        angle = math.pi * u
        upper = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)
        lower = torch.stack([1.0 - upper[:, 0], 0.5 - upper[:, 1]], dim=-1)
        return torch.stack([upper, lower])


class Spiral(CurveDataset):
    """Two Archimedean arms r = a / (1.5 pi), a = pi (0.5 + 2.5 u); the second arm is the first
    rotated by pi. Radii run from 1/3 to 2 (1.25 turns per arm)."""

    n_arms = 2

    def __init__(self, std: float = 0.05) -> None:
        super().__init__("spiral", std)

    def arms(self, u: torch.Tensor) -> torch.Tensor:
        angle = math.pi * (0.5 + 2.5 * u)
        radius = angle / (1.5 * math.pi)
        first = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=-1)
        return torch.stack([first, -first])


class SwissRoll(CurveDataset):
    """2-D Swiss roll t (cos t, sin t), t = 1.5 pi (1 + 2u), scaled by 2 / (4.5 pi) into [-2, 2]^2."""

    n_arms = 1
    scale = 2.0 / (4.5 * math.pi)

    def __init__(self, std: float = 0.05) -> None:
        super().__init__("swissroll", std)

    def arms(self, u: torch.Tensor) -> torch.Tensor:
        t = 1.5 * math.pi * (1.0 + 2.0 * u)
        roll = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=-1) * self.scale
        return roll.unsqueeze(0)
