"""Figures for the MNIST Lab beyond the shared time-series charts: D's outputs on a real and a generated
batch as two overlaid histograms. Pure functions from numpy arrays to Plotly figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

REAL = "#1b7837"
FAKE = "#762a83"
PROBABILITY_BIN = 0.025  # probabilities get fixed bins on [0, 1], so the bars do not jump between frames


def d_output_histogram(outputs: dict[str, np.ndarray], *, probability: bool, step: int,
                       uirevision: str = "mn-hist") -> go.Figure:
    """outputs {"real": (n,), "fake": (m,)} -> overlaid histograms of D's outputs at `step`.

    `probability`: the outputs are sigmoid(logit) in [0, 1] (logistic losses): fixed bins on [0, 1]; else
    raw critic scores, binned by Plotly over their range.
    """
    fig = go.Figure()
    bins = {"start": 0.0, "end": 1.0, "size": PROBABILITY_BIN} if probability else None
    for key, name, colour in (("real", "D on real digits", REAL), ("fake", "D on generated digits", FAKE)):
        fig.add_trace(go.Histogram(x=np.asarray(outputs[key], dtype=float).ravel(), name=name, opacity=0.6,
                                   marker={"color": colour}, xbins=bins))
    x_axis = {"title": "D(x): probability that x is real" if probability else "D(x): critic score (raw)"}
    if probability:
        x_axis["range"] = [-0.02, 1.02]  # the end bins and the 0 and 1 ticks stay inside
    fig.update_layout(barmode="overlay", height=300, margin={"t": 40, "b": 30},
                      title=f"D's outputs on a real and a generated batch (step {step})", xaxis=x_axis,
                      yaxis={"title": "digits"}, uirevision=uirevision,
                      legend={"orientation": "h", "y": -0.3})
    return fig
