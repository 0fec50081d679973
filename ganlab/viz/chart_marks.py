"""Marks every time-series chart shares: config changes as dotted vertical lines, and a y-range that
outliers cannot flatten (with a note of what is clipped). Pure functions on Plotly figures.

Config changes are (step, "option: old -> new, ...") pairs, as ganlab.train.Trainer.config_changes
keeps them; a run's history can be split at its loss changes into segments (after_step, name, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

CHANGE_COLOUR = "#b35806"
OUTLIER_IQRS = 6.0       # a point further than this many interquartile ranges outside the quartiles ...
FLATTEN_RATIO = 4.0      # ... is clipped when the full range is over 4 times the range of the others
RANGE_PAD = 0.08         # the clipped range is padded by 8 % of its span on each side
MAX_CHANGE_LABELS = 6    # every change gets its line; only the latest few get a text label

ConfigChange = tuple[int, str]
# (after_step, name, ...): the run used `name` for the steps after `after_step` (None: from the start)
Segment = tuple


def short_number(value: float) -> str:
    """1.2e4 style for large (from 1,000) or tiny numbers, 3 significant digits otherwise."""
    if value != 0 and (abs(value) >= 1e3 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:.3g}"


def wrap_hover(text: str, width: int = 60) -> str:
    """Break a long hover line into <br>-separated lines of about `width` characters."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def axis_names(index: int) -> tuple[str, str]:
    """The x and y axis references of subplot `index` (0-based): ("x", "y"), ("x2", "y2"), ..."""
    suffix = "" if index == 0 else str(index + 1)
    return f"x{suffix}", f"y{suffix}"


# ------------------------------------------------------------------------------ robust y-range, clipping

def robust_y_range(*series) -> tuple[float, float] | None:
    """The y-range that keeps a panel readable when a few outliers would flatten it, else None.

    A point is an outlier when it lies more than OUTLIER_IQRS interquartile ranges outside the
    quartiles of all finite values. When the full range is over FLATTEN_RATIO times the range of the
    other points, the range is that of the other points, padded by RANGE_PAD of its span each side.
    None (leave the axis to autorange) when there are no such outliers, fewer than 5 values, or no
    spread (a constant series).
    """
    parts = [np.asarray(s, dtype=np.float64).reshape(-1) for s in series]
    values = np.concatenate(parts) if parts else np.empty(0)
    values = values[np.isfinite(values)]
    if values.size < 5:
        return None
    q25, q75 = np.percentile(values, [25.0, 75.0])
    iqr = q75 - q25
    if not iqr > 0:
        return None
    inside = values[(values >= q25 - OUTLIER_IQRS * iqr) & (values <= q75 + OUTLIER_IQRS * iqr)]
    low, high = float(inside.min()), float(inside.max())
    if values.max() - values.min() <= FLATTEN_RATIO * (high - low):
        return None
    pad = RANGE_PAD * (high - low)
    return low - pad, high + pad


def _clip_note(pairs: Sequence[tuple[np.ndarray, np.ndarray]], y_range: tuple[float, float]) -> str:
    """"y clipped; spike of 6.1e3 at step 800 not shown" for the point furthest outside `y_range`."""
    low, high = y_range
    worst, worst_step, outside = 0.0, None, 0
    for steps, values in pairs:
        with np.errstate(invalid="ignore"):
            beyond = np.where(values > high, values - high, np.where(values < low, low - values, 0.0))
        beyond = np.where(np.isfinite(beyond), beyond, 0.0)
        outside += int((beyond > 0).sum())
        if beyond.size and beyond.max() > worst:
            i = int(beyond.argmax())
            worst, worst_step, worst_value = float(beyond[i]), steps[i], float(values[i])
    if worst_step is None:
        return "y clipped"
    more = f" ({outside} points outside)" if outside > 1 else ""
    return f"y clipped; spike of {short_number(worst_value)} at step {int(worst_step)} not shown{more}"


