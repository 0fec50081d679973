"""The bilinear game J(x, y) = x * y: x moves to lower J, y to raise it (or as the signs say).

The unique equilibrium is (0, 0). Simultaneous gradient descent-ascent spirals out (each step
multiplies |z| by sqrt(1 + h^2)), alternating updates cycle, optimistic and extragradient methods
converge (extragradient contracts |z| by sqrt(1 - h^2 + h^4) per step for h < 1).
"""

from __future__ import annotations

import numpy as np

METHODS = ("simultaneous", "alternating", "optimistic", "extragradient")


def bilinear_field(x, y, x_sign: float = -1.0, y_sign: float = 1.0):
    """The update direction (x_sign * dJ/dx, y_sign * dJ/dy) = (x_sign * y, y_sign * x); arrays broadcast."""
    return x_sign * np.asarray(y, dtype=float), y_sign * np.asarray(x, dtype=float)


def bilinear_trajectory(method: str, start: tuple[float, float], step_size: float, steps: int,
                        x_sign: float = -1.0, y_sign: float = 1.0) -> np.ndarray:
    """(steps + 1, 2) iterates of `method` from `start` with step size h.

    simultaneous:  z+ = z + h F(z)
    alternating:   x+ = x + h F_x(x, y);  y+ = y + h F_y(x+, y)
    optimistic:    z+ = z + 2h F(z) - h F(z_prev)  (Daskalakis et al. 2018; z_prev = z at the start)
    extragradient: z+ = z + h F(z + h F(z))        (Korpelevich 1976)
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    if not (step_size > 0 and np.isfinite(step_size)):
        raise ValueError(f"step_size must be a positive number, got {step_size!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps!r}")

    def field(z: np.ndarray) -> np.ndarray:
        return np.array(bilinear_field(z[0], z[1], x_sign, y_sign))

    out = np.empty((steps + 1, 2))
    out[0] = z = np.asarray(start, dtype=float)
    previous = field(z)
    for t in range(1, steps + 1):
        if method == "simultaneous":
            z = z + step_size * field(z)
        elif method == "alternating":
            x = z[0] + step_size * field(z)[0]
            z = np.array([x, z[1] + step_size * field(np.array([x, z[1]]))[1]])
        elif method == "optimistic":
            current = field(z)
            z = z + 2 * step_size * current - step_size * previous
            previous = current
        else:
            z = z + step_size * field(z + step_size * field(z))
        out[t] = z
    return out
