"""A grid of generated digits as one Plotly figure whose cells can be clicked (to pin a sample).

The digits are drawn as one grey-scale heatmap; a transparent square marker sits on each cell so a
click selects that cell's point (Streamlit's `on_select` reports its `point_index`, the sample index).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

CELL = 28


def tile(images: np.ndarray, cols: int) -> np.ndarray:
    """(n, 28, 28) -> (rows * 28, cols * 28), row-major, blank cells at the end when n % cols != 0."""
    n = images.shape[0]
    rows = -(-n // cols)
    sheet = np.zeros((rows * CELL, cols * CELL), dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        sheet[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = images[i]
    return sheet


def clickable_grid(images: np.ndarray, cols: int, captions: list[str], pinned: set[int] | None = None,
                   cell_px: int = 88) -> go.Figure:
    """images (n, 28, 28) in [0, 1] -> a figure of the tiled digits with one clickable marker per cell.

    `captions` (n strings) show on hover; cells in `pinned` get a coloured frame.
    """
    n = images.shape[0]
    rows = -(-n // cols)
    sheet = tile(images, cols)[::-1]  # heatmap rows grow upward
    fig = go.Figure(go.Heatmap(z=sheet, colorscale="gray", zmin=0, zmax=1, showscale=False, hoverinfo="skip"))
    index = np.arange(n)
    x = (index % cols) * CELL + CELL / 2 - 0.5
    y = (rows - 1 - index // cols) * CELL + CELL / 2 - 0.5
    pinned = pinned or set()
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="markers", text=captions, hovertemplate="%{text}<extra>click to pin</extra>",
        marker={"symbol": "square-open", "size": cell_px - 6,
                "color": ["#ff7f0e" if i in pinned else "rgba(0,0,0,0)" for i in range(n)],
                "line": {"width": 3}},
        selected={"marker": {"opacity": 1.0}}, unselected={"marker": {"opacity": 1.0}}, showlegend=False))
    fig.update_xaxes(visible=False, range=[-0.5, cols * CELL - 0.5], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-0.5, rows * CELL - 0.5], fixedrange=True, scaleanchor="x")
    fig.update_layout(width=cols * cell_px, height=rows * cell_px, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                      clickmode="event+select", dragmode=False, plot_bgcolor="black")
    return fig
