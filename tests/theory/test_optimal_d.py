import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from ganlab.losses import d_logistic_loss, jsd_from_logistic
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.theory import (
    jsd_from_optimal_value,
    kde_density,
    optimal_discriminator,
    optimal_discriminator_grid,
    optimal_value,
)
from ganlab.theory.optimal_d import KDE_MIN_WIDTH

LOG2, LOG4 = math.log(2.0), math.log(4.0)


def gaussian_jsd_1d(mu_p: float, mu_q: float, sigma: float) -> float:
    """JSD(N(mu_p, s^2) || N(mu_q, s^2)) in nats by numerical integration of the definition."""
    p, q = stats.norm(mu_p, sigma).pdf, stats.norm(mu_q, sigma).pdf

    def integrand(x):
        m = 0.5 * (p(x) + q(x))
        return 0.5 * p(x) * math.log(p(x) / m) + 0.5 * q(x) * math.log(q(x) / m)

    lo, hi = min(mu_p, mu_q) - 12 * sigma, max(mu_p, mu_q) + 12 * sigma
    return integrate.quad(integrand, lo, hi, points=[mu_p, mu_q], limit=200)[0]


def gaussian_log_density_2d(mean, sigma):
    mean = np.asarray(mean, dtype=float)

    def log_density(points):
        sq = ((np.asarray(points) - mean) ** 2).sum(axis=1)
        return -sq / (2 * sigma**2) - math.log(2 * math.pi * sigma**2)

    return log_density


# --- optimal_discriminator -----------------------------------------------------------------------

def test_optimal_discriminator_hand_values():
    d = optimal_discriminator(np.array([1.0, 0.0, 0.25, 0.0]), np.array([1.0, 2.0, 0.75, 0.0]))
    assert d.shape == (4,)
    assert d == pytest.approx([0.5, 0.0, 0.25, 0.5], abs=1e-12)


def test_optimal_discriminator_keeps_shape_and_handles_tiny_densities():
    p = np.array([[3.0, 1e-320], [0.0, 2.0]])
    q = np.array([[1.0, 0.0], [5.0, 2.0]])
    d = optimal_discriminator(p, q)
    assert d.shape == (2, 2)
    assert d == pytest.approx(np.array([[0.75, 0.5], [0.0, 0.5]]), abs=1e-12)


@pytest.mark.parametrize("p, q, name", [
    ([0.5, -0.1], [0.5, 0.5], "p_data"),
    ([0.5, 0.5], [float("nan"), 0.5], "p_g"),
    ([float("nan"), 0.5], [0.5, 0.5], "p_data"),
    ([0.5, 0.5], [0.5, -1e-9], "p_g"),
])
def test_optimal_discriminator_rejects_bad_densities(p, q, name):
    with pytest.raises(ValueError, match=name):
        optimal_discriminator(np.array(p), np.array(q))


# --- optimal_value and the JSD -------------------------------------------------------------------

def test_identical_densities_give_minus_log4_and_zero_jsd():
    p = np.array([0.2, 0.5, 0.3])
    value = optimal_value(p, p.copy(), 1.0)
    assert value == pytest.approx(-LOG4, abs=1e-12)
    assert jsd_from_optimal_value(value) == pytest.approx(0.0, abs=1e-12)


def test_disjoint_supports_give_zero_and_jsd_log2():
    p = np.array([0.0, 0.0, 2.0, 1.0])
    q = np.array([4.0, 1.0, 0.0, 0.0])
    value = optimal_value(p, q, 0.5)
    assert value == pytest.approx(0.0, abs=1e-12)
    assert jsd_from_optimal_value(value) == pytest.approx(LOG2, abs=1e-12)


def test_discrete_pair_matches_jsd_definition():
    p = np.array([0.1, 0.4, 0.5, 0.0])
    q = np.array([0.3, 0.3, 0.2, 0.2])
    m = 0.5 * (p + q)

    def kl(a, b):
        mask = a > 0
        return float((a[mask] * np.log(a[mask] / b[mask])).sum())

    direct = 0.5 * kl(p, m) + 0.5 * kl(q, m)
    assert 0.0 < direct < LOG2
    assert jsd_from_optimal_value(optimal_value(p, q, 1.0)) == pytest.approx(direct, abs=1e-12)
    # unnormalised inputs are renormalised over the grid
    assert jsd_from_optimal_value(optimal_value(7 * p, 0.01 * q, 1.0)) == pytest.approx(direct, abs=1e-12)


