"""Charts beside the plane: losses, D's divergence estimate, toy metrics, mean D on real and fake.

Pure functions of numpy series to Plotly figures. Every figure carries a fixed `uirevision` (zoom and
legend state survive live updates) and no random ids, so redrawing each tick does not flicker.
NaN values leave gaps in the lines (connectgaps is off).

Shared conventions of every time-series chart here:

- Config changes taken mid-run (`changes`, a list of (step, "option: old -> new, ...") as
  ganlab.train.Trainer.config_changes keeps them) are dotted vertical lines with a short label; the
  label's hover gives the whole change.
- Outliers that would flatten a panel (say the D-loss spike of 6,000 after a switch to a gradient
  penalty) are clipped from its y-range (robust_y_range) and a small note says what is not shown.
- D's estimate of one divergence never shares a y-axis with D's estimate of another (a run whose loss
  changed gets one panel per divergence; so does a comparison of two losses).
- Metrics show their spread: modes covered and high-quality % as mean ± sd over the evaluation's
  draws, divergence estimates ± one standard error, with the floor a perfect generator reads (W1:
  two real samples) as a dotted line.

JSD convention (see DESIGN.md): JSD(P||Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2, in nats, so
0 <= JSD <= log 2 and max_D V(G, D) = 2 JSD - log 4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ganlab.evaluation import MODE_DRAWS, W1_SAMPLES
from ganlab.losses import WASSERSTEIN_DIVERGENCES, divergence_id, divergence_label, is_wasserstein
from ganlab.metrics import DEFAULT_EVAL_SAMPLES as EVAL_SAMPLES
from ganlab.viz import unvalidated as fast
from ganlab.viz.chart_marks import (
    CHANGE_COLOUR,
    ConfigChange,
    Segment,
    axis_names,
    change_label,
    clip_panel,
    mark_changes,
    merge_changes,
    robust_y_range,
    segment_masks,
    wrap_hover,
)

D_COLOUR = "#1b7837"
G_COLOUR = "#762a83"
REF_COLOUR = "#444444"
FLOOR_COLOUR = "#888888"
RUN_COLOURS = ("#1f78b4", "#e66101", "#4dac26", "#d01c8b")  # runs A, B, ... of a comparison
CHART_HEIGHT = 260
JSD_NOTE = "JSD in [0, log 2] (nats); max_D V = 2 JSD - log 4"
WASSERSTEIN_NOTE = ("E f(real) - E f(fake) is a lower bound on W1 only for the best 1-Lipschitz critic; "
                    "a lagging critic can score fakes higher, so it can be < 0")
LEGEND_WIDTH = 400       # px: legends are laid out for the Toy Lab's chart column (wider charts have room)



# ---------------------------------------------------------------------------------------------- helpers

def _series(values, name: str, n: int | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values but there are {n} steps")
    return arr


def _optional(metrics: Mapping, key: str | None, n: int) -> np.ndarray | None:
    """metrics[key] as floats when present and not all NaN (older rows may lack the column), else None."""
    if key is None or key not in metrics:
        return None
    arr = _series(metrics[key], key, n)
    return arr if np.isfinite(arr).any() else None


def _steps(values) -> np.ndarray:
    return np.asarray(values).reshape(-1)


def _layout(fig: go.Figure, title: str, uirevision: str, yaxis_title: str | None = None,
            height: int = CHART_HEIGHT, xaxis_title: str | None = "step") -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=13)), uirevision=uirevision, template="plotly_white",
        height=height, margin=dict(l=50, r=10, t=40, b=35), hovermode="x unified",
        legend=dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0, xanchor="left",
                    font=dict(size=11), tracegroupgap=0))
    fig.update_xaxes(automargin=True)  # a legend that wraps onto more rows pushes the axis title, not over it
    if xaxis_title is not None:
        fig.update_xaxes(title_text=xaxis_title)
    if yaxis_title is not None:
        fig.update_yaxes(title_text=yaxis_title)
    return fig


def _legend_rows(fig: go.Figure) -> int:
    """Rows the horizontal legend takes in a LEGEND_WIDTH px wide chart (0 when there is no legend)."""
    shown = [t for t in fig.data if t.showlegend is not False and t.name]
    if not shown or (len(shown) == 1 and shown[0].showlegend is not True):
        return 0
    rows, used = 1, 0.0
    for trace in shown:
        width = 45 + 5.2 * len(str(trace.name))
        if used and used + width > LEGEND_WIDTH:
            rows, used = rows + 1, 0.0
        used += width
    return rows


def _finish(fig: go.Figure, notes: Sequence[str | None] = (), title_lines: int = 0) -> go.Figure:
    """Room for what goes around the panels: clipping notes as the title's subtitle (one line each),
    `title_lines` lines of subplot titles above the top panels, the legend below the x-axis; the panels
    keep the height the figure was laid out with."""
    notes = [n for n in notes if n]
    top = 40 + 15 * len(notes)
    if title_lines:
        top += 16 * title_lines - 8 + (12 if notes else 0)
    bottom = 40 + 21 * _legend_rows(fig)
    height = fig.layout.height or CHART_HEIGHT
    fig.update_layout(height=height + (top - 40) + (bottom - 35), margin=dict(t=top, b=bottom))
    if notes:
        fig.update_layout(title=dict(subtitle=dict(text="<br>".join(notes),
                                                   font=dict(size=10, color=CHANGE_COLOUR))))
    return fig


# ---------------------------------------------------------------------------------------------- losses

def loss_chart(history: Mapping[str, np.ndarray], uirevision: str = "losses",
               changes: Sequence[ConfigChange] = ()) -> go.Figure:
    """D's and G's loss over steps (two lines), from history {"step", "d_loss", "g_loss", ...}, with a
    dotted line at each config change and the y-range clipped when a spike would flatten the chart."""
    steps = _steps(history["step"])
    d_loss = _series(history["d_loss"], "d_loss", len(steps))
    g_loss = _series(history["g_loss"], "g_loss", len(steps))
    fig = fast.Figure([
        fast.Scatter(x=steps, y=d_loss, mode="lines", name="D loss", line=dict(color=D_COLOUR, width=1.5)),
        fast.Scatter(x=steps, y=g_loss, mode="lines", name="G loss", line=dict(color=G_COLOUR, width=1.5)),
    ])
    _layout(fig, "Losses", uirevision, "loss")
    note = clip_panel(fig, 0, [(steps, d_loss), (steps, g_loss)])
    mark_changes(fig, changes)
    return _finish(fig, [note])


@dataclass(frozen=True)
class RunSeries:
    """One run of a comparison: its label ("A"), loss history, metrics, and what changed mid-run.

    Attributes:
        label: the run's short name in legends and titles.
        history: {"step", "d_loss", "g_loss", "estimate"} arrays.
        metrics: {"step", metric columns ...} arrays (ganlab.evaluation.METRIC_COLUMNS).
        loss_name: the run's loss (for titles).
        changes: [(step, "option: old -> new")] config changes, oldest first.
        divergences: [(after_step, divergence id or label, estimate formula)] as for divergence_chart.
    """

    label: str
    history: Mapping[str, np.ndarray]
    metrics: Mapping[str, np.ndarray]
    loss_name: str = ""
    changes: Sequence[ConfigChange] = ()
    divergences: Sequence[Segment] = field(default_factory=tuple)


def compare_loss_chart(runs: Sequence[RunSeries], uirevision: str = "compare-losses") -> go.Figure:
    """Each run's D and G losses in its own panel (losses of different objectives are not comparable
    in scale), stacked on a shared step axis; each panel marks its run's config changes."""
    runs = list(runs)
    titles = [f"{r.label}: losses" + (f" ({r.loss_name})" if r.loss_name else "") for r in runs]
    fig = make_subplots(rows=len(runs), cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.3 / max(len(runs), 1))
    fig = _layout(fig, "Losses", uirevision, height=max(CHART_HEIGHT, 190 * len(runs) + 70), xaxis_title=None)
    fig.update_annotations(font_size=12)
    fig.update_xaxes(title_text="step", row=len(runs), col=1)
    notes = []
    for i, run in enumerate(runs):
        steps = _steps(run.history["step"])
        d_loss = _series(run.history["d_loss"], "d_loss", len(steps))
        g_loss = _series(run.history["g_loss"], "g_loss", len(steps))
        for values, who, colour in ((d_loss, "D", D_COLOUR), (g_loss, "G", G_COLOUR)):
            fig.add_trace(fast.Scatter(x=steps, y=values, mode="lines", name=f"{who} loss", legendgroup=who,
                                       showlegend=i == 0, line=dict(color=colour, width=1.5),
                                       hovertemplate=f"{run.label}: {who} loss %{{y:.4g}}<extra></extra>"),
                          row=i + 1, col=1)
        notes.append(clip_panel(fig, i, [(steps, d_loss), (steps, g_loss)], f"{run.label}'s losses"))
        mark_changes(fig, run.changes, [i])
    return _finish(fig, notes, title_lines=1)


