"""A Gaussian kernel density estimate of 2-D samples on a grid (what the Toy Lab's plane shades as p_g).

The kernel is scipy.stats.gaussian_kde's: covariance = factor^2 * (sample covariance, ddof=1), the
factor from Scott's rule n^(-1/(d+4)), Silverman's rule (n (d+2) / 4)^(-1/(d+4)), or a given float
(Scott 1992; Silverman 1986).

The KDE is evaluated on the grid by LINEAR BINNING + FFT CONVOLUTION (Wand 1994, "Fast computation
of multivariate kernel estimators", J. Comput. Graph. Stat. 3(4)): each sample's unit mass is split
bilinearly over the four surrounding grid nodes (on a grid padded by the kernel's 5-sigma reach, so
samples just outside the window still contribute), and the node masses are convolved with the
kernel sampled at the grid offsets (scipy.signal.fftconvolve). The full 2x2 kernel covariance is
used, and the sampled kernel's covariance is reduced by cell^2 / 6 per axis to cancel the mean blur
that linear binning adds, so the result matches gaussian_kde up to a small binning error (at
128 x 128 with the kernel ~4 cells wide: median relative error < 0.1 %, worst ~1 % where the density
exceeds 1 % of its maximum).

This is a picture of p_g, not a divergence estimate: Scott's kernel is as wide as the whole sample's
spread allows (on ring8 ~0.19 for modes of std 0.01). Divergences between p_data and p_g are
estimated by ganlab.metrics.divergence_estimates, at the data's own scale.

Grid layout (as ToyDataset.density_grid): xs[j] = xmin + (j + 1/2) dx with
dx = (xmax - xmin) / size, likewise ys[i], and array[i, j] is the value at (xs[j], ys[i]).
"""

from __future__ import annotations

import math

import numpy as np

from ganlab.metrics.modes import as_float_matrix

# The kernel is sampled out to this many (marginal) standard deviations per axis...
KERNEL_REACH_STDS = 5.0
# ...but never further than this many grid sizes (a kernel much wider than the window is ~flat).
MAX_REACH_GRIDS = 2

# The kernel's smallest standard deviation (along any direction) is at least this many grid cells:
# keeps degenerate samples (one point, a line: a collapsed generator) well defined; gaussian_kde
# would fail there with a singular covariance.
MIN_KERNEL_CELLS = 0.5

BANDWIDTH_RULES = ("scott", "silverman")


_BANDWIDTH_HELP = f"one of {BANDWIDTH_RULES} or a float > 0"


def kde_factor(n: int, d: int, bandwidth="scott") -> float:
    """The KDE bandwidth factor (kernel std / sample std) of scipy.stats.gaussian_kde.

    Args:
        n: number of samples; d: dimension.
        bandwidth: "scott" -> n^(-1/(d+4)); "silverman" -> (n (d+2) / 4)^(-1/(d+4)); or a float > 0
            used as the factor itself.
    """
    if isinstance(bandwidth, str):
        if bandwidth == "scott":
            return float(n ** (-1.0 / (d + 4)))
        if bandwidth == "silverman":
            return float((n * (d + 2) / 4.0) ** (-1.0 / (d + 4)))
        raise ValueError(f"bandwidth must be {_BANDWIDTH_HELP}; got {bandwidth!r}")
    number = (int, float, np.integer, np.floating)
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, number):
        raise ValueError(f"bandwidth must be {_BANDWIDTH_HELP}; got {bandwidth!r}")
    factor = float(bandwidth)
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"bandwidth factor must be a finite number > 0; got {bandwidth!r}")
    return factor


def _kernel_covariance(pts: np.ndarray, bandwidth) -> tuple[np.ndarray, float]:
    if pts.shape[0] < 2:
        raise ValueError(f"the KDE needs at least 2 samples; got shape {pts.shape}")
    factor = kde_factor(pts.shape[0], pts.shape[1], bandwidth)
    cov = np.atleast_2d(np.cov(pts, rowvar=False))  # ddof=1, as gaussian_kde
    return cov * factor * factor, factor


def kde_bandwidth(samples, rule="scott") -> np.ndarray:
    """Per-axis standard deviation of the KDE kernel: factor * sample std (ddof=1) along each axis.

    Args:
        samples: (n, d) points, n >= 2.
        rule: "scott", "silverman" or a float factor (see kde_factor).

    Returns:
        (d,) float64 array, sqrt of the diagonal of the kernel covariance factor^2 * cov(samples).
    """
    pts = as_float_matrix(samples, "samples")
    cov, _ = _kernel_covariance(pts, rule)
    return np.sqrt(np.diag(cov))


def _check_grid(bounds, size) -> tuple[float, float, float, float, int]:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"size must be an integer >= 2; got {size!r}")
    try:
        xmin, xmax, ymin, ymax = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be four numbers (xmin, xmax, ymin, ymax); got {bounds!r}") from None
    finite = all(math.isfinite(v) for v in (xmin, xmax, ymin, ymax))
    if not finite or not (xmin < xmax and ymin < ymax):
        raise ValueError(f"bounds must be finite with xmin < xmax and ymin < ymax; got {bounds!r}")
    return xmin, xmax, ymin, ymax, int(size)


