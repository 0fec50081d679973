"""Hand-computed values for every GAN loss, its divergence estimate, and the loss registry.

Expected numbers are computed with `math` (softplus(x) = log(1 + e^x), sigmoid(x) = 1 / (1 + e^-x)),
never by calling the torch functions under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlab.losses import (
    F_DIVERGENCES,
    LOSSES,
    d_fgan_loss,
    d_hinge_loss,
    d_least_squares_loss,
    d_logistic_loss,
    d_relativistic_average_loss,
    d_wasserstein_loss,
    f_variational_bound,
    g_fgan_loss,
    g_hinge_loss,
    g_least_squares_loss,
    g_minimax_loss,
    g_nonsaturating_loss,
    g_relativistic_average_loss,
    g_wasserstein_loss,
    get_loss,
    jsd_from_logistic,
    relativistic_divergence,
    triangular_from_least_squares,
    tv_from_hinge,
    w1_from_critic,
)

REAL = [0.0, 2.0]
FAKE = [-1.0, 1.0]
TOL = dict(rel=1e-9, abs=1e-12)


def t(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def value(x: torch.Tensor) -> float:
    assert x.dim() == 0, "losses and estimates return scalars"
    return float(x)


# --- logistic family ------------------------------------------------------------------------------

def test_d_logistic_loss_value():
    # -mean log s(r) - mean log(1 - s(f)) = mean softplus(-r) + mean softplus(f)
    expected = mean(softplus(-r) for r in REAL) + mean(softplus(f) for f in FAKE)
    assert value(d_logistic_loss(t(REAL), t(FAKE))) == pytest.approx(expected, **TOL)
    # by the definition with probabilities, independently
    by_probs = -mean(math.log(sigmoid(r)) for r in REAL) - mean(math.log(1 - sigmoid(f)) for f in FAKE)
    assert value(d_logistic_loss(t(REAL), t(FAKE))) == pytest.approx(by_probs, **TOL)


def test_d_logistic_loss_accepts_column_scores():
    flat = value(d_logistic_loss(t(REAL), t(FAKE)))
    col = value(d_logistic_loss(t(REAL).unsqueeze(1), t(FAKE).unsqueeze(1)))
    assert col == pytest.approx(flat, **TOL)


def test_one_sided_label_smoothing():
    s = 0.9
    real_term = -mean(s * math.log(sigmoid(r)) + (1 - s) * math.log(1 - sigmoid(r)) for r in REAL)
    fake_term = mean(softplus(f) for f in FAKE)
    got = value(d_logistic_loss(t(REAL), t(FAKE), real_target=s))
    assert got == pytest.approx(real_term + fake_term, **TOL)
    # one-sided: the fake term does not depend on the real target
    zero = t([0.0, 0.0])  # real logits 0: real term = log 2 for every target
    for target in (1.0, 0.9, 0.7):
        got = value(d_logistic_loss(zero, t(FAKE), real_target=target))
        assert got == pytest.approx(math.log(2.0) + fake_term, **TOL)


def test_label_smoothing_optimum_is_the_target():
    # d/dr [-(s log sig(r) + (1-s) log(1-sig(r)))] = sig(r) - s, zero at r = logit(s)
    s = 0.9
    r = t([math.log(s / (1 - s))]).requires_grad_(True)
    d_logistic_loss(r, t([0.0]), real_target=s).backward()
    assert float(r.grad[0]) == pytest.approx(0.0, abs=1e-12)


def test_g_minimax_loss_value():
    # E log(1 - D(G(z))) = -mean softplus(f)
    expected = mean(math.log(1 - sigmoid(f)) for f in FAKE)
    assert value(g_minimax_loss(t(FAKE))) == pytest.approx(expected, **TOL)
    assert value(g_minimax_loss(t(FAKE), t(REAL))) == pytest.approx(expected, **TOL)


def test_g_nonsaturating_loss_value():
    # -E log D(G(z)) = mean softplus(-f)
    expected = -mean(math.log(sigmoid(f)) for f in FAKE)
    assert value(g_nonsaturating_loss(t(FAKE))) == pytest.approx(expected, **TOL)
    assert value(g_nonsaturating_loss(t(FAKE), t(REAL))) == pytest.approx(expected, **TOL)


def test_saturating_vs_nonsaturating_gradients_at_confident_discriminator():
    n = 4
    logits = [-10.0] * n

    fake = t(logits).requires_grad_(True)
    g_minimax_loss(fake).backward()
    sat = fake.grad.clone()

    fake = t(logits).requires_grad_(True)
    g_nonsaturating_loss(fake).backward()
    nonsat = fake.grad.clone()

    # same direction: both decrease when G raises D's logit on its samples
    assert torch.all(sat < 0) and torch.all(nonsat < 0)
    # d/dx [-softplus(x)/n] = -sigmoid(x)/n; d/dx [softplus(-x)/n] = -sigmoid(-x)/n
    for g in sat.tolist():
        assert g == pytest.approx(-sigmoid(-10.0) / n, rel=1e-9)
        assert abs(g) < 2e-5
    for g in nonsat.tolist():
        assert g == pytest.approx(-sigmoid(10.0) / n, rel=1e-9)
        assert g == pytest.approx(-1.0 / n, rel=1e-4)
    assert float(nonsat[0] / sat[0]) > 1e4


def test_jsd_from_logistic_value():
    v = mean(math.log(sigmoid(r)) for r in REAL) + mean(math.log(1 - sigmoid(f)) for f in FAKE)
    assert value(jsd_from_logistic(t(REAL), t(FAKE))) == pytest.approx((v + math.log(4.0)) / 2, **TOL)


def test_jsd_from_logistic_is_zero_for_the_ignorant_discriminator():
    # D = 1/2 everywhere (logit 0): V = -log 4, JSD estimate 0
    assert value(jsd_from_logistic(t([0.0, 0.0]), t([0.0, 0.0, 0.0]))) == pytest.approx(0.0, abs=1e-12)


# --- least squares --------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [1.0, 0.9])
def test_d_least_squares_loss_value(target):
    expected = 0.5 * mean((r - target) ** 2 for r in REAL) + 0.5 * mean(f**2 for f in FAKE)
    got = value(d_least_squares_loss(t(REAL), t(FAKE), real_target=target))
    assert got == pytest.approx(expected, **TOL)


def test_d_least_squares_loss_values_by_hand():
    # real [0, 2], t=1: 0.5 * (1 + 1)/2 = 0.5; fake [-1, 1]: 0.5 * (1 + 1)/2 = 0.5
    assert value(d_least_squares_loss(t(REAL), t(FAKE))) == pytest.approx(1.0, **TOL)
    # t = 0.9: 0.5 * (0.81 + 1.21)/2 = 0.505
    assert value(d_least_squares_loss(t(REAL), t(FAKE), real_target=0.9)) == pytest.approx(1.005, **TOL)
    assert value(LOSSES["lsgan"].d_loss(t(REAL), t(FAKE), 0.9)) == pytest.approx(1.005, **TOL)


def test_g_least_squares_loss_value():
    # 0.5 * ((-2)^2 + 0^2) / 2 = 1
    assert value(g_least_squares_loss(t(FAKE))) == pytest.approx(1.0, **TOL)
    assert value(g_least_squares_loss(t([0.5, 1.5]), t(REAL))) == pytest.approx(0.125, **TOL)


def test_triangular_from_least_squares_value():
    assert value(triangular_from_least_squares(t(REAL), t(FAKE))) == pytest.approx(2.0 - 8.0 * 1.0, **TOL)


# --- hinge ----------------------------------------------------------------------------------------

def test_d_hinge_loss_value():
    # real: relu(1 - 0) = 1, relu(1 - 2) = 0 -> 0.5; fake: relu(0) = 0, relu(2) = 2 -> 1
    expected = mean(max(0.0, 1 - r) for r in REAL) + mean(max(0.0, 1 + f) for f in FAKE)
    assert expected == 1.5
    assert value(d_hinge_loss(t(REAL), t(FAKE))) == pytest.approx(1.5, **TOL)


def test_g_hinge_loss_value():
    assert value(g_hinge_loss(t(FAKE))) == pytest.approx(0.0, abs=1e-12)
    assert value(g_hinge_loss(t([0.5, 1.5]), t(REAL))) == pytest.approx(-1.0, **TOL)


def test_tv_from_hinge_value():
    assert value(tv_from_hinge(t(REAL), t(FAKE))) == pytest.approx(1.0 - 1.5 / 2, **TOL)


# --- Wasserstein ----------------------------------------------------------------------------------

def test_wasserstein_losses_values():
    # critic loss E f(G(z)) - E f(x) = 0 - 1 = -1
    assert value(d_wasserstein_loss(t(REAL), t(FAKE))) == pytest.approx(-1.0, **TOL)
    assert value(d_wasserstein_loss(t([3.0, 5.0]), t([-1.0, 0.0]))) == pytest.approx(-4.5, **TOL)
    assert value(g_wasserstein_loss(t([0.5, 1.5]))) == pytest.approx(-1.0, **TOL)
    assert value(w1_from_critic(t([3.0, 5.0]), t([-1.0, 0.0]))) == pytest.approx(4.5, **TOL)
    for name in ("wgan", "wgan-gp"):
        spec = LOSSES[name]
        assert value(spec.d_loss(t(REAL), t(FAKE), 0.9)) == pytest.approx(-1.0, **TOL)
        assert value(spec.g_loss(t(FAKE), t(REAL))) == pytest.approx(0.0, abs=1e-12)
        assert value(spec.estimate(t(REAL), t(FAKE))) == pytest.approx(1.0, **TOL)


# --- relativistic average -------------------------------------------------------------------------

def test_d_relativistic_average_loss_value():
    mr, mf = mean(REAL), mean(FAKE)  # 1, 0
    expected = (-mean(math.log(sigmoid(r - mf)) for r in REAL)
                - mean(math.log(1 - sigmoid(f - mr)) for f in FAKE))
    assert value(d_relativistic_average_loss(t(REAL), t(FAKE))) == pytest.approx(expected, **TOL)
    # by hand: real - mean fake = [0, 2]; fake - mean real = [-2, 0]
    by_hand = (softplus(0.0) + softplus(-2.0)) / 2 + (softplus(-2.0) + softplus(0.0)) / 2
    assert value(d_relativistic_average_loss(t(REAL), t(FAKE))) == pytest.approx(by_hand, **TOL)


def test_g_relativistic_average_loss_value():
    mr, mf = mean(REAL), mean(FAKE)
    expected = (-mean(math.log(sigmoid(f - mr)) for f in FAKE)
                - mean(math.log(1 - sigmoid(r - mf)) for r in REAL))
    assert value(g_relativistic_average_loss(t(FAKE), t(REAL))) == pytest.approx(expected, **TOL)
    # fake - mean real = [-2, 0]: softplus(2), softplus(0); real - mean fake = [0, 2]
    by_hand = (softplus(2.0) + softplus(0.0)) / 2 + (softplus(0.0) + softplus(2.0)) / 2
    assert value(g_relativistic_average_loss(t(FAKE), t(REAL))) == pytest.approx(by_hand, **TOL)
    assert value(LOSSES["ragan"].g_loss(t(FAKE), t(REAL))) == pytest.approx(by_hand, **TOL)


def test_relativistic_divergence_value():
    ld = (softplus(0.0) + softplus(-2.0)) / 2 + (softplus(-2.0) + softplus(0.0)) / 2
    got = value(relativistic_divergence(t(REAL), t(FAKE)))
    assert got == pytest.approx((math.log(4.0) - ld) / 2, **TOL)
    # identical constant scores: L_D = 2 log 2, divergence 0
    assert value(relativistic_divergence(t([0.7, 0.7]), t([0.7]))) == pytest.approx(0.0, abs=1e-12)


# --- f-GAN ----------------------------------------------------------------------------------------
# Nowozin et al. 2016, Table 6 (activation g_f, conjugate f*), hand-written with math.

def _f(key: str, u: float) -> float:
    return {
        "kl": lambda: u * math.log(u),
        "reverse-kl": lambda: -math.log(u),
        "pearson": lambda: (u - 1.0) ** 2,
        "hellinger": lambda: (math.sqrt(u) - 1.0) ** 2,
        "js": lambda: -(u + 1.0) * math.log((1.0 + u) / 2.0) + u * math.log(u),
        "tv": lambda: 0.5 * abs(u - 1.0),
    }[key]()


def _f_prime(key: str, u: float) -> float:
    return {
        "kl": lambda: math.log(u) + 1.0,
        "reverse-kl": lambda: -1.0 / u,
        "pearson": lambda: 2.0 * (u - 1.0),
        "hellinger": lambda: 1.0 - 1.0 / math.sqrt(u),
        "js": lambda: math.log(2.0 * u / (1.0 + u)),
        "tv": lambda: math.copysign(0.5, u - 1.0),  # a subgradient: f is not differentiable at u = 1
    }[key]()


def _activation(key: str, v: float) -> float:
    return {
        "kl": lambda: v,
        "reverse-kl": lambda: -math.exp(-v),
        "pearson": lambda: v,
        "hellinger": lambda: 1.0 - math.exp(-v),
        "js": lambda: math.log(2.0) - math.log(1.0 + math.exp(-v)),
        "tv": lambda: 0.5 * math.tanh(v),
    }[key]()


def _activation_inverse(key: str, t_: float) -> float:
    return {
        "kl": lambda: t_,
        "reverse-kl": lambda: -math.log(-t_),
        "pearson": lambda: t_,
        "hellinger": lambda: -math.log(1.0 - t_),
        "js": lambda: -math.log(2.0 / math.exp(t_) - 1.0),
        "tv": lambda: math.atanh(2.0 * t_),
    }[key]()


def _conjugate(key: str, t_: float) -> float:
    return {
        "kl": lambda: math.exp(t_ - 1.0),
        "reverse-kl": lambda: -1.0 - math.log(-t_),
        "pearson": lambda: t_ * t_ / 4.0 + t_,
        "hellinger": lambda: t_ / (1.0 - t_),
        "js": lambda: -math.log(2.0 - math.exp(t_)),
        "tv": lambda: t_,
    }[key]()


# points inside each conjugate's domain (dom f* for reverse-kl: t < 0; hellinger: t < 1;
# js: t < log 2; pearson with f on u >= 0: t >= -2)
CONJ_POINTS = {
    "kl": [-2.0, -0.5, 0.0, 0.3, 1.0, 2.5],
    "reverse-kl": [-3.0, -1.0, -0.5, -0.1],
    "pearson": [-1.5, -1.0, 0.0, 0.5, 2.0],
    "hellinger": [-3.0, -1.0, 0.0, 0.5, 0.8],
    "js": [-3.0, -1.0, 0.0, 0.3, 0.6],
    "tv": [-0.5, -0.2, 0.0, 0.3, 0.5],  # dom f* = [-1/2, 1/2]
}
FKEYS = ["kl", "reverse-kl", "pearson", "hellinger", "js", "tv"]
SMOOTH_FKEYS = FKEYS[:-1]  # tv's optimal T = +-1/2 is tanh(+-inf) / 2: its own test below
V_RANGE = [-6.0, -3.0, -1.0, -0.25, 0.0, 0.4, 1.0, 2.5, 5.0]


@pytest.mark.parametrize("key", FKEYS)
def test_f_divergence_activation(key):
    div = F_DIVERGENCES[key]
    got = div.activation(t(V_RANGE)).tolist()
    assert got == pytest.approx([_activation(key, v) for v in V_RANGE], rel=1e-12, abs=1e-12)


def test_f_divergence_activation_by_hand():
    assert float(F_DIVERGENCES["reverse-kl"].activation(t([0.0]))[0]) == pytest.approx(-1.0, abs=1e-15)
    assert float(F_DIVERGENCES["hellinger"].activation(t([math.log(2.0)]))[0]) == pytest.approx(0.5, **TOL)
    # js: log 2 - log(1 + e^0) = 0
    assert float(F_DIVERGENCES["js"].activation(t([0.0]))[0]) == pytest.approx(0.0, abs=1e-15)
    # ranges: reverse-kl < 0, hellinger < 1, js < log 2
    big = t([-20.0, 0.0, 20.0])
    assert torch.all(F_DIVERGENCES["reverse-kl"].activation(big) < 0)
    assert torch.all(F_DIVERGENCES["hellinger"].activation(big) < 1)
    assert torch.all(F_DIVERGENCES["js"].activation(big) < math.log(2.0))


@pytest.mark.parametrize("key", FKEYS)
def test_f_divergence_conjugate_matches_table(key):
    div = F_DIVERGENCES[key]
    pts = CONJ_POINTS[key]
    got = div.conjugate(t(pts)).tolist()
    assert got == pytest.approx([_conjugate(key, x) for x in pts], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("key", FKEYS)
def test_f_divergence_conjugate_is_the_legendre_transform(key):
    # f*(t) = sup_{u > 0} (t u - f(u)), evaluated on a fine grid (independent of the table)
    u = np.concatenate([np.geomspace(1e-8, 1e-2, 20_000), np.linspace(1e-2, 60.0, 400_000), [1.0]])  # tv: kink
    f_of_u = np.array([_f(key, float(x)) for x in u[::997]])  # spot-check _f against the vectorised form
    vec = {
        "kl": u * np.log(u),
        "reverse-kl": -np.log(u),
        "pearson": (u - 1.0) ** 2,
        "hellinger": (np.sqrt(u) - 1.0) ** 2,
        "js": -(u + 1.0) * np.log((1.0 + u) / 2.0) + u * np.log(u),
        "tv": 0.5 * np.abs(u - 1.0),
    }[key]
    assert np.allclose(vec[::997], f_of_u, rtol=1e-12, atol=1e-12)
    div = F_DIVERGENCES[key]
    for x in CONJ_POINTS[key]:
        sup = float(np.max(x * u - vec))
        assert float(div.conjugate(t([x]))[0]) == pytest.approx(sup, abs=1e-6)


@pytest.mark.parametrize("key", FKEYS)
def test_conjugate_of_activation_is_the_composite(key):
    div = F_DIVERGENCES[key]
    v = t(V_RANGE)
    composite = div.conjugate(div.activation(v))
    stable = div.conjugate_of_activation(v)
    assert torch.allclose(stable, composite, rtol=1e-9, atol=1e-9)
    by_hand = [_conjugate(key, _activation(key, x)) for x in V_RANGE]
    assert stable.tolist() == pytest.approx(by_hand, rel=1e-9, abs=1e-9)


def test_conjugate_of_activation_is_finite_where_the_composite_overflows():
    # hellinger at v = 40: 1 - e^-40 rounds to 1 and t/(1-t) blows up; expm1(40) does not
    v = t([40.0])
    assert float(F_DIVERGENCES["hellinger"].conjugate_of_activation(v)[0]) == pytest.approx(math.expm1(40.0))
    assert float(F_DIVERGENCES["reverse-kl"].conjugate_of_activation(t([800.0]))[0]) == pytest.approx(799.0)
    assert float(F_DIVERGENCES["js"].conjugate_of_activation(t([50.0]))[0]) == pytest.approx(50.0 - math.log(2))


@pytest.mark.parametrize("key", FKEYS)
def test_f_gan_losses_values(key):
    div = F_DIVERGENCES[key]
    bound = mean(_activation(key, r) for r in REAL) - mean(_conjugate(key, _activation(key, f)) for f in FAKE)
    assert value(f_variational_bound(div, t(REAL), t(FAKE))) == pytest.approx(bound, rel=1e-9)
    assert value(d_fgan_loss(div, t(REAL), t(FAKE))) == pytest.approx(-bound, rel=1e-9)
    g = -mean(_activation(key, f) for f in FAKE)
    assert value(g_fgan_loss(div, t(FAKE))) == pytest.approx(g, rel=1e-9, abs=1e-12)
    spec = LOSSES[f"fgan-{key}"]
    assert value(spec.d_loss(t(REAL), t(FAKE), 0.9)) == pytest.approx(-bound, rel=1e-9)
    assert value(spec.g_loss(t(FAKE), t(REAL))) == pytest.approx(g, rel=1e-9, abs=1e-12)
    assert value(spec.estimate(t(REAL), t(FAKE))) == pytest.approx(bound, rel=1e-9)


def test_f_gan_values_by_hand():
    # KL, real [0, 2], fake [-1, 1]: E_P[v] = 1; E_Q[e^(v-1)] = (e^-2 + 1)/2
    kl = F_DIVERGENCES["kl"]
    assert value(f_variational_bound(kl, t(REAL), t(FAKE))) == pytest.approx(1 - (math.exp(-2) + 1) / 2)
    # Pearson: E_P[v] = 1; E_Q[v^2/4 + v] = (1/4 - 1 + 1/4 + 1)/2 = 1/4
    pearson = F_DIVERGENCES["pearson"]
    assert value(f_variational_bound(pearson, t(REAL), t(FAKE))) == pytest.approx(0.75)
    # reverse KL: E_P[-e^-v] = -(1 + e^-2)/2; E_Q[v - 1] = -1
    rkl = F_DIVERGENCES["reverse-kl"]
    assert value(f_variational_bound(rkl, t(REAL), t(FAKE))) == pytest.approx(1 - (1 + math.exp(-2)) / 2)


# --- closed-form optima on discrete distributions --------------------------------------------------
# Each pair is (p, q, counts_p, counts_q): p_i = counts_p[i] / sum(counts_p), likewise q.

PAIRS = {
    "symmetric": ((0.5, 0.25, 0.25), (0.25, 0.25, 0.5), (2, 1, 1), (1, 1, 2)),
    "asymmetric": ((0.5, 0.25, 0.25), (0.125, 0.375, 0.5), (4, 2, 2), (1, 3, 4)),
}


def _replicate(scores, counts) -> torch.Tensor:
    out = []
    for s, c in zip(scores, counts, strict=True):
        out += [s] * c
    return t(out)


def _jsd(p, q) -> float:
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    kl_pm = sum(a * math.log(a / c) for a, c in zip(p, m, strict=True) if a > 0)
    kl_qm = sum(b * math.log(b / c) for b, c in zip(q, m, strict=True) if b > 0)
    return 0.5 * kl_pm + 0.5 * kl_qm


@pytest.fixture(params=sorted(PAIRS))
def pair(request):
    return PAIRS[request.param]


def test_replication_matches_the_distributions(pair):
    p, q, cp, cq = pair
    assert [c / sum(cp) for c in cp] == list(p)
    assert [c / sum(cq) for c in cq] == list(q)


def test_jsd_by_hand():
    # p = (1/2, 1/4, 1/4), q = (1/4, 1/4, 1/2): m = (3/8, 1/4, 3/8)
    expected = 0.5 * (0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3)) * 2
    assert _jsd(*PAIRS["symmetric"][:2]) == pytest.approx(expected, rel=1e-12)


def test_jsd_from_logistic_at_optimal_discriminator(pair):
    p, q, cp, cq = pair
    logits = [math.log(a / b) for a, b in zip(p, q, strict=True)]  # D* = p/(p+q)
    real, fake = _replicate(logits, cp), _replicate(logits, cq)
    jsd = _jsd(p, q)
    assert 0 < jsd < math.log(2)
    assert value(jsd_from_logistic(real, fake)) == pytest.approx(jsd, rel=1e-9)
    # and max_D V = 2 JSD - log 4 (Goodfellow et al. 2014, Theorem 1)
    assert -value(d_logistic_loss(real, fake)) == pytest.approx(2 * jsd - math.log(4), rel=1e-9)
    for name in ("minimax", "nonsaturating"):
        assert value(LOSSES[name].estimate(real, fake)) == pytest.approx(jsd, rel=1e-9)


def test_jsd_from_logistic_is_a_lower_bound_off_the_optimum(pair):
    p, q, cp, cq = pair
    opt = [math.log(a / b) for a, b in zip(p, q, strict=True)]
    for shift in (-0.5, 0.3):
        worse = [x + shift for x in opt]
        est = value(jsd_from_logistic(_replicate(worse, cp), _replicate(worse, cq)))
        assert est < _jsd(p, q) - 1e-4


def test_tv_from_hinge_at_optimal_discriminator(pair):
    p, q, cp, cq = pair
    d_star = [float(np.sign(a - b)) for a, b in zip(p, q, strict=True)]
    tv = 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))
    est = value(tv_from_hinge(_replicate(d_star, cp), _replicate(d_star, cq)))
    assert est == pytest.approx(tv, rel=1e-12)
    assert value(LOSSES["hinge"].estimate(_replicate(d_star, cp), _replicate(d_star, cq))) == pytest.approx(tv)


def test_tv_by_hand():
    assert 0.5 * sum(abs(a - b) for a, b in zip(*PAIRS["symmetric"][:2], strict=True)) == 0.25
    d_star = [1.0, 0.0, -1.0]
    est = value(tv_from_hinge(_replicate(d_star, (2, 1, 1)), _replicate(d_star, (1, 1, 2))))
    assert est == pytest.approx(0.25, rel=1e-12)


def test_triangular_from_least_squares_at_optimal_discriminator(pair):
    p, q, cp, cq = pair
    d_star = [a / (a + b) for a, b in zip(p, q, strict=True)]
    tri = sum((a - b) ** 2 / (a + b) for a, b in zip(p, q, strict=True))
    real, fake = _replicate(d_star, cp), _replicate(d_star, cq)
    assert value(triangular_from_least_squares(real, fake)) == pytest.approx(tri, rel=1e-9)
    assert value(LOSSES["lsgan"].estimate(real, fake)) == pytest.approx(tri, rel=1e-9)
    # L_D* = 1/4 - Delta/8
    assert value(d_least_squares_loss(real, fake)) == pytest.approx(0.25 - tri / 8, rel=1e-9)


def test_triangular_by_hand():
    # (1/4)^2/(3/4) + 0 + (1/4)^2/(3/4) = 1/6
    d_star = [2 / 3, 0.5, 1 / 3]
    est = value(triangular_from_least_squares(_replicate(d_star, (2, 1, 1)), _replicate(d_star, (1, 1, 2))))
    assert est == pytest.approx(1 / 6, rel=1e-9)


@pytest.mark.parametrize("key", SMOOTH_FKEYS)
def test_f_variational_bound_is_tight_at_optimal_critic(key, pair):
    p, q, cp, cq = pair
    div = F_DIVERGENCES[key]
    # T* = f'(p/q), v* = activation^-1(T*)
    v_star = [_activation_inverse(key, _f_prime(key, a / b)) for a, b in zip(p, q, strict=True)]
    for a, b, v in zip(p, q, v_star, strict=True):
        assert _activation(key, v) == pytest.approx(_f_prime(key, a / b), rel=1e-12, abs=1e-12)
    d_f = sum(b * _f(key, a / b) for a, b in zip(p, q, strict=True))
    real, fake = _replicate(v_star, cp), _replicate(v_star, cq)
    assert value(f_variational_bound(div, real, fake)) == pytest.approx(d_f, rel=1e-9)
    assert value(LOSSES[f"fgan-{key}"].estimate(real, fake)) == pytest.approx(d_f, rel=1e-9)
    # off the optimum the bound is strictly lower
    shifted = [x + 0.2 for x in v_star]
    assert value(f_variational_bound(div, _replicate(shifted, cp), _replicate(shifted, cq))) < d_f - 1e-5


def test_f_gan_total_variation_bound_reaches_tv_as_the_critic_saturates():
    """T* = sign(p - q) / 2 (the activation's limits): the bound -> 1/2 sum |p - q|, closed form; any
    finite critic stays below it."""
    p, q, cp, cq = PAIRS["asymmetric"]
    tv = 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))
    div = F_DIVERGENCES["tv"]
    for v_size, gap in ((20.0, 1e-12), (2.0, 0.02)):
        v = [math.copysign(v_size, a - b) for a, b in zip(p, q, strict=True)]
        bound = value(f_variational_bound(div, _replicate(v, cp), _replicate(v, cq)))
        assert bound <= tv + 1e-12 and bound == pytest.approx(tv, abs=gap)
    assert value(LOSSES["fgan-tv"].estimate(_replicate([20.0] * 3, cp), _replicate([20.0] * 3, cq))) \
        == pytest.approx(0.0, abs=1e-12)


def test_f_divergences_by_hand():
    p, q = PAIRS["asymmetric"][:2]
    kl = sum(a * math.log(a / b) for a, b in zip(p, q, strict=True))
    rkl = sum(b * math.log(b / a) for a, b in zip(p, q, strict=True))
    assert kl != pytest.approx(rkl)  # the asymmetric pair tells KL from reverse KL
    assert sum(b * _f("kl", a / b) for a, b in zip(p, q, strict=True)) == pytest.approx(kl)
    assert sum(b * _f("reverse-kl", a / b) for a, b in zip(p, q, strict=True)) == pytest.approx(rkl)
    assert sum(b * _f("js", a / b) for a, b in zip(p, q, strict=True)) == pytest.approx(2 * _jsd(p, q))
    pearson = sum((a - b) ** 2 / b for a, b in zip(p, q, strict=True))
    assert sum(b * _f("pearson", a / b) for a, b in zip(p, q, strict=True)) == pytest.approx(pearson)
    hel = sum((math.sqrt(a) - math.sqrt(b)) ** 2 for a, b in zip(p, q, strict=True))
    assert sum(b * _f("hellinger", a / b) for a, b in zip(p, q, strict=True)) == pytest.approx(hel)


# --- registry -------------------------------------------------------------------------------------

NAMES = {"minimax", "nonsaturating", "lsgan", "hinge", "wgan", "wgan-gp", "fgan-kl", "fgan-reverse-kl",
         "fgan-pearson", "fgan-hellinger", "fgan-js", "fgan-tv", "ragan"}


def test_registry_names():
    assert set(LOSSES) == NAMES
    assert len(LOSSES) == len(NAMES)
    for name, spec in LOSSES.items():
        assert spec.name == name
        assert get_loss(name) is spec


def test_get_loss_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        get_loss("nope")
    message = str(info.value)
    assert "nope" in message
    for name in NAMES:
        assert name in message


def test_minimax_and_nonsaturating_share_d_but_not_g():
    mm, ns = LOSSES["minimax"], LOSSES["nonsaturating"]
    assert mm.d_loss is d_logistic_loss and ns.d_loss is d_logistic_loss
    assert mm.g_loss is g_minimax_loss
    assert ns.g_loss is g_nonsaturating_loss
    # names do not lie: values differ, by the saturating / non-saturating formulas
    fake = t(FAKE)
    assert value(mm.g_loss(fake, t(REAL))) == pytest.approx(mean(-softplus(f) for f in FAKE), **TOL)
    assert value(ns.g_loss(fake, t(REAL))) == pytest.approx(mean(softplus(-f) for f in FAKE), **TOL)
    assert value(mm.d_loss(t(REAL), fake, 1.0)) == pytest.approx(value(ns.d_loss(t(REAL), fake, 1.0)))


def test_registry_flags():
    assert LOSSES["wgan"].weight_clip is True
    assert LOSSES["wgan"].gradient_penalty is False
    assert LOSSES["wgan-gp"].gradient_penalty is True
    assert LOSSES["wgan-gp"].weight_clip is False
    assert {n for n, s in LOSSES.items() if s.weight_clip} == {"wgan"}
    assert {n for n, s in LOSSES.items() if s.gradient_penalty} == {"wgan-gp"}
    assert {n for n, s in LOSSES.items() if s.targets} == {"minimax", "nonsaturating", "lsgan"}
    assert {n for n, s in LOSSES.items() if s.g_uses_real} == {"ragan"}
    assert {n for n, s in LOSSES.items() if s.output == "probability"} == {"minimax", "nonsaturating"}


def test_losses_without_targets_ignore_real_target():
    real, fake = t(REAL), t(FAKE)
    for spec in LOSSES.values():
        if spec.targets:
            continue
        assert value(spec.d_loss(real, fake, 0.9)) == pytest.approx(value(spec.d_loss(real, fake, 1.0)), **TOL)
    assert value(LOSSES["hinge"].d_loss(real, fake, 0.9)) == pytest.approx(1.5, **TOL)


def test_registry_d_and_g_values_by_hand():
    real, fake = t(REAL), t(FAKE)
    assert value(LOSSES["hinge"].g_loss(fake, real)) == pytest.approx(0.0, abs=1e-12)
    assert value(LOSSES["lsgan"].g_loss(fake, real)) == pytest.approx(1.0, **TOL)
    by_hand = (softplus(0.0) + softplus(-2.0)) / 2 + (softplus(-2.0) + softplus(0.0)) / 2
    assert value(LOSSES["ragan"].d_loss(real, fake, 1.0)) == pytest.approx(by_hand, **TOL)
    smoothed = (-mean(0.9 * math.log(sigmoid(r)) + 0.1 * math.log(1 - sigmoid(r)) for r in REAL)
                + mean(softplus(f) for f in FAKE))
    assert value(LOSSES["minimax"].d_loss(real, fake, 0.9)) == pytest.approx(smoothed, **TOL)
