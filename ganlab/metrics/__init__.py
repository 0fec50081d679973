"""Toy metrics: mode coverage, Wasserstein-1, divergence estimates (JSD, KL, TV, ...) with error bars,
k-NN manifold metrics, and the grid KDE the plane shades.

Pure numpy / scipy; inputs may be numpy arrays, lists or torch tensors. Definitions follow the
design's "Toy metrics" section (PacGAN protocol for modes; exact W1 by optimal assignment).
"""

from ganlab.metrics.divergence_estimates import DIVERGENCES, DivergenceEstimator
from ganlab.metrics.kde import BANDWIDTH_RULES, grid_centres, kde_bandwidth, kde_factor, kde_grid
from ganlab.metrics.manifold import density_coverage, knn_radii, precision_recall
from ganlab.metrics.modes import DEFAULT_EVAL_SAMPLES, HQ_STDS, covered_modes, mode_stats
from ganlab.metrics.transport import exact_wasserstein1, wasserstein1, wasserstein1_method

__all__ = [
    "BANDWIDTH_RULES",
    "covered_modes",
    "DEFAULT_EVAL_SAMPLES",
    "HQ_STDS",
    "DIVERGENCES",
    "DivergenceEstimator",
    "density_coverage",
    "exact_wasserstein1",
    "grid_centres",
    "kde_bandwidth",
    "kde_factor",
    "kde_grid",
    "knn_radii",
    "mode_stats",
    "precision_recall",
    "wasserstein1",
    "wasserstein1_method",
]
