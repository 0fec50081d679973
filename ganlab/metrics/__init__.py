"""Toy metrics: mode coverage, Wasserstein-1, grid divergences (JSD, KL, TV), k-NN manifold metrics.

Pure numpy / scipy; inputs may be numpy arrays, lists or torch tensors. Definitions follow the
design's "Toy metrics" section (PacGAN protocol for modes; exact W1 by optimal assignment).
"""

from ganlab.metrics.grid_divergences import (
    BANDWIDTH_RULES,
    PROB_FLOOR,
    grid_centres,
    grid_divergences,
    kde_bandwidth,
    kde_factor,
    kde_grid,
)
from ganlab.metrics.manifold import density_coverage, knn_radii, precision_recall
from ganlab.metrics.modes import DEFAULT_EVAL_SAMPLES, HQ_STDS, covered_modes, mode_stats
from ganlab.metrics.transport import exact_wasserstein1, wasserstein1, wasserstein1_method

__all__ = [
    "BANDWIDTH_RULES",
    "covered_modes",
    "DEFAULT_EVAL_SAMPLES",
    "HQ_STDS",
    "PROB_FLOOR",
    "density_coverage",
    "exact_wasserstein1",
    "grid_centres",
    "grid_divergences",
    "kde_bandwidth",
    "kde_factor",
    "kde_grid",
    "knn_radii",
    "mode_stats",
    "precision_recall",
    "wasserstein1",
    "wasserstein1_method",
]
