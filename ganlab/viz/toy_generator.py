"""A shipped toy generator on the plane: exact p_data contours, samples of G, mode centres, and the
images under G of a linear and a spherical latent path."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def toy_generator_figure(xs: np.ndarray, ys: np.ndarray, density: np.ndarray | None, samples: np.ndarray,
                         centers: np.ndarray | None, linear_path: np.ndarray, spherical_path: np.ndarray,
                         height: int = 560) -> go.Figure:
    """density (len(ys), len(xs)) or None; samples (n, 2); centers (k, 2) or None; paths (steps, 2)."""
    fig = go.Figure()
    if density is not None:
        fig.add_trace(go.Contour(x=xs, y=ys, z=density, contours_coloring="lines", showscale=False, ncontours=8,
                                 line={"width": 1}, colorscale="Greens", name="p_data (exact)", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=samples[:, 0], y=samples[:, 1], mode="markers", name="G(z) samples",
                             marker={"size": 3, "color": "#7b3294", "opacity": 0.45}))
    if centers is not None:
        fig.add_trace(go.Scatter(x=centers[:, 0], y=centers[:, 1], mode="markers", name="mode centres",
                                 marker={"symbol": "x", "size": 9, "color": "black"}))
    for path, name, colour in ((linear_path, "G(linear path)", "#e66101"),
                               (spherical_path, "G(spherical path)", "#0571b0")):
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name=name,
                                 line={"color": colour, "width": 2}, marker={"size": 5}))
    fig.update_yaxes(scaleanchor="x")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h"})
    return fig
