"""Mode coverage on toy mixtures: covered modes, high-quality fraction, KL of the mode histogram.

Protocol of PacGAN (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial
networks", Sec. 5.1), following VEEGAN (Srivastava et al. 2017):

- a sample is *high quality* when it lies within 3 standard deviations (Euclidean distance) of its
  NEAREST mode centre;
- a mode is *covered* when it is the nearest centre of at least one high-quality sample;
- the reverse KL of the mode histogram, KL(h || w), compares how the high-quality samples spread
  over the modes (h) with the true mixture weights (w).

By convention the metrics are evaluated on DEFAULT_EVAL_SAMPLES = 2,500 generator samples.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.distance import cdist

DEFAULT_EVAL_SAMPLES = 2500

# A sample is high quality when its distance to the nearest centre is <= HQ_STDS * std.
HQ_STDS = 3.0


def as_float_matrix(x, name: str, *, dim: int | None = None, finite: bool = True) -> np.ndarray:
    """Return `x` (numpy array, list or torch tensor) as a float64 array of shape (n, d).

    Args:
        x: array-like of shape (n, d); torch tensors are detached and moved to the CPU first.
        name: the argument's name, used in error messages.
        dim: required number of columns d, or None for any d >= 1.
        finite: when True, NaN or inf values raise ValueError.

    Raises:
        ValueError naming `name` when the values are not numbers, the shape is wrong, or (with
        `finite`) a value is NaN or inf.
    """
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers: {err}") from None
    want = f"(n, {dim})" if dim is not None else "(n, d)"
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have shape {want}; got shape {arr.shape}")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(f"{name} must have shape {want}; got shape {arr.shape}")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf values; all values must be finite")
    return arr


def _check_weights(weights, k: int) -> np.ndarray:
    """Uniform weights for None; otherwise a (k,) finite non-negative vector normalised to sum 1."""
    if weights is None:
        return np.full(k, 1.0 / k)
    if hasattr(weights, "detach"):
        weights = weights.detach().cpu().numpy()
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"weights must be an array of numbers: {err}") from None
    if w.shape != (k,):
        raise ValueError(f"weights must have shape ({k},) (one per centre); got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, >= 0 and not all zero")
    return w / w.sum()


def _hq_counts(pts: np.ndarray, ctr: np.ndarray, std: float) -> np.ndarray:
    """(k,) number of high-quality samples whose nearest centre is each mode."""
    finite = np.isfinite(pts).all(axis=1)
    dist = cdist(pts[finite], ctr)  # (n_finite, k)
    nearest = dist.argmin(axis=1)
    d_min = dist[np.arange(nearest.shape[0]), nearest]
    high_quality = d_min <= HQ_STDS * std
    return np.bincount(nearest[high_quality], minlength=ctr.shape[0])


def covered_modes(samples, centers, std) -> np.ndarray:
    """(k,) bool: whether each mode is the nearest centre of at least one high-quality sample."""
    pts = as_float_matrix(samples, "samples", dim=2, finite=False)
    ctr = as_float_matrix(centers, "centers", dim=2)
    return _hq_counts(pts, ctr, float(std)) > 0


def mode_stats(samples, centers, std, weights=None) -> dict:
    """Mode coverage statistics of generator samples on a Gaussian-mixture toy (PacGAN protocol).

    Args:
        samples: (n, 2) generator samples, n >= 1. Non-finite rows (a diverged generator) are kept
            in the count n but are never high quality.
        centers: (k, 2) mode centres, finite.
        std: standard deviation of each mode (> 0); the high-quality radius is 3 * std.
        weights: (k,) true mixture weights (normalised here), or None for uniform 1/k.

    Returns:
        {"modes_covered": int, number of centres that are the nearest centre of >= 1
             high-quality sample,
         "modes_total": int, k,
         "hq_fraction": float in [0, 1], high-quality samples / n,
         "mode_kl": float, KL(h || w) = sum_j h_j log(h_j / w_j) in nats, h the normalised histogram
             of high-quality samples over their nearest centres; bins with h_j = 0 contribute 0;
             inf when there is no high-quality sample (or when h_j > 0 where w_j = 0)}.

    Raises:
        ValueError naming the argument on a wrong shape, an empty sample, or a bad std / weights.
    """
    pts = as_float_matrix(samples, "samples", dim=2, finite=False)
    ctr = as_float_matrix(centers, "centers", dim=2)
    if pts.shape[0] == 0:
        raise ValueError("samples must contain at least one point; got shape (0, 2)")
    if ctr.shape[0] == 0:
        raise ValueError("centers must contain at least one centre; got shape (0, 2)")
    try:
        std = float(std)
    except (TypeError, ValueError):
        raise ValueError(f"std must be a number > 0; got {std!r}") from None
    if not (math.isfinite(std) and std > 0):
        raise ValueError(f"std must be a finite number > 0; got {std!r}")
    k = ctr.shape[0]
    w = _check_weights(weights, k)
    counts = _hq_counts(pts, ctr, std)
    n_hq = int(counts.sum())

    if n_hq == 0:
        mode_kl = math.inf
    else:
        h = counts / n_hq
        seen = h > 0
        if (w[seen] == 0).any():
            mode_kl = math.inf
        else:
            mode_kl = float(np.sum(h[seen] * np.log(h[seen] / w[seen])))
            mode_kl = max(mode_kl, 0.0)  # KL >= 0; remove round-off below zero
    return {
        "modes_covered": int((counts > 0).sum()),
        "modes_total": int(k),
        "hq_fraction": n_hq / pts.shape[0],
        "mode_kl": mode_kl,
    }


__all__ = ["DEFAULT_EVAL_SAMPLES", "HQ_STDS", "as_float_matrix", "covered_modes", "mode_stats"]