# ---------------------------------------------------------------------------------- divergence estimate

# Divergences are told apart by their ids (ganlab.losses): a label is only shown.


def _is_jsd(key: str) -> bool:
    return key == "jsd"


def _is_two_jsd(key: str) -> bool:
    return key == "2jsd"


def _divergence_axis_title(key: str, label: str) -> str:
    if _is_jsd(key):
        return "JSD in [0, log 2]"
    if _is_two_jsd(key):
        return "2 JSD in [0, 2 log 2]"
    return label


def _divergence_notes(key: str) -> str:
    """What the hover of anything on a panel of divergence `key` (an id) must say."""
    if _is_jsd(key) or _is_two_jsd(key):
        return f"<br>{JSD_NOTE}"
    return ""


def _by_id(segments: Sequence[Segment]) -> tuple[list[Segment], dict[str, str]]:
    """(segments with each divergence given by its id, {id: the label shown, the first one seen})."""
    out, labels = [], {}
    for segment in segments:
        name = str(segment[1])
        key = divergence_id(name)
        labels.setdefault(key, divergence_label(key) if name == key else name)
        out.append((segment[0], key, *segment[2:]))
    return out, labels


def reference_names(divergence_name: str, floor: float, samples: int = W1_SAMPLES) -> tuple[str, str]:
    """Legend names of the reference series and its floor for a divergence D estimates (id or label).

    Wasserstein losses: ("exact W1 (500 vs 500)", "two real samples: W1 = 0.0123"); every other
    divergence: ("sample estimate (± 1 se)", "perfect generator reads 0.00412").
    """
    if is_wasserstein(divergence_name):
        return f"exact W1 ({samples} vs {samples})", f"two real samples: W1 = {floor:.3g}"
    return "sample estimate (± 1 se)", f"perfect generator reads {floor:.3g}"


