"""Isotropic Gaussian mixtures: ring8, grid25, ring, imbalanced-ring, gaussian, disjoint-gaussians, custom."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch

from ganlab.data.toy_base import Bounds, ToyDataset, gaussian_mixture_log_density, padded_bounds
from ganlab.number_option import NumberOption


def ring_centers(n_modes: int, radius: float) -> np.ndarray:
    """(n_modes, 2) points radius * (cos a_k, sin a_k), a_k = 2 pi k / n_modes, k = 0..n_modes-1."""
    angles = 2.0 * math.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_centers(coords: tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)) -> np.ndarray:
    """(len(coords)^2, 2) points (i, j) for i, j in `coords`, i varying slowest."""
    return np.array([(i, j) for i in coords for j in coords], dtype=np.float64)


class GaussianMixture(ToyDataset):
    """sum_k w_k N(c_k, std^2 I); default bounds: centres' box padded by max(0.5, 4 std)."""

    def __init__(
        self,
        name: str,
        centers: np.ndarray,
        std: float,
        weights: np.ndarray | None = None,
        bounds: Bounds | None = None,
    ) -> None:
        centers = np.array(centers, dtype=np.float64).reshape(-1, 2)  # own copy
        n_modes = centers.shape[0]
        self._equal_weights = weights is None
        if weights is None:
            weights = np.full(n_modes, 1.0 / n_modes)
        else:
            weights = np.asarray(weights, dtype=np.float64)
            weights = weights / weights.sum()
        if bounds is None:
            bounds = padded_bounds(centers.min(axis=0), centers.max(axis=0), max(0.5, 4.0 * std))
        super().__init__(name, bounds, centers=centers, weights=weights, std=std)

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        device = generator.device
        centers = self._constant("centers", self.centers, device)
        if self._equal_weights:
            index = torch.randint(len(centers), (n,), generator=generator, device=device)
        else:
            weights = self._constant("weights", self.weights, device)
            index = torch.multinomial(weights, n, replacement=True, generator=generator)
        noise = torch.randn((n, 2), generator=generator, device=device, dtype=torch.float32)
        return centers[index] + self.std * noise

    def _log_density(self, points: np.ndarray) -> np.ndarray:
        return gaussian_mixture_log_density(points, self.centers, self.std, np.log(self.weights))

    def _smoothed_log_density(self, points: np.ndarray, bandwidth: float) -> np.ndarray:
        # N(c, s^2 I) * N(0, h^2 I) = N(c, (s^2 + h^2) I)
        return gaussian_mixture_log_density(points, self.centers, math.hypot(self.std, bandwidth),
                                            np.log(self.weights))


class Ring8(GaussianMixture):
    """PacGAN ring: 8 equal modes on the unit circle at angles 2 pi k / 8."""

    def __init__(self, std: float = 0.01) -> None:
        super().__init__("ring8", ring_centers(8, 1.0), std)


class Grid25(GaussianMixture):
    """PacGAN grid: 25 equal modes at (i, j), i, j in {-4, -2, 0, 2, 4}."""

    def __init__(self, std: float = 0.05) -> None:
        super().__init__("grid25", grid_centers(), std)


class Ring(GaussianMixture):
    """n_modes equal modes on a circle of `radius` at angles 2 pi k / n_modes."""

    PARAMETERS: ClassVar[dict[str, NumberOption]] = {
        "n_modes": NumberOption("Modes", 1, 100, True, "slider", help="Gaussians on the ring"),
        "radius": NumberOption("Radius", 0.01, 100.0, help="radius of the ring"),
    }

    def __init__(self, n_modes: int = 8, radius: float = 1.0, std: float = 0.05) -> None:
        super().__init__("ring", ring_centers(n_modes, radius), std)


class ImbalancedRing(GaussianMixture):
    """ring8's 8 modes with unequal mass: the odd-numbered modes (k = 1, 3, 5, 7) weigh `rare_weight`
    times the even ones, so a mode holds 1 / (4 (1 + rare_weight)) or rare_weight / (4 (1 + rare_weight)).
    A generator that drops the rare modes loses little likelihood but half the modes: the case recall
    and mode counts are for (Sajjadi et al. 2018 discuss such mixtures)."""

    PARAMETERS: ClassVar[dict[str, NumberOption]] = {
        "rare_weight": NumberOption("Rare modes' weight", 0.01, 1.0, widget="slider", step=0.01,
                                    help="mass of each odd-numbered mode relative to an even one"),
    }

    def __init__(self, rare_weight: float = 0.1, std: float = 0.05) -> None:
        weights = np.where(np.arange(8) % 2 == 1, rare_weight, 1.0)
        super().__init__("imbalanced-ring", ring_centers(8, 1.0), std, weights=weights)
        self.rare_weight = float(rare_weight)


class SingleGaussian(GaussianMixture):
    """N(0, std^2 I); bounds +/- 4 std."""

    def __init__(self, std: float = 1.0) -> None:
        half = 4.0 * std
        super().__init__("gaussian", np.zeros((1, 2)), std, bounds=(-half, half, -half, half))


class DisjointGaussians(GaussianMixture):
    """Two equal modes at (-separation / 2, 0) and (+separation / 2, 0)."""

    PARAMETERS: ClassVar[dict[str, NumberOption]] = {
        "separation": NumberOption("Separation", 0.01, 100.0, help="distance between the two Gaussians"),
    }

    def __init__(self, separation: float = 4.0, std: float = 0.1) -> None:
        half = 0.5 * separation
        super().__init__("disjoint-gaussians", np.array([[-half, 0.0], [half, 0.0]]), std)
        self.separation = float(separation)


class CustomMixture(GaussianMixture):
    """Equal-weight mixture centred on user points (m, 2); bounds padded by max(0.5, 4 std)."""

    def __init__(self, points: np.ndarray, std: float = 0.05) -> None:
        super().__init__("custom", points, std)
