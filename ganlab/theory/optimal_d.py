"""The optimal discriminator D* = p_data / (p_data + p_g) and the value of the game at D*.

For a fixed generator the minimax value V(G, D) = E_data log D(x) + E_g log(1 - D(x)) is maximised by
D*(x) = p_data(x) / (p_data(x) + p_g(x)), and max_D V(G, D) = 2 JSD(p_data || p_g) - log 4
(Goodfellow et al. 2014, Proposition 1 and Theorem 1).

Conventions: JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, so 0 <= JSD <= log 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

LOG4 = math.log(4.0)

# Below this total density (p_data + p_g) D* is undefined (0/0); we return 0.5 there: "can't tell".
DENSITY_FLOOR = 1e-300

# Smallest kernel standard deviation (data units) used when the samples are degenerate.
KDE_MIN_WIDTH = 1e-2

# Points evaluated at once by the fallback kernel (bounds memory at _CHUNK x n floats).
_CHUNK = 4096


def _check_density(name: str, values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; densities must be finite and >= 0")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains inf; densities must be finite and >= 0")
    if (arr < 0).any():
        raise ValueError(f"{name} has negative values (min {arr.min():.3g}); densities must be >= 0")
    return arr


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise.

    Args:
        p_data, p_g: densities (any shapes that broadcast), finite and >= 0.

    Returns:
        D* with the broadcast shape, in [0, 1]. Where p_data + p_g <= DENSITY_FLOOR (1e-300), i.e.
        neither distribution puts mass there, D* is 0/0 and 0.5 is returned.

    Raises:
        ValueError naming the argument when it holds NaN, inf or negative values.
    """
    p = _check_density("p_data", p_data)
    q = _check_density("p_g", p_g)
    total = p + q
    empty = total <= DENSITY_FLOOR
    return np.where(empty, 0.5, p / np.where(empty, 1.0, total))


def _as_2d(name: str, values) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d) (or (n,) for d = 1); got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _bandwidth_factor(bandwidth, n: int, d: int) -> float:
    if isinstance(bandwidth, str):
        if bandwidth == "scott":
            return n ** (-1.0 / (d + 4))
        if bandwidth == "silverman":
            return (n * (d + 2) / 4.0) ** (-1.0 / (d + 4))
        raise ValueError(f"unknown bandwidth rule {bandwidth!r}; valid: 'scott', 'silverman' or a float > 0")
    factor = float(bandwidth)
    if not math.isfinite(factor) or factor <= 0:
        raise ValueError(f"bandwidth factor must be a finite float > 0; got {bandwidth!r}")
    return factor


def _regularised_kde(samples: np.ndarray, points: np.ndarray, factor: float) -> np.ndarray:
    """Gaussian kernel with covariance factor^2 * cov(samples) + KDE_MIN_WIDTH^2 * I (always invertible)."""
    n, d = samples.shape
    cov = np.cov(samples, rowvar=False).reshape(d, d) if n > 1 else np.zeros((d, d))
    kernel_cov = factor**2 * cov + KDE_MIN_WIDTH**2 * np.eye(d)
    chol = np.linalg.cholesky(kernel_cov)
    log_norm = -0.5 * d * math.log(2 * math.pi) - np.log(np.diag(chol)).sum() - math.log(n)
    white_samples = np.linalg.solve(chol, samples.T).T  # (n, d)
    out = np.empty(len(points))
    for start in range(0, len(points), _CHUNK):
        white = np.linalg.solve(chol, points[start:start + _CHUNK].T).T  # (c, d)
        sq = ((white[:, None, :] - white_samples[None, :, :]) ** 2).sum(-1)  # (c, n)
        logs = -0.5 * sq
        peak = logs.max(axis=1, keepdims=True)
        out[start:start + _CHUNK] = np.exp(peak[:, 0] + np.log(np.exp(logs - peak).sum(axis=1)) + log_norm)
    return out


def kde_density(samples, points, bandwidth="scott") -> np.ndarray:
    """Gaussian kernel density estimate of `samples`, evaluated at `points`.

    Args:
        samples: (n, d) draws (or (n,) for d = 1).
        points: (m, d) where to evaluate (or (m,) for d = 1).
        bandwidth: "scott", "silverman" or a float factor multiplying the sample covariance
            (scipy.stats.gaussian_kde's bw_method).

    Returns:
        (m,) density values.

    Degenerate samples (a single sample, all identical, or collinear, so the sample covariance is
    singular) do not raise: the kernel covariance becomes factor^2 * cov + KDE_MIN_WIDTH^2 * I with
    KDE_MIN_WIDTH = 0.01 data units, so every kernel is at least 0.01 wide in every direction.
    """
    x = _as_2d("samples", samples)
    pts = _as_2d("points", points)
    n, d = x.shape
    if n == 0:
        raise ValueError("samples is empty; need at least one sample")
    if pts.shape[1] != d:
        raise ValueError(f"points have dimension {pts.shape[1]} but samples have dimension {d}")
    factor = _bandwidth_factor(bandwidth, n, d)
    if n > d:
        cov = np.cov(x, rowvar=False).reshape(d, d)
        eig = np.linalg.eigvalsh(cov)
        # Well conditioned: scipy. Singular or nearly so (condition number > 1e10): regularised kernel.
        if eig.min() > 1e-10 * eig.max() > 0:
            try:
                from scipy.stats import gaussian_kde  # here: scipy.stats takes ~1 s to import

                kde = gaussian_kde(x.T, bw_method=factor)
                return np.asarray(kde(pts.T), dtype=np.float64)
            except np.linalg.LinAlgError:
                pass
    return _regularised_kde(x, pts, factor)


