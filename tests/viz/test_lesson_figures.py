import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.spatial.distance import jensenshannon

from ganlab.lessons.catalogue import LESSONS
from ganlab.lessons.experiments import gaussian_optimal_value
from ganlab.metrics.images import frechet_distance
from ganlab.viz import lesson_figures as lf
from ganlab.viz.image_grid import tile

LOG2, LOG4 = math.log(2.0), math.log(4.0)
SLIDERS = {lesson.slug: lesson.slider for lesson in LESSONS}


def trace(fig, name):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"{name!r} not among {[t.name for t in fig.data]}"
    return found[0]


def xy(fig, name):
    t = trace(fig, name)
    return np.asarray(t.x, dtype=float), np.asarray(t.y, dtype=float)


@pytest.mark.parametrize("slug", list(lf.FIGURES))
def test_figure_layout_and_determinism(slug):
    build = lf.FIGURES[slug]
    slider = SLIDERS[slug]
    value = None if slider is None else slider.default
    fig = build(value)
    assert fig.layout.height == lf.HEIGHT == 360
    assert fig.layout.uirevision == f"lesson-{slug}"
    assert fig.layout.title.text
    assert fig.to_json() == build(value).to_json()
    if slider is not None:
        assert build(None).to_json() == fig.to_json()  # None means the slider's default


@pytest.mark.parametrize("slug", [s for s, slider in SLIDERS.items() if slider is not None])
def test_slider_changes_the_figure(slug):
    slider = SLIDERS[slug]
    build = lf.FIGURES[slug]
    assert build(slider.low).to_json() != build(slider.high).to_json()


def test_adversarial_idea_draws_d_star_and_moves_p_g():
    for mu in (-1.5, 0.0, 2.0):
        fig = lf.adversarial_idea(mu)
        x, p = xy(fig, "p_data")
        _, q = xy(fig, "p_g")
        _, d = xy(fig, "D*(x)")
        np.testing.assert_allclose(p, stats.norm.pdf(x), rtol=1e-12)
        np.testing.assert_allclose(q, stats.norm.pdf(x, loc=mu), rtol=1e-12)
        np.testing.assert_allclose(d, p / (p + q), rtol=1e-9)
        assert x[np.argmax(q)] == pytest.approx(mu, abs=0.03)
    assert np.allclose(xy(lf.adversarial_idea(0.0), "D*(x)")[1], 0.5)


def gaussian_jsd_by_definition(mu: float) -> float:
    p, q = stats.norm(0, 1).pdf, stats.norm(mu, 1).pdf

    def integrand(x):
        m = 0.5 * (p(x) + q(x))
        return 0.5 * p(x) * math.log(p(x) / m) + 0.5 * q(x) * math.log(q(x) / m)

    return integrate.quad(integrand, min(0, mu) - 12, max(0, mu) + 12, limit=200)[0]


@pytest.mark.parametrize("mu", [0.5, 2.0, 3.5])
def test_gaussian_jsd_matches_the_definition(mu):
    assert lf.gaussian_jsd(mu) == pytest.approx(gaussian_jsd_by_definition(mu), abs=1e-4)
    assert 2 * lf.gaussian_jsd(mu) - LOG4 == pytest.approx(gaussian_optimal_value(mu), abs=1e-4)


def test_minimax_figure_marks_jsd_and_value_at_the_slider():
    fig = lf.minimax_and_optimal_d(2.0)
    _, marker = xy(fig, "this p_g")
    jsd = lf.gaussian_jsd(2.0)
    np.testing.assert_allclose(marker, [jsd, 2 * jsd - LOG4])
    mus, jsds = xy(fig, "JSD (nats)")
    _, values = xy(fig, "max_D V = 2 JSD − log 4")
    np.testing.assert_allclose(values, 2 * jsds - LOG4)
    assert jsds[np.argmin(np.abs(mus))] == pytest.approx(0.0, abs=1e-9)
    assert jsds.max() < LOG2
    assert xy(fig, "−log 4 (p_g = p_data)")[1] == pytest.approx([-LOG4, -LOG4])


def test_saturation_gradients_are_d_and_one_minus_d():
    fig = lf.saturation(0.02)
    d, grad_minimax = xy(fig, "minimax gradient = D")
    _, grad_ns = xy(fig, "non-saturating gradient = 1 − D")
    np.testing.assert_allclose(grad_minimax, d)
    np.testing.assert_allclose(grad_ns, 1 - d)
    np.testing.assert_allclose(xy(fig, "minimax: log(1 − D)")[1], np.log(1 - d))
    np.testing.assert_allclose(xy(fig, "non-saturating: −log D")[1], -np.log(d))
    x, y = xy(fig, "at this D(G(z))")
    np.testing.assert_allclose(x, [0.02, 0.02])
    np.testing.assert_allclose(y, [0.02, 0.98])
    assert "0.0204" in fig.layout.title.text  # D / (1 - D)


