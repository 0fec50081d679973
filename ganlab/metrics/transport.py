"""Wasserstein-1 (earth mover's) distance between two point clouds.

For two equal-size samples the empirical W1 is an assignment problem: the optimal coupling between
two uniform distributions on n points each can be taken to be a permutation (Birkhoff-von
Neumann), so

    W1 = min over permutations s of (1/n) sum_i ||a_i - b_s(i)||_2,

solved exactly with scipy.optimize.linear_sum_assignment on the Euclidean cost matrix (O(n^3)).

Larger or unequal-size samples use an estimate (see `wasserstein1_method`):

- "subsampled-exact" (default): the mean of exact W1 over up to MAX_SUBSETS (2) random subsample
  pairs of equal size s = min(n, m, exact_max), drawn without replacement with a seeded numpy
  Generator. Empirical W1 of a subsample is biased upwards (a finite sample is never exactly its
  distribution); the bias shrinks as s grows and is small when the two clouds differ by much more
  than their sampling noise.
- "sliced": the sliced W1 distance (Rabin et al. 2011, "Wasserstein barycenter and its application
  to texture mixing"; Bonneel et al. 2015): the mean over random unit directions theta of the exact
  1-D W1 between the projections <a, theta> and <b, theta>. It uses every point, costs O(P n log n),
  but is a DIFFERENT distance: sliced W1 <= W1 (for a pure shift v in 2-D it equals (2/pi) |v|).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from ganlab.metrics.modes import as_float_matrix

ESTIMATES = ("subsample", "sliced")

# Subsample estimate: number of equal-size subsample pairs averaged (at most).
MAX_SUBSETS = 2


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    return int(value)


def wasserstein1_method(n: int, m: int, exact_max: int = 2000, estimate: str = "subsample") -> str:
    """Name of the method `wasserstein1` uses for sizes n and m.

    Returns:
        "exact" when n == m <= exact_max; otherwise "subsampled-exact" (estimate="subsample") or
        "sliced" (estimate="sliced").
    """
    n = _check_positive_int(n, "n")
    m = _check_positive_int(m, "m")
    exact_max = _check_positive_int(exact_max, "exact_max")
    if estimate not in ESTIMATES:
        raise ValueError(f"estimate must be one of {ESTIMATES}; got {estimate!r}")
    if n == m <= exact_max:
        return "exact"
    return "subsampled-exact" if estimate == "subsample" else "sliced"


def exact_wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """Exact empirical W1 between equal-size clouds a, b (n, d), as float64 arrays.

    The mean Euclidean distance of the optimal assignment (scipy.optimize.linear_sum_assignment).
    """
    if a.shape != b.shape:
        raise ValueError(f"exact W1 needs equal shapes; got {a.shape} and {b.shape}")
    cost = cdist(a, b)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def _subsampled_wasserstein1(a, b, exact_max: int, rng: np.random.Generator) -> float:
    n, m = a.shape[0], b.shape[0]
    size = min(n, m, exact_max)
    n_subsets = min(MAX_SUBSETS, math.ceil(max(n, m) / size))
    total = 0.0
    for _ in range(n_subsets):
        sub_a = a if n == size else a[rng.choice(n, size=size, replace=False)]
        sub_b = b if m == size else b[rng.choice(m, size=size, replace=False)]
        total += exact_wasserstein1(sub_a, sub_b)
    return total / n_subsets


def _w1_1d_rows(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Exact 1-D W1 for each row: u (P, n) and v (P, m) SORTED along axis 1 -> (P,).

    W1 = integral_0^1 |F^-1(t) - G^-1(t)| dt with F^-1(t) = u[ceil(t n) - 1]; both quantile
    functions are constant between consecutive levels in {i/n} U {j/m}, so each piece is evaluated
    at its midpoint.
    """
    n, m = u.shape[1], v.shape[1]
    if n == m:
        return np.abs(u - v).mean(axis=1)
    levels = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    levels[-1] = 1.0
    lower = np.concatenate(([0.0], levels[:-1]))
    mid = 0.5 * (lower + levels)
    iu = np.minimum(np.floor(mid * n).astype(np.intp), n - 1)
    iv = np.minimum(np.floor(mid * m).astype(np.intp), m - 1)
    return np.abs(u[:, iu] - v[:, iv]) @ (levels - lower)


def _sliced_wasserstein1(a, b, n_projections: int, rng: np.random.Generator) -> float:
    d = a.shape[1]
    theta = rng.standard_normal((n_projections, d))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    pa = np.sort(theta @ a.T, axis=1)  # (P, n)
    pb = np.sort(theta @ b.T, axis=1)  # (P, m)
    return float(_w1_1d_rows(pa, pb).mean())


def wasserstein1(a, b, *, exact_max: int = 2000, n_projections: int = 256, seed: int = 0,
                 estimate: str = "subsample") -> float:
    """Wasserstein-1 distance between the empirical distributions of two point clouds.

    Args:
        a: (n, d) points (numpy array, list or torch tensor), finite.
        b: (m, d) points, same d.
        exact_max: largest equal size solved exactly. The assignment is O(n^3) in the worst case and
            slowest for far-apart clouds (near-tied costs): measured on one CPU core, 0.06-0.55 s at
            n = 1,000 and 0.3-4 s at n = 2,000; lower it for live use.
        n_projections: directions averaged by the "sliced" estimate.
        seed: seed of the numpy Generator used by the estimates (subsamples, directions).
        estimate: what to do when the exact path does not apply: "subsample" (default) or "sliced".

    Returns:
        If n == m <= exact_max: the EXACT W1, the mean matched Euclidean distance of the optimal
        assignment (scipy.optimize.linear_sum_assignment). Otherwise an ESTIMATE:
        "subsampled-exact" = mean exact W1 over up to MAX_SUBSETS (2) random equal-size subsample
        pairs of size min(n, m, exact_max) (biased slightly upwards), or "sliced" = sliced W1 over
        n_projections random directions (a lower bound on W1, not W1 itself). `wasserstein1_method`
        names the path taken.

    Raises:
        ValueError naming the argument on bad shapes, empty or non-finite inputs, or bad options.
    """
    pa = as_float_matrix(a, "a")
    pb = as_float_matrix(b, "b")
    if pa.shape[0] == 0 or pb.shape[0] == 0:
        raise ValueError(
            f"a and b must each hold at least one point; got {pa.shape} and {pb.shape}")
    if pa.shape[1] != pb.shape[1]:
        raise ValueError(
            f"a and b must have the same dimension d; got {pa.shape[1]} and {pb.shape[1]}")
    n_projections = _check_positive_int(n_projections, "n_projections")
    method = wasserstein1_method(pa.shape[0], pb.shape[0], exact_max, estimate)
    if method == "exact":
        return exact_wasserstein1(pa, pb)
    rng = np.random.default_rng(seed)
    if method == "sliced":
        return _sliced_wasserstein1(pa, pb, n_projections, rng)
    return _subsampled_wasserstein1(pa, pb, exact_max, rng)


__all__ = ["ESTIMATES", "MAX_SUBSETS", "exact_wasserstein1", "wasserstein1", "wasserstein1_method"]
