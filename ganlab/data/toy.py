"""Registry of the 2-D toy distributions and `make_dataset`, which validates parameters."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ganlab.data.toy_base import ToyDataset, as_points
from ganlab.data.toy_curves import Circles, CurveDataset, Moons, Spiral, SwissRoll
from ganlab.data.toy_mixtures import (
    CustomMixture,
    DisjointGaussians,
    GaussianMixture,
    Grid25,
    Ring,
    Ring8,
    SingleGaussian,
)
from ganlab.data.toy_uniform import Checkerboard, ParallelLines

__all__ = [
    "DATASETS",
    "DEFAULT_STD",
    "Checkerboard",
    "Circles",
    "CurveDataset",
    "CustomMixture",
    "DisjointGaussians",
    "GaussianMixture",
    "Grid25",
    "Moons",
    "ParallelLines",
    "Ring",
    "Ring8",
    "SingleGaussian",
    "Spiral",
    "SwissRoll",
    "ToyDataset",
    "make_dataset",
]

DATASETS: dict[str, str] = {
    "ring8": "8 Gaussians on the unit circle (PacGAN), std 0.01",
    "grid25": "25 Gaussians on the grid {-4, -2, 0, 2, 4}^2 (PacGAN), std 0.05",
    "ring": "n_modes Gaussians on a circle of the given radius, std 0.05",
    "spiral": "two interleaved Archimedean spiral arms plus noise, std 0.05",
    "swissroll": "2-D Swiss roll scaled into [-2, 2]^2 plus noise, std 0.05",
    "moons": "two interleaving half circles plus noise, std 0.05",
    "circles": "concentric circles of radius 1 and 0.5 plus noise, std 0.05",
    "checkerboard": "uniform on the 8 black squares of a 4x4 board over [-2, 2]^2",
    "gaussian": "one isotropic Gaussian at the origin, std 1",
    "parallel-lines": "(0, Z), Z ~ U[0, 1], vs the line x = theta (Arjovsky et al. 2017); no density",
    "disjoint-gaussians": "two Gaussians at (-separation/2, 0) and (+separation/2, 0), std 0.1",
    "custom": "equal-weight Gaussians centred on your own points, std 0.05",
}

# Default component / noise std per dataset (None: the dataset has no std).
DEFAULT_STD: dict[str, float | None] = {
    "ring8": 0.01,
    "grid25": 0.05,
    "ring": 0.05,
    "spiral": 0.05,
    "swissroll": 0.05,
    "moons": 0.05,
    "circles": 0.05,
    "checkerboard": None,
    "gaussian": 1.0,
    "parallel-lines": None,
    "disjoint-gaussians": 0.1,
    "custom": 0.05,
}


def _real(value: object, name: str, allowed: str, ok: Callable[[float], bool]) -> float:
    """`value` as a finite float satisfying `ok`, else ValueError naming `name` and `allowed`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a number {allowed}; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not ok(number):
        raise ValueError(f"{name} must be a finite number {allowed}; got {value!r}")
    return number


def _mode_count(value: object) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"n_modes must be an integer >= 1; got {value!r}")
    return int(value)


def _custom_points(points: object) -> np.ndarray:
    if points is None:
        raise ValueError("points is required for the 'custom' dataset: an array of shape (m, 2)")
    arr = as_points(points, "points")
    if arr.shape[0] < 1:
        raise ValueError("points must hold at least one point (shape (m, 2) with m >= 1)")
    if not np.all(np.isfinite(arr)):
        raise ValueError("points must all be finite (no NaN or inf)")
    return arr


def make_dataset(
    name: str,
    *,
    std: float | None = None,
    n_modes: int = 8,
    radius: float = 1.0,
    theta: float = 1.0,
    separation: float = 4.0,
    points: np.ndarray | list | None = None,
) -> ToyDataset:
    """Build the toy dataset `name` (a key of DATASETS).

    Args:
        name: dataset name.
        std: component / noise std (> 0); None means DEFAULT_STD[name]. Ignored where the
            dataset has no std (checkerboard, parallel-lines).
        n_modes: number of modes for 'ring' (>= 1).
        radius: circle radius for 'ring' (> 0).
        theta: x-position of the comparison line for 'parallel-lines' (any finite number).
        separation: distance between the 'disjoint-gaussians' centres (>= 0).
        points: (m, 2) finite mode centres for 'custom' (required there).

    Every parameter given is validated, whichever dataset it applies to.

    Raises:
        ValueError: unknown name (the message lists the valid names) or a parameter out of range
            (the message names the parameter and its allowed range).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    if std is not None:
        std = _real(std, "std", "> 0", lambda v: v > 0)
    n_modes = _mode_count(n_modes)
    radius = _real(radius, "radius", "> 0", lambda v: v > 0)
    theta = _real(theta, "theta", "(any real)", lambda v: True)
    separation = _real(separation, "separation", ">= 0", lambda v: v >= 0)
    if name == "custom" or points is not None:
        points = _custom_points(points)

    std = DEFAULT_STD[name] if std is None else std
    builders: dict[str, Callable[[], ToyDataset]] = {
        "ring8": lambda: Ring8(std),
        "grid25": lambda: Grid25(std),
        "ring": lambda: Ring(n_modes, radius, std),
        "spiral": lambda: Spiral(std),
        "swissroll": lambda: SwissRoll(std),
        "moons": lambda: Moons(std),
        "circles": lambda: Circles(std),
        "checkerboard": lambda: Checkerboard(),
        "gaussian": lambda: SingleGaussian(std),
        "parallel-lines": lambda: ParallelLines(theta),
        "disjoint-gaussians": lambda: DisjointGaussians(separation, std),
        "custom": lambda: CustomMixture(points, std),
    }
    return builders[name]()