def test_mode_dropping_divergences_closed_form():
    assert lf.mode_dropping_divergences(8) == {"jsd": pytest.approx(0.0, abs=1e-15), "kl_data_fake": 0.0,
                                               "kl_fake_data": 0.0}
    for k in (1, 3, 7):
        p = np.full(8, 1 / 8)
        q = np.r_[np.full(k, 1 / k), np.zeros(8 - k)]
        div = lf.mode_dropping_divergences(k)
        assert div["jsd"] == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-9)  # scipy: sqrt of JSD, nats
        assert div["kl_fake_data"] == pytest.approx(math.log(8 / k))
        assert math.isinf(div["kl_data_fake"])
        assert 0 < div["jsd"] < LOG2
    with pytest.raises(ValueError, match="covered"):
        lf.mode_dropping_divergences(0)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_mode_collapse_figure_covers_exactly_k_modes(k):
    fig = lf.mode_collapse(k)
    assert len(trace(fig, "modes covered").x) == k
    assert len(trace(fig, "modes missed").x) == 8 - k
    cx, cy = xy(fig, "modes covered")
    fx, fy = xy(fig, "fake")
    nearest = np.hypot(fx[:, None] - cx[None], fy[:, None] - cy[None]).min(axis=1)
    assert nearest.max() < 5 * 0.01  # every fake sits on a covered mode (ring8 std 0.01)
    assert f"{lf.mode_dropping_divergences(k)['jsd']:.3f}" in fig.layout.title.text


def test_disjoint_supports_jsd_flat_w_linear():
    fig = lf.disjoint_supports(0.5)
    theta, jsd = xy(fig, "JSD (nats)")
    _, w = xy(fig, "W1")
    np.testing.assert_allclose(w, np.abs(theta))
    assert jsd[theta == 0] == pytest.approx([0.0])
    np.testing.assert_allclose(jsd[theta != 0], LOG2)
    np.testing.assert_allclose(xy(fig, "this θ")[1], [LOG2, 0.5])
    np.testing.assert_allclose(xy(lf.disjoint_supports(-0.8), "this θ")[1], [LOG2, 0.8])


def test_clipped_gradient_norms_follow_c_sqrt_width_over_two():
    for clip in (0.1, 0.01):
        norms = lf.clipped_gradient_norms(clip, depth=8, width=512)
        per_layer = (norms[-1] / norms[0]) ** (1 / 8)
        assert per_layer == pytest.approx(clip * math.sqrt(256), rel=0.1)
    assert lf.clipped_gradient_norms(0.1)[-1] > 10  # explodes
    assert lf.clipped_gradient_norms(0.01)[-1] < 1e-5  # vanishes


def test_wgan_figure_follows_the_slider():
    fig = lf.wgan(-1.0)
    np.testing.assert_allclose(xy(fig, "this c")[1], lf.clipped_gradient_norms(0.1, width=lf.CLIP_WIDTH))
    layers, expected = xy(fig, "c √(width/2) per layer")
    np.testing.assert_allclose(expected, (0.1 * math.sqrt(256)) ** layers)
    assert xy(fig, "WGAN-GP target ‖∇f‖ = 1")[1] == pytest.approx([1.0, 1.0])
    assert xy(lf.wgan(-3.0), "this c")[1][-1] < xy(fig, "c = 0.01")[1][-1] < xy(fig, "this c")[1][-1]


def test_game_dynamics_r1_converges_and_gamma_zero_is_standard():
    fig = lf.game_dynamics(1.0)
    standard = np.c_[xy(fig, "standard")]
    r1 = np.c_[xy(fig, "R1")]
    assert standard[0] == pytest.approx([1.0, 1.0]) and r1[0] == pytest.approx([1.0, 1.0])
    assert np.hypot(*standard[-1]) > math.sqrt(2)
    assert np.hypot(*r1[-1]) < 1e-3
    flat = lf.game_dynamics(0.0)
    np.testing.assert_allclose(np.c_[xy(flat, "R1")], np.c_[xy(flat, "standard")])
    assert xy(fig, "equilibrium")[0] == pytest.approx([0.0])


def test_label_smoothing_scales_d_star_by_the_target():
    fig = lf.training_tricks(0.8)
    x, plain = xy(fig, "D* (target 1)")
    _, smoothed = xy(fig, "D* (target t)")
    p, q = stats.norm.pdf(x), stats.norm.pdf(x, loc=2.0)
    np.testing.assert_allclose(plain, p / (p + q), rtol=1e-9)
    np.testing.assert_allclose(smoothed, 0.8 * plain, rtol=1e-12)
    assert smoothed.max() == pytest.approx(0.8, abs=1e-4)
    assert "1.39" in fig.layout.title.text  # log(0.8 / 0.2)


