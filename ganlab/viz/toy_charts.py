"""Charts beside the plane: losses, D's divergence estimate, toy metrics, mean D on real and fake.

Pure functions of numpy series to Plotly figures. Every figure carries a fixed `uirevision` (zoom and
legend state survive live updates) and no random ids, so redrawing each tick does not flicker.
NaN values leave gaps in the lines (connectgaps is off).

JSD convention (see DESIGN.md): JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, so
0 <= JSD <= log 2 and max_D V(G, D) = 2 JSD - log 4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganlab.viz import unvalidated as fast

D_COLOUR = "#1b7837"
G_COLOUR = "#762a83"
REF_COLOUR = "#444444"
CHART_HEIGHT = 260
JSD_NOTE = "JSD in [0, log 2] (nats); max_D V = 2 JSD - log 4"


def _series(values, name: str, n: int | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but there are {n} steps")
    return arr


def _steps(values) -> np.ndarray:
    return np.asarray(values).reshape(-1)


def _layout(fig: go.Figure, title: str, uirevision: str, yaxis_title: str | None = None,
            height: int = CHART_HEIGHT, xaxis_title: str | None = "step") -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=13)), uirevision=uirevision, template="plotly_white",
        height=height, margin=dict(l=50, r=10, t=40, b=35), hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0, font=dict(size=11)))
    if xaxis_title is not None:
        fig.update_xaxes(title_text=xaxis_title)
    if yaxis_title is not None:
        fig.update_yaxes(title_text=yaxis_title)
    return fig


def loss_chart(history: Mapping[str, np.ndarray], uirevision: str = "losses") -> go.Figure:
    """D's and G's loss over steps (two lines), from history {"step", "d_loss", "g_loss", ...}."""
    steps = _steps(history["step"])
    d_loss = _series(history["d_loss"], "d_loss", len(steps))
    g_loss = _series(history["g_loss"], "g_loss", len(steps))
    fig = fast.Figure([
        fast.Scatter(x=steps, y=d_loss, mode="lines", name="D loss", line=dict(color=D_COLOUR, width=1.5)),
        fast.Scatter(x=steps, y=g_loss, mode="lines", name="G loss", line=dict(color=G_COLOUR, width=1.5)),
    ])
    return _layout(fig, "Losses", uirevision, "loss")


def _is_jsd(name: str) -> bool:
    return "jensen" in name.lower() and not name.lower().startswith("2")


def divergence_chart(history: Mapping[str, np.ndarray], divergence_name: str, estimate_formula: str,
                     reference: Mapping | None = None, uirevision: str = "divergence") -> go.Figure:
    """D's own estimate of its divergence over steps, with an optional reference series on the same axes.

    Args:
        history: {"step", "estimate", ...} arrays.
        divergence_name: what the estimate estimates (e.g. "Jensen-Shannon", "Wasserstein-1").
        estimate_formula: how it is computed from D's outputs (e.g. "(V + log 4) / 2").
        reference: optional {"step": (k,), "value": (k,), "name": str}, e.g. the grid JSD or exact W1.
    """
    steps = _steps(history["step"])
    estimate = _series(history["estimate"], "estimate", len(steps))
    jsd = _is_jsd(divergence_name)
    note = f"<br>{JSD_NOTE}" if jsd else ""
    traces = [fast.Scatter(
        x=steps, y=estimate, mode="lines", name=f"D's estimate: {estimate_formula}",
        line=dict(color=D_COLOUR, width=1.5),
        hovertemplate=f"step %{{x}}<br>estimate %{{y:.4g}}{note}<extra></extra>")]
    if reference is not None:
        ref_steps = _steps(reference["step"])
        ref_values = _series(reference["value"], "reference value", len(ref_steps))
        traces.append(fast.Scatter(
            x=ref_steps, y=ref_values, mode="lines+markers", name=str(reference.get("name", "reference")),
            line=dict(color=REF_COLOUR, width=1.5, dash="dash"), marker=dict(size=5),
            hovertemplate=f"step %{{x}}<br>reference %{{y:.4g}}{note}<extra></extra>"))
    fig = fast.Figure(traces)
    if jsd:
        fig.add_hline(y=math.log(2.0), line=dict(color="#999999", width=1, dash="dot"),
                      annotation_text="log 2", annotation_position="top left")
        y_title = "JSD in [0, log 2]"
    elif divergence_name.lower().startswith("2 x jensen"):
        y_title = "2 JSD in [0, 2 log 2]"
    else:
        y_title = divergence_name
    return _layout(fig, f"{divergence_name}: D's estimate", uirevision, y_title)


def metrics_chart(metrics: Mapping[str, np.ndarray], keys: Sequence[str],
                  titles: Mapping[str, str] | Sequence[str] | None = None, uirevision: str = "metrics",
                  cols: int = 3) -> go.Figure:
    """Small multiples: one panel per metric series over metrics["step"] (NaN leaves a gap).

    Args:
        metrics: {"step": (n,), key: (n,) ...}.
        keys: which series to draw, in order.
        titles: panel titles, a {key: title} mapping or a sequence aligned with keys (default: the keys).
    """
    keys = list(keys)
    missing = [k for k in keys if k not in metrics]
    if missing:
        raise ValueError(f"unknown metric(s) {missing}; available: {', '.join(k for k in metrics if k != 'step')}")
    if titles is None:
        names = keys
    elif isinstance(titles, Mapping):
        names = [str(titles.get(k, k)) for k in keys]
    else:
        names = [str(t) for t in titles]
        if len(names) != len(keys):
            raise ValueError(f"{len(names)} titles for {len(keys)} keys")
    if not keys:
        fig = fast.Figure()
        fig.add_annotation(text="no metrics yet", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
        return _layout(fig, "Metrics", uirevision)
    steps = _steps(metrics["step"])
    ncols = max(1, min(cols, len(keys)))
    nrows = math.ceil(len(keys) / ncols)
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=names, horizontal_spacing=0.08,
                        vertical_spacing=0.25 / nrows)
    for i, (key, name) in enumerate(zip(keys, names, strict=True)):
        fig.add_trace(fast.Scatter(x=steps, y=_series(metrics[key], key, len(steps)), mode="lines+markers",
                                 name=name, showlegend=False, marker=dict(size=4),
                                 line=dict(color=D_COLOUR if i % 2 == 0 else G_COLOUR, width=1.5)),
                      row=i // ncols + 1, col=i % ncols + 1)
    fig = _layout(fig, "Metrics over steps", uirevision, height=max(CHART_HEIGHT, 200 * nrows + 60),
                  xaxis_title=None)
    fig.update_annotations(font=dict(size=12))
    return fig


def d_means_chart(steps, mean_d_real, mean_d_fake, uirevision: str = "d_means") -> go.Figure:
    """Mean D output on real and on fake samples over steps."""
    steps = _steps(steps)
    fig = fast.Figure([
        fast.Scatter(x=steps, y=_series(mean_d_real, "mean_d_real", len(steps)), mode="lines",
                   name="mean D(real)", line=dict(color=D_COLOUR, width=1.5)),
        fast.Scatter(x=steps, y=_series(mean_d_fake, "mean_d_fake", len(steps)), mode="lines",
                   name="mean D(fake)", line=dict(color=G_COLOUR, width=1.5)),
    ])
    return _layout(fig, "Mean D output on real and fake", uirevision, "mean D")


__all__ = ["loss_chart", "divergence_chart", "metrics_chart", "d_means_chart", "JSD_NOTE"]
