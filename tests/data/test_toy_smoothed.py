"""ToyDataset.smoothed_log_density: the density of X + h Z, checked against a numerical convolution of
the data set's own log_density (Gauss-Hermite product rule for smooth densities, Monte Carlo for the
checkerboard's edges)."""

import math

import numpy as np
import pytest
import torch

from ganlab.data import make_dataset


def gauss_hermite_convolution(dataset, points, h, order=40):
    """p * N(0, h^2 I) at points by a 2-D Gauss-Hermite product rule over the exact density."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(order)  # weight exp(-x^2 / 2)
    weights = weights / math.sqrt(2 * math.pi)
    zx, zy = np.meshgrid(nodes, nodes)
    w = np.outer(weights, weights).ravel()
    offsets = h * np.stack([zx.ravel(), zy.ravel()], axis=1)
    out = []
    for x in points:
        out.append(np.log(np.sum(w * dataset.density(x[None, :] + offsets))))
    return np.array(out)


@pytest.mark.parametrize("name, h", [("ring8", 0.007), ("grid25", 0.06), ("gaussian", 0.5),
                                     ("disjoint-gaussians", 0.05), ("moons", 0.03), ("spiral", 0.04),
                                     ("swissroll", 0.03), ("circles", 0.03)])
def test_smoothed_density_is_the_convolution_of_the_density(name, h):
    dataset = make_dataset(name)
    # points on the data and around it (where the density is not negligible)
    points = dataset.sample(40, torch.Generator().manual_seed(0)).double().numpy()
    points = points + np.random.default_rng(1).normal(scale=2 * h, size=points.shape)
    got = dataset.smoothed_log_density(points, h)
    want = gauss_hermite_convolution(dataset, points, h)
    assert got == pytest.approx(want, abs=2e-3)


def test_checkerboard_smoothed_density_matches_monte_carlo():
    dataset = make_dataset("checkerboard")
    h = 0.1
    points = np.array([[0.5, 0.5], [0.0, 0.0], [0.02, 0.5], [-0.5, 0.5], [2.05, 1.5], [3.0, 3.0]])
    z = np.random.default_rng(2).standard_normal((400_000, 2))
    want = [np.mean(np.isfinite(dataset.log_density(p + h * z))) / 8 for p in points]
    got = np.exp(dataset.smoothed_log_density(points, h))
    assert got[:5] == pytest.approx(want[:5], abs=3e-3)
    assert got[0] == pytest.approx(1 / 8 * (math.erf(0.5 / (h * math.sqrt(2)))) ** 2, rel=1e-9)
    assert got[5] == pytest.approx(0.0, abs=1e-30)  # far outside: no mass, no NaN


def test_zero_bandwidth_is_the_plain_density_and_bad_bandwidth_is_refused():
    dataset = make_dataset("ring8")
    points = np.array([[1.0, 0.0], [0.3, 0.2]])
    assert dataset.smoothed_log_density(points, 0.0) == pytest.approx(dataset.log_density(points))
    with pytest.raises(ValueError, match="bandwidth"):
        dataset.smoothed_log_density(points, -0.1)
    with pytest.raises(ValueError, match="no density"):
        make_dataset("parallel-lines").smoothed_log_density(points, 0.1)