@dataclass(frozen=True)
class _DivergenceEntry:
    label: str | None
    colour: str
    history: Mapping[str, np.ndarray]
    metrics: Mapping[str, np.ndarray] | None
    segments: Sequence[Segment]


def _reference_traces(entry: _DivergenceEntry, name: str, mask: np.ndarray, shown: set,
                      samples: int) -> tuple[list, list]:
    """(traces, (steps, values) pairs) of an entry's reference series and its floor on the panel of
    divergence id `name`."""
    metrics = entry.metrics
    steps = _steps(metrics["step"])
    value = np.where(mask, _series(metrics["reference"], "reference", len(steps)), np.nan)
    if not np.isfinite(value).any():
        return [], []
    se = _optional(metrics, "reference_se", len(steps))
    se = None if se is None or not np.isfinite(np.where(mask, se, np.nan)).any() else np.where(mask, se, np.nan)
    floor = _optional(metrics, "reference_floor", len(steps))
    floor = None if floor is None or not np.isfinite(np.where(mask, floor, np.nan)).any() \
        else np.where(mask, floor, np.nan)
    last_floor = float(floor[np.isfinite(floor)][-1]) if floor is not None else math.nan
    ref_name, floor_name = reference_names(name, last_floor, samples)
    prefix = f"{entry.label}: " if entry.label else ""
    note = _divergence_notes(name)
    colour = REF_COLOUR if entry.label is None else entry.colour
    what = f"exact W1 ({samples} vs {samples})" if is_wasserstein(name) else "sample estimate"
    error, spread = None, ""
    if se is not None:
        error = dict(type="data", array=se, visible=True, thickness=1.2, width=3, color=colour)
        spread = " ± %{customdata:.2g} (1 se)"
    traces = [fast.Scatter(
        x=steps, y=value, mode="lines+markers", name=prefix + ref_name, legendgroup=f"ref{entry.label}",
        showlegend=("ref", entry.label, ref_name) not in shown, line=dict(color=colour, width=1.5, dash="dash"),
        marker=dict(size=5), error_y=error, customdata=se,
        hovertemplate=f"{prefix}{what} at step %{{x}}: %{{y:.4g}}{spread}{note}<extra></extra>")]
    shown.add(("ref", entry.label, ref_name))
    pairs = [(steps, value)]
    if floor is not None:
        traces.append(fast.Scatter(
            x=steps, y=floor, mode="lines", name=prefix + floor_name, legendgroup=f"floor{entry.label}",
            showlegend=("floor", entry.label, floor_name) not in shown,
            line=dict(color=FLOOR_COLOUR if entry.label is None else colour, width=1.2, dash="dot", shape="hv"),
            hovertemplate=f"{prefix}{floor_name}{note}<extra></extra>"))
        shown.add(("floor", entry.label, floor_name))
        pairs.append((steps, floor))
    return traces, pairs