def optimal_discriminator_grid(log_density_data: Callable[[np.ndarray], np.ndarray], fake_samples,
                               bounds, size: int = 64, bandwidth="scott") -> dict:
    """D* on a size x size grid, with p_data exact and p_g a KDE of generator samples.

    Args:
        log_density_data: (m, 2) -> (m,) natural log density of the data (a toy dataset's log_density).
        fake_samples: (n, 2) generator samples; p_g is their Gaussian KDE (see kde_density).
        bounds: (xmin, xmax, ymin, ymax).
        size: points per axis (>= 2).
        bandwidth: KDE bandwidth rule or factor.

    Returns:
        {"grid_x": (size,), "grid_y": (size,), "p_data": (size, size), "p_g": (size, size),
         "d_star": (size, size)}, where [i, j] is the value at (grid_x[j], grid_y[i]) and
        grid_x = np.linspace(xmin, xmax, size): the layout of the trainer's snapshot ('xy' meshgrid),
        so D* and the learned D can be drawn side by side.
    """
    if int(size) != size or size < 2:
        raise ValueError(f"size must be an integer >= 2; got {size!r}")
    size = int(size)
    if len(bounds) != 4:
        raise ValueError(f"bounds must be (xmin, xmax, ymin, ymax); got {bounds!r}")
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must satisfy xmin < xmax and ymin < ymax; got {bounds!r}")
    fake = _as_2d("fake_samples", fake_samples)
    if fake.shape[1] != 2:
        raise ValueError(f"fake_samples must have shape (n, 2); got {fake.shape}")
    gx = np.linspace(xmin, xmax, size)
    gy = np.linspace(ymin, ymax, size)
    xx, yy = np.meshgrid(gx, gy, indexing="xy")
    plane = np.stack([xx.ravel(), yy.ravel()], axis=1)  # row-major: row i is y = gy[i]
    log_p = np.asarray(log_density_data(plane), dtype=np.float64).reshape(-1)
    if log_p.shape != (size * size,):
        raise ValueError(f"log_density_data returned shape {log_p.shape}; expected ({size * size},)")
    p_data = np.exp(log_p).reshape(size, size)
    p_g = kde_density(fake, plane, bandwidth).reshape(size, size)
    return {"grid_x": gx, "grid_y": gy, "p_data": p_data, "p_g": p_g,
            "d_star": optimal_discriminator(p_data, p_g)}


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x * log(y) with 0 log 0 = 0 (and 0 * log anything = 0)."""
    pos = x > 0
    return np.where(pos, x * np.log(np.where(pos, y, 1.0)), 0.0)


def optimal_value(p_data, p_g, cell_area) -> float:
    """max_D V(G, D) on a grid: sum(cell_area * (p_data log D* + p_g log(1 - D*))) = 2 JSD - log 4.

    Args:
        p_data, p_g: densities on the same grid (same shape), finite and >= 0.
        cell_area: area (or length, or 1 for a discrete distribution) of one cell, > 0.

    Both densities are first renormalised so that sum(cell_area * p) = 1 over the grid (mass outside
    the grid is ignored); 0 log 0 = 0. The result lies in [-log 4, 0].
    """
    p = _check_density("p_data", p_data)
    q = _check_density("p_g", p_g)
    if p.shape != q.shape:
        raise ValueError(f"p_data and p_g must have the same shape; got {p.shape} and {q.shape}")
    area = float(cell_area)
    if not math.isfinite(area) or area <= 0:
        raise ValueError(f"cell_area must be a finite number > 0; got {cell_area!r}")
    for name, arr in (("p_data", p), ("p_g", q)):
        if arr.sum() <= 0:
            raise ValueError(f"{name} has no mass on the grid (sums to 0); cannot normalise")
    p = p / (p.sum() * area)
    q = q / (q.sum() * area)
    total = p + q
    value = area * (_xlogy(p, p / np.where(total > 0, total, 1.0))
                    + _xlogy(q, q / np.where(total > 0, total, 1.0))).sum()
    return float(value)


def jsd_from_optimal_value(value: float) -> float:
    """JSD(p_data || p_g) = (max_D V + log 4) / 2, in nats, in [0, log 2]."""
    return (float(value) + LOG4) / 2.0


__all__ = ["optimal_discriminator", "kde_density", "optimal_discriminator_grid", "optimal_value",
           "jsd_from_optimal_value", "DENSITY_FLOOR", "KDE_MIN_WIDTH"]


def gaussian_optimal_value(shift: float, lo: float = -10.0, hi: float = 12.0, points: int = 20001) -> float:
    """max_D V(G, D) = 2 JSD - log 4 for p_data = N(0, 1) and p_g = N(shift, 1), by quadrature on `points`
    points over [min(lo, shift - 10), max(hi, shift + 10)]."""
    x = np.linspace(min(lo, shift - 10.0), max(hi, shift + 10.0), points)
    from scipy.stats import norm  # here: scipy.stats takes ~1 s to import, and training workers never call this

    return optimal_value(norm.pdf(x), norm.pdf(x, loc=shift), x[1] - x[0])
