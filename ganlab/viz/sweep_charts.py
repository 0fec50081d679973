"""Sweep result charts: one metric's mean ± standard error per (loss, variant), a trace per dataset.

Units agree with the Experiments page's table: both read SWEEP_METRICS (the high-quality share in
percent in both, JSD in nats), and a table column is headed by the same title as the chart's y-axis.
Rows written before a column existed (say w1_floor) read as None and are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganlab.losses import divergence_id, divergence_label, is_wasserstein
from ganlab.viz.chart_marks import wrap_hover
from ganlab.viz.toy_charts import JSD_NOTE, WASSERSTEIN_NOTE

FLOOR_COLOUR = "#888888"
DATASET_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass(frozen=True)
class SweepMetric:
    """How a sweep metric is shown in the table and the chart."""

    title: str                  # the chart's y-axis title and the table's column heading
    scale: float = 1.0          # shown value = scale * stored value (the high-quality share: 100, in %)
    digits: int = 3
    floor: str | None = None    # the column of what a perfect generator reads (drawn dotted, a table column)
    floor_title: str = ""
    note: str = ""              # extra hover text


SWEEP_METRICS: dict[str, SweepMetric] = {
    "modes_covered": SweepMetric("modes covered", digits=2),
    "hq_fraction": SweepMetric("high-quality samples (%)", scale=100.0, digits=1),
    "mode_kl": SweepMetric("mode KL (nats)"),
    "w1": SweepMetric("W1 to the data (exact, 500 vs 500)", floor="w1_floor",
                      floor_title="W1 floor (two real samples)"),
    "jsd": SweepMetric("JSD (sample estimate, nats, in [0, log 2])", floor="jsd_floor",
                       floor_title="JSD floor (perfect generator)", note=f"<br>{JSD_NOTE}"),
    "precision": SweepMetric("precision (k-NN)"),
    "recall": SweepMetric("recall (k-NN)"),
    "estimate": SweepMetric("D's own divergence estimate"),
}
METRIC_TITLES = {key: spec.title for key, spec in SWEEP_METRICS.items()}


def _label(s: Mapping) -> str:
    return f"{s['loss']}" + (f" / {s['variant']}" if s.get("variant", "-") != "-" else "")


def _divergence(divergences: Mapping[str, str], loss: str) -> tuple[str, str]:
    """(id, label shown) of the divergence loss `loss` estimates; divergences maps it to an id or a label."""
    name = str(divergences.get(loss, "?"))
    key = divergence_id(name)
    return key, divergence_label(key) if name == key else name


def _scaled(value, scale: float):
    return None if value is None else value * scale


def _points(fig: go.Figure, rows: list[Mapping], metric: str, spec: SweepMetric, dataset: str, colour: str,
            paper: dict | None, **where) -> None:
    """One dataset's mean ± se markers (and its floor and paper figures) on one panel."""
    labels = [_label(s) for s in rows]
    errors = [(s.get(f"{metric}_se") or 0.0) * spec.scale for s in rows]
    value = f"%{{y:.{spec.digits}f}} ± %{{customdata:.{spec.digits}f}}"
    fig.add_trace(go.Scatter(
        x=labels, y=[_scaled(s.get(f"{metric}_mean"), spec.scale) for s in rows], mode="markers", name=dataset,
        legendgroup=dataset, showlegend=not where or where.get("col") == 1,
        error_y={"type": "data", "array": errors, "visible": True, "color": colour}, customdata=errors,
        marker={"size": 10, "color": colour},
        hovertemplate=f"{dataset} · %{{x}}<br>{spec.title}: {value} (mean ± se over seeds){spec.note}"
                      "<extra></extra>"), **where)
    if spec.floor:
        floors = [(label, s.get(f"{spec.floor}_mean")) for label, s in zip(labels, rows, strict=True)]
        floors = [(label, value * spec.scale) for label, value in floors if value is not None]
        if floors:
            fig.add_trace(go.Scatter(
                x=[f[0] for f in floors], y=[f[1] for f in floors], mode="markers", name=f"{dataset}: floor",
                legendgroup=f"{dataset}-floor", showlegend=not where or where.get("col") == 1,
                marker={"symbol": "line-ew-open", "size": 18, "color": FLOOR_COLOUR,
                        "line": {"width": 2, "color": FLOOR_COLOUR}},
                hovertemplate=f"{dataset} · %{{x}}<br>{spec.floor_title}: %{{y:.{spec.digits}f}}{spec.note}"
                              "<extra></extra>"), **where)
    if paper and metric in ("modes_covered", "hq_fraction"):
        key = "modes" if metric == "modes_covered" else "hq"  # the paper's hq is in % already
        figures = [(label, paper.get((dataset, s["variant"]), {}).get(key))
                   for label, s in zip(labels, rows, strict=True)]
        figures = [(label, value) for label, value in figures if value is not None]
        if figures:
            fig.add_trace(go.Scatter(x=[f[0] for f in figures], y=[f[1] for f in figures], mode="markers",
                                     name=f"{dataset}: paper",
                                     marker={"symbol": "diamond-open", "size": 12, "color": colour}), **where)


PANELS_PER_ROW = 4  # D's-estimate panels (one per divergence) side by side


