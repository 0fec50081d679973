"""Plotly traces and figures as plain dicts, for figures that only ever become JSON.

A live frame of the Toy Lab's plane is built, turned into the JSON plotly.js reads (ganlab.viz.spec) and
dropped, several times a second per session. plotly.py's figure objects cost most of that even with
validation off (ganlab.viz.unvalidated): the Figure constructor rebuilds every trace object and deep-copies
its properties, about 2 ms of a frame's 2.8 ms. Built as dicts the same figure costs a tenth of that and
serialises to the same JSON (tests/viz/test_spec.py), since plotly.py without validation passes the
properties through as given. Builders pass nested properties as dicts (marker=dict(...)), never plotly.py's
magic underscores (marker_color=...), which only plotly.py expands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go

from ganlab.viz import unvalidated as fast


def Scatter(**properties) -> dict:  # noqa: N802 - named as the plotly.py constructor it stands for
    return {**properties, "type": "scatter"}


def Heatmap(**properties) -> dict:  # noqa: N802
    return {**properties, "type": "heatmap"}


def Contour(**properties) -> dict:  # noqa: N802
    return {**properties, "type": "contour"}


@dataclass
class PlainFigure:
    """A figure's traces and layout as dicts: ganlab.viz.spec.figure_spec reads `_data` and `_layout` as it
    reads a plotly.py Figure's, and `figure()` gives the plotly.py Figure (for a page or a test that wants
    one)."""

    _data: list[dict] = field(default_factory=list)
    _layout: dict = field(default_factory=dict)

    def figure(self) -> go.Figure:
        return fast.Figure(data=[dict(trace) for trace in self._data], layout=dict(self._layout))
