"""Plotly figure builders: pure functions from a trainer snapshot (numpy arrays) to figures.

Only this package (and the app's pages) imports plotly; nothing here imports streamlit.
"""

from ganlab.viz.export import animation_figure, animation_html, metrics_csv
from ganlab.viz.toy_charts import d_means_chart, divergence_chart, loss_chart, metrics_chart
from ganlab.viz.toy_plane import (
    DEFAULT_LAYERS,
    LAYERS,
    arrow_tips,
    auto_arrow_scale,
    density_bins,
    manifold_cell_areas,
    plane_figure,
)

__all__ = ["LAYERS", "DEFAULT_LAYERS", "plane_figure", "auto_arrow_scale", "arrow_tips", "manifold_cell_areas",
           "density_bins", "loss_chart", "divergence_chart", "metrics_chart", "d_means_chart", "animation_figure",
           "animation_html", "metrics_csv"]
