"""Tests for ganlab.metrics.manifold (precision/recall, density/coverage)."""

import contextlib
import io
import itertools

import numpy as np
import pytest
from prdc import compute_prdc

from ganlab.metrics import density_coverage, precision_recall
from ganlab.metrics.manifold import knn_radii, knn_squared_radii, squared_distances


def prdc_reference(real, fake, k):
    with contextlib.redirect_stdout(io.StringIO()):  # compute_prdc prints the set sizes
        return {key: float(value) for key, value in compute_prdc(real, fake, nearest_k=k).items()}


def assert_matches_prdc(real, fake, k, abs_tol=1e-9):
    expected = prdc_reference(real, fake, k)
    got = {**precision_recall(real, fake, k=k), **density_coverage(real, fake, k=k)}
    assert got == pytest.approx(expected, abs=abs_tol)


def cloud(n=300, seed=0, shift=(0.0, 0.0)):
    return np.random.default_rng(seed).normal(size=(n, 2)) + np.asarray(shift)


def test_set_against_itself_is_perfect():
    x = cloud()
    assert precision_recall(x, x) == {"precision": 1.0, "recall": 1.0}
    assert density_coverage(x, x)["coverage"] == 1.0


def test_far_away_fake_scores_zero():
    out = precision_recall(cloud(), cloud(seed=1, shift=(100.0, 0.0)))
    assert out == {"precision": 0.0, "recall": 0.0}
    dc = density_coverage(cloud(), cloud(seed=1, shift=(100.0, 0.0)))
    assert dc == {"density": 0.0, "coverage": 0.0}


def test_hand_example_on_a_line():
    # Real points 0, 1, 2, 3 on the x axis; k = 1 -> every radius is 1.
    real = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    fake = np.array([[0.5, 0.0], [10.0, 0.0]])
    dc = density_coverage(real, fake, k=1)
    # (0.5, 0) lies in the balls of 0 and 1 (2 balls); (10, 0) in none: density = 2 / (1 * 2).
    assert dc["density"] == pytest.approx(1.0, abs=1e-12)
    # real 0 and 1 have a fake within radius 1; 2 and 3 do not.
    assert dc["coverage"] == pytest.approx(0.5, abs=1e-12)
    pr = precision_recall(real, fake, k=1)
    assert pr["precision"] == pytest.approx(0.5, abs=1e-12)
    # fake radii (k = 1): 9.5 each -> every real point lies within 9.5 of (0.5, 0) or (10, 0).
    assert pr["recall"] == 1.0


def test_mode_dropping_lowers_recall_not_precision():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [5.0, 0.0]])
    real = np.concatenate([c + 0.3 * rng.normal(size=(200, 2)) for c in centres])
    fake = centres[0] + 0.3 * rng.normal(size=(400, 2))  # only the first mode
    pr = precision_recall(real, fake)
    assert pr["precision"] > 0.9
    assert pr["recall"] == pytest.approx(0.5, abs=0.05)
    assert density_coverage(real, fake)["coverage"] == pytest.approx(0.5, abs=0.05)


def test_same_distribution_density_near_one():
    dc = density_coverage(cloud(2000, seed=4), cloud(2000, seed=5))
    assert dc["density"] == pytest.approx(1.0, abs=0.1)
    assert dc["coverage"] > 0.9


def test_duplicates_give_empty_balls():
    # Every radius is 0 (each point has 4 duplicates); open balls of radius 0 hold nothing, as in prdc.
    real, fake = np.zeros((5, 2)), np.zeros((6, 2))
    assert precision_recall(real, fake) == {"precision": 0.0, "recall": 0.0}
    assert density_coverage(real, fake, k=3) == {"density": 0.0, "coverage": 0.0}
    assert_matches_prdc(real, fake, k=3)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="k \\+ 1"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)), k=3)
    with pytest.raises(ValueError, match="dimension"):
        density_coverage(np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="k must"):
        precision_recall(np.zeros((10, 2)), np.zeros((10, 2)), k=0)
    with pytest.raises(ValueError, match="fake"):
        precision_recall(np.zeros((10, 2)), np.zeros(10))


# --- the ball rule: open balls, ties decided exactly (as clovaai/generative-evaluation-prdc) ---


@pytest.mark.parametrize("n, d, k", [(300, 2, 5), (2500, 2, 5), (500, 2, 1), (400, 16, 3), (200, 64, 7)])
def test_exact_copy_reads_one_exactly(n, d, k):
    x = np.random.default_rng(n + d).normal(size=(n, d))
    shuffled = x[np.random.default_rng(1).permutation(n)]  # same points, another order
    for copy in (x.copy(), shuffled):
        assert density_coverage(x, copy, k=k) == {"density": 1.0, "coverage": 1.0}
        assert precision_recall(x, copy, k=k) == {"precision": 1.0, "recall": 1.0}


