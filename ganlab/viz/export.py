"""Export a run: a self-contained interactive HTML animation of the plane, and series as CSV.

The HTML embeds plotly.js inline (`include_plotlyjs=True`), so the file plays offline with nothing
else installed. Frames are the plane figures of the snapshots (Plotly frames), with Play / Pause
buttons and a slider labelled by training step.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ganlab.viz.toy_plane import auto_arrow_scale, plane_figure

FRAME_MS = 300  # time per frame when playing


def _keys(traces: Sequence) -> list[tuple[str, str, int]]:
    """(layer, trace type, ordinal within that layer and type) of each trace: stable across frames even
    where names carry per-frame numbers ("modes covered (3/8)", "scaled ×0.15")."""
    seen: dict = {}
    keys = []
    for tr in traces:
        base = (tr.legendgroup or "", tr.type)
        keys.append((*base, seen.get(base, 0)))
        seen[base] = seen.get(base, 0) + 1
    return keys


def _align(template: Sequence, traces: Sequence) -> list:
    """`traces` matched to the template's positions by _keys; a missing one becomes a hidden trace of the
    template's type, so every frame has the template's trace count and order (Plotly animates by index)."""
    by_key = dict(zip(_keys(traces), traces, strict=True))
    out = []
    for key, tmpl in zip(_keys(template), template, strict=True):
        match = by_key.get(key)
        if match is None:
            match = type(tmpl)(name=tmpl.name, legendgroup=tmpl.legendgroup, visible=False)
        out.append(match)
    return out


def _frame_title(snap: Mapping) -> str:
    return (f"step {int(snap['step'])}  ·  D updates {int(snap['d_updates'])}  ·  "
            f"G updates {int(snap['g_updates'])}")


def animation_figure(snaps: Sequence[Mapping], **plane_kwargs) -> go.Figure:
    """One figure whose frames are plane_figure(snap, **plane_kwargs) for each snapshot.

    The first snapshot is the initial view; the slider's steps are labelled by each snapshot's step.
    Arrows use one scale for the whole animation (default: the longest arrow over all frames is
    ARROW_FRACTION of the plot width), so shrinking gradients show as shrinking arrows; pass
    `arrow_scale` to choose it.
    """
    if not snaps:
        raise ValueError("animation needs at least one snapshot; got none")
    if plane_kwargs.get("arrow_scale") is None:
        grads = np.concatenate([np.asarray(s["fake_grad"], dtype=np.float64).reshape(-1, 2) for s in snaps])
        plane_kwargs["arrow_scale"] = auto_arrow_scale(grads, snaps[0]["bounds"])
    plane_kwargs.setdefault("uirevision", "animation")
    plane_kwargs.pop("title", None)
    figures = [plane_figure(s, title=_frame_title(s), **plane_kwargs) for s in snaps]
    base = figures[0]
    template = list(base.data)
    aligned = [_align(template, fig.data) for fig in figures]
    # A trace hidden in some frame (absent from that snapshot) must be shown again explicitly elsewhere.
    hidden = {k for data in aligned for k, tr in enumerate(data) if tr.visible is False}
    for data in aligned:
        for k in hidden:
            if data[k].visible is None:
                data[k].visible = True
    frames = [go.Frame(data=data, name=f"frame {i}", layout=dict(title=dict(text=_frame_title(snap))))
              for i, (snap, data) in enumerate(zip(snaps, aligned, strict=True))]
    fig = go.Figure(data=template, layout=base.layout, frames=frames)
    play = {"frame": {"duration": FRAME_MS, "redraw": True}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    slider_steps = [
        {"label": str(int(snap["step"])), "method": "animate",
         "args": [[f"frame {i}"], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                   "transition": {"duration": 0}}]}
        for i, snap in enumerate(snaps)]
    fig.update_layout(
        height=760, margin=dict(l=40, r=10, t=40, b=40), template="plotly_white",
        updatemenus=[{"type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": -0.1,
                      "xanchor": "left", "yanchor": "top", "pad": {"r": 10, "t": 10},
                      "buttons": [{"label": "Play", "method": "animate", "args": [None, play]},
                                  {"label": "Pause", "method": "animate", "args": [[None], pause]}]}],
        sliders=[{"active": 0, "steps": slider_steps, "x": 0.22, "len": 0.78, "y": -0.08,
                  "xanchor": "left", "yanchor": "top", "pad": {"t": 10},
                  "currentvalue": {"prefix": "step ", "visible": True}, "transition": {"duration": 0}}],
        legend=dict(y=-0.3),  # below the slider
    )
    return fig


def animation_html(snaps: Sequence[Mapping], **plane_kwargs) -> str:
    """A self-contained HTML page (plotly.js inline) animating the plane over the snapshots.

    Args:
        snaps: take_snapshot(Trainer) dicts, in time order.
        **plane_kwargs: passed to plane_figure for every frame (layers, arrow_scale, centers, ...).
    """
    fig = animation_figure(snaps, **plane_kwargs)
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False)


def _cell(value) -> str:
    if isinstance(value, (int, np.integer, bool, np.bool_)):
        return str(int(value))
    x = float(value)
    return "" if math.isnan(x) else repr(x)


def metrics_csv(columns: Mapping[str, np.ndarray]) -> str:
    """CSV text: a header row, then one row per index; the "step" column first when present.

    Floats are written with repr (exact round trip), integers as integers, NaN as an empty field.

    Raises:
        ValueError when the columns have different lengths or are not 1-D.
    """
    names = list(columns)
    if "step" in names:
        names.remove("step")
        names.insert(0, "step")
    arrays = {}
    for name in names:
        arr = np.asarray(columns[name])
        if arr.ndim != 1:
            raise ValueError(f"column {name!r} must be 1-D; got shape {arr.shape}")
        arrays[name] = arr
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"columns must have the same length; got {lengths}")
    n = next(iter(lengths.values()), 0)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for i in range(n):
        writer.writerow([_cell(arrays[name][i]) for name in names])
    return buf.getvalue()


__all__ = ["animation_figure", "animation_html", "metrics_csv"]