def grid_centres(bounds, size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres xs (size,), ys (size,) of the size x size grid over (xmin, xmax, ymin, ymax)."""
    xmin, xmax, ymin, ymax, size = _check_grid(bounds, size)
    xs = xmin + (np.arange(size) + 0.5) * (xmax - xmin) / size
    ys = ymin + (np.arange(size) + 0.5) * (ymax - ymin) / size
    return xs, ys


def kde_grid(samples, bounds, size: int = 128, bandwidth="scott") -> tuple[np.ndarray, float]:
    """Gaussian KDE of 2-D samples at the size x size grid of cell centres (binned + FFT).

    Args:
        samples: (n, 2) points, n >= 2, finite.
        bounds: (xmin, xmax, ymin, ymax).
        size: cells per axis (>= 2).
        bandwidth: "scott", "silverman" or a float factor, as scipy.stats.gaussian_kde's bw_method.

    Returns:
        (density, factor): density (size, size) float64 in absolute units (integrates to ~1 over the
        plane; density[i, j] at (xs[j], ys[i])), and the bandwidth factor used. The kernel's
        smallest std is floored at MIN_KERNEL_CELLS (0.5) grid cells (only affects degenerate or
        tiny kernels).
    """
    pts = as_float_matrix(samples, "samples", dim=2)
    xmin, xmax, ymin, ymax, size = _check_grid(bounds, size)
    dx, dy = (xmax - xmin) / size, (ymax - ymin) / size
    cov, factor = _kernel_covariance(pts, bandwidth)

    # Linear binning acts, on average over a sample's position inside its cell, like an extra blur
    # of variance cell^2 / 6 per axis (bilinear interpolation error f'' t (1 - t) h^2 / 2, with mean
    # f'' h^2 / 12), so the sampled kernel is made that much narrower; this second-order correction
    # cuts the mismatch with gaussian_kde roughly threefold. Then floor the eigenvalues (degenerate
    # samples, or a kernel far thinner than a cell).
    cov = cov - np.diag([dx * dx, dy * dy]) / 6.0
    eigval, eigvec = np.linalg.eigh(cov)
    eigval = np.maximum(eigval, (MIN_KERNEL_CELLS * min(dx, dy)) ** 2)
    cov = (eigvec * eigval) @ eigvec.T
    inv_cov = (eigvec / eigval) @ eigvec.T
    norm = 1.0 / (2.0 * math.pi * math.sqrt(float(np.prod(eigval))))

    # Kernel sampled at grid offsets out to KERNEL_REACH_STDS marginal stds per axis.
    rx = min(math.ceil(KERNEL_REACH_STDS * math.sqrt(cov[0, 0]) / dx), MAX_REACH_GRIDS * size)
    ry = min(math.ceil(KERNEL_REACH_STDS * math.sqrt(cov[1, 1]) / dy), MAX_REACH_GRIDS * size)
    ox = np.arange(-rx, rx + 1) * dx
    oy = np.arange(-ry, ry + 1) * dy
    quad = (inv_cov[0, 0] * ox[None, :] ** 2 + 2.0 * inv_cov[0, 1] * oy[:, None] * ox[None, :]
            + inv_cov[1, 1] * oy[:, None] ** 2)
    kernel = np.exp(-0.5 * quad) * norm  # kernel[a, b] at offset (ox[b], oy[a])

    # Linear binning onto the grid padded by (ry, rx) nodes; node (i, j) of the padded grid is the
    # cell centre (xs[j - rx], ys[i - ry]). Samples beyond the padding (> reach) are dropped.
    width, height = size + 2 * rx, size + 2 * ry
    u = (pts[:, 0] - xmin) / dx - 0.5 + rx
    v = (pts[:, 1] - ymin) / dy - 0.5 + ry
    inside = (u >= 0) & (u <= width - 1) & (v >= 0) & (v <= height - 1)
    u, v = u[inside], v[inside]
    j0 = np.minimum(np.floor(u).astype(np.intp), width - 2)
    i0 = np.minimum(np.floor(v).astype(np.intp), height - 2)
    tu, tv = u - j0, v - i0
    flat = i0 * width + j0
    index = np.concatenate((flat, flat + 1, flat + width, flat + width + 1))
    weight = np.concatenate(((1 - tu) * (1 - tv), tu * (1 - tv), (1 - tu) * tv, tu * tv))
    mass = np.bincount(index, weights=weight, minlength=width * height).reshape(height, width)

    from scipy.signal import fftconvolve  # here: scipy.signal (with scipy.stats) takes a worker 1.5-3 s to import

    density = fftconvolve(mass, kernel, mode="valid") / pts.shape[0]  # (size, size)
    return np.maximum(density, 0.0), factor  # FFT round-off can leave tiny negatives


__all__ = ["BANDWIDTH_RULES", "grid_centres", "kde_bandwidth", "kde_factor", "kde_grid"]
