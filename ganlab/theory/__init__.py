"""Closed forms the theory pages show.

Conventions: JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, 0 <= JSD <= log 2, and
max_D V(G, D) = 2 JSD(p_data || p_g) - log 4 (Goodfellow et al. 2014).
"""

from ganlab.theory.optimal_d import (
    jsd_from_optimal_value,
    kde_density,
    optimal_discriminator,
    optimal_discriminator_grid,
    optimal_value,
)

__all__ = ["optimal_discriminator", "kde_density", "optimal_discriminator_grid", "optimal_value",
           "jsd_from_optimal_value"]
