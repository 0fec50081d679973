"""Tests for ganlab.metrics.divergence_estimates against closed forms and second implementations.

Expected values come from outside the module: closed forms for a generator on k of ring8's 8 modes
(separated modes: only the mixture weights matter), closed forms and scipy quadrature for two shifted
Gaussians smoothed by the estimator's kernel, and a plain numpy kernel sum for the KDE.
"""

import math

import numpy as np
import pytest
import torch
from scipy import integrate
from scipy.special import ndtr

from ganlab.data import make_dataset
from ganlab.metrics import divergence_estimates as de
from ganlab.metrics.divergence_estimates import DIVERGENCES, DivergenceEstimator, log_kde, select_bandwidth

LOG2 = math.log(2.0)
N = 2500  # the app's evaluation size


def draw(dataset, n, seed):
    return dataset.sample(n, torch.Generator().manual_seed(seed)).double().numpy()


def estimator(dataset, seed=0, **kwargs):
    return DivergenceEstimator(dataset.smoothed_log_density, draw(dataset, N, 10_000 + seed), seed=seed, **kwargs)


@pytest.mark.parametrize("name", ["ring8", "grid25", "ring", "gaussian", "disjoint-gaussians", "checkerboard",
                                  "moons", "spiral", "swissroll", "circles"])
def test_a_perfect_generator_reads_about_zero_on_every_toy_set(name):
    dataset = make_dataset(name)
    out = estimator(dataset).estimate(draw(dataset, N, 1))
    assert 0.0 <= out["jsd"] <= 0.02
    assert out["jsd_se"] < 0.01
    for key in ("hellinger", "triangular", "kl_fake_data", "kl_data_fake", "pearson"):
        assert out[key] == pytest.approx(0.0, abs=0.1), key
    assert out["tv"] < 0.12  # TV's noise is first order in the KDE's error