@pytest.mark.parametrize(
    "n_real, n_fake, d, k, scale, shift",
    [(200, 300, 2, 3, 1.0, 0.3), (500, 400, 2, 5, 1.3, 0.0), (1000, 1000, 2, 10, 0.8, 0.5),
     (300, 300, 16, 5, 1.0, 0.2), (150, 250, 64, 1, 1.1, 0.0), (600, 100, 3, 2, 2.0, 1.0)],
)
def test_random_sets_agree_with_prdc(n_real, n_fake, d, k, scale, shift):
    rng = np.random.default_rng(n_real + n_fake + d + k)
    real = rng.normal(size=(n_real, d))
    fake = scale * rng.normal(size=(n_fake, d)) + shift
    assert_matches_prdc(real, fake, k)


def lattice_reference(real2, fake2, k):
    """Strict-rule precision, recall, density, coverage by brute force in exact integer arithmetic
    (real2, fake2: lists of integer coordinate tuples, all coordinates doubled)."""
    def sq(p, q):
        return sum((a - b) ** 2 for a, b in zip(p, q, strict=True))

    def radii(points):  # k-th smallest distance to the others (the point itself excluded once)
        return [sorted(sq(p, q) for j, q in enumerate(points) if j != i)[k - 1] for i, p in enumerate(points)]

    r_real, r_fake = radii(real2), radii(fake2)
    inside = [[sq(x, y) < r for x, r in zip(real2, r_real, strict=True)] for y in fake2]  # [fake][real]
    return {
        "precision": sum(any(row) for row in inside) / len(fake2),
        "recall": sum(any(sq(x, y) < r for y, r in zip(fake2, r_fake, strict=True)) for x in real2) / len(real2),
        "density": sum(map(sum, inside)) / (k * len(fake2)),
        "coverage": sum(any(row[i] for row in inside) for i in range(len(real2))) / len(real2),
    }


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8])
def test_lattice_ties_follow_the_strict_rule(k):
    # Real points on the integer lattice {0..4}^2, fake points on the half-integer lattice: many fake
    # points lie exactly on a real ball's edge (interior radius 1 for k <= 4, sqrt 2 for k 5..8).
    real = np.array(list(itertools.product(range(5), repeat=2)), dtype=np.float64)
    fake = np.array(list(itertools.product(np.arange(-0.5, 5.0, 0.5), repeat=2)))
    expected = lattice_reference([tuple(int(2 * v) for v in p) for p in real],
                                 [tuple(int(2 * v) for v in p) for p in fake], k)
    got = {**precision_recall(real, fake, k=k), **density_coverage(real, fake, k=k)}
    assert got == pytest.approx(expected, abs=1e-15)
    assert_matches_prdc(real, fake, k)  # prdc's float distances are exact on this lattice too


def test_a_fake_point_on_the_edge_is_outside():
    # k = 1: real radii are 1; (1, 0) lies on the edge of the ball of (0, 0) and inside none.
    real = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 0.0], [5.0, 1.0]])
    on_edge = np.array([[1.0, 0.0]])
    assert density_coverage(real, on_edge, k=1) == {"density": 0.0, "coverage": 0.0}
    just_inside = np.array([[np.nextafter(1.0, 0.0), 0.0]])
    assert density_coverage(real, just_inside, k=1) == {"density": 1.0, "coverage": 0.25}


def test_squared_distances_are_one_per_pair_computation():
    rng = np.random.default_rng(9)
    for d in (1, 2, 3, 7, 33):
        a, b = rng.normal(size=(13, d)) * 10 ** rng.uniform(-3, 3, size=d), rng.normal(size=(10, d))
        explicit = np.zeros((13, 10))
        for c in range(d):  # 0 + (a_0 - b_0)^2 + (a_1 - b_1)^2 + ..., in coordinate order
            explicit += (a[:, c, None] - b[None, :, c]) ** 2
        np.testing.assert_array_equal(squared_distances(a, b), explicit)
        np.testing.assert_array_equal(squared_distances(b, a), explicit.T)
        np.testing.assert_array_equal(squared_distances(a[5:6], b[3:]), explicit[5:6, 3:])
        assert np.all(np.diag(squared_distances(a, a)) == 0.0)


@pytest.mark.parametrize("d", [2, 12])
def test_knn_squared_radii_are_order_statistics_of_the_squared_distances(d):
    rng = np.random.default_rng(d)
    points = np.concatenate([rng.normal(size=(400, d)), np.round(rng.normal(size=(100, d)))])  # ties
    for k in (1, 3, 5):
        expected = np.sort(squared_distances(points, points), axis=1)[:, k]
        np.testing.assert_array_equal(knn_squared_radii(points, k), expected)
        np.testing.assert_array_equal(knn_radii(points, k), np.sqrt(expected))
