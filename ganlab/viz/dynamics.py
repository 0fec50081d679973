"""Figures for the Dynamics page: vector fields with trajectories, and distance-to-equilibrium curves."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

from ganlab.viz.log_axis import log_axis

COLOURS = {"simultaneous": "#c51b7d", "alternating": "#4d9221", "optimistic": "#2166ac",
           "extragradient": "#e08214"}
PALETTE = ["#c51b7d", "#4d9221", "#2166ac", "#e08214", "#762a83", "#1b7837", "#b35806"]
# Beyond this distance from the equilibrium a trajectory is drawn no further: the browser cannot draw
# coordinates near the float limit (its SVG paths get "Infinity"), and a path that far has diverged.
DIVERGED_AT = 1e6


def drawable(path: np.ndarray) -> tuple[np.ndarray, bool]:
    """(path with every iterate from the first one farther than DIVERGED_AT (or not finite) set to NaN,
    whether that happened); path is (steps + 1, 2)."""
    distance = np.hypot(path[:, 0], path[:, 1])
    gone = ~(distance <= DIVERGED_AT)  # NaN counts as gone
    if not gone.any():
        return path, False
    out = np.array(path, dtype=float)
    out[int(np.argmax(gone)):] = np.nan
    return out, True


def drawable_paths(paths: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The paths to draw, keyed by legend name ("<name> (diverged)" for one cut by `drawable`)."""
    out = {}
    for name, path in paths.items():
        shown, diverged = drawable(path)
        out[f"{name} (diverged)" if diverged else name] = shown
    return out


def field_segments(field: Callable, bounds: tuple[float, float, float, float], cells: int = 17,
                   length: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Arrows of a 2-D field on a cells x cells grid, normalised to `length` x cell size, as one
    NaN-separated polyline (xs, ys); field(X, Y) -> (U, V) on arrays."""
    xmin, xmax, ymin, ymax = bounds
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, cells), np.linspace(ymin, ymax, cells))
    u, v = (np.asarray(a, dtype=float) for a in field(gx, gy))
    norm = np.hypot(u, v)
    norm[norm == 0] = 1.0
    cell = min(xmax - xmin, ymax - ymin) / (cells - 1)
    ex, ey = gx + length * cell * u / norm, gy + length * cell * v / norm
    xs = np.stack([gx.ravel(), ex.ravel(), np.full(gx.size, np.nan)], axis=1).ravel()
    ys = np.stack([gy.ravel(), ey.ravel(), np.full(gy.size, np.nan)], axis=1).ravel()
    return xs, ys


def click_grid(bounds: tuple[float, float, float, float], step: float) -> tuple[np.ndarray, np.ndarray]:
    """Every point of the lattice of spacing `step` inside bounds (xmin, xmax, ymin, ymax), corners
    included, as two flat arrays (xs, ys) rounded to the step's decimals (so a click reads 0.3, not
    0.30000000000000004)."""
    xmin, xmax, ymin, ymax = bounds
    decimals = max(0, -int(np.floor(np.log10(step))))
    xs = np.round(xmin + step * np.arange(int(round((xmax - xmin) / step)) + 1), decimals)
    ys = np.round(ymin + step * np.arange(int(round((ymax - ymin) / step)) + 1), decimals)
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def phase_figure(field: Callable, bounds, paths: dict[str, np.ndarray], *, x_title: str, y_title: str,
                 title: str, uirevision: str, click_step: float | None = None) -> go.Figure:
    """The field (grey arrows, direction only) and each named trajectory (line with its start marked).

    With `click_step` the whole plane can be clicked: an invisible lattice of points (spacing click_step,
    see `click_grid`) is the only trace that takes hover and clicks, so a click anywhere selects the
    lattice point under the pointer (st.plotly_chart(on_select=..., selection_mode="points") reports it);
    the axes show exactly `bounds` (no stretching past them to keep the aspect ratio).
    """
    clickable = click_step is not None
    hover = "skip" if clickable else None  # with a lattice, only the lattice takes the pointer
    steady = {"marker": {"opacity": 1.0}}  # a selected lattice point must not fade the other markers
    xs, ys = field_segments(field, bounds)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="update direction", hoverinfo="skip",
                             line={"color": "rgba(120,120,120,0.6)", "width": 1}))
    for i, (name, path) in enumerate(drawable_paths(paths).items()):
        colour = COLOURS.get(name.removesuffix(" (diverged)"), PALETTE[i % len(PALETTE)])
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name=name, hoverinfo=hover,
                                 line={"color": colour, "width": 2}))
        fig.add_trace(go.Scatter(x=path[:1, 0], y=path[:1, 1], mode="markers", showlegend=False,
                                 marker={"color": colour, "size": 9, "symbol": "circle-open"}, hoverinfo="skip",
                                 selected=steady, unselected=steady))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="equilibrium", hoverinfo=hover,
                             marker={"color": "black", "size": 10, "symbol": "x"}, selected=steady,
                             unselected=steady))
    if clickable:
        gx, gy = click_grid(bounds, click_step)
        fig.add_trace(go.Scatter(
            x=gx, y=gy, mode="markers", name="click to start here", showlegend=False,
            marker={"color": "rgba(0,0,0,0)", "size": 6}, selected={"marker": {"opacity": 0.0}},
            unselected={"marker": {"opacity": 0.0}},
            hovertemplate=f"click to start here<br>{x_title.split()[0]} = %{{x}}, {y_title.split()[0]} = %{{y}}"
                          "<extra></extra>"))
    xmin, xmax, ymin, ymax = bounds
    fig.update_layout(title=title, height=460, margin={"l": 50, "r": 10, "t": 40, "b": 40}, uirevision=uirevision,
                      xaxis={"range": [xmin, xmax], "title": x_title},
                      yaxis={"range": [ymin, ymax], "title": y_title, "scaleanchor": "x"},
                      legend={"orientation": "h", "y": -0.15})
    if clickable:
        fig.update_layout(xaxis_constrain="domain", yaxis_constrain="domain", hovermode="closest",
                          clickmode="event+select")
    return fig


def distance_figure(paths: dict[str, np.ndarray], *, title: str, uirevision: str) -> go.Figure:
    """|z_t| (distance to the equilibrium at the origin) against step, log scale."""
    fig = go.Figure()
    distances = []
    for i, (name, path) in enumerate(drawable_paths(paths).items()):
        distance = np.hypot(path[:, 0], path[:, 1])
        distances.append(distance[np.isfinite(distance)])
        colour = COLOURS.get(name.removesuffix(" (diverged)"), PALETTE[i % len(PALETTE)])
        fig.add_trace(go.Scatter(x=np.arange(len(distance)), y=distance, mode="lines", name=name,
                                 line={"color": colour}))
    fig.update_layout(title=title, height=300, margin={"l": 50, "r": 10, "t": 40, "b": 40}, uirevision=uirevision,
                      xaxis_title="step", yaxis=log_axis("distance to equilibrium", *distances))
    return fig
