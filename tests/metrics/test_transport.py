"""Tests for ganlab.metrics.transport (Wasserstein-1)."""

import itertools
import math

import numpy as np
import pytest

from ganlab.metrics import wasserstein1, wasserstein1_method


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
    assert wasserstein1_method(100, 99) == "subsampled-exact"
    assert wasserstein1_method(100, 99, estimate="sliced") == "sliced"


def test_subsample_estimate_within_ten_percent_of_exact():
    rng = np.random.default_rng(4)
    a = rng.normal(scale=0.3, size=(900, 2))
    b = a + np.array([1.2, 1.6])  # exact W1 = 2.0
    assert wasserstein1_method(900, 900, exact_max=300) == "subsampled-exact"
    est = wasserstein1(a, b, exact_max=300, seed=0)
    assert est == pytest.approx(2.0, rel=0.10)
    assert est >= 2.0 - 0.05  # the subsample estimate is biased up, never far below


def test_unequal_sizes_use_the_estimate():
    rng = np.random.default_rng(5)
    a = rng.normal(scale=0.2, size=(300, 2))
    b = rng.normal(scale=0.2, size=(250, 2)) + [3.0, 0.0]
    est = wasserstein1(a, b)
    assert est == pytest.approx(3.0, rel=0.10)
    assert est == wasserstein1(a, b)  # seeded: deterministic


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
