"""Registry of the 2-D toy distributions and `make_dataset`, which validates parameters."""

from __future__ import annotations

import inspect

import numpy as np

from ganlab.data.toy_base import STD_OPTION, ToyDataset, as_points
from ganlab.data.toy_curves import Circles, CurveDataset, Moons, Spiral, SwissRoll
from ganlab.data.toy_mixtures import (
    CustomMixture,
    DisjointGaussians,
    GaussianMixture,
    Grid25,
    ImbalancedRing,
    Ring,
    Ring8,
    SingleGaussian,
)
from ganlab.data.toy_uniform import Checkerboard, ParallelLines
from ganlab.number_option import NumberOption

__all__ = [
    "DATASETS",
    "DEFAULT_STD",
    "PARAMETER_DEFAULTS",
    "PARAMETER_OPTIONS",
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
    "imbalanced-ring": "ring8's 8 modes, the odd ones rare_weight times as heavy as the even ones, std 0.05",
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
    "ring8": Ring8, "grid25": Grid25, "ring": Ring, "imbalanced-ring": ImbalancedRing,
    "spiral": Spiral, "swissroll": SwissRoll, "moons": Moons,
    "circles": Circles, "checkerboard": Checkerboard, "gaussian": SingleGaussian, "parallel-lines": ParallelLines,
    "disjoint-gaussians": DisjointGaussians, "custom": CustomMixture,
}


def dataset_parameters(name: str) -> tuple[str, ...]:
    """The parameters dataset `name` takes, read off its class's constructor, where each dataset declares
    them beside its sampler: ring -> ("n_modes", "radius", "std"), checkerboard -> ()."""
    return tuple(p for p in inspect.signature(DATASET_CLASSES[name].__init__).parameters if p != "self")


def _constructor_default(cls: type[ToyDataset], parameter: str) -> object:
    default = inspect.signature(cls.__init__).parameters[parameter].default
    return None if default is inspect.Parameter.empty else default


def _declared_parameters() -> tuple[dict[str, NumberOption], dict[str, float | int]]:
    """(name -> declaration, name -> default) of every numeric dataset parameter: `std` (STD_OPTION) and
    each class's PARAMETERS, defaults from the constructors. A name two datasets share must be declared
    alike and default alike (it is one config field, data.<name>)."""
    options: dict[str, NumberOption] = {"std": STD_OPTION}
    defaults: dict[str, float | int] = {}
    for name, cls in DATASET_CLASSES.items():
        for parameter, option in cls.PARAMETERS.items():
            default = _constructor_default(cls, parameter)
            known = options.setdefault(parameter, option), defaults.setdefault(parameter, default)
            if known != (option, default):
                raise ValueError(f"dataset {name!r} declares parameter {parameter!r} unlike another dataset")
            if not option.allows(default):
                raise ValueError(f"dataset {name!r}: default {parameter}={default!r} is not {option.describe()}")
    return options, defaults


PARAMETER_OPTIONS, PARAMETER_DEFAULTS = _declared_parameters()
"""Every numeric dataset parameter's declaration (the options data.<name>) and its default (not std's,
which each dataset sets: DEFAULT_STD)."""

DEFAULT_STD: dict[str, float | None] = {
    name: _constructor_default(cls, "std") if "std" in dataset_parameters(name) else None
    for name, cls in DATASET_CLASSES.items()}
"""Default component / noise std per dataset, from its constructor (None: the dataset has no std)."""


def _number(key: str, value: object) -> float | int:
    """`value` as what the parameter `key` allows (PARAMETER_OPTIONS, the config's bounds too), else
    ValueError naming `key` and the allowed range."""
    option = PARAMETER_OPTIONS[key]
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


def make_dataset(name: str, *, std: float | None = None, points: np.ndarray | list | None = None,
                 **parameters: float | int) -> ToyDataset:
    """Build the toy dataset `name` (a key of DATASETS).

    Args:
        name: dataset name.
        std: component / noise std; None means DEFAULT_STD[name]. Ignored where the dataset has no std
            (checkerboard, parallel-lines).
        points: (m, 2) finite mode centres for 'custom' (required there).
        parameters: any numeric dataset parameter (PARAMETER_OPTIONS: n_modes and radius for 'ring',
            theta for 'parallel-lines', separation for 'disjoint-gaussians'); those the dataset does not
            take are checked and ignored, those it takes and are not given are its defaults.

    Every parameter given is validated, whichever dataset it applies to.

    Raises:
        ValueError: unknown name (the message lists the valid names), an unknown parameter, or a parameter
            out of range (the message names the parameter and its allowed range).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    unknown = set(parameters) - set(PARAMETER_OPTIONS)
    if unknown:
        raise ValueError(f"unknown dataset parameter {sorted(unknown)[0]!r}; "
                         f"valid: {', '.join(PARAMETER_OPTIONS)}")
    given = {key: value for key, value in {"std": std, **parameters}.items() if value is not None}
    values: dict[str, object] = {key: _number(key, value) for key, value in given.items()}
    if name == "custom" or points is not None:
        values["points"] = _custom_points(points)
    values.setdefault("std", DEFAULT_STD[name])
    return DATASET_CLASSES[name](**{key: values[key] for key in dataset_parameters(name) if key in values})