def metric_chart(summary: list[dict], metric: str, paper: dict | None = None,
                 divergences: Mapping[str, str] | None = None) -> go.Figure:
    """Points with error bars (± one standard error over seeds) of `metric` for every (loss, variant).

    Args:
        summary: ganlab.sweep.summarize output (keys dataset, loss, variant, f"{metric}_mean", f"{metric}_se";
            f"{floor}_mean" for W1 and the JSD, drawn as grey bars: what a perfect generator reads).
        metric: a key of SWEEP_METRICS (others are drawn unscaled, titled by the key).
        paper: {(dataset, variant): {"modes": .., "hq": ..}} figures drawn as open diamonds (modes
            covered and high-quality %, both in the chart's units).
        divergences: {loss name: the id of the divergence its D estimates (LossSpec.divergence_id; a
            loss's current label also works)}; with it, the "estimate" metric gets one panel per divergence
            id, titled by its label, so a JSD estimate and a Wasserstein estimate never share a y-axis.
    """
    spec = SWEEP_METRICS.get(metric, SweepMetric(metric))
    groups: dict[str, list] = {"": list(summary)}
    labels = {"": ""}  # divergence id -> the label shown
    if metric == "estimate" and divergences:
        groups, labels = {}, {}
        for s in summary:
            key, label = _divergence(divergences, s["loss"])
            groups.setdefault(key, []).append(s)
            labels.setdefault(key, label)
    panels = [name for name, rows in groups.items() if any(s.get(f"{metric}_mean") is not None for s in rows)]
    cols = min(len(panels), PANELS_PER_ROW)
    rows_of_panels = math.ceil(len(panels) / PANELS_PER_ROW) if panels else 1
    if len(panels) > 1:  # a sweep over every loss has 10 divergences: rows of at most PANELS_PER_ROW
        fig = make_subplots(rows=rows_of_panels, cols=cols, subplot_titles=[labels[p] for p in panels],
                            horizontal_spacing=min(0.12, 0.6 / (cols - 1)), vertical_spacing=0.5 / rows_of_panels)
    else:
        fig = go.Figure()
    colours = {d: DATASET_COLOURS[i % len(DATASET_COLOURS)]
               for i, d in enumerate(dict.fromkeys(s["dataset"] for s in summary))}
    for p, panel in enumerate(panels or [""]):
        where = {"row": p // cols + 1, "col": p % cols + 1} if len(panels) > 1 else {}
        members = groups.get(panel, [])
        shown = spec
        if metric == "estimate" and (is_wasserstein(panel) or not divergences):
            # why a critic's estimate of W1 can be below 0 (without the divergences: on every estimate)
            shown = SweepMetric(spec.title, spec.scale, spec.digits,
                                note="<br>" + ("" if panel else "Wasserstein losses: ")
                                + wrap_hover(WASSERSTEIN_NOTE))
        for dataset in dict.fromkeys(s["dataset"] for s in members):
            rows = [s for s in members if s["dataset"] == dataset and s.get(f"{metric}_mean") is not None]
            if rows:
                _points(fig, rows, metric, shown, dataset, colours[dataset], paper, **where)
    fig.update_layout(title=f"{spec.title}: mean ± se over seeds", height=320 * rows_of_panels,
                      margin={"l": 50, "r": 10, "t": 50, "b": 40}, uirevision=f"sweep-{metric}")
    if len(panels) <= 1:  # one panel per divergence: the panels' titles name what each y-axis is
        fig.update_layout(yaxis_title=spec.title + (f": {labels[panels[0]]}" if panels and panels[0] else ""))
    return fig


def _pm(mean, se, spec: SweepMetric) -> str:
    if mean is None:
        return "n/a"
    text = f"{mean * spec.scale:.{spec.digits}f}"
    return text if se is None else f"{text} ± {se * spec.scale:.{spec.digits}f}"


def summary_rows(summary: list[dict], paper: dict | None = None,
                 divergences: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """The Experiments page's table: one row per (dataset, loss, variant), "mean ± se" cells headed by
    the same titles (and in the same units) as the charts; floors beside W1 and the JSD.

    Args:
        summary: ganlab.sweep.summarize output (old rows without a column read as n/a).
        paper: {(dataset, variant): {"modes": .., "modes_se": .., "hq": ..}} (hq in %): two more columns.
        divergences: {loss name: divergence id (or label)}: D's estimate cells name (by its label) the
            divergence they estimate.
    """
    out = []
    for s in summary:
        row = {"dataset": s["dataset"], "loss": s["loss"], "variant": s.get("variant", "-"),
               "runs": str(s.get("n", "")), "diverged": str(s.get("n_diverged", ""))}
        for metric, spec in SWEEP_METRICS.items():
            cell = _pm(s.get(f"{metric}_mean"), s.get(f"{metric}_se"), spec)
            if metric == "modes_covered" and s.get("modes_covered_mean") is not None \
                    and s.get("modes_total_mean") is not None:
                cell += f" / {s['modes_total_mean']:g}"
            if metric == "estimate" and divergences and s.get("estimate_mean") is not None:
                cell += f" ({_divergence(divergences, s['loss'])[1]})"
            row[spec.title] = cell
            if spec.floor:
                row[spec.floor_title] = _pm(s.get(f"{spec.floor}_mean"), None, spec)
        seconds = s.get("seconds_mean")
        row["seconds per run"] = "n/a" if seconds is None else f"{seconds:.1f}"
        if paper is not None:
            figures = paper.get((s["dataset"], s.get("variant", "-")), {})
            row[f"paper: {SWEEP_METRICS['modes_covered'].title}"] = (
                _pm(figures["modes"], figures.get("modes_se"), SweepMetric("", digits=1)) if "modes" in figures
                else "")
            row[f"paper: {SWEEP_METRICS['hq_fraction'].title}"] = f"{figures['hq']:.1f}" if "hq" in figures else ""
        out.append(row)
    return out


__all__ = ["metric_chart", "summary_rows", "METRIC_TITLES", "SWEEP_METRICS", "SweepMetric"]