def _bound_line(fig: go.Figure, index: int, name: str) -> None:
    """The dotted upper bound of a JSD panel (log 2) or a 2 JSD panel (2 log 2)."""
    if _is_jsd(name):
        level, text = math.log(2.0), "log 2"
    elif _is_two_jsd(name):
        level, text = 2 * math.log(2.0), "2 log 2"
    else:
        return
    xref, yref = axis_names(index)
    fig.add_shape(type="line", x0=0, x1=1, xref=f"{xref} domain", y0=level, y1=level, yref=yref,
                  line=dict(color="#999999", width=1, dash="dot"), name="bound")
    fig.add_annotation(text=text, x=0.0, xref=f"{xref} domain", y=level, yref=yref, xanchor="left",
                       yanchor="bottom", showarrow=False, font=dict(size=10, color="#777777"), name="bound")


def _divergence_figure(entries: Sequence[_DivergenceEntry], uirevision: str, changes: Sequence[ConfigChange],
                       samples: int) -> go.Figure:
    """One panel per divergence any entry estimated at some step (so two divergences never share a
    y-axis); each entry draws D's estimate and the reference only on the steps it estimated that one.
    Panels are keyed by the divergence's id and titled by its label."""
    entries, labels = _keyed_entries(entries)
    panels = _panel_formulas(entries)
    names = list(panels)
    single = len(names) == 1
    fig = _divergence_panels(names, labels, uirevision)
    clip_pairs: list[list] = [[] for _ in names]
    shown: set = set()
    for entry in entries:
        _add_entry_traces(fig, entry, names, panels, shown, clip_pairs, samples)
    notes = []
    for index, name in enumerate(names):
        _bound_line(fig, index, name)
        if not (_is_jsd(name) or _is_two_jsd(name)):  # bounded by log 2: never flattened by a spike
            notes.append(clip_panel(fig, index, clip_pairs[index], None if single else labels[name]))
    mark_changes(fig, changes, len(names))
    return _finish(fig, notes, title_lines=0 if single else 1)


def _keyed_entries(entries: Sequence[_DivergenceEntry]) -> tuple[list[_DivergenceEntry], dict[str, str]]:
    """(the entries with each segment's divergence given by its id, {id: the label shown, the first one seen})."""
    labels: dict[str, str] = {}
    keyed = []
    for entry in entries:
        segments, seen = _by_id(entry.segments)
        keyed.append(_DivergenceEntry(entry.label, entry.colour, entry.history, entry.metrics, segments))
        for key, label in seen.items():
            labels.setdefault(key, label)
    return keyed, labels


def _panel_formulas(entries: Sequence[_DivergenceEntry]) -> dict[str, str]:
    """{divergence id: the estimate formula first seen with it}, in the order the panels are drawn."""
    panels: dict[str, str] = {}
    for entry in entries:
        for segment in entry.segments:
            panels.setdefault(str(segment[1]), str(segment[2]) if len(segment) > 2 else "")
    return panels


def _divergence_panels(names: Sequence[str], labels: Mapping[str, str], uirevision: str) -> go.Figure:
    """The empty laid-out figure: one plain chart for one divergence, else one titled row per divergence."""
    if len(names) == 1:
        fig = fast.Figure()
        _layout(fig, f"{labels[names[0]]}: D's estimate", uirevision,
                _divergence_axis_title(names[0], labels[names[0]]))
        return fig
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.3 / len(names),
                        subplot_titles=[f"{labels[n]}: D's estimate" for n in names])
    _layout(fig, "D's divergence estimates: one panel per divergence", uirevision,
            height=max(CHART_HEIGHT, 200 * len(names) + 60), xaxis_title=None)
    fig.update_annotations(font_size=12)
    fig.update_xaxes(title_text="step", row=len(names), col=1)
    for index, name in enumerate(names):
        fig.update_yaxes(title_text=_divergence_axis_title(name, labels[name]), row=index + 1, col=1)
    return fig


