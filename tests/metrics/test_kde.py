"""Tests for ganlab.metrics.kde: the binned FFT KDE against scipy.stats.gaussian_kde."""


import numpy as np
import pytest
from scipy.stats import gaussian_kde

from ganlab.metrics import grid_centres, kde_bandwidth, kde_factor, kde_grid

BOUNDS = (-4.0, 4.0, -4.0, 4.0)


def grid_points(bounds, size):
    xs, ys = grid_centres(bounds, size)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def test_fast_kde_agrees_with_scipy_gaussian_kde():
    rng = np.random.default_rng(3)
    # Correlated samples: the kernel covariance is full, not diagonal.
    samples = rng.normal(size=(2500, 2)) @ np.array([[1.0, 0.5], [0.0, 0.6]]) + [0.3, -0.2]
    size = 128
    fast, factor = kde_grid(samples, BOUNDS, size)
    ref_kde = gaussian_kde(samples.T)
    assert factor == pytest.approx(ref_kde.factor, rel=1e-12)
    ref = ref_kde(grid_points(BOUNDS, size).T).reshape(size, size)
    mask = ref > 0.01 * ref.max()
    np.testing.assert_allclose(fast[mask], ref[mask], rtol=2e-2)
    assert np.median(np.abs(fast[mask] / ref[mask] - 1)) < 2e-3
    # absolute units: the grid integral is ~1
    cell = (8.0 / size) ** 2
    assert fast.sum() * cell == pytest.approx(1.0, abs=1e-3)


def test_fast_kde_agrees_with_scipy_for_silverman_and_factor():
    rng = np.random.default_rng(4)
    samples = rng.normal(scale=0.7, size=(500, 2))
    for bw in ("silverman", 0.4):
        fast, factor = kde_grid(samples, BOUNDS, 96, bandwidth=bw)
        ref_kde = gaussian_kde(samples.T, bw_method=bw)
        assert factor == pytest.approx(ref_kde.factor, rel=1e-12)
        ref = ref_kde(grid_points(BOUNDS, 96).T).reshape(96, 96)
        mask = ref > 0.01 * ref.max()
        np.testing.assert_allclose(fast[mask], ref[mask], rtol=2e-2)


def test_samples_outside_the_window_still_contribute():
    # Samples just left of the window: gaussian_kde's tails reach inside, so must ours.
    rng = np.random.default_rng(5)
    samples = np.array([-5.0, 0.0]) + 0.6 * rng.normal(size=(400, 2))
    samples = samples[samples[:, 0] < -4.0]  # all outside; kernel std ~0.2 = 3 cells
    fast, _ = kde_grid(samples, BOUNDS, 128)
    ref = gaussian_kde(samples.T)(grid_points(BOUNDS, 128).T).reshape(128, 128)
    mask = ref > 0.01 * ref.max()
    assert mask.sum() > 100
    np.testing.assert_allclose(fast[mask], ref[mask], rtol=3e-2)


def test_bandwidth_rules_and_kde_bandwidth():
    n, d = 2500, 2
    assert kde_factor(n, d, "scott") == pytest.approx(n ** (-1 / 6), rel=1e-12)
    assert kde_factor(n, d, "silverman") == pytest.approx((n * 4 / 4) ** (-1 / 6), rel=1e-12)
    assert kde_factor(n, d, 0.25) == 0.25
    samples = np.random.default_rng(6).normal(size=(n, 2)) * [2.0, 0.5]
    widths = kde_bandwidth(samples, "scott")
    expected = samples.std(axis=0, ddof=1) * n ** (-1 / 6)
    np.testing.assert_allclose(widths, expected, rtol=1e-12)
    _, factor = kde_grid(samples, BOUNDS, 32, bandwidth="silverman")
    assert factor == pytest.approx(kde_factor(n, d, "silverman"), rel=1e-12)


def test_collapsed_samples_get_a_kernel_of_half_a_cell():
    # mode collapse: every sample identical -> singular covariance; the kernel is floored, mass ~1
    density, _ = kde_grid(np.tile([[1.0, 1.0]], (100, 1)), BOUNDS, 64)
    assert np.isfinite(density).all()
    # a kernel half a cell wide, sampled at the cells: its grid sum is within a few % of 1
    assert density.sum() * (8.0 / 64) ** 2 == pytest.approx(1.0, abs=0.05)


BAD_INPUTS = [(dict(bounds=(1, 0, 0, 1)), "bounds"), (dict(size=1), "size"), (dict(bandwidth="wide"), "bandwidth"),
              (dict(bandwidth=-1.0), "bandwidth"), (dict(samples=np.zeros((5, 3))), "samples"),
              (dict(samples=np.zeros((1, 2))), "at least 2")]


@pytest.mark.parametrize("kwargs, word", BAD_INPUTS)
def test_bad_input_raises(kwargs, word):
    args = dict(samples=np.random.default_rng(9).normal(size=(50, 2)), bounds=BOUNDS, size=16)
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        kde_grid(args.pop("samples"), args.pop("bounds"), **args)
