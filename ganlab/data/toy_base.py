"""Base class and shared maths for the 2-D toy distributions."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch

from ganlab.number_option import NumberOption

Bounds = tuple[float, float, float, float]

# Largest (points x centres) block evaluated at once by the mixture density (bounds memory).
_MAX_PAIRS_PER_BLOCK = 2_000_000


def as_points(points: np.ndarray | list, what: str = "points") -> np.ndarray:
    """Return `points` as a float64 array of shape (m, 2), or raise ValueError naming `what`."""
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} must be numbers of shape (m, 2): {err}") from None
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{what} must have shape (m, 2); got shape {arr.shape}")
    return arr


def gaussian_mixture_log_density(
    points: np.ndarray,
    centers: np.ndarray,
    std: float,
    log_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Natural-log density of sum_k w_k N(x; c_k, std^2 I) in 2-D.

    Args:
        points: (m, 2) float64 evaluation points.
        centers: (k, 2) float64 component means.
        std: component standard deviation (> 0).
        log_weights: (k,) log mixture weights; None means equal weights 1/k.

    Returns:
        (m,) float64 log densities, computed block-wise with logsumexp.
    """
    n_points, n_centers = points.shape[0], centers.shape[0]
    if log_weights is None:
        log_weights = np.full(n_centers, -math.log(n_centers))
    inv_var = 1.0 / (std * std)
    # log w_k - |x - c_k|^2 / (2 s^2) = x.c_k / s^2 + (log w_k - |c_k|^2 / (2 s^2)) - |x|^2 / (2 s^2);
    # the last term does not depend on k, so it moves out of the log-sum-exp.
    scaled_centers_t = centers.T * inv_var  # (2, k)
    center_terms = log_weights - 0.5 * inv_var * np.einsum("kd,kd->k", centers, centers)
    point_terms = -0.5 * inv_var * np.einsum("md,md->m", points, points)
    out = np.empty(n_points, dtype=np.float64)
    block = max(1, _MAX_PAIRS_PER_BLOCK // n_centers)
    for start in range(0, n_points, block):
        exponents = points[start : start + block] @ scaled_centers_t
        exponents += center_terms
        out[start : start + block] = _logsumexp_rows(exponents)
    return out + point_terms - math.log(2.0 * math.pi * std * std)


def _logsumexp_rows(values: np.ndarray) -> np.ndarray:
    """Stable log(sum(exp(values), axis=1)) for finite rows; overwrites `values` (faster than
    scipy.special.logsumexp, which checks for infinities)."""
    row_max = values.max(axis=1)
    values -= row_max[:, None]
    np.exp(values, out=values)
    return np.log(values.sum(axis=1)) + row_max


def padded_bounds(
    lower: np.ndarray, upper: np.ndarray, pad: float, min_width: float = 1.0
) -> Bounds:
    """Box [lower, upper] (each (2,)) padded by `pad` on every side, each side >= `min_width`."""
    box = []
    for lo, hi in zip(lower, upper, strict=True):
        lo, hi = float(lo) - pad, float(hi) + pad
        if hi - lo < min_width:
            mid = 0.5 * (lo + hi)
            lo, hi = mid - 0.5 * min_width, mid + 0.5 * min_width
        box.extend([lo, hi])
    return (box[0], box[1], box[2], box[3])


STD_OPTION = NumberOption("Spread (std)", 0.001, 10.0, step=0.01, fmt="%.3f",
                          help="standard deviation of each mode (or of the noise around a curve)")
"""The `std` every data set with a spread takes (its default: the constructor's)."""


class ToyDataset:
    """A 2-D toy distribution: sampling with a `torch.Generator`, exact density where it exists.

    Subclasses implement `_sample(n, generator)` and, when `has_density` is True, `_log_density`.
    A subclass's constructor parameters are the data set's parameters (their defaults are the data set's
    defaults); PARAMETERS declares the range, label and help of each numeric one other than `std`
    (STD_OPTION), and the config, the CLI, share links and the Toy Lab's widgets all read it from there.
    """

    has_density: bool = True
    PARAMETERS: ClassVar[dict[str, NumberOption]] = {}

    def __init__(
        self,
        name: str,
        bounds: Bounds,
        *,
        centers: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        std: float | None = None,
    ) -> None:
        self.name = name
        self.bounds = tuple(float(b) for b in bounds)
        self.centers = centers
        self.weights = weights
        self.std = None if std is None else float(std)
        self._device_tensors: dict[tuple[str, str], torch.Tensor] = {}
        self._grid_cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, std={self.std}, bounds={self.bounds})"

    # ----------------------------------------------------------------- sampling
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Draw n points; every random draw uses `generator`.

        Returns:
            (n, 2) float32 tensor on `generator.device`.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be an integer >= 0; got {n!r}")
        if n == 0:
            return torch.empty((0, 2), dtype=torch.float32, device=generator.device)
        return self._sample(int(n), generator)

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def _constant(self, key: str, array: np.ndarray, device: torch.device) -> torch.Tensor:
        """float32 copy of a constant array on `device`, made once per device."""
        cache_key = (key, str(device))
        tensor = self._device_tensors.get(cache_key)
        if tensor is None:
            tensor = torch.as_tensor(np.asarray(array), dtype=torch.float32, device=device)
            self._device_tensors[cache_key] = tensor
        return tensor

    # ------------------------------------------------------------------ density
    def log_density(self, points: np.ndarray) -> np.ndarray:
        """Natural-log density at (m, 2) points -> (m,) float64 (-inf outside a bounded support).

        Raises:
            ValueError: if the distribution has no 2-D density or `points` is not (m, 2).
        """
        if not self.has_density:
            raise ValueError(
                f"dataset {self.name!r} has no density in 2-D (its support is a line); "
                "compare samples instead"
            )
        return self._log_density(as_points(points))

    def _log_density(self, points: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def smoothed_log_density(self, points: np.ndarray, bandwidth: float) -> np.ndarray:
        """Natural-log density of X + bandwidth * Z, Z ~ N(0, I): p * N(0, h^2 I), exactly.

        Args:
            points: (m, 2) evaluation points.
            bandwidth: h >= 0 (0 gives `log_density`).

        Returns:
            (m,) float64 log densities.
        """
        h = float(bandwidth)
        if not (math.isfinite(h) and h >= 0):
            raise ValueError(f"bandwidth must be a finite number >= 0; got {bandwidth!r}")
        if h == 0:
            return self.log_density(points)
        if not self.has_density:
            self.log_density(points)  # raises the no-density message
        return self._smoothed_log_density(as_points(points), h)

    def _smoothed_log_density(self, points: np.ndarray, bandwidth: float) -> np.ndarray:
        raise NotImplementedError(f"dataset {self.name!r} has no smoothed density")

    def density(self, points: np.ndarray) -> np.ndarray:
        """Density (not log) at (m, 2) points -> (m,) float64."""
        return np.exp(self.log_density(points))

    def density_grid(self, size: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Density on a size x size grid of CELL CENTRES over `self.bounds`.

        Cell (i, j) is [xs[j] -/+ dx/2] x [ys[i] -/+ dy/2], with dx = (xmax - xmin) / size, so
        `dens.sum() * dx * dy` is the midpoint-rule integral over the bounds.

        Returns:
            xs (size,), ys (size,), dens (size, size) float64 with dens[i, j] = p(xs[j], ys[i]).
        """
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"size must be an integer >= 1; got {size!r}")
        size = int(size)
        if size not in self._grid_cache:
            xmin, xmax, ymin, ymax = self.bounds
            xs = xmin + (np.arange(size) + 0.5) * (xmax - xmin) / size
            ys = ymin + (np.arange(size) + 0.5) * (ymax - ymin) / size
            grid_x, grid_y = np.meshgrid(xs, ys)  # grid_x[i, j] = xs[j], grid_y[i, j] = ys[i]
            flat = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
            dens = self.density(flat).reshape(size, size)
            self._grid_cache[size] = (xs, ys, dens)
        xs, ys, dens = self._grid_cache[size]
        return xs.copy(), ys.copy(), dens.copy()