def _add_entry_traces(fig: go.Figure, entry: _DivergenceEntry, names: Sequence[str], panels: Mapping[str, str],
                      shown: set, clip_pairs: list[list], samples: int) -> None:
    """Add one entry's estimate and reference traces to each panel it estimated; note their clip pairs."""
    single = len(names) == 1
    steps = _steps(entry.history["step"])
    estimate = _series(entry.history["estimate"], "estimate", len(steps))
    masks = segment_masks(steps, entry.segments)
    ref_masks = {}
    if entry.metrics is not None and "reference" in entry.metrics and len(_steps(entry.metrics["step"])):
        ref_masks = segment_masks(_steps(entry.metrics["step"]), entry.segments)
    formulas = {str(s[1]): str(s[2]) if len(s) > 2 else "" for s in entry.segments}
    for index, name in enumerate(names):
        row = {} if single else dict(row=index + 1, col=1)
        if name in masks and masks[name].any():
            values = np.where(masks[name], estimate, np.nan)
            formula = formulas.get(name) or panels[name]
            fig.add_trace(_estimate_trace(entry, name, steps, values, formula, shown), **row)
            clip_pairs[index].append((steps, values))
        if name in ref_masks and ref_masks[name].any():
            traces, pairs = _reference_traces(entry, name, ref_masks[name], shown, samples)
            for trace in traces:
                fig.add_trace(trace, **row)
            clip_pairs[index] += pairs


def _estimate_trace(entry: _DivergenceEntry, name: str, steps: np.ndarray, values: np.ndarray, formula: str,
                    shown: set) -> go.Scatter:
    """The line of D's estimate of divergence id `name` for one entry; marks its legend entry as shown."""
    prefix = f"{entry.label}: " if entry.label else ""
    notes = _divergence_notes(name)
    if is_wasserstein(name):
        notes += "<br>" + wrap_hover(WASSERSTEIN_NOTE)
    trace = fast.Scatter(
        x=steps, y=values, mode="lines",
        name=f"{prefix}D's estimate" if entry.label else f"D's estimate: {formula}",
        legendgroup=f"est{entry.label}",
        showlegend=entry.label is None or ("est", entry.label) not in shown,
        line=dict(color=D_COLOUR if entry.label is None else entry.colour, width=1.5),
        hovertemplate=(f"{prefix}D's estimate {formula} at step %{{x}}: %{{y:.4g}}{notes}"
                       "<extra></extra>"))
    shown.add(("est", entry.label))
    return trace


def divergence_chart(history: Mapping[str, np.ndarray], divergence_name: str, estimate_formula: str,
                     reference: Mapping | None = None, uirevision: str = "divergence",
                     changes: Sequence[ConfigChange] = (), segments: Sequence[Segment] | None = None,
                     w1_samples: int = W1_SAMPLES) -> go.Figure:
    """D's own estimate of its divergence over steps, beside the sample estimate of the same divergence.

    Args:
        history: {"step", "estimate", ...} arrays.
        divergence_name: what the estimate estimates: its id (LossSpec.divergence_id, e.g. "jsd", "w1";
            the panel shows its label) or the label a loss has now (e.g. "Jensen-Shannon", shown as is).
        estimate_formula: how it is computed from D's outputs (e.g. "(V + log 4) / 2").
        reference: optional metrics {"step": (k,), "reference": (k,), "reference_se": (k,),
            "reference_floor": (k,)} (ganlab.evaluation's columns): drawn dashed with ± 1 se error bars
            as "sample estimate (± 1 se)" (Wasserstein losses: "exact W1 (500 vs 500)", no error bars),
            and the floor dotted ("perfect generator reads ..."; W1: "two real samples: W1 = ...").
        changes: [(step, "option: old -> new")] config changes, drawn as dotted vertical lines.
        segments: [(after_step, divergence id or label, estimate formula)] when the loss changed mid-run: the
            run estimated each divergence after `after_step` (None: from the start) until the next
            segment. Each divergence gets its own panel. Default: one segment of `divergence_name`.
    """
    if segments is None or not len(segments):
        segments = [(None, divergence_name, estimate_formula)]
    entry = _DivergenceEntry(None, D_COLOUR, history, reference, list(segments))
    return _divergence_figure([entry], uirevision, changes, w1_samples)


