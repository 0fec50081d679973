"""KL estimators (ganlab.likelihood.kl) against closed forms: two Gaussians, a model equal to the data, and a
model on half of ring8's modes (reverse KL = log 2 exactly for well-separated modes; forward KL huge)."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from ganlab.data import make_dataset
from ganlab.data.toy_base import gaussian_mixture_log_density
from ganlab.likelihood.kl import (
    forward_kl,
    gaussian_kl,
    kde_kl_columns,
    kl_columns,
    kl_method,
    monte_carlo_kl,
    reverse_kl,
)

P = (np.array([0.0, 1.0]), np.array([[1.0, 0.3], [0.3, 0.5]]))
Q = (np.array([0.5, 0.0]), np.array([[2.0, -0.2], [-0.2, 1.0]]))


def test_gaussian_kl_closed_form_against_the_one_dimensional_formula():
    # KL(N(m0, s0^2) || N(m1, s1^2)) = log(s1 / s0) + (s0^2 + (m0 - m1)^2) / (2 s1^2) - 1/2
    expected = math.log(2.0 / 0.5) + (0.25 + 1.5**2) / (2 * 4.0) - 0.5
    assert gaussian_kl([1.0], [[0.25]], [-0.5], [[4.0]]) == pytest.approx(expected, abs=1e-12)
    assert gaussian_kl(*P, *P) == pytest.approx(0.0, abs=1e-12)
    xs = np.linspace(-8, 8, 801)  # and in 2-D against a Riemann sum of p log(p / q) over the plane
    grid = np.stack([a.ravel() for a in np.meshgrid(xs, xs)], axis=1)
    log_p, log_q = multivariate_normal(*P).logpdf(grid), multivariate_normal(*Q).logpdf(grid)
    cell = (xs[1] - xs[0]) ** 2
    assert gaussian_kl(*P, *Q) == pytest.approx(float((np.exp(log_p) * (log_p - log_q)).sum() * cell), abs=1e-6)
    assert gaussian_kl(*Q, *P) == pytest.approx(float((np.exp(log_q) * (log_q - log_p)).sum() * cell), abs=1e-5)
    with pytest.raises(ValueError, match="means .d,. and covariances"):
        gaussian_kl([0.0, 0.0], np.eye(2), [0.0], np.eye(1))


def test_forward_and_reverse_kl_between_two_gaussians_match_the_closed_form():
    rng = np.random.default_rng(0)
    p, q = multivariate_normal(*P), multivariate_normal(*Q)
    from_p = rng.multivariate_normal(*P, size=200_000)
    from_q = rng.multivariate_normal(*Q, size=200_000)
    forward, forward_se = forward_kl(p.logpdf(from_p), q.logpdf(from_p))  # P as the data, Q as the model
    reverse, reverse_se = reverse_kl(q.logpdf(from_q), p.logpdf(from_q))
    assert gaussian_kl(*P, *Q) == pytest.approx(0.84605, abs=1e-5)
    assert gaussian_kl(*Q, *P) == pytest.approx(2.54090, abs=1e-5)
    assert forward == pytest.approx(gaussian_kl(*P, *Q), abs=4 * forward_se)
    assert reverse == pytest.approx(gaussian_kl(*Q, *P), abs=4 * reverse_se)
    assert 0 < forward_se < 0.01 and 0 < reverse_se < 0.02


def test_a_model_equal_to_the_data_reads_zero():
    ring8 = make_dataset("ring8")
    data = ring8.sample(5000, torch.Generator().manual_seed(1)).double().numpy()
    model = make_dataset("ring", n_modes=8, radius=1.0, std=0.01)  # the same mixture, built on its own
    value, se = forward_kl(ring8.log_density(data), model.log_density(data))
    assert value == pytest.approx(0.0, abs=1e-9) and se == pytest.approx(0.0, abs=1e-9)
    own = model.sample(5000, torch.Generator().manual_seed(2)).double().numpy()
    value, se = reverse_kl(model.log_density(own), ring8.log_density(own))
    assert value == pytest.approx(0.0, abs=1e-9)


def test_a_model_on_half_of_ring8s_modes_reads_reverse_log_2_and_a_huge_forward_kl():
    # p_half: modes 0, 2, 4, 6 of ring8 at weight 1/4 each, the same std 0.01. Where p_half has mass,
    # p_data = p_half / 2 up to the other modes' tails (exp(-2929) at the nearest dropped centre), so
    # KL(p_half || p_data) = log 2 exactly in the separated limit. A data point at a dropped mode lies
    # 2 sin(pi / 8) = 0.765 from the two nearest kept centres: log p_data - log p_half ~ 0.765^2 / (2 * 0.01^2)
    # = 2929 nats there (less the pull of the nearer of the two, ~60 nats on average), so KL(p_data || p_half)
    # ~ 1,430-1,465: +inf in the limit of separated modes, a large finite value for std 0.01.
    ring8 = make_dataset("ring8")
    kept = ring8.centers[::2]
    rng = np.random.default_rng(3)
    from_half = kept[rng.integers(0, 4, 20_000)] + 0.01 * rng.standard_normal((20_000, 2))
    from_data = ring8.sample(20_000, torch.Generator().manual_seed(4)).double().numpy()

    def log_half(x):
        return gaussian_mixture_log_density(x, kept, 0.01, np.log(np.full(4, 0.25)))

    reverse, reverse_se = reverse_kl(log_half(from_half), ring8.log_density(from_half))
    assert reverse == pytest.approx(math.log(2), abs=1e-9) and reverse_se < 1e-9
    forward, forward_se = forward_kl(ring8.log_density(from_data), log_half(from_data))
    assert 1400 < forward < 1465 and forward > 1000 * reverse
    dropped = ring8.log_density(from_data) - log_half(from_data) > 0
    assert dropped.mean() == pytest.approx(0.5, abs=0.01)  # half the data points, each adding ~2,900 nats
    kept_ratio = (ring8.log_density(from_data) - log_half(from_data))[~dropped]
    np.testing.assert_allclose(kept_ratio, -math.log(2), rtol=0, atol=1e-9)


def test_zero_model_density_at_a_data_point_makes_the_kl_infinite_and_bad_input_is_refused():
    assert monte_carlo_kl([0.1, 0.2, 0.3], [0.0, -np.inf, 0.0]) == (math.inf, pytest.approx(math.nan, nan_ok=True))
    with pytest.raises(ValueError, match="log_q_at_p contains NaN"):
        monte_carlo_kl([0.0, 1.0], [0.0, math.nan])
    with pytest.raises(ValueError, match="log_p_at_p must be finite"):
        monte_carlo_kl([0.0, -np.inf], [0.0, 0.0])
    with pytest.raises(ValueError, match="differ in shape"):
        monte_carlo_kl([0.0, 1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="at least 2 log densities"):
        monte_carlo_kl([0.0], [0.0])


def test_the_four_columns_and_the_gans_kde_columns():
    values = kl_columns([1.0, 2.0, 3.0], [0.0, 2.0, 1.0], [0.5, 0.5], [0.0, 1.0])
    assert values["forward_kl"] == pytest.approx(1.0) and values["reverse_kl"] == pytest.approx(0.0)
    assert values["forward_kl_se"] == pytest.approx(1 / math.sqrt(3))
    assert values["reverse_kl_se"] == pytest.approx(0.5)
    gan = kde_kl_columns({"kl_data_fake": math.inf, "kl_data_fake_se": math.nan, "kl_fake_data": 0.7,
                          "kl_fake_data_se": 0.05})
    assert gan["forward_kl"] == math.inf and gan["reverse_kl"] == 0.7 and gan["reverse_kl_se"] == 0.05
    assert "h = 0.00915" in kl_method("gan", 2500, bandwidth=0.009150741)
    assert "k = 256" in kl_method("vae", 2500, k=256.0) and kl_method("flow", 100).startswith("exact")