def test_optimal_value_on_a_fine_grid_matches_gaussian_jsd():
    x, dx = np.linspace(-10, 11.5, 20001, retstep=True)
    value = optimal_value(stats.norm(0, 1).pdf(x), stats.norm(1.5, 1).pdf(x), dx)
    assert jsd_from_optimal_value(value) == pytest.approx(gaussian_jsd_1d(0.0, 1.5, 1.0), abs=1e-6)


def test_optimal_value_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        optimal_value(np.ones(3), np.ones(4), 1.0)
    with pytest.raises(ValueError, match="cell_area"):
        optimal_value(np.ones(3), np.ones(3), 0.0)
    with pytest.raises(ValueError, match="p_g"):
        optimal_value(np.ones(3), np.zeros(3), 1.0)


# --- kde_density ---------------------------------------------------------------------------------

def test_kde_approximates_a_standard_normal_in_2d():
    rng = np.random.default_rng(0)
    samples = rng.standard_normal((20_000, 2))
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, -0.5], [-1.0, 1.0]])
    est = kde_density(samples, points)
    true = stats.multivariate_normal(np.zeros(2), np.eye(2)).pdf(points)
    assert est.shape == (4,)
    assert est == pytest.approx(true, rel=0.07)


def test_kde_bandwidth_rules():
    rng = np.random.default_rng(1)
    samples = rng.standard_normal((500, 2))
    points = rng.standard_normal((7, 2))
    for rule in ("scott", "silverman", 0.3):
        expected = stats.gaussian_kde(samples.T, bw_method=rule)(points.T)
        assert kde_density(samples, points, bandwidth=rule) == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="scott"):
        kde_density(samples, points, bandwidth="wide")
    with pytest.raises(ValueError, match="> 0"):
        kde_density(samples, points, bandwidth=-1.0)


def test_kde_of_identical_samples_uses_the_minimum_width():
    samples = np.tile([[1.0, -2.0]], (50, 1))
    est = kde_density(samples, np.array([[1.0, -2.0], [1.0 + KDE_MIN_WIDTH, -2.0]]))
    peak = 1.0 / (2 * math.pi * KDE_MIN_WIDTH**2)
    assert est == pytest.approx([peak, peak * math.exp(-0.5)], rel=1e-9)


def test_kde_of_collinear_samples_does_not_crash_and_integrates_to_one():
    t = np.linspace(-1.0, 1.0, 200)
    samples = np.stack([t, 2 * t], axis=1)  # on the line y = 2x: singular covariance
    x, dx = np.linspace(-2, 2, 401, retstep=True)
    y, dy = np.linspace(-4, 4, 801, retstep=True)
    xx, yy = np.meshgrid(x, y)
    dens = kde_density(samples, np.stack([xx.ravel(), yy.ravel()], axis=1))
    assert np.isfinite(dens).all() and (dens >= 0).all()
    assert dens.sum() * dx * dy == pytest.approx(1.0, abs=0.02)
    on_line, off_line = kde_density(samples, np.array([[0.0, 0.0], [0.0, 0.5]]))
    assert on_line > 1e3 * off_line


# --- optimal_discriminator_grid ------------------------------------------------------------------

def test_grid_layout_matches_the_trainer_snapshot():
    def log_density(points):  # depends on x and y differently, so a transposed layout fails
        return -np.abs(points[:, 0]) - 2.0 * points[:, 1] ** 2

    rng = np.random.default_rng(2)
    bounds = (-2.0, 3.0, -1.0, 1.5)
    out = optimal_discriminator_grid(log_density, rng.standard_normal((300, 2)), bounds, size=17)
    assert set(out) == {"grid_x", "grid_y", "p_data", "p_g", "d_star"}
    assert out["grid_x"] == pytest.approx(torch.linspace(-2.0, 3.0, 17).numpy(), abs=1e-6)
    assert out["grid_y"] == pytest.approx(torch.linspace(-1.0, 1.5, 17).numpy(), abs=1e-6)
    for key in ("p_data", "p_g", "d_star"):
        assert out[key].shape == (17, 17)
    i, j = 3, 11
    point = np.array([[out["grid_x"][j], out["grid_y"][i]]])
    assert out["p_data"][i, j] == pytest.approx(math.exp(log_density(point)[0]), rel=1e-12)
    assert out["d_star"] == pytest.approx(optimal_discriminator(out["p_data"], out["p_g"]), abs=1e-12)


