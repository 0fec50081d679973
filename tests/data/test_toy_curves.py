"""Accuracy of the curve datasets' quadrature log-density against scipy.integrate.quad.

The reference integrates (1/A) sum_a int_0^1 N(x; c_a(u), std^2 I) du with the arms written out
again here from their docstrings (plain math, independent of the datasets' torch code), with
breakpoints graded geometrically around every local minimum of |x - c_a(u)| so quad cannot step
over a peak narrower than its first panels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate

from ganlab.data import make_dataset


def _spiral(u):
    angle = math.pi * (0.5 + 2.5 * u)
    r = angle / (1.5 * math.pi)
    x, y = r * np.cos(angle), r * np.sin(angle)
    return [(x, y), (-x, -y)]


def _swissroll(u):
    t = 1.5 * math.pi * (1.0 + 2.0 * u)
    scale = 2.0 / (4.5 * math.pi)
    return [(scale * t * np.cos(t), scale * t * np.sin(t))]


def _moons(u):
    angle = math.pi * u
    return [(np.cos(angle), np.sin(angle)), (1.0 - np.cos(angle), 0.5 - np.sin(angle))]


CURVES = {"spiral": _spiral, "swissroll": _swissroll, "moons": _moons}


def reference_log_density(name: str, std: float, x: np.ndarray) -> float:
    """log of (1/A) sum_a int_0^1 N(x; c_a(u), std^2 I) du by adaptive quadrature (scipy quad)."""
    curve = CURVES[name]
    dense_u = np.linspace(0.0, 1.0, 40_001)
    d2 = np.stack([(cx - x[0]) ** 2 + (cy - x[1]) ** 2 for cx, cy in curve(dense_u)])  # (A, L)
    shift = d2.min()  # factor exp(-shift / 2 std^2) out so far points do not underflow
    grading = 2.0 ** -np.arange(1, 30)
    total = 0.0
    for arm in range(d2.shape[0]):
        row = d2[arm]
        is_min = np.r_[True, row[1:-1] <= np.minimum(row[:-2], row[2:]), True]
        centres = dense_u[is_min]
        breaks = np.concatenate([centres[:, None] + grading, centres[:, None] - grading]).ravel()
        breaks = np.unique(np.concatenate([breaks, np.linspace(0.0, 1.0, 65)]))
        breaks = breaks[(breaks > 0.0) & (breaks < 1.0)]

        def integrand(u, arm=arm):
            cx, cy = curve(u)[arm]
            return math.exp(-((cx - x[0]) ** 2 + (cy - x[1]) ** 2 - shift) / (2.0 * std * std))

        value, _ = integrate.quad(integrand, 0.0, 1.0, points=breaks, limit=10 * breaks.size + 100,
                                  epsabs=0.0, epsrel=1e-12)
        total += value
    return (math.log(total / d2.shape[0]) - shift / (2.0 * std * std)
            - math.log(2.0 * math.pi * std * std))


def probe_points(ds, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Points at and past the arm ends (along the tangent), beside the ends, on and beside the
    arms' middles, and uniform in the bounds."""
    s = ds.std
    u = torch.tensor([0.0, 1e-7, 1.0 - 1e-7, 1.0, 0.37, 0.61], dtype=torch.float64)
    c = ds.arms(u).numpy()  # (A, 6, 2)
    out: dict[str, list] = {"end": [], "past-end": [], "beside-end": [], "middle": []}
    for arm in range(ds.n_arms):
        for end, inner in ((0, 1), (3, 2)):
            tangent = c[arm, end] - c[arm, inner]
            tangent /= np.linalg.norm(tangent)  # points outwards, past the end
            normal = np.array([-tangent[1], tangent[0]])
            out["end"] += [c[arm, end] + k * s * tangent for k in (0.0, 0.5, 1.0, 2.0, 3.0)]
            out["past-end"] += [c[arm, end] + k * s * tangent for k in (5.0, 10.0, 20.0)]
            out["beside-end"] += [c[arm, end] + k * s * normal for k in (0.5, -1.0, 2.0)]
        for j in (4, 5):
            out["middle"] += [c[arm, j] + k * s * np.array([0.6, 0.8]) for k in (0.0, 0.5, -1.0, 3.0)]
    xmin, xmax, ymin, ymax = ds.bounds
    out["random"] = list(np.stack([rng.uniform(xmin, xmax, 8), rng.uniform(ymin, ymax, 8)], axis=1))
    return {key: np.array(value) for key, value in out.items()}


@pytest.mark.parametrize("std", [None, 0.01])
@pytest.mark.parametrize("name", ["spiral", "swissroll", "moons"])
def test_quadrature_density_matches_scipy_quad(name, std):
    ds = make_dataset(name, std=std)
    rng = np.random.default_rng([list(CURVES).index(name), std is None])
    for where, points in probe_points(ds, rng).items():
        expected = np.array([reference_log_density(name, ds.std, x) for x in points])
        got = ds.log_density(points)
        rel = np.abs(np.expm1(got - expected))  # relative error of the density itself
        assert rel.max() < 1e-6, f"{name} std={ds.std} {where}: relative error {rel.max():.2e}"


@pytest.mark.parametrize("name", ["spiral", "swissroll", "moons", "circles"])
def test_arms_match_the_documented_formulas(name):
    ds = make_dataset(name)
    u = np.linspace(0.0, 1.0, 11)
    arms = ds.arms(torch.tensor(u)).numpy()
    if name == "circles":
        expected = [(r * np.cos(2 * math.pi * u), r * np.sin(2 * math.pi * u)) for r in (1.0, 0.5)]
    else:
        expected = CURVES[name](u)
    np.testing.assert_allclose(arms, np.stack([np.stack(xy, axis=-1) for xy in expected]), atol=1e-12)


@pytest.mark.parametrize("name", ["spiral", "swissroll", "moons", "circles"])
def test_quadrature_rule_weights_are_positive_and_sum_to_one(name):
    u, weights = make_dataset(name, std=0.02).quadrature_rule()
    assert np.all((u > 0.0) & (u < 1.0)) and np.all(np.diff(u) > 0)
    assert np.all(weights > 0.0)
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    # Gauss-Legendre panels integrate low-degree polynomials exactly: int_0^1 u^5 du = 1/6.
    assert weights @ u**5 == pytest.approx(1.0 / 6.0, abs=1e-13)


def test_density_near_an_arm_end_is_half_the_interior_line_density():
    # A long straight piece: near the middle of the upper moon the density is (1/2) * 1 / (pi |c'|)
    # times the 1-D normal across it; at an arm's very end only half the kernel lies on the arm.
    ds = make_dataset("moons", std=0.002)
    speed = math.pi  # |dc/du| of both moons
    peak = 0.5 / speed / (math.sqrt(2.0 * math.pi) * ds.std)  # (1/A) * (1/|c'|) * N_1d(0)
    middle = ds.density(np.array([[0.0, 1.0]]))[0]
    end = ds.density(np.array([[1.0, 0.0]]))[0]
    assert middle == pytest.approx(peak, rel=1e-4)  # curvature effects are O(std^2)
    assert end == pytest.approx(0.5 * peak, rel=1e-3)
