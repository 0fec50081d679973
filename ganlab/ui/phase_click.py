"""Starting a trajectory where a phase plot is clicked (the Dynamics page).

A phase plot drawn with `ganlab.viz.dynamics.phase_figure(..., click_step=...)` can be clicked anywhere;
give `st.plotly_chart(fig, key=chart_key, selection_mode="points", on_select=...)` the callback
`functools.partial(start_from_click, chart_key, x_key, y_key, bounds)`. Streamlit calls it before the
next run of the page, while the start widgets do not exist yet, so setting their session-state values
is allowed (writing them after the widgets were drawn raises StreamlitAPIException).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

DECIMALS = 2  # the start widgets' precision (their step is 0.1)


def clicked_point(state: Any) -> tuple[float, float] | None:
    """(x, y) of the first selected point of a plotly_chart selection state, or None when none is selected.

    `state` is what st.plotly_chart returns (or keeps under its key): {"selection": {"points": [...]}}.
    """
    selection = state.get("selection") if isinstance(state, Mapping) else getattr(state, "selection", None)
    points = (selection or {}).get("points") or []
    for point in points:
        if point.get("x") is not None and point.get("y") is not None:
            return float(point["x"]), float(point["y"])
    return None


def start_point(point: tuple[float, float], bounds: tuple[float, float, float, float]) -> tuple[float, float]:
    """The clicked point clamped into bounds (xmin, xmax, ymin, ymax), the start widgets' limits, and
    rounded to their precision."""
    xmin, xmax, ymin, ymax = bounds
    x = min(max(point[0], xmin), xmax)
    y = min(max(point[1], ymin), ymax)
    return round(x, DECIMALS), round(y, DECIMALS)


def start_from_click(chart_key: str, x_key: str, y_key: str, bounds: tuple[float, float, float, float]) -> None:
    """on_select callback: put the start widgets `x_key`, `y_key` at the point clicked on chart `chart_key`
    (a click that only clears the selection changes nothing)."""
    point = clicked_point(st.session_state.get(chart_key))
    if point is not None:
        st.session_state[x_key], st.session_state[y_key] = start_point(point, bounds)