def clip_panel(fig: go.Figure, index: int, pairs: Sequence[tuple[np.ndarray, np.ndarray]],
                panel: str | None = None) -> str | None:
    """Clip subplot `index`'s y-range to robust_y_range of its series when outliers flatten it; the note
    saying what is not shown (prefixed with the panel's name when given), or None."""
    y_range = robust_y_range(*(values for _, values in pairs))
    if y_range is None:
        return None
    _, yref = axis_names(index)
    fig.update_layout({yref.replace("y", "yaxis", 1): dict(range=list(y_range), autorange=False)})
    note = _clip_note(pairs, y_range)
    return f"{panel}: {note}" if panel else note


# ------------------------------------------------------------------------------------- config changes

_CHANGE_ITEM = re.compile(r"([\w.]+): (.*?) -> (.*?)(?=, [\w.]+: |$)")


def change_label(text: str, width: int = 28) -> str:
    """A short label for a config change: "loss → wgan-gp", "g_opt.lr → 0.001 +1" (one more option)."""
    items = _CHANGE_ITEM.findall(text)
    if not items:
        return text if len(text) <= width else text[: width - 1] + "…"
    key, _, new = items[0]
    key = key.removesuffix(".name")
    label = f"{key} → {new}"
    if len(label) > width:
        label = label[: width - 1] + "…"
    return label + (f" +{len(items) - 1}" if len(items) > 1 else "")


def _change_hover(step: int, text: str) -> str:
    items = _CHANGE_ITEM.findall(text)
    lines = [f"{key}: {old} → {new}" for key, old, new in items] or [text]
    return f"config changed after step {step}:<br>" + "<br>".join(lines)


def mark_changes(fig: go.Figure, changes: Sequence[ConfigChange], panels: int | Sequence[int] = 1) -> None:
    """A dotted vertical line at each change's step in every panel (`panels`: how many, or which
    0-based subplot indices); the latest MAX_CHANGE_LABELS get a short label whose hover gives the
    whole change."""
    changes = [(int(step), str(text)) for step, text in changes]
    labelled = len(changes) - MAX_CHANGE_LABELS
    for index in (range(panels) if isinstance(panels, int) else panels):
        xref, yref = axis_names(index)
        for i, (step, text) in enumerate(changes):
            fig.add_shape(type="line", x0=step, x1=step, xref=xref, y0=0, y1=1, yref=f"{yref} domain",
                          line=dict(color=CHANGE_COLOUR, width=1.2, dash="dot"), name="config-change",
                          layer="above")
            if i >= labelled:
                fig.add_annotation(text=change_label(text), hovertext=_change_hover(step, text), x=step,
                                   xref=xref, y=1.0, yref=f"{yref} domain", xanchor="left", yanchor="top",
                                   xshift=2, showarrow=False, font=dict(size=10, color=CHANGE_COLOUR),
                                   bgcolor="rgba(255,255,255,0.6)", name="config-change")


def merge_changes(runs: Sequence[tuple[str, Sequence[ConfigChange]]]) -> list[ConfigChange]:
    """The changes of several runs on one chart: "A, B: text" where they agree, "A: text" where not."""
    labels: dict[tuple[int, str], list[str]] = {}
    for label, changes in runs:
        for step, text in changes:
            labels.setdefault((int(step), str(text)), []).append(label)
    return [(step, f"{', '.join(names)}: {text}") for (step, text), names in sorted(labels.items())]


# ------------------------------------------------------------------------------------------ segments

def _segment_index(steps: np.ndarray, segments: Sequence[Segment]) -> np.ndarray:
    """For each step, the index of the segment it belongs to: the last whose after_step < step."""
    starts = np.array([-np.inf if s[0] is None else float(s[0]) for s in segments])
    return np.searchsorted(starts, np.asarray(steps, dtype=np.float64), side="left") - 1


def segment_masks(steps, segments: Sequence[Segment]) -> dict[str, np.ndarray]:
    """{name: bool mask of the steps run under a segment of that name}, in order of first appearance."""
    which = _segment_index(steps, segments)
    masks: dict[str, np.ndarray] = {}
    for i, segment in enumerate(segments):
        name = str(segment[1])
        masks[name] = masks.get(name, np.zeros(len(steps), dtype=bool)) | (which == i)
    if len(segments) and (which < 0).any():  # steps before the first segment: the first one's
        first = str(segments[0][1])
        masks[first] = masks[first] | (which < 0)
    return masks
