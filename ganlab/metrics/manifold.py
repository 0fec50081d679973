"""k-nearest-neighbour manifold metrics: precision / recall and density / coverage.

Each point x of a set is given the ball B(x, NND_k(x)), NND_k(x) the distance to its k-th nearest
neighbour in the same set, the point itself excluded (duplicates of x count, at distance 0). The
union of those balls estimates the set's support ("manifold").

Ball rule (the one clovaai/generative-evaluation-prdc's compute_prdc uses): balls are OPEN, a point
y is inside B(x, r) when ||y - x|| < r STRICTLY. A point exactly on the edge is outside, and a
radius of 0 (x has k duplicates) holds nothing. Ties are decided exactly: squared distances come
from one fixed per-pair computation, sum over coordinates of (x_c - y_c)^2 in coordinate order
(symmetric in x and y, and equal for equal coordinates), and the squared radii are order statistics
of those same squared distances, so an exact copy's distances equal the radii bit for bit. No
square root is taken before comparing.

- Precision and recall (Kynkaanniemi et al. 2019, "Improved precision and recall metric for
  assessing generative models", Eq. 1-2): precision = fraction of fake points inside the real
  manifold; recall = fraction of real points inside the fake manifold.
- Density and coverage (Naeem et al. 2020, "Reliable fidelity and diversity metrics for generative
  models", Eq. 5-6), with real balls only, for N real points X and M fake points Y:

      density  = 1/(k M) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]  (unbounded; ~1 if p_g = p_data)
      coverage = 1/N sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]  (in [0, 1])

  With open balls a set against an exact copy of itself (no tied distances) reads density 1.0 and
  coverage 1.0 exactly: each ball holds its centre and its k - 1 nearest neighbours.

Everything is counted exactly from the (real x fake) squared-distance matrix, in row blocks so
memory stays bounded. The results equal compute_prdc's on random sets and on an integer lattice full
of ties (tests/metrics/test_manifold.py); prdc's own distances (sklearn's |x|^2 - 2 x.y + |y|^2, then
a square root) can differ from these by round-off, so a pair within ~1e-13 of an edge may be
decided differently there. (Before this rule, square-rooted k-d tree radii were squared again and
compared with <=, so a copy of a set read density 1.15 rather than 1 at k = 5.)
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ganlab.metrics.modes import as_float_matrix

# Largest block of a pairwise distance matrix held at once (float64 entries).
_MAX_BLOCK_ENTRIES = 1 << 22
# k-NN radii: k-d tree candidates (then recomputed exactly) up to this dimension; full rows above.
_KD_TREE_MAX_DIM = 8
_EXTRA_CANDIDATES = 4


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


def _row_blocks(n_rows: int, n_cols: int):
    """Slices of at most _MAX_BLOCK_ENTRIES // n_cols rows covering range(n_rows)."""
    step = max(1, _MAX_BLOCK_ENTRIES // max(1, n_cols))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) squared Euclidean distances between a (n, d) and b (m, d), float64.

    scipy's cdist "sqeuclidean": for every pair the same C loop adds (a_c - b_c)^2 over the
    coordinates c = 0, ..., d-1 in order (no a.b expansion, no BLAS). Entry (i, j) therefore depends
    only on the two points: it is bit-identical for (b_j, a_i), for copies of the points and across
    row blocks, and 0 exactly for equal points (tests/metrics/test_manifold.py checks it against that
    sum written out in numpy).
    """
    return cdist(a, b, "sqeuclidean")


def _paired_squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(p,) squared distances between rows a[i] and b[i] (a, b (p, d)), in the same arithmetic as
    `squared_distances`: 0 + (a_0 - b_0)^2 + (a_1 - b_1)^2 + ... in coordinate order."""
    out = np.zeros(a.shape[0], dtype=np.float64)
    for c in range(a.shape[1]):
        diff = a[:, c] - b[:, c]
        out += diff * diff
    return out


def knn_squared_radii(points: np.ndarray, k: int, name: str = "points") -> np.ndarray:
    """(n,) squared distance from each point to its k-th nearest neighbour in `points`, itself
    excluded (duplicates count, at distance 0): the (k+1)-th smallest entry of the point's row of
    `squared_distances(points, points)`, whose smallest entry is the point's own 0. Needs n >= k + 1.

    In low dimension (d <= 8) a k-d tree proposes the k + 1 + _EXTRA_CANDIDATES nearest points;
    their squared distances are recomputed in `squared_distances`' arithmetic, and a row is kept
    only if the farthest candidate lies beyond the resulting radius by a margin far above round-off
    (so no point outside the candidates can be at or below it). Other rows, and every row in higher
    dimension, take the order statistic of the full row. Either way the value is the exact order
    statistic of `squared_distances`.
    """
    n = points.shape[0]
    if n < k + 1:
        raise ValueError(f"{name} needs at least k + 1 = {k + 1} points for k = {k}; got {n}")
    out = np.full(n, np.nan)
    n_candidates = k + 1 + _EXTRA_CANDIDATES
    if points.shape[1] <= _KD_TREE_MAX_DIM and n > n_candidates:
        tree_dist, idx = cKDTree(points).query(points, k=n_candidates)
        exact = _paired_squared_distances(np.repeat(points, n_candidates, axis=0), points[idx.ravel()])
        radii2 = np.partition(exact.reshape(n, n_candidates), k, axis=1)[:, k]
        farthest2 = tree_dist[:, -1] ** 2
        safe = farthest2 > radii2 * (1.0 + 1e-9)
        out[safe] = radii2[safe]
    todo = np.flatnonzero(np.isnan(out))
    for rows in _row_blocks(todo.size, n):
        block = todo[rows]
        out[block] = np.partition(squared_distances(points[block], points), k, axis=1)[:, k]
    return out


def knn_radii(points: np.ndarray, k: int, name: str = "points") -> np.ndarray:
    """(n,) distance from each point to its k-th nearest neighbour in `points`, itself excluded.

    The square root of `knn_squared_radii` (the metrics compare squared values, never these).
    Duplicates of a point count as neighbours at distance 0. Needs n >= k + 1.
    """
    return np.sqrt(knn_squared_radii(points, k, name))


def _count_inside(queries: np.ndarray, centres: np.ndarray, squared_radii: np.ndarray) -> np.ndarray:
    counts = np.zeros(queries.shape[0], dtype=np.int64)
    for rows in _row_blocks(queries.shape[0], centres.shape[0]):
        d2 = squared_distances(queries[rows], centres)
        counts[rows] = (d2 < squared_radii[None, :]).sum(axis=1)
    return counts


def ball_counts(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """(q,) number of open balls B(centres[i], radii[i]) that contain each query point:
    ||query - centre_i|| < radii[i], compared as squared distance < radii[i]^2.

    Squaring a square-rooted radius can move it by an ulp; the metrics below therefore never call
    this, they compare against `knn_squared_radii` directly.
    """
    radii = np.asarray(radii, dtype=np.float64)
    return _count_inside(queries, centres, radii * radii)


def _memberships(r: np.ndarray, f: np.ndarray, real_r2: np.ndarray, fake_r2: np.ndarray | None):
    """One pass over the (real x fake) squared distances, strict rule.

    Returns (balls_per_fake (M,) int: real balls containing each fake point,
             real_covered (N,) bool: the real point's ball contains a fake point,
             real_in_fake (N,) bool or None: the real point is inside some fake ball).
    """
    balls_per_fake = np.zeros(f.shape[0], dtype=np.int64)
    real_covered = np.zeros(r.shape[0], dtype=bool)
    real_in_fake = None if fake_r2 is None else np.zeros(r.shape[0], dtype=bool)
    for rows in _row_blocks(r.shape[0], f.shape[0]):
        d2 = squared_distances(r[rows], f)  # (block, M)
        inside = d2 < real_r2[rows, None]
        balls_per_fake += inside.sum(axis=0)
        real_covered[rows] = inside.any(axis=1)
        if real_in_fake is not None:
            real_in_fake[rows] = (d2 < fake_r2[None, :]).any(axis=1)
    return balls_per_fake, real_covered, real_in_fake


def precision_recall(real, fake, *, k: int = 3) -> dict:
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN manifolds.

    Args:
        real: (N, d) real samples, N >= k + 1.
        fake: (M, d) generated samples, M >= k + 1, same d.
        k: neighbour rank defining each ball's radius (the paper uses k = 3).

    Returns:
        {"precision": fraction of fake points inside the union of the open balls B(x, NND_k(x))
             over real x (strictly closer than the radius; see the module docstring),
         "recall": fraction of real points inside the union of the open balls over fake points};
        both in [0, 1], equal to compute_prdc's.
    """
    k = _check_k(k)
    r, f = _check_pair(real, fake, k)
    real_r2 = knn_squared_radii(r, k, "real")
    fake_r2 = knn_squared_radii(f, k, "fake")
    balls_per_fake, _, real_in_fake = _memberships(r, f, real_r2, fake_r2)
    return {"precision": float((balls_per_fake > 0).mean()), "recall": float(real_in_fake.mean())}


def density_coverage(real, fake, *, k: int = 5) -> dict:
    """Density and coverage (Naeem et al. 2020) with k-NN balls around the REAL points only.

    Args:
        real: (N, d) real samples, N >= k + 1.
        fake: (M, d) generated samples, M >= 1, same d.
        k: neighbour rank defining each real ball's radius (the paper uses k = 5).

    Returns:
        {"density": 1/(k M) * sum over fake points of the number of open real balls containing
             them (strictly closer than the radius; >= 0, unbounded above, ~1 when fake and real
             come from one distribution, 1.0 exactly for an exact copy without tied distances),
         "coverage": fraction of real points whose open ball contains at least one fake point,
             in [0, 1]}; both equal to compute_prdc's.
    """
    k = _check_k(k)
    r, f = _check_pair(real, fake, k)
    if f.shape[0] == 0:
        raise ValueError("fake must hold at least one point")
    balls_per_fake, real_covered, _ = _memberships(r, f, knn_squared_radii(r, k, "real"), None)
    return {"density": float(balls_per_fake.sum() / (k * f.shape[0])),
            "coverage": float(real_covered.mean())}


__all__ = [
    "ball_counts", "density_coverage", "knn_radii", "knn_squared_radii", "precision_recall",
    "squared_distances",
]