def compare_divergence_chart(runs: Sequence[RunSeries], uirevision: str = "compare-divergence",
                             w1_samples: int = W1_SAMPLES) -> go.Figure:
    """D's estimate of each run, overlaid where the runs estimate the same divergence and in separate
    panels where not (a JSD estimate and a Wasserstein estimate never share a y-axis), each beside its
    sample estimate ± 1 se and floor. Config changes of all runs are marked."""
    entries = [_DivergenceEntry(r.label, RUN_COLOURS[i % len(RUN_COLOURS)], r.history, r.metrics,
                                list(r.divergences)) for i, r in enumerate(runs)]
    changes = merge_changes([(r.label, r.changes) for r in runs])
    return _divergence_figure(entries, uirevision, changes, w1_samples)


# -------------------------------------------------------------------------------------------- metrics

@dataclass(frozen=True)
class MetricSpec:
    """How one toy metric is drawn: its title, display scale, spread and floor columns."""

    title: str
    label: str                     # short name in hovers and legends
    scale: float = 1.0             # displayed value = scale * stored value (hq: 100, a percentage)
    spread: str | None = None      # column of its spread (error bars)
    spread_name: str = "sd"
    floor: str | None = None       # column of the value a perfect generator reads
    floor_name: str = ""
    fmt: str = ".3g"
    clip: bool = False             # unbounded: clip the y-range when outliers flatten it
    context: str = ""              # hover: what the value is, after "<label> at step N"
    note: str = ""                 # hover: extra text after the value


def metric_specs(eval_samples: int = EVAL_SAMPLES, draws: int = MODE_DRAWS,
                 w1_samples: int = W1_SAMPLES) -> dict[str, MetricSpec]:
    """The toy metrics' display specs; titles name the evaluation's sizes."""
    return {
        "modes_covered": MetricSpec(f"modes covered<br>(mean ± sd of {draws} draws of {eval_samples:,})",
                                    "modes covered", spread="modes_covered_sd", fmt=".2f",
                                    context=f" (mean of {draws} draws of {eval_samples:,})"),
        "hq_fraction": MetricSpec(f"high-quality samples, %<br>(mean ± sd of {draws} draws)", "high-quality %",
                                  scale=100.0, spread="hq_fraction_sd", fmt=".1f",
                                  context=f" (mean of {draws} draws of {eval_samples:,})"),
        "w1": MetricSpec(f"W1 to the data (exact, {w1_samples} vs {w1_samples})<br>dotted: two real samples",
                         "W1", floor="w1_floor", floor_name="two real samples", fmt=".4g", clip=True,
                         context=f" (exact, {w1_samples} vs {w1_samples})"),
        "jsd": MetricSpec("JSD, nats (sample estimate ± 1 se)<br>dotted: perfect generator", "JSD",
                          spread="jsd_se", spread_name="se", floor="jsd_floor", floor_name="perfect generator",
                          fmt=".4g", context=" (sample estimate)", note=f"<br>{JSD_NOTE}"),
        "mode_kl": MetricSpec("mode KL (nats)", "mode KL", fmt=".3g", clip=True),
        "precision": MetricSpec("precision (k-NN)", "precision", fmt=".3f"),
        "recall": MetricSpec("recall (k-NN)", "recall", fmt=".3f"),
    }