def test_dcgan_grid_shows_64_samples_of_the_seed():
    fig = lf.dcgan_latent(3)
    sheet = np.asarray(trace(fig, "samples").z, dtype=float)
    assert sheet.shape == (8 * 28, 8 * 28)
    assert sheet.min() >= 0.0 and sheet.max() <= 1.0
    np.testing.assert_allclose(sheet, tile(lf.dcgan_samples(3), 8)[::-1], atol=1e-6)
    assert not np.allclose(sheet, np.asarray(trace(lf.dcgan_latent(4), "samples").z, dtype=float))
    assert lf.shipped_dcgan() is lf.shipped_dcgan()


def _gaussian_fit(spread: float, classes: int = 10, radius: float = 4.0):
    """Mean and covariance of the mixture of N(radius e_c, spread^2 I), classes equally likely."""
    means = radius * np.eye(classes)
    between = np.cov(means, rowvar=False, bias=True)
    return means.mean(0), between + spread ** 2 * np.eye(classes)


@pytest.mark.parametrize("spread", [0.0, 0.2, 0.7, 1.0, 1.4])
def test_toy_fid_equals_the_frechet_distance_of_the_gaussian_fits(spread):
    mu_r, sigma_r = _gaussian_fit(1.0)
    mu_g, sigma_g = _gaussian_fit(spread)
    assert lf.toy_fid(spread) == pytest.approx(frechet_distance(mu_r, sigma_r, mu_g, sigma_g), abs=1e-6)


def test_evaluating_gans_score_rises_as_diversity_collapses():
    assert lf.toy_fid(1.0) == pytest.approx(0.0, abs=1e-12)
    scores = lf.toy_classifier_score([0.0, 0.2, 1.0])
    assert scores[0] == pytest.approx(10.0, abs=0.05)
    assert scores[0] > scores[1] > scores[2] > 5.0
    fig = lf.evaluating_gans(0.2)
    assert xy(fig, "this generator (score)")[1] == pytest.approx([scores[1]])
    assert xy(fig, "this generator (FD)")[1] == pytest.approx([lf.toy_fid(0.2)])
    s, fd = xy(fig, "Fréchet distance")
    assert fd[s == 0.0][0] > fd[s == 0.5][0] > fd[s == 1.0][0] == pytest.approx(0.0, abs=1e-12)


# --- maximum likelihood beside the game: one Gaussian fitted to two modes, both ways ----------------

MODE_STD = lf.KL_MODE_STD


def kls_by_definition(mean: float, std: float, d: float, s: float = MODE_STD) -> tuple[float, float]:
    """(KL(p || q), KL(q || p)) for p = 1/2 N(-d, s^2) + 1/2 N(d, s^2), q = N(mean, std^2), by scipy's quad."""
    def log_p(x):
        return np.logaddexp(stats.norm.logpdf(x, -d, s), stats.norm.logpdf(x, d, s)) - LOG2

    def log_q(x):
        return stats.norm.logpdf(x, mean, std)

    forward = integrate.quad(lambda x: math.exp(log_p(x)) * (log_p(x) - log_q(x)), -d - 15 * s, d + 15 * s,
                             points=[-d, d], limit=400)[0]
    reverse = integrate.quad(lambda x: math.exp(log_q(x)) * (log_q(x) - log_p(x)), mean - 15 * std,
                             mean + 15 * std, points=[mean], limit=400)[0]
    return forward, reverse


def test_bimodal_density_is_the_equal_mixture():
    x = np.linspace(-5, 5, 11)
    expected = 0.5 * stats.norm.pdf(x, -1.5, MODE_STD) + 0.5 * stats.norm.pdf(x, 1.5, MODE_STD)
    np.testing.assert_allclose(np.exp(lf.bimodal_log_density(x, 1.5)), expected, rtol=1e-12)
    assert integrate.quad(lambda t: math.exp(lf.bimodal_log_density(t, 2.0)), -10, 10)[0] == pytest.approx(1.0)


