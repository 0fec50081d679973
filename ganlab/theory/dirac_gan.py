"""The Dirac-GAN (Mescheder et al. 2018): data is a point mass at 0, the generator a point mass at theta,
the discriminator D(x) = psi * x.

With L(theta, psi) = f(psi * theta) + f(0), G lowers L over theta and D raises it over psi; the
simultaneous gradient field is v(theta, psi) = (-psi f'(psi theta), theta f'(psi theta)), plus each
method's regulariser. f(t) = -log(1 + exp(-t)) for the standard GAN (f'(0) = 1/2, f''(0) = -1/4),
f(t) = t for WGAN. The equilibrium is (0, 0); the eigenvalues of the field's Jacobian there say
whether gradient play converges (negative real parts) or circles (purely imaginary).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

METHODS: dict[str, str] = {
    "standard": "original GAN loss, f(t) = -log(1 + e^-t)",
    "nonsaturating": "original D loss, G raises f(-psi theta) instead (the log D trick)",
    "wgan": "WGAN, f(t) = t, with psi clipped to [-1, 1]",
    "wgan-gp": "WGAN with gradient penalty lambda (|psi| - 1)^2",
    "instance-noise": "standard loss with Gaussian instance noise of std sigma on both inputs",
    "r1": "standard loss with R1 = (gamma / 2) psi^2 on D",
    "r2": "standard loss with R2 = (gamma / 2) psi^2 on D (equal to R1 here: D's gradient is psi everywhere)",
}
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(32)  # E over N(0, 1) by Gauss-Hermite
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def _f_prime(t):
    """Derivative of f(t) = -log(1 + exp(-t)): sigmoid(-t)."""
    return 1.0 / (1.0 + np.exp(np.asarray(t, dtype=float)))


def dirac_field(method: str, theta, psi, gamma: float = 1.0, sigma: float = 0.5, gp_lambda: float = 1.0):
    """(dtheta, dpsi): the update direction of gradient play at (theta, psi); arrays broadcast.

    Args:
        method: a key of METHODS.
        gamma: R1 / R2 weight; sigma: instance-noise std; gp_lambda: WGAN-GP weight.
    """
    theta = np.asarray(theta, dtype=float)
    psi = np.asarray(psi, dtype=float)
    if method in ("standard", "r1", "r2"):
        fp = _f_prime(psi * theta)
        dtheta, dpsi = -psi * fp, theta * fp
        if method != "standard":
            dpsi = dpsi - gamma * psi
        return dtheta, dpsi
    if method == "nonsaturating":
        return -psi * _f_prime(-psi * theta), theta * _f_prime(psi * theta)
    if method == "wgan":
        return -np.clip(psi, -1.0, 1.0) + 0.0 * theta, theta + 0.0 * psi
    if method == "wgan-gp":
        return -psi + 0.0 * theta, theta - 2.0 * gp_lambda * (np.abs(psi) - 1.0) * np.sign(psi)
    if method == "instance-noise":
        # L = E_e f(psi (theta + sigma e)) + E_e f(-psi sigma e)... with the data term f(psi * sigma e)
        eps = sigma * _NODES.reshape((-1,) + (1,) * theta.ndim)
        w = _WEIGHTS.reshape((-1,) + (1,) * theta.ndim)
        fake = _f_prime(psi * (theta + eps))
        real = _f_prime(psi * eps)
        dtheta = -(w * psi * fake).sum(0)
        dpsi = (w * ((theta + eps) * fake + eps * real)).sum(0)
        return dtheta, dpsi
    raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")


def jacobian_at_equilibrium(method: str, h: float = 1e-5, **params) -> np.ndarray:
    """(2, 2) Jacobian of the field at (0, 0) by central differences (WGAN-GP: at psi = 0+, where
    |psi| is not differentiable, the one-sided value)."""
    def field(z: np.ndarray) -> np.ndarray:
        return np.array(dirac_field(method, z[0], z[1], **params), dtype=float)

    jac = np.empty((2, 2))
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        base = np.array([0.0, 1e-3 if method == "wgan-gp" else 0.0])
        jac[:, j] = (field(base + step) - field(base - step)) / (2 * h)
    return jac


def eigenvalues(method: str, **params) -> np.ndarray:
    """Eigenvalues of the Jacobian at the equilibrium (complex, sorted by imaginary then real part)."""
    values = np.linalg.eigvals(jacobian_at_equilibrium(method, **params)).astype(complex)
    return values[np.lexsort((values.real, values.imag))]


def r1_eigenvalues(gamma: float, f_prime_0: float = 0.5) -> tuple[complex, complex]:
    """Closed form for R1 (and R2): -gamma/2 -+ sqrt(gamma^2/4 - f'(0)^2) (Mescheder et al. 2018)."""
    root = complex(gamma * gamma / 4 - f_prime_0 * f_prime_0) ** 0.5
    return (-gamma / 2 - root, -gamma / 2 + root)


def dirac_trajectory(method: str, start: tuple[float, float], step_size: float, steps: int,
                     alternating: bool = False, **params) -> np.ndarray:
    """(steps + 1, 2) iterates of (theta, psi): simultaneous updates, or alternating (D first, then G
    with the new psi)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    field: Callable = dirac_field
    out = np.empty((steps + 1, 2))
    out[0] = z = np.asarray(start, dtype=float)
    for t in range(1, steps + 1):
        if alternating:
            psi = z[1] + step_size * float(field(method, z[0], z[1], **params)[1])
            theta = z[0] + step_size * float(field(method, z[0], psi, **params)[0])
            z = np.array([theta, psi])
        else:
            dtheta, dpsi = field(method, z[0], z[1], **params)
            z = z + step_size * np.array([float(dtheta), float(dpsi)])
        if method == "wgan":
            z[1] = min(max(z[1], -1.0), 1.0)
        out[t] = z
        if not np.isfinite(z).all():
            out[t:] = math.nan
            break
    return out