def test_grid_d_star_matches_closed_form_for_two_gaussians():
    sigma = 0.5
    log_p_data = gaussian_log_density_2d((0.0, 0.0), sigma)
    log_p_g = gaussian_log_density_2d((1.0, 0.0), sigma)
    rng = np.random.default_rng(3)
    fake = rng.normal(loc=(1.0, 0.0), scale=sigma, size=(20_000, 2))
    bounds = (-2.0, 3.0, -2.5, 2.5)
    out = optimal_discriminator_grid(log_p_data, fake, bounds, size=64)
    xx, yy = np.meshgrid(out["grid_x"], out["grid_y"], indexing="xy")
    plane = np.stack([xx.ravel(), yy.ravel()], axis=1)
    closed = 1.0 / (1.0 + np.exp(-(log_p_data(plane) - log_p_g(plane)))).reshape(64, 64)
    central = (np.abs(xx - 0.5) <= 1.0) & (np.abs(yy) <= 0.75)
    assert central.sum() > 100
    assert np.abs(out["d_star"][central] - closed[central]).max() < 0.06
    # the JSD of the grid (both Gaussians are well inside the bounds) is that of N(0, 1) vs N(2, 1)
    cell = (out["grid_x"][1] - out["grid_x"][0]) * (out["grid_y"][1] - out["grid_y"][0])
    jsd = jsd_from_optimal_value(optimal_value(out["p_data"], out["p_g"], cell))
    assert jsd == pytest.approx(gaussian_jsd_1d(0.0, 1.0, sigma), abs=0.02)


def test_grid_rejects_bad_input():
    log_density = gaussian_log_density_2d((0.0, 0.0), 1.0)
    fake = np.zeros((10, 2))
    with pytest.raises(ValueError, match="bounds"):
        optimal_discriminator_grid(log_density, fake, (1.0, 0.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="fake_samples"):
        optimal_discriminator_grid(log_density, np.zeros((10, 3)), (0.0, 1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="size"):
        optimal_discriminator_grid(log_density, fake, (0.0, 1.0, 0.0, 1.0), size=1)


# --- a trained discriminator recovers D* ---------------------------------------------------------

def test_training_d_to_optimality_recovers_d_star_and_the_jsd():
    """Minimax D loss on p_data = N(0, 1) and p_g = N(1.5, 1): sigmoid(D) -> D* = sigmoid(-1.5 x + 1.125)."""
    mu_g, batch, steps = 1.5, 512, 800
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    disc = MLPDiscriminator(in_dim=1, depth=2, width=64)
    opt = torch.optim.Adam(disc.parameters(), lr=2e-3, betas=(0.5, 0.999))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        real = torch.randn(batch, 1, generator=gen)
        fake = torch.randn(batch, 1, generator=gen) + mu_g
        loss = d_logistic_loss(disc(real), disc(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()

    x = torch.linspace(-1.5, 3.0, 91)
    # log p_data - log p_g = (-x^2 + (x - 1.5)^2) / 2 = -1.5 x + 1.125
    d_star = torch.sigmoid(-mu_g * x + mu_g**2 / 2)
    with torch.no_grad():
        learned = torch.sigmoid(disc(x[:, None]))
        assert (learned - d_star).abs().max().item() < 0.05
        real = torch.randn(200_000, 1, generator=gen)
        fake = torch.randn(200_000, 1, generator=gen) + mu_g
        jsd_estimate = jsd_from_logistic(disc(real), disc(fake)).item()
    true_jsd = gaussian_jsd_1d(0.0, mu_g, 1.0)
    assert 0.2 < true_jsd < 0.25  # about 0.2212 nats
    assert jsd_estimate == pytest.approx(true_jsd, abs=0.02)
    # the closed form itself agrees with optimal_discriminator on exact densities
    xs = x.numpy().astype(float)
    exact = optimal_discriminator(stats.norm(0, 1).pdf(xs), stats.norm(mu_g, 1).pdf(xs))
    assert exact == pytest.approx(d_star.numpy(), abs=1e-6)
