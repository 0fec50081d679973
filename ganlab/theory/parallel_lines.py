"""The parallel-lines example of Arjovsky et al. 2017 (Example 1): P0 = (0, Z), P_theta = (theta, Z),
Z ~ U[0, 1]. Disjoint supports for theta != 0: every f-divergence is constant (or infinite) while the
Wasserstein distance is |theta|, so only W gives theta a useful gradient."""

from __future__ import annotations

import math

LOG2 = math.log(2.0)


def parallel_lines(theta: float) -> dict[str, float]:
    """Distances between P0 and P_theta, in nats where logarithmic.

    Returns:
        {"w": |theta|, "jsd": log 2 if theta != 0 else 0 (JSD in [0, log 2]),
         "kl": KL(P_theta || P0) = inf if theta != 0 else 0, "reverse_kl": KL(P0 || P_theta), same,
         "tv": 1 if theta != 0 else 0}
    """
    theta = float(theta)
    if not math.isfinite(theta):
        raise ValueError(f"theta must be a finite number, got {theta!r}")
    apart = theta != 0.0
    return {"w": abs(theta), "jsd": LOG2 if apart else 0.0, "kl": math.inf if apart else 0.0,
            "reverse_kl": math.inf if apart else 0.0, "tv": 1.0 if apart else 0.0}


def parallel_lines_gradients(theta: float) -> dict[str, float]:
    """d/dtheta of each distance where it exists (theta != 0): W gives sign(theta), the others 0.

    At theta = 0 W has a kink (subgradient [-1, 1]) and the divergences jump: all reported as nan.
    """
    theta = float(theta)
    if theta == 0.0:
        return dict.fromkeys(("w", "jsd", "kl", "reverse_kl", "tv"), math.nan)
    return {"w": math.copysign(1.0, theta), "jsd": 0.0, "kl": 0.0, "reverse_kl": 0.0, "tv": 0.0}
