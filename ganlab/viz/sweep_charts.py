"""Sweep result charts: one metric's mean ± standard error per (loss, variant), a trace per dataset."""

from __future__ import annotations

import plotly.graph_objects as go

METRIC_TITLES = {
    "modes_covered": "modes covered", "hq_fraction": "high-quality fraction", "mode_kl": "mode KL (nats)",
    "w1": "W1 to the data", "jsd": "grid JSD (nats, in [0, log 2])", "precision": "precision",
    "recall": "recall", "estimate": "D's own divergence estimate",
}


def metric_chart(summary: list[dict], metric: str, paper: dict | None = None) -> go.Figure:
    """Points with error bars (± one standard error) of `metric` for every (loss, variant) group.

    Args:
        summary: ganlab.sweep.summarize output (keys dataset, loss, variant, f"{metric}_mean", f"{metric}_se").
        paper: {(dataset, variant): {"modes": .., "hq": ..}} figures drawn as open diamonds (modes
            covered and high-quality fraction only).
    """
    fig = go.Figure()
    for dataset in dict.fromkeys(s["dataset"] for s in summary):
        rows = [s for s in summary if s["dataset"] == dataset and s.get(f"{metric}_mean") is not None]
        if not rows:
            continue
        labels = [f"{s['loss']}" + (f" / {s['variant']}" if s["variant"] != "-" else "") for s in rows]
        fig.add_trace(go.Scatter(
            x=labels, y=[s[f"{metric}_mean"] for s in rows], mode="markers", name=dataset,
            error_y={"type": "data", "array": [s[f"{metric}_se"] or 0.0 for s in rows], "visible": True},
            marker={"size": 10}))
        if paper and metric in ("modes_covered", "hq_fraction"):
            key, scale = ("modes", 1.0) if metric == "modes_covered" else ("hq", 0.01)
            figures = [(label, paper.get((dataset, s["variant"]), {}).get(key))
                       for label, s in zip(labels, rows, strict=True)]
            figures = [(label, value * scale) for label, value in figures if value is not None]
            if figures:
                fig.add_trace(go.Scatter(x=[f[0] for f in figures], y=[f[1] for f in figures], mode="markers",
                                         name=f"{dataset}: paper", marker={"symbol": "diamond-open", "size": 12}))
    fig.update_layout(title=METRIC_TITLES.get(metric, metric), height=320, margin={"l": 40, "r": 10, "t": 40,
                      "b": 40}, uirevision=f"sweep-{metric}", yaxis_title=metric)
    return fig
