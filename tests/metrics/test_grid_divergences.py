"""Tests for ganlab.metrics.grid_divergences (grid JSD / KL / TV with a binned FFT KDE)."""

import math

import numpy as np
import pytest
from scipy.stats import gaussian_kde

from ganlab.metrics import grid_centres, grid_divergences, kde_bandwidth, kde_factor, kde_grid

BOUNDS = (-4.0, 4.0, -4.0, 4.0)


def gaussian_log_density(mean, std):
    mean = np.asarray(mean, dtype=float)

    def log_p(points):
        d2 = ((points - mean) ** 2).sum(axis=1)
        return -0.5 * d2 / std**2 - math.log(2 * math.pi * std**2)

    return log_p


def grid_points(bounds, size):
    xs, ys = grid_centres(bounds, size)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def test_same_distribution_gives_near_zero_divergences():
    # Off-centre and anisotropic-free: a transposed grid would not match (checks the layout too).
    mean = np.array([1.0, -0.5])
    fake = mean + np.random.default_rng(0).normal(size=(2500, 2))
    out = grid_divergences(gaussian_log_density(mean, 1.0), fake, BOUNDS)
    assert 0.0 <= out["jsd"] < 0.02
    assert out["kl_data_fake"] < 0.05
    assert out["kl_fake_data"] < 0.05
    assert out["tv"] < 0.1


def test_far_apart_narrow_gaussians_give_log2_and_tv_one():
    fake = np.array([2.0, 0.0]) + 0.1 * np.random.default_rng(1).normal(size=(2500, 2))
    out = grid_divergences(gaussian_log_density([-2.0, 0.0], 0.1), fake, (-3, 3, -3, 3))
    assert out["jsd"] == pytest.approx(math.log(2), abs=0.02)
    assert out["jsd"] <= math.log(2)
    assert out["tv"] == pytest.approx(1.0, abs=0.01)
    assert out["kl_data_fake"] > 10.0  # bounded only by the 1e-12 floor: ~log(1e12) = 27.6
    assert out["kl_fake_data"] > 10.0
    assert out["kl_data_fake"] < 28.0


def test_divergences_grow_with_separation():
    rng = np.random.default_rng(2)
    base = rng.normal(size=(2500, 2))
    jsds = [grid_divergences(gaussian_log_density([0, 0], 1.0), base + [s, 0], BOUNDS)["jsd"]
            for s in (0.0, 0.5, 1.0, 2.0)]
    assert jsds == sorted(jsds)
    assert jsds[-1] > 10 * jsds[0]


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
    log_p = gaussian_log_density([0, 0], 1.0)
    out = grid_divergences(log_p, samples, BOUNDS, bandwidth="silverman")
    assert out["bandwidth"] == pytest.approx(kde_factor(n, d, "silverman"), rel=1e-12)


def test_density_array_input_matches_callable():
    log_p = gaussian_log_density([0.5, 0.0], 0.8)
    fake = np.random.default_rng(7).normal(size=(1000, 2))
    size = 64
    values = np.exp(log_p(grid_points(BOUNDS, size))).reshape(size, size)
    a = grid_divergences(log_p, fake, BOUNDS, size=size)
    b = grid_divergences(values, fake, BOUNDS, size=size)
    for key in ("jsd", "kl_data_fake", "kl_fake_data", "tv"):
        assert a[key] == pytest.approx(b[key], rel=1e-9)


def test_collapsed_generator_is_handled():
    # Mode collapse: every sample identical -> singular covariance; must still give finite numbers.
    fake = np.tile([[1.0, 1.0]], (100, 1))
    out = grid_divergences(gaussian_log_density([0, 0], 1.0), fake, BOUNDS, size=64)
    assert all(math.isfinite(out[k]) for k in ("jsd", "kl_data_fake", "kl_fake_data", "tv"))
    assert out["jsd"] > 0.3


def test_generator_outside_the_window_gives_uniform_p_g():
    fake = np.random.default_rng(8).normal(scale=0.1, size=(200, 2)) + [100.0, 100.0]
    out = grid_divergences(gaussian_log_density([0, 0], 1.0), fake, BOUNDS, size=32)
    assert 0.0 < out["jsd"] <= math.log(2)
    assert math.isfinite(out["kl_data_fake"])


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(bounds=(1, 0, 0, 1)), "bounds"),
        (dict(size=1), "size"),
        (dict(bandwidth="wide"), "bandwidth"),
        (dict(bandwidth=-1.0), "bandwidth"),
        (dict(fake=np.zeros((5, 3))), "fake"),
        (dict(fake=np.zeros((1, 2))), "at least 2"),
        (dict(log_p_data=-np.ones((16, 16))), "log densities"),
        (dict(log_p_data=np.ones((8, 8))), "shape"),
    ],
)
def test_bad_input_raises(kwargs, word):
    args = dict(log_p_data=gaussian_log_density([0, 0], 1.0),
                fake=np.random.default_rng(9).normal(size=(50, 2)), bounds=BOUNDS, size=16)
    args.update(kwargs)
    log_p_data, fake, bounds = args.pop("log_p_data"), args.pop("fake"), args.pop("bounds")
    with pytest.raises(ValueError, match=word):
        grid_divergences(log_p_data, fake, bounds, **args)


def test_f_divergences_on_hand_grids():
    """Pearson, squared Hellinger and triangular discrimination against hand values on a 2x2 grid."""
    import math

    from ganlab.metrics.grid_divergences import _to_grid_distribution

    p = _to_grid_distribution(np.array([[0.5, 0.25], [0.25, 0.0]]))
    q = _to_grid_distribution(np.array([[0.25, 0.25], [0.25, 0.25]]))
    pearson = float(np.sum((p - q) ** 2 / q))
    assert pearson == pytest.approx(0.25 ** 2 / 0.25 + 0.25 ** 2 / 0.25, rel=1e-6)
    hell = float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))
    assert hell == pytest.approx((math.sqrt(0.5) - 0.5) ** 2 + 0.25, rel=1e-5)


def test_grid_divergences_reports_every_f_divergence_and_zero_for_identical():
    rng = np.random.default_rng(0)
    fake = rng.normal(size=(4000, 2))
    bounds = (-4.0, 4.0, -4.0, 4.0)
    from ganlab.metrics import kde_grid

    q_dens, _ = kde_grid(fake, bounds, 64)
    same = grid_divergences(q_dens, fake, bounds, size=64)
    for key in ("pearson", "hellinger", "triangular"):
        assert same[key] == pytest.approx(0.0, abs=1e-9)
    far = grid_divergences(lambda x: -0.5 * ((x - 3.0) ** 2).sum(1) / 0.01, fake * 0.1 - 3.0, bounds, size=64)
    assert far["triangular"] == pytest.approx(2.0, abs=0.01)
    assert far["hellinger"] == pytest.approx(2.0, abs=0.01)