def _metric_traces(metrics: Mapping, key: str, spec: MetricSpec, colour: str, label: str | None,
                   first: bool) -> tuple[list, list]:
    """(traces, (steps, values) pairs for clipping) of one metric of one run."""
    steps = _steps(metrics["step"])
    values = spec.scale * _series(metrics[key], key, len(steps))
    spread = _optional(metrics, spec.spread, len(steps))
    floor = _optional(metrics, spec.floor, len(steps))
    prefix = f"{label}: " if label else ""
    error = None
    customdata = None
    spread_text = ""
    if spread is not None:
        spread = spec.scale * spread
        error = dict(type="data", array=spread, visible=True, thickness=1.2, width=3, color=colour)
        customdata = spread
        spread_text = f" ± %{{customdata:{spec.fmt}}} ({spec.spread_name})"
    traces = [fast.Scatter(
        x=steps, y=values, mode="lines+markers", name=label or spec.label, legendgroup=label or key,
        showlegend=bool(label) and first, marker=dict(size=4, color=colour), line=dict(color=colour, width=1.5),
        error_y=error, customdata=customdata,
        hovertemplate=(f"{prefix}{spec.label} at step %{{x}}{spec.context}: %{{y:{spec.fmt}}}{spread_text}"
                       f"{spec.note}<extra></extra>"))]
    pairs = [(steps, values)]
    if floor is not None:
        floor = spec.scale * floor
        name = f"{prefix}{spec.label} floor: {spec.floor_name}"
        traces.append(fast.Scatter(
            x=steps, y=floor, mode="lines", name=name, legendgroup=f"floor{label}", showlegend=False,
            line=dict(color=FLOOR_COLOUR if not label else colour, width=1.2, dash="dot", shape="hv"),
            hovertemplate=f"{name}: %{{y:{spec.fmt}}}{spec.note}<extra></extra>"))
        pairs.append((steps, floor))
    return traces, pairs


def _resolve_titles(keys: list[str], specs: Mapping[str, MetricSpec],
                    titles: Mapping[str, str] | Sequence[str] | None) -> list[str]:
    if titles is None:
        return [specs[k].title if k in specs else k for k in keys]
    if isinstance(titles, Mapping):
        return [str(titles.get(k, specs[k].title if k in specs else k)) for k in keys]
    names = [str(t) for t in titles]
    if len(names) != len(keys):
        raise ValueError(f"{len(names)} titles for {len(keys)} keys")
    return names


