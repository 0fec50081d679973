"""Closed forms the theory pages show.

Conventions: JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, 0 <= JSD <= log 2, and
max_D V(G, D) = 2 JSD(p_data || p_g) - log 4 (Goodfellow et al. 2014).
"""

from ganlab.theory.bilinear import bilinear_field, bilinear_trajectory
from ganlab.theory.dirac_gan import dirac_field, dirac_trajectory, eigenvalues, r1_eigenvalues
from ganlab.theory.optimal_d import (
    jsd_from_optimal_value,
    kde_density,
    optimal_discriminator,
    optimal_discriminator_grid,
    optimal_value,
)
from ganlab.theory.parallel_lines import parallel_lines, parallel_lines_gradients

__all__ = ["optimal_discriminator", "kde_density", "optimal_discriminator_grid", "optimal_value",
           "jsd_from_optimal_value", "parallel_lines", "parallel_lines_gradients", "bilinear_field",
           "bilinear_trajectory", "dirac_field", "dirac_trajectory", "eigenvalues", "r1_eigenvalues"]
