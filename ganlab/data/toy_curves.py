"""Curves plus Gaussian noise: circles, moons, spiral, swissroll.

Each distribution has equal-mass arms c_a(u), u ~ U[0, 1], plus N(0, std^2 I) noise, so its
density is p(x) = (1/A) sum_a integral_0^1 N(x; c_a(u), std^2 I) du.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganlab.data.toy_base import ToyDataset, gaussian_mixture_log_density, padded_bounds

_DENSE_CURVE_POINTS = 4097  # per arm: bounds and the speed estimate behind the quadrature size
_GAUSS_POINTS = 8  # Gauss-Legendre nodes per panel
_PANEL_STDS = 3.0  # uniform panel width: this many std of arc length at the arm's top speed
_REACH_DIAGONALS = 2.0  # end panels are graded for points this many bounds diagonals past an arm end
_GRADING = 3.0  # width ratio of neighbouring graded end panels
_MIN_PANELS, _MAX_NODES = 4, 200_000  # uniform panels per arm (at least); quadrature nodes per arm


def _panel_edges(n_panels: int, levels: int, ratio: float = _GRADING) -> np.ndarray:
    """Edges in [0, 1] of n_panels equal panels (width h) whose two end panels are each split
    geometrically towards the arm end, at h / ratio, h / ratio^2, ..., h / ratio^levels."""
    h = 1.0 / n_panels
    fine = h * ratio ** -np.arange(levels, 0, -1, dtype=np.float64)  # h r^-L, ..., h / r
    inner = np.arange(1, n_panels, dtype=np.float64) * h
    return np.concatenate(([0.0], fine, inner, 1.0 - fine[::-1], [1.0]))


class CurveDataset(ToyDataset):
    """Equal-mass curve arms plus isotropic Gaussian noise (std).

    The density (1/A) sum_a integral_0^1 N(x; c_a(u), std^2 I) du is evaluated by composite
    Gauss-Legendre quadrature in u (8 nodes per panel; the weights are positive, so the rule is a
    Gaussian mixture evaluated in log space). Panels are 3 std of arc length wide at the arm's top
    speed (~2.7 nodes per std), and the panel at each arm end is split geometrically (ratio 3) down
    to about std^2 / R of arc length, R = 2 x the bounds' diagonal: at distance D past an arm's end
    the integrand decays like exp(-D |c'| |u - u_end| / std^2), a scale no uniform rule resolves once
    D >> std (the former midpoint rule with spacing std / 4 was off by 2.5 % at 0.5-3 std past an
    end and by up to 60-100 % further out, while claiming < 1e-3).

    Measured accuracy (relative error of the density, against scipy.integrate.quad in
    tests/data/test_toy_curves.py, and against a 4x denser rule on 128 x 128 grids of the bounds
    plus 3,000 samples) for spiral, swissroll and moons at std 0.05 and 0.01: <= 1e-11 at and beside
    the arm ends and on the arms, <= 3e-7 anywhere in the bounds (the largest at the bounds' corners,
    where log p ~ -220); the test asserts < 1e-6. Less accurate: points much farther than R (their
    exponents, ~ -D^2 / 2 std^2, carry float64 round-off anyway) and stds so small that the rule would
    need more than 200,000 nodes per arm (the cap). Bounds: the noise-free curves' box padded by
    max(0.5, 4 std).
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
        self._rule: tuple[np.ndarray, np.ndarray] | None = None
        self._mixture: tuple[np.ndarray, np.ndarray] | None = None

    def arms(self, u: torch.Tensor) -> torch.Tensor:
        """Noise-free arm points: u (n,) in [0, 1] -> (n_arms, n, 2), same dtype and device."""
        raise NotImplementedError

    def quadrature_rule(self) -> tuple[np.ndarray, np.ndarray]:
        """(u (N,), weights (N,)) float64: the Gauss-Legendre rule on [0, 1] used for every arm.

        The weights are positive and sum to 1; see the class docstring for the panel layout.
        """
        if self._rule is None:
            xmin, xmax, ymin, ymax = self.bounds
            reach = _REACH_DIAGONALS * math.hypot(xmax - xmin, ymax - ymin)
            levels = max(0, math.ceil(math.log(_PANEL_STDS * reach / self.std, _GRADING)))
            n_panels = max(_MIN_PANELS, math.ceil(self._max_speed / (_PANEL_STDS * self.std)))
            n_panels = min(n_panels, max(_MIN_PANELS, _MAX_NODES // _GAUSS_POINTS - 2 * levels))
            edges = _panel_edges(n_panels, levels)
            x, w = np.polynomial.legendre.leggauss(_GAUSS_POINTS)
            centre, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
            u = (centre[:, None] + half[:, None] * x[None, :]).ravel()
            weights = (half[:, None] * w[None, :]).ravel()
            self._rule = (u, weights)
        return self._rule

    def quadrature_nodes(self) -> np.ndarray:
        """(n_arms * N, 2) float64 nodes c_a(u_k) of `quadrature_rule`, arm by arm."""
        u, _ = self.quadrature_rule()
        return self.arms(torch.from_numpy(u)).reshape(-1, 2).numpy()

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

    def _quadrature_mixture(self, points: np.ndarray, std: float) -> np.ndarray:
        """(m, 2) -> (m,) log of the arms' points c_a(u_k) (`quadrature_rule`) as a mixture of
        N(c_a(u_k), std^2 I) with the rule's weights; built once."""
        if self._mixture is None:
            _, weights = self.quadrature_rule()
            log_weights = np.tile(np.log(weights) - math.log(self.n_arms), self.n_arms)
            self._mixture = (self.quadrature_nodes(), log_weights)
        nodes, log_weights = self._mixture
        return gaussian_mixture_log_density(points, nodes, std, log_weights)

    def quadrature_log_density(self, points: np.ndarray) -> np.ndarray:
        """(m, 2) -> (m,) log density by quadrature over the curve parameter (`quadrature_rule`)."""
        return self._quadrature_mixture(points, self.std)

    def _smoothed_log_density(self, points: np.ndarray, bandwidth: float) -> np.ndarray:
        # N(0, std^2 I) noise convolved with N(0, h^2 I) is N(0, (std^2 + h^2) I): the same rule in u
        # (built for std, so at least as fine as the wider kernel needs) with the wider kernel
        return self._quadrature_mixture(points, math.hypot(self.std, bandwidth))


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
        return self._ring_log_density(points, self.std)

    def _smoothed_log_density(self, points: np.ndarray, bandwidth: float) -> np.ndarray:
        return self._ring_log_density(points, math.hypot(self.std, bandwidth))

    def _ring_log_density(self, points: np.ndarray, std: float) -> np.ndarray:
        from scipy.special import i0e, logsumexp  # here: scipy.special costs a training worker ~0.5-1 s to import

        var = std * std
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