def _metrics_figure(runs: Sequence[tuple[str | None, Mapping]], keys: Sequence[str], titles, uirevision: str,
                    cols: int, changes: Sequence[ConfigChange], specs: Mapping[str, MetricSpec]) -> go.Figure:
    keys = list(keys)
    for _, metrics in runs:
        missing = [k for k in keys if k not in metrics]
        if missing:
            raise ValueError(f"unknown metric(s) {missing}; available: "
                             f"{', '.join(k for k in metrics if k != 'step')}")
    names = _resolve_titles(keys, specs, titles)
    if not keys:
        fig = fast.Figure()
        fig.add_annotation(text="no metrics yet", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
        return _finish(_layout(fig, "Metrics", uirevision))
    ncols = max(1, min(cols, len(keys)))
    nrows = math.ceil(len(keys) / ncols)
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=names, horizontal_spacing=0.1,
                        vertical_spacing=0.3 / nrows)
    compare = len(runs) > 1 or runs[0][0] is not None
    fig = _layout(fig, "Metrics over steps" + (": runs overlaid" if compare else ""), uirevision,
                  height=max(CHART_HEIGHT, 210 * nrows + 70), xaxis_title=None)
    fig.update_annotations(font=dict(size=11))
    notes = []
    for i, key in enumerate(keys):
        spec = specs.get(key, MetricSpec(key, key.replace("_", " ")))
        pairs = []
        for r, (label, metrics) in enumerate(runs):
            colour = RUN_COLOURS[r % len(RUN_COLOURS)] if compare else (D_COLOUR if i % 2 == 0 else G_COLOUR)
            traces, run_pairs = _metric_traces(metrics, key, spec, colour, label, first=i == 0)
            for trace in traces:
                fig.add_trace(trace, row=i // ncols + 1, col=i % ncols + 1)
            pairs += run_pairs
        if spec.clip:
            notes.append(clip_panel(fig, i, pairs, spec.label))
    mark_changes(fig, changes, len(keys))
    return _finish(fig, notes, title_lines=max(n.count("<br>") + 1 for n in names[:ncols]))


def metrics_chart(metrics: Mapping[str, np.ndarray], keys: Sequence[str],
                  titles: Mapping[str, str] | Sequence[str] | None = None, uirevision: str = "metrics",
                  cols: int = 3, changes: Sequence[ConfigChange] = (), eval_samples: int = EVAL_SAMPLES,
                  draws: int = MODE_DRAWS, w1_samples: int = W1_SAMPLES) -> go.Figure:
    """Small multiples: one panel per metric series over metrics["step"] (NaN leaves a gap).

    Modes covered and the high-quality share (in %) carry error bars of their sd over the evaluation's
    draws; the JSD ± 1 se; W1 and the JSD a dotted floor (two real samples; a perfect generator).

    Args:
        metrics: {"step": (n,), key: (n,) ...} (ganlab.evaluation's columns).
        keys: which series to draw, in order.
        titles: panel titles, a {key: title} mapping or a sequence aligned with keys (default:
            metric_specs' titles, naming the evaluation's sizes).
        changes: [(step, "option: old -> new")] config changes, dotted vertical lines in every panel.
        eval_samples, draws, w1_samples: the evaluation's sizes, for the titles and hovers.
    """
    return _metrics_figure([(None, metrics)], keys, titles, uirevision, cols, changes,
                           metric_specs(eval_samples, draws, w1_samples))


def compare_metrics_chart(runs: Sequence[RunSeries], keys: Sequence[str], uirevision: str = "compare-metrics",
                          cols: int = 2, eval_samples: int = EVAL_SAMPLES, draws: int = MODE_DRAWS,
                          w1_samples: int = W1_SAMPLES) -> go.Figure:
    """One panel per metric with every run overlaid (A and B as two traces, same colours throughout),
    each with its spread and floor; config changes of all runs marked."""
    runs = list(runs)
    changes = merge_changes([(r.label, r.changes) for r in runs])
    return _metrics_figure([(r.label, r.metrics) for r in runs], keys, None, uirevision, cols, changes,
                           metric_specs(eval_samples, draws, w1_samples))


# -------------------------------------------------------------------------------------------- D means

def d_means_chart(steps, mean_d_real, mean_d_fake, uirevision: str = "d_means",
                  changes: Sequence[ConfigChange] = (), segments: Sequence[Segment] | None = None) -> go.Figure:
    """Mean D output on real and on fake samples over steps.

    Args:
        changes: config changes, dotted vertical lines.
        segments: [(after_step, what D outputs)] when the loss changed mid-run between one that reads D
            as a probability and one that reads a raw score or critic: one panel for each (a probability
            and a critic value never share a y-axis). Default: one panel titled "mean D".
    """
    steps = _steps(steps)
    real = _series(mean_d_real, "mean_d_real", len(steps))
    fake = _series(mean_d_fake, "mean_d_fake", len(steps))
    masks = segment_masks(steps, segments) if segments else {"mean D": np.ones(len(steps), dtype=bool)}
    names = list(masks)
    if len(names) == 1:
        fig = fast.Figure()
    else:
        fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, subplot_titles=names,
                            vertical_spacing=0.3 / len(names))
    notes = []
    for index, name in enumerate(names):
        row = dict(row=index + 1, col=1) if len(names) > 1 else {}
        pairs = []
        for values, who, colour in ((real, "real", D_COLOUR), (fake, "fake", G_COLOUR)):
            masked = np.where(masks[name], values, np.nan)
            fig.add_trace(fast.Scatter(x=steps, y=masked, mode="lines", name=f"mean D({who})", legendgroup=who,
                                       showlegend=index == 0, line=dict(color=colour, width=1.5)), **row)
            pairs.append((steps, masked))
        notes.append(clip_panel(fig, index, pairs, None if len(names) == 1 else name))
    if len(names) == 1:
        _layout(fig, "Mean D output on real and fake", uirevision, names[0] if segments else "mean D")
    else:
        _layout(fig, "Mean D on real and fake: one panel per kind of D output", uirevision,
                height=max(CHART_HEIGHT, 190 * len(names) + 70), xaxis_title=None)
        fig.update_annotations(font_size=12)
        fig.update_xaxes(title_text="step", row=len(names), col=1)
    mark_changes(fig, changes, len(names))
    return _finish(fig, notes, title_lines=0 if len(names) == 1 else 1)


__all__ = ["loss_chart", "compare_loss_chart", "divergence_chart", "compare_divergence_chart", "metrics_chart",
           "compare_metrics_chart", "d_means_chart", "robust_y_range", "change_label", "merge_changes",
           "metric_specs", "reference_names", "segment_masks", "RunSeries", "MetricSpec", "JSD_NOTE",
           "WASSERSTEIN_NOTE", "WASSERSTEIN_DIVERGENCES", "divergence_id", "divergence_label", "is_wasserstein"]