def ring_modes(dataset, k, n, seed):
    """n samples on k of ring8's 8 modes, evenly spaced, equal weights, the data's own std."""
    g = torch.Generator().manual_seed(seed)
    kept = torch.as_tensor(dataset.centers[np.arange(k) * (8 // k)])
    index = torch.randint(k, (n,), generator=g)
    return (kept[index] + dataset.std * torch.randn(n, 2, generator=g, dtype=torch.float64)).numpy()


def closed_forms_k_of_8(k):
    """Divergences between 8 equal separated modes and k of them (weights 1/8 vs 1/k)."""
    p, q = 1 / 8, 1 / k
    m = (p + q) / 2
    jsd = 0.5 * (k * p * math.log(p / m) + (8 - k) * p * LOG2) + 0.5 * k * q * math.log(q / m)
    return {"jsd": jsd, "tv": 1 - k / 8, "hellinger": 2 - 2 * math.sqrt(k / 8),
            "triangular": k * (p - q) ** 2 / (p + q) + (8 - k) * p, "kl_fake_data": math.log(8 / k)}


@pytest.mark.parametrize("k", [1, 2, 4, 8])
def test_k_of_8_ring_modes_matches_the_closed_form(k):
    dataset = make_dataset("ring8")
    out = estimator(dataset).estimate(ring_modes(dataset, k, N, seed=k))
    expected = closed_forms_k_of_8(k)
    if k == 4:
        assert expected["jsd"] == pytest.approx(0.75 * math.log(4 / 3), abs=1e-12)
    for key, value in expected.items():
        # 4 standard errors plus the KDE's own small positive reading (measured <= 0.03 here)
        assert out[key] == pytest.approx(value, abs=4 * out[f"{key}_se"] + 0.03), key
    if k < 8:
        assert math.isinf(out["kl_data_fake"]) and math.isinf(out["pearson"])
    else:
        assert math.isfinite(out["kl_data_fake"]) and math.isfinite(out["pearson"])


def gaussian_closed_forms(mu, s):
    """N(0, s^2 I) vs N((mu, 0), s^2 I) in 2-D: only the x axis differs, so the 1-D values hold."""
    p = lambda x: math.exp(-x * x / (2 * s * s)) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    q = lambda x: p(x - mu)  # noqa: E731

    def quad(f):
        return integrate.quad(f, -12 * s, mu + 12 * s, limit=200, epsabs=1e-12)[0]

    def jsd_term(x):
        a, b = p(x), q(x)
        m = 0.5 * (a + b)
        return 0.5 * (a * math.log(a / m) if a > 0 else 0) + 0.5 * (b * math.log(b / m) if b > 0 else 0)

    return {"jsd": quad(jsd_term), "kl_data_fake": mu * mu / (2 * s * s), "kl_fake_data": mu * mu / (2 * s * s),
            "tv": 2 * ndtr(mu / (2 * s)) - 1, "hellinger": 2 - 2 * math.exp(-mu * mu / (8 * s * s)),
            "pearson": math.expm1(mu * mu / (s * s)),
            "triangular": quad(lambda x: (p(x) - q(x)) ** 2 / (p(x) + q(x)) if p(x) + q(x) > 0 else 0.0)}


@pytest.mark.parametrize("mu", [0.5, 1.0, 2.0])
def test_shifted_gaussian_matches_quadrature_at_the_estimators_resolution(mu):
    dataset = make_dataset("gaussian")  # N(0, I)
    est = estimator(dataset)
    fake = draw(dataset, N, 3) + np.array([mu, 0.0])
    out = est.estimate(fake)
    # both sides are smoothed by N(0, h^2 I): N(0, (1 + h^2) I) against N(mu, (1 + h^2) I)
    expected = gaussian_closed_forms(mu, math.hypot(1.0, est.bandwidth))
    for key, value in expected.items():
        assert out[key] == pytest.approx(value, rel=0.08, abs=4 * out[f"{key}_se"] + 0.01), key


def test_shifted_gaussian_with_a_narrow_kernel_approaches_the_raw_closed_form():
    dataset = make_dataset("gaussian")
    est = estimator(dataset, bandwidth=0.15)
    out = est.estimate(draw(dataset, N, 4) + np.array([1.0, 0.0]))
    raw = gaussian_closed_forms(1.0, 1.0)
    assert out["jsd"] == pytest.approx(raw["jsd"], abs=0.01)
    assert out["kl_fake_data"] == pytest.approx(raw["kl_fake_data"], abs=0.05)
    assert out["tv"] == pytest.approx(raw["tv"], abs=0.04)


def test_jsd_convention_and_ranges_for_disjoint_supports():
    dataset = make_dataset("ring8")
    out = estimator(dataset).estimate(draw(dataset, N, 1) + 5.0)  # nowhere near the data
    assert out["jsd"] == pytest.approx(LOG2, abs=1e-9)
    assert out["tv"] == pytest.approx(1.0, abs=1e-9)
    assert out["hellinger"] == pytest.approx(2.0, abs=1e-9)
    assert out["triangular"] == pytest.approx(2.0, abs=1e-9)
    assert math.isinf(out["kl_data_fake"])


def test_standard_error_matches_the_spread_over_fresh_samples():
    dataset = make_dataset("ring8")
    values, ses = [], []
    for seed in range(16):
        est = DivergenceEstimator(dataset.smoothed_log_density, draw(dataset, N, 500 + seed), seed=seed,
                                  bandwidth=0.0071)
        out = est.estimate(ring_modes(dataset, 4, N, seed=900 + seed))
        values.append(out["jsd"])
        ses.append(out["jsd_se"])
    spread, typical_se = float(np.std(values, ddof=1)), float(np.mean(ses))
    assert 0.5 < spread / typical_se < 2.0


def kde_by_hand(query, centres, h):
    d2 = ((query[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return np.log(np.exp(-d2 / (2 * h * h)).sum(1) / (len(centres) * 2 * math.pi * h * h))


@pytest.mark.parametrize("tree", [True, False])
def test_log_kde_matches_a_plain_kernel_sum(tree, monkeypatch):
    if not tree:
        monkeypatch.setattr(de, "TREE_MAX_PAIRS", 0)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(300, 2))
    query = rng.normal(size=(200, 2)) * 1.5
    h = 0.3
    got, far = log_kde(query, centres, h)
    want = kde_by_hand(query, centres, h)
    # truncation at KERNEL_REACH bandwidths: low by at most one kernel's value there
    reach_value = math.exp(-0.5 * de.KERNEL_REACH**2) / (2 * math.pi * h * h)
    assert np.all(np.abs(np.exp(got) - np.exp(want)) <= reach_value + 1e-6 * np.exp(want))
    dense = want > -10
    assert dense.sum() > 150
    assert got[dense] == pytest.approx(want[dense], abs=1e-5)
    assert not far.any()


def test_log_kde_far_points_get_their_nearest_kernel_and_are_flagged():
    centres = np.array([[0.0, 0.0], [0.1, 0.0]])
    query = np.array([[0.05, 0.0], [10.0, 0.0]])
    got, far = log_kde(query, centres, 0.1)
    assert far.tolist() == [False, True]
    nearest = -(9.9 ** 2) / (2 * 0.01) - math.log(2 * 2 * math.pi * 0.01)
    assert got[1] == pytest.approx(nearest, rel=1e-12)
    assert got[0] == pytest.approx(kde_by_hand(query[:1], centres, 0.1)[0], abs=1e-9)


def test_select_bandwidth_maximises_the_leave_one_out_likelihood():
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(400, 2)) * 0.2  # all 400 are held out in turn

    def loo(h):
        d2 = ((samples[:, None, :] - samples[None, :, :]) ** 2).sum(-1)
        kernel = np.exp(-d2 / (2 * h * h))
        np.fill_diagonal(kernel, 0.0)
        return np.log(kernel.sum(1) / ((len(samples) - 1) * 2 * math.pi * h * h)).mean()

    h = select_bandwidth(samples)
    assert loo(h) >= loo(h / 1.4) and loo(h) >= loo(h * 1.4)
    # Silverman's rule for a 2-D Gaussian, sigma n^(-1/6), is the same order
    assert 0.5 < h / (0.2 * 400 ** (-1 / 6)) < 2.0


def test_bad_inputs_name_the_argument():
    dataset = make_dataset("ring8")
    with pytest.raises(ValueError, match="real"):
        DivergenceEstimator(dataset.smoothed_log_density, np.zeros((2, 2)))
    est = estimator(dataset)
    with pytest.raises(ValueError, match="fake"):
        est.estimate(np.full((10, 2), np.nan))
    with pytest.raises(ValueError, match="bandwidth"):
        DivergenceEstimator(dataset.smoothed_log_density, draw(dataset, 10, 0), bandwidth=-1.0)


def test_every_divergence_has_value_and_error():
    dataset = make_dataset("grid25")
    out = estimator(dataset).estimate(draw(dataset, 500, 2))
    assert set(out) == {*DIVERGENCES, *(f"{k}_se" for k in DIVERGENCES), "bandwidth"}


def test_select_bandwidth_remembers_the_same_samples_and_seed_and_equals_the_uncached_choice():
    from ganlab.metrics import divergence_estimates as de

    points = np.random.default_rng(3).normal(size=(400, 2))
    first = de.select_bandwidth(points, seed=5)
    assert first == de.select_bandwidth_uncached(points, seed=5)
    de._BANDWIDTHS[next(reversed(de._BANDWIDTHS))] = 123.0  # a remembered value is served as is
    assert de.select_bandwidth(points.copy(), seed=5) == 123.0
    assert de.select_bandwidth(points, seed=6) == de.select_bandwidth_uncached(points, seed=6)  # another seed
    de._BANDWIDTHS.clear()
