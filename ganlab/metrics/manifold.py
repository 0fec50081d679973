"""k-nearest-neighbour manifold metrics: precision / recall and density / coverage.

Each point x of a set is given the ball B(x, NND_k(x)), NND_k(x) the distance to its k-th nearest
neighbour in the same set, the point itself excluded. The union of those balls estimates the set's
support ("manifold").

- Precision and recall (Kynkaanniemi et al. 2019, "Improved precision and recall metric for
  assessing generative models", Eq. 1-2): precision = fraction of fake points inside the real
  manifold; recall = fraction of real points inside the fake manifold. Balls are closed:
  ||y - x|| <= NND_k(x).
- Density and coverage (Naeem et al. 2020, "Reliable fidelity and diversity metrics for generative
  models", Eq. 5-6), with real balls only, for N real points X and M fake points Y:

      density  = 1/(k M) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]  (unbounded; ~1 if p_g = p_data)
      coverage = 1/N sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]  (in [0, 1])

k-NN radii come from scipy.spatial.cKDTree; ball membership is counted exactly, in chunks of the
(fake x real) squared-distance matrix so memory stays bounded.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ganlab.metrics.modes import as_float_matrix

# Largest block of the pairwise distance matrix held at once (float64 entries).
_MAX_BLOCK_ENTRIES = 1 << 22


def _check_k(k, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {k!r}")
    return int(k)


def _check_pair(real, fake, k: int) -> tuple[np.ndarray, np.ndarray]:
    r = as_float_matrix(real, "real")
    f = as_float_matrix(fake, "fake")
    if r.shape[1] != f.shape[1]:
        raise ValueError(
            f"real and fake must have the same dimension; got {r.shape[1]} and {f.shape[1]}")
    return r, f


def knn_radii(points: np.ndarray, k: int, name: str = "points") -> np.ndarray:
    """(n,) distance from each point to its k-th nearest neighbour in `points`, itself excluded.

    Duplicates of a point count as neighbours at distance 0. Needs n >= k + 1.
    """
    if points.shape[0] < k + 1:
        raise ValueError(
            f"{name} needs at least k + 1 = {k + 1} points for k = {k}; got {points.shape[0]}")
    # The k+1 nearest include the point itself (distance 0), so column k is the k-th neighbour.
    dist, _ = cKDTree(points).query(points, k=k + 1)
    return dist[:, k]


def ball_counts(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """(q,) number of closed balls B(centres[i], radii[i]) that contain each query point (exact)."""
    counts = np.zeros(queries.shape[0], dtype=np.int64)
    r2 = radii * radii
    block = max(1, _MAX_BLOCK_ENTRIES // max(1, centres.shape[0]))
    for start in range(0, queries.shape[0], block):
        d2 = cdist(queries[start : start + block], centres, "sqeuclidean")
        counts[start : start + block] = (d2 <= r2[None, :]).sum(axis=1)
    return counts


def precision_recall(real, fake, *, k: int = 3) -> dict:
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN manifolds.

    Args:
        real: (N, d) real samples, N >= k + 1.
        fake: (M, d) generated samples, M >= k + 1, same d.
        k: neighbour rank defining each ball's radius (the paper uses k = 3).

    Returns:
        {"precision": fraction of fake points inside the union of balls B(x, NND_k(x)) over real x,
         "recall": fraction of real points inside the union of balls over fake points};
        both in [0, 1].
    """
    k = _check_k(k)
    r, f = _check_pair(real, fake, k)
    real_radii = knn_radii(r, k, "real")
    fake_radii = knn_radii(f, k, "fake")
    precision = float((ball_counts(f, r, real_radii) > 0).mean())
    recall = float((ball_counts(r, f, fake_radii) > 0).mean())
    return {"precision": precision, "recall": recall}


def density_coverage(real, fake, *, k: int = 5) -> dict:
    """Density and coverage (Naeem et al. 2020) with k-NN balls around the REAL points only.

    Args:
        real: (N, d) real samples, N >= k + 1.
        fake: (M, d) generated samples, M >= 1, same d.
        k: neighbour rank defining each real ball's radius (the paper uses k = 5).

    Returns:
        {"density": 1/(k M) * sum over fake points of the number of real balls containing them
             (>= 0, unbounded above, ~1 when fake and real come from one distribution),
         "coverage": fraction of real points whose ball contains at least one fake point,
             in [0, 1]}.
    """
    k = _check_k(k)
    r, f = _check_pair(real, fake, k)
    if f.shape[0] == 0:
        raise ValueError("fake must hold at least one point")
    radii = knn_radii(r, k, "real")
    density = float(ball_counts(f, r, radii).sum() / (k * f.shape[0]))
    nearest_fake, _ = cKDTree(f).query(r, k=1)
    coverage = float((nearest_fake <= radii).mean())
    return {"density": density, "coverage": coverage}


__all__ = ["ball_counts", "density_coverage", "knn_radii", "precision_recall"]
