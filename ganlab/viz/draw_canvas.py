"""A canvas for drawing a custom 2-D distribution: a faint grid of candidate points to click, box- or
lasso-select, and the points chosen so far."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

CANVAS_BOUNDS = (-2.0, 2.0, -2.0, 2.0)
CANVAS_CELLS = 41  # candidate points per axis (spacing 0.1 on [-2, 2])


def canvas_grid(bounds=CANVAS_BOUNDS, cells: int = CANVAS_CELLS) -> np.ndarray:
    """(cells * cells, 2) candidate points on a regular grid over bounds."""
    xmin, xmax, ymin, ymax = bounds
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, cells), np.linspace(ymin, ymax, cells))
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def canvas_figure(points: list[list[float]] | None, bounds=CANVAS_BOUNDS, cells: int = CANVAS_CELLS) -> go.Figure:
    """Trace 0: the candidate grid (select these); trace 1: the points chosen so far."""
    grid = canvas_grid(bounds, cells)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=grid[:, 0], y=grid[:, 1], mode="markers", name="click, box or lasso to add",
                             marker={"size": 5, "color": "rgba(120,120,120,0.25)"}, hoverinfo="x+y"))
    chosen = np.asarray(points or np.zeros((0, 2)), dtype=float).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=chosen[:, 0], y=chosen[:, 1], mode="markers", name=f"your points ({len(chosen)})",
                             marker={"size": 8, "color": "#1b7837"}, hoverinfo="skip"))
    xmin, xmax, ymin, ymax = bounds
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10}, dragmode="lasso",
                      xaxis={"range": [xmin - 0.1, xmax + 0.1]},
                      yaxis={"range": [ymin - 0.1, ymax + 0.1], "scaleanchor": "x"},
                      legend={"orientation": "h"}, uirevision="canvas", title="Draw your distribution")
    return fig
