import math

import numpy as np
import pytest

from ganlab.theory.bilinear import METHODS, bilinear_field, bilinear_trajectory
from ganlab.theory.dirac_gan import (
    METHODS as DIRAC_METHODS,
)
from ganlab.theory.dirac_gan import (
    dirac_field,
    dirac_trajectory,
    eigenvalues,
    r1_eigenvalues,
)
from ganlab.theory.parallel_lines import parallel_lines, parallel_lines_gradients


def test_parallel_lines_closed_forms():
    assert parallel_lines(0.0) == {"w": 0.0, "jsd": 0.0, "kl": 0.0, "reverse_kl": 0.0, "tv": 0.0}
    apart = parallel_lines(-0.7)
    assert apart["w"] == pytest.approx(0.7)
    assert apart["jsd"] == pytest.approx(math.log(2))
    assert apart["kl"] == math.inf and apart["reverse_kl"] == math.inf and apart["tv"] == 1.0
    grads = parallel_lines_gradients(-0.7)
    assert grads == {"w": -1.0, "jsd": 0.0, "kl": 0.0, "reverse_kl": 0.0, "tv": 0.0}
    with pytest.raises(ValueError, match="theta"):
        parallel_lines(float("nan"))


def test_simultaneous_gda_spirals_out_by_sqrt_1_plus_h2():
    h = 0.2
    path = bilinear_trajectory("simultaneous", (1.0, 0.5), h, 20)
    radius = np.hypot(path[:, 0], path[:, 1])
    np.testing.assert_allclose(radius[1:] / radius[:-1], math.sqrt(1 + h * h), rtol=1e-12)


def test_extragradient_contracts_and_alternating_stays_bounded():
    h = 0.2
    path = bilinear_trajectory("extragradient", (1.0, 0.5), h, 50)
    radius = np.hypot(path[:, 0], path[:, 1])
    np.testing.assert_allclose(radius[1:] / radius[:-1], math.sqrt(1 - h * h + h ** 4), rtol=1e-12)
    alt = bilinear_trajectory("alternating", (1.0, 0.5), h, 500)
    r = np.hypot(alt[:, 0], alt[:, 1])
    assert r.max() < 1.5 * r[0] and r.min() > 0.5 * r[0]  # cycles: neither out nor in
    opt = bilinear_trajectory("optimistic", (1.0, 0.5), h, 400)
    assert np.hypot(*opt[-1]) < 0.2 * np.hypot(*opt[0])


def test_bilinear_field_and_signs():
    dx, dy = bilinear_field(np.array([2.0]), np.array([3.0]))
    assert (dx[0], dy[0]) == (-3.0, 2.0)
    dx, dy = bilinear_field(2.0, 3.0, x_sign=1.0, y_sign=-1.0)
    assert (float(dx), float(dy)) == (3.0, -2.0)
    assert set(METHODS) == {"simultaneous", "alternating", "optimistic", "extragradient"}
    with pytest.raises(ValueError, match="valid"):
        bilinear_trajectory("adam", (1, 1), 0.1, 3)


@pytest.mark.parametrize("gamma", [0.3, 1.0, 2.0])
def test_r1_eigenvalues_match_the_closed_form_and_converge(gamma):
    numeric = eigenvalues("r1", gamma=gamma)
    closed = sorted(r1_eigenvalues(gamma), key=lambda z: (z.imag, z.real))
    np.testing.assert_allclose(numeric, closed, atol=1e-6)
    assert all(z.real < 0 for z in numeric)
    np.testing.assert_allclose(eigenvalues("r2", gamma=gamma), numeric, atol=1e-9)


def test_unregularised_losses_have_imaginary_eigenvalues():
    for method in ("standard", "nonsaturating"):
        np.testing.assert_allclose(eigenvalues(method), [-0.5j, 0.5j], atol=1e-6)
    np.testing.assert_allclose(eigenvalues("wgan"), [-1j, 1j], atol=1e-6)


def test_instance_noise_eigenvalues():
    sigma = 0.5
    # Jacobian [[0, -1/2], [1/2, 2 f''(0) sigma^2]] with f''(0) = -1/4
    a = 2 * (-0.25) * sigma ** 2
    expected = sorted([a / 2 - np.sqrt(complex(a * a / 4 - 0.25)), a / 2 + np.sqrt(complex(a * a / 4 - 0.25))],
                      key=lambda z: (z.imag, z.real))
    np.testing.assert_allclose(eigenvalues("instance-noise", sigma=sigma), expected, atol=1e-5)


def test_dirac_trajectories():
    standard = dirac_trajectory("standard", (1.0, 1.0), 0.1, 300)
    r1 = dirac_trajectory("r1", (1.0, 1.0), 0.1, 300, gamma=1.0)
    assert np.hypot(*r1[-1]) < 0.05
    assert np.hypot(*standard[-1]) > 0.9 * np.hypot(*standard[0])  # simultaneous play does not converge
    alt = dirac_trajectory("standard", (1.0, 1.0), 0.1, 300, alternating=True)
    assert np.isfinite(alt).all()
    dtheta, dpsi = dirac_field("standard", np.array([1.0]), np.array([0.0]))
    assert (float(dtheta[0]), float(dpsi[0])) == (0.0, 0.5)
    assert set(DIRAC_METHODS) >= {"standard", "nonsaturating", "wgan", "wgan-gp", "instance-noise", "r1", "r2"}
