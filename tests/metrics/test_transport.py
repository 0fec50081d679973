"""Tests for ganlab.metrics.transport (Wasserstein-1)."""

import itertools
import math

import numpy as np
import ot
import pytest

from ganlab.metrics import exact_wasserstein1, wasserstein1, wasserstein1_method
from ganlab.metrics.transport import subsample_sizes


def emd_reference(a, b):
    """Exact W1 between the uniform empirical distributions by POT's network simplex."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    weights_a, weights_b = np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b))
    return float(ot.emd2(weights_a, weights_b, ot.dist(a, b, metric="euclidean"), numItermax=10**7))


def test_shifted_copy_has_w1_equal_to_shift_length():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(200, 2))
    shift = np.array([0.3, -0.4])
    assert wasserstein1(a, a + shift) == pytest.approx(0.5, abs=1e-9)


def test_matches_brute_force_over_permutations():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(6, 2))
    b = rng.normal(size=(6, 2)) + [0.5, 0.0]
    cost = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    best = min(cost[np.arange(6), list(p)].mean() for p in itertools.permutations(range(6)))
    assert wasserstein1(a, b) == pytest.approx(best, abs=1e-12)


def test_self_distance_is_zero():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(50, 3))
    assert wasserstein1(a, a) == pytest.approx(0.0, abs=1e-12)
    assert wasserstein1(a, a[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_method_names():
    assert wasserstein1_method(100, 100) == "exact"
    assert wasserstein1_method(2000, 2000) == "exact"
    assert wasserstein1_method(2001, 2001) == "subsampled-exact"
    assert wasserstein1_method(300, 200) == "exact"  # lcm 600
    assert wasserstein1_method(2000, 1000) == "exact"  # lcm 2000
    assert wasserstein1_method(2000, 1999) == "subsampled-exact"  # lcm 3,998,000
    assert wasserstein1_method(100, 99) == "subsampled-exact"  # lcm 9,900
    assert wasserstein1_method(100, 99, exact_max=9900) == "exact"
    assert wasserstein1_method(100, 99, estimate="sliced") == "sliced"
    assert wasserstein1_method(300, 200, estimate="sliced") == "exact"


def test_subsample_estimate_within_ten_percent_of_exact():
    rng = np.random.default_rng(4)
    a = rng.normal(scale=0.3, size=(900, 2))
    b = a + np.array([1.2, 1.6])  # exact W1 = 2.0
    assert wasserstein1_method(900, 900, exact_max=300) == "subsampled-exact"
    est = wasserstein1(a, b, exact_max=300, seed=0)
    assert est == pytest.approx(2.0, rel=0.10)
    assert est >= 2.0 - 0.05  # the subsample estimate is biased up, never far below


@pytest.mark.parametrize("n, seed, shift", [(50, 0, 0.0), (200, 1, 0.7), (333, 2, 3.0)])
def test_equal_sizes_match_pot(n, seed, shift):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + [shift, 0.0]
    assert wasserstein1(a, b) == pytest.approx(emd_reference(a, b), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("n, m, d, shift", [(300, 200, 2, 0.5), (200, 300, 2, 0.0), (120, 45, 3, 1.0),
                                            (7, 3, 2, 0.0), (64, 48, 5, 2.0), (1, 5, 2, 1.0), (400, 1, 2, 0.0)])
def test_unequal_sizes_with_small_lcm_are_exact(n, m, d, shift):
    rng = np.random.default_rng(n + m)
    a, b = rng.normal(size=(n, d)), rng.normal(size=(m, d)) + shift
    assert wasserstein1_method(n, m) == "exact"
    expected = emd_reference(a, b)
    assert wasserstein1(a, b) == pytest.approx(expected, rel=1e-10, abs=1e-12)
    assert exact_wasserstein1(a, b) == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_unequal_sizes_hand_example():
    # a = {0, 1}, b = {0, 0.5, 1} on a line: move 1/6 of a's mass 0.5 from each end to the middle.
    a, b = np.array([[0.0], [1.0]]), np.array([[0.0], [0.5], [1.0]])
    assert wasserstein1(a, b) == pytest.approx(1 / 6, abs=1e-12)
    # one point against many: the mean distance to them
    b = np.array([[3.0, 4.0], [0.0, 1.0], [-2.0, 0.0]])
    assert wasserstein1(np.zeros((1, 2)), b) == pytest.approx((5.0 + 1.0 + 2.0) / 3, abs=1e-12)


def test_subsample_sizes_leave_the_least_out_under_the_lcm_cap():
    assert subsample_sizes(1000, 999, 2000) == (999, 999)
    assert subsample_sizes(2500, 1000, 2000) == (2000, 1000)
    assert subsample_sizes(999, 1000, 2000) == (999, 999)
    # brute force over every pair on small sizes
    for n, m, cap in [(10, 7, 20), (23, 17, 60), (40, 40, 30), (9, 25, 50)]:
        pairs = [(i, j) for i in range(1, n + 1) for j in range(1, m + 1) if math.lcm(i, j) <= cap]
        best = min((1 / i - 1 / n) + (1 / j - 1 / m) for i, j in pairs)
        got = subsample_sizes(n, m, cap)
        assert math.lcm(*got) <= cap and got[0] <= n and got[1] <= m
        assert (1 / got[0] - 1 / n) + (1 / got[1] - 1 / m) == pytest.approx(best, abs=1e-15)


def two_clouds(kind, n, m, seed):
    rng = np.random.default_rng(seed)
    if kind == "same":  # two samples of one distribution: W1 is the sampling floor
        return rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    return rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + [0.5, 0.0]  # "apart": shifted 0.5 std


# The documented error ranges of the "subsampled-exact" estimate (wasserstein1's docstring).
@pytest.mark.parametrize(
    "n, m, exact_max, kind, low, high",
    [(1000, 999, 2000, "apart", -0.01, 0.01), (1000, 999, 2000, "same", -0.01, 0.01),
     (1000, 400, 500, "apart", -0.04, 0.04), (1000, 400, 500, "same", -0.04, 0.20),
     (700, 450, 500, "apart", -0.04, 0.04), (1500, 1000, 500, "apart", -0.04, 0.04)],
)
def test_subsample_estimate_is_within_its_documented_error(n, m, exact_max, kind, low, high):
    assert wasserstein1_method(n, m, exact_max) == "subsampled-exact"
    for seed in (0, 1):
        a, b = two_clouds(kind, n, m, seed)
        relative = wasserstein1(a, b, exact_max=exact_max, seed=seed) / emd_reference(a, b) - 1.0
        assert low <= relative <= high, f"seed {seed}: {100 * relative:+.1f} %"


def test_sliced_estimate_of_a_shift_is_two_over_pi_of_it():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(400, 2))
    b = a + np.array([3.0, 4.0])
    sliced = wasserstein1(a, b, exact_max=100, estimate="sliced", n_projections=2048)
    assert sliced == pytest.approx(5.0 * 2.0 / math.pi, rel=0.03)


def test_sliced_unequal_sizes_one_dimension_exact():
    # In 1-D every projection is +-identity, so sliced W1 is the exact 1-D W1 of the quantiles:
    # a = {0, 1}, b = {0, 0.5, 1}: integral |F^-1 - G^-1| = 1/6 * 0.5 + 1/6 * 0.5 = 1/6.
    a = np.array([[0.0], [1.0]])
    b = np.array([[0.0], [0.5], [1.0]])
    assert wasserstein1(a, b, estimate="sliced", n_projections=4) == pytest.approx(1 / 6, abs=1e-12)


def test_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    a = torch.zeros(5, 2, requires_grad=True)
    assert wasserstein1(a, torch.ones(5, 2)) == pytest.approx(math.sqrt(2), abs=1e-12)


@pytest.mark.parametrize(
    "a, b, word",
    [
        (np.zeros((3, 2)), np.zeros((3, 3)), "dimension"),
        (np.zeros(3), np.zeros((3, 1)), "a must"),
        (np.zeros((3, 2)), np.full((3, 2), np.nan), "b contains"),
        (np.zeros((0, 2)), np.zeros((3, 2)), "at least one"),
    ],
)
def test_bad_input_raises(a, b, word):
    with pytest.raises(ValueError, match=word):
        wasserstein1(a, b)


def test_bad_estimate_name():
    with pytest.raises(ValueError, match="estimate"):
        wasserstein1(np.zeros((3, 2)), np.zeros((4, 2)), estimate="nope")
