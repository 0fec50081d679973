"""Registry of the 2-D toy distributions and `make_dataset`, which validates parameters."""

from __future__ import annotations

import inspect

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
from ganlab.options import OPTIONS

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
    "dataset_parameters",
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

# The class of each dataset: its constructor's parameters are the dataset's parameters (dataset_parameters).
DATASET_CLASSES: dict[str, type[ToyDataset]] = {
    "ring8": Ring8, "grid25": Grid25, "ring": Ring, "spiral": Spiral, "swissroll": SwissRoll, "moons": Moons,
    "circles": Circles, "checkerboard": Checkerboard, "gaussian": SingleGaussian, "parallel-lines": ParallelLines,
    "disjoint-gaussians": DisjointGaussians, "custom": CustomMixture,
}


def dataset_parameters(name: str) -> tuple[str, ...]:
    """The parameters dataset `name` takes, read off its class's constructor, where each dataset declares
    them beside its sampler: ring -> ("n_modes", "radius", "std"), checkerboard -> ()."""
    return tuple(p for p in inspect.signature(DATASET_CLASSES[name].__init__).parameters if p != "self")


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


def _number(key: str, value: object) -> float | int:
    """`value` as what the option data.<key> allows (ganlab.options, the config's bounds too), else
    ValueError naming `key` and the allowed range."""
    option = OPTIONS[f"data.{key}"]
    if not isinstance(value, int | float | np.number) or isinstance(value, np.bool_) or not option.allows(value):
        raise ValueError(f"{key} must be {option.describe()}; got {value!r}")
    return int(value) if option.integer else float(value)


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
        std: component / noise std; None means DEFAULT_STD[name]. Ignored where the dataset has no std
            (checkerboard, parallel-lines).
        n_modes: number of modes for 'ring'.
        radius: circle radius for 'ring'.
        theta: x-position of the comparison line for 'parallel-lines'.
        separation: distance between the 'disjoint-gaussians' centres.
        (Their ranges are the options data.<name> of ganlab.options, as for the config.)
        points: (m, 2) finite mode centres for 'custom' (required there).

    Every parameter given is validated, whichever dataset it applies to.

    Raises:
        ValueError: unknown name (the message lists the valid names) or a parameter out of range
            (the message names the parameter and its allowed range).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    given = {"std": std, "n_modes": n_modes, "radius": radius, "theta": theta, "separation": separation}
    values: dict[str, object] = {key: _number(key, value) for key, value in given.items() if value is not None}
    if name == "custom" or points is not None:
        values["points"] = _custom_points(points)
    if std is None:
        values["std"] = DEFAULT_STD[name]
    return DATASET_CLASSES[name](**{key: values[key] for key in dataset_parameters(name)})