@pytest.mark.parametrize("mean,std,d", [(0.0, 1.0, 1.5), (1.2, 0.4, 1.5), (-0.3, 2.5, 3.0), (2.9, 0.6, 3.0)])
def test_simpson_kls_match_scipy_quad(mean, std, d):
    kls = lf.gaussian_mixture_kls(mean, std, d)
    forward, reverse = kls_by_definition(mean, std, d)
    assert kls["forward"] == pytest.approx(forward, rel=1e-7, abs=1e-9)
    assert kls["reverse"] == pytest.approx(reverse, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("d", [0.3, 1.0, 1.5, 2.0, 3.0])
def test_forward_fit_is_moment_matching(d):
    # argmin_q KL(p || q) over Gaussians: the mixture's mean (0) and variance s^2 + d^2, in closed form
    fit = lf.kl_fits(d)["forward"]
    assert fit["mean"] == pytest.approx(0.0, abs=1e-4)
    assert fit["std"] == pytest.approx(math.sqrt(MODE_STD ** 2 + d * d), rel=1e-5)
    forward, reverse = kls_by_definition(fit["mean"], fit["std"], d)
    assert fit["forward_kl"] == pytest.approx(forward, rel=1e-6, abs=1e-9)
    assert fit["reverse_kl"] == pytest.approx(reverse, rel=1e-6, abs=1e-9)


def test_far_apart_modes_have_closed_form_kls():
    # d = 3 = 6 mode std: the modes do not overlap. The reverse fit is one mode, N(d, s^2), with
    # KL(q || p) = log 2 (q holds all its mass where p holds half); the forward fit's KL(p || q) is
    # -H(p) + 1/2 log(2 pi e (s^2 + d^2)) with H(p) = log 2 + 1/2 log(2 pi e s^2).
    d, s = 3.0, MODE_STD
    fits = lf.kl_fits(d)
    assert fits["reverse"]["mean"] == pytest.approx(d, abs=1e-5)
    assert fits["reverse"]["std"] == pytest.approx(s, rel=1e-5)
    assert fits["reverse"]["reverse_kl"] == pytest.approx(LOG2, abs=1e-8)
    assert fits["forward"]["forward_kl"] == pytest.approx(0.5 * math.log((s * s + d * d) / (s * s)) - LOG2,
                                                          abs=1e-8)
    # each fit loses in the other's direction: the one-mode fit misses half the data, the wide one spills
    assert fits["reverse"]["forward_kl"] > 30 * fits["forward"]["forward_kl"]
    assert fits["forward"]["reverse_kl"] > 5 * fits["reverse"]["reverse_kl"]


def test_one_mode_both_fits_are_exact():
    fits = lf.kl_fits(0.0)
    for fit in fits.values():
        assert fit["mean"] == pytest.approx(0.0, abs=1e-5) and fit["std"] == pytest.approx(MODE_STD, rel=1e-5)
        assert fit["forward_kl"] == pytest.approx(0.0, abs=1e-9)
        assert fit["reverse_kl"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("d", [0.5, 1.0, 1.5, 2.5])
def test_reverse_fit_is_a_minimum_and_seeks_a_mode_once_they_are_apart(d):
    fits = lf.kl_fits(d)
    best = fits["reverse"]
    assert best["reverse_kl"] <= fits["forward"]["reverse_kl"] + 1e-12
    assert fits["forward"]["forward_kl"] <= best["forward_kl"] + 1e-12
    for dm, ds in ((0.02, 0), (-0.02, 0), (0, 0.02), (0, -0.02)):
        moved = lf.gaussian_mixture_kls(best["mean"] + dm, best["std"] + ds, d)["reverse"]
        assert moved > best["reverse_kl"]
    if d >= 1.5:
        assert best["mean"] == pytest.approx(d, abs=0.05) and best["std"] == pytest.approx(MODE_STD, abs=0.03)
    else:
        assert best["mean"] == pytest.approx(0.0, abs=1e-4)  # close modes: one bump, fitted in the middle


def test_maximum_likelihood_figure_draws_p_data_and_both_fits():
    fig = lf.maximum_likelihood(2.0)
    x, p = xy(fig, "p_data")
    np.testing.assert_allclose(p, np.exp(lf.bimodal_log_density(x, 2.0)), rtol=1e-12)
    fits = lf.kl_fits(2.0)
    _, covering = xy(fig, "argmin KL(p_data‖q): covers")
    _, seeking = xy(fig, "argmin KL(q‖p_data): seeks")
    np.testing.assert_allclose(covering, stats.norm.pdf(x, 0.0, math.sqrt(0.25 + 4.0)), rtol=1e-4)
    np.testing.assert_allclose(seeking, stats.norm.pdf(x, fits["reverse"]["mean"], fits["reverse"]["std"]))
    assert x[np.argmax(seeking)] == pytest.approx(2.0, abs=0.03)
    title = fig.layout.title.text
    assert "N(0.00, 2.06²)" in title and "KL(q‖p) = 0.69" in title and "nats" in title
    assert f"{fits['forward']['forward_kl']:.2f}" in title
