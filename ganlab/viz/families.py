"""The GAN, VAE and flow page's figures: one panel per model family on the same axes, and the chart of forward
and reverse KL over training.

Pure functions of snapshots (ganlab.toy_snapshot for the GAN, ganlab.likelihood.snapshot for the VAE and the
flow) and metrics histories to Plotly figures, built with the unvalidated constructors (ganlab.viz.unvalidated)
because the panels are redrawn on every live frame.

Every panel draws the data's exact density p_data as green contour lines (10 %, 50 % and 90 % of its
maximum, as the Toy Lab's plane) and the model's samples at fixed noise, over the data's bounds at one scale,
the plane in the same place and size in all three. Every margin is fixed (margin.autoexpand off, no axis
automargin; the colour bar sits in the right margin): a plane constrained to one scale whose margins plotly.js
may push (the tick labels, the colour bar) is redrawn again and again ("Too many auto-margin redraws"), and
in Streamlit a panel updated twice a second then stayed blank while the runs played.

- GAN: D's output on the plane (D(x) = P(real) for a loss that reads D as a probability, else the critic's
  raw value), and dotted contours of p_g's kernel density estimate (Scott's rule, from the samples shown);
- VAE and flow: the model's log density as a heatmap, the top LOG_DENSITY_SPAN nats of it (lower values at
  the bottom of the scale): the flow's exact log p(x), the VAE's importance-sampled estimate (the snapshot
  says how); a log scale, so a thin bridge of density between two modes shows;
- flow: the warped grid, f^-1 of a regular grid of latent lines (where the map stretches the base N(0, I));
- VAE: the data points the encoder sees, coloured by their angle around the plane's centre, and below the
  plane a strip with the encoder's posterior means E_q[z | x] of the same points in the same colours
  (z1 and z2; for a latent size of 1 a 1-D strip with the points spread vertically to be seen; for a latent
  size above 2 the first two coordinates, and the strip's title says so).

The KL chart: forward KL(p_data || p_model) (mode covering: high when the model misses data) on the left,
reverse KL(p_model || p_data) (mode seeking: high when the model puts mass where there is no data) on the
right, in nats on log axes, one line per family, with their standard errors. A value at or below KL_FLOOR
(a Monte Carlo estimate is not clipped at 0) is drawn at the floor with a down-pointing marker, +infinity (a
model sample where p_data is 0, or a data point where the GAN's smoothed p_g underflows) at the top with an
up-pointing one; hovering shows the value itself.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go

from ganlab.viz import unvalidated as fast
from ganlab.viz.log_axis import log_axis
from ganlab.viz.toy_plane import D_SCALE, REAL_COLOUR

FAMILIES = ("gan", "vae", "flow")
FAMILY_TITLES = {"gan": "GAN", "vae": "VAE", "flow": "Flow"}
FAMILY_COLOURS = {"gan": "#762a83", "vae": "#d95f02", "flow": "#e7298a"}  # samples and KL lines
DENSITY_SCALE = [[i / 8, colour] for i, colour in enumerate(pcolors.sequential.Blues)]
ANGLE_SCALE = [[i / (len(pcolors.cyclical.HSV) - 1), colour] for i, colour in enumerate(pcolors.cyclical.HSV)]
WARP_COLOUR = "rgba(60, 60, 60, 0.55)"
LOG_DENSITY_SPAN = 10.0   # nats of log density a heatmap shows below its maximum
KL_FLOOR = 1e-3           # a KL at or below this is drawn here on the log axis
KL_DIRECTIONS = {
    "forward_kl": "forward KL(p_data ‖ p_model): mode covering",
    "reverse_kl": "reverse KL(p_model ‖ p_data): mode seeking",
}

PLANE_PX = 250            # height of every panel's plotting area for the plane
STRIP_PX = 120            # the VAE's latent strip below it
GAP_PX = 44               # between the plane and the strip (the strip's title)
MARGIN = {"l": 40, "r": 64, "t": 30, "b": 36, "autoexpand": False}  # the right one holds the colour bar
UNTITLED_TOP = 8          # the top margin of a panel without a title (the page writes its own heading)
PLANE_X = (0.0, 1.0)      # the plane's horizontal domain


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _fraction_levels(dens: np.ndarray, fractions=(0.1, 0.5, 0.9)) -> dict:
    top = float(np.nanmax(dens)) if np.isfinite(dens).any() else 0.0
    top = top if top > 0.0 else 1.0
    step = (fractions[-1] - fractions[0]) / (len(fractions) - 1)
    return {"start": fractions[0] * top, "end": fractions[-1] * top, "size": step * top}


def _contour(xs, ys, dens, *, name: str, group: str, colour: str, dash: str = "solid") -> go.Contour:
    dens = np.asarray(dens, dtype=np.float64)
    return fast.Contour(x=_f32(xs), y=_f32(ys), z=_f32(dens), name=name, legendgroup=group, showscale=False,
                        autocontour=False, contours=dict(coloring="none", **_fraction_levels(dens)),
                        line=dict(color=colour, width=1.3, dash=dash), hoverinfo="skip")


def _colorbar(title: str, length: float) -> dict:
    """A colour bar beside the plane, `length` of the plotting area's height (only the plane's when the VAE's
    strip is below it)."""
    return dict(title=dict(text=title, side="right", font=dict(size=11)), thickness=9, len=length,
                x=1.0, xanchor="left", xpad=6, y=1.0, yanchor="top", outlinewidth=0, tickfont=dict(size=10))


def shown_log_density(log_p, span: float = LOG_DENSITY_SPAN) -> tuple[np.ndarray, float, float]:
    """(log density clipped to [top - span, top], zmin, zmax), top its largest finite value; non-finite
    values (-inf far from the data) at the bottom."""
    values = np.asarray(log_p, dtype=np.float64)
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 0.0
    shown = np.clip(np.where(np.isfinite(values), values, top - span), top - span, top)
    return shown, top - span, top


def _density_heatmap(snap: dict, bar: float) -> go.Heatmap:
    shown, low, high = shown_log_density(snap["log_density"])
    return fast.Heatmap(
        x=_f32(snap["grid_x"]), y=_f32(snap["grid_y"]), z=_f32(shown), zmin=low, zmax=high,
        colorscale=DENSITY_SCALE, name="log p_model(x)", legendgroup="density", zsmooth="fast",
        colorbar=_colorbar("log p(x), nats", bar),
        hovertemplate="x=%{x:.2f}, y=%{y:.2f}<br>log p=%{z:.2f}<extra></extra>")


def _discriminator_heatmap(snap: dict, bar: float) -> go.Heatmap:
    if snap.get("d_prob") is not None:
        z, low, high, title = _f32(snap["d_prob"]), 0.0, 1.0, "D(x) = P(real)"
    else:
        z = _f32(snap["d_score"])
        finite = np.abs(z[np.isfinite(z)])
        bound = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        low, high, title = -bound, bound, "critic value f(x)"
    return fast.Heatmap(x=_f32(snap["grid_x"]), y=_f32(snap["grid_y"]), z=z, zmin=low, zmax=high,
                        colorscale=D_SCALE, opacity=0.8, name=title, legendgroup="discriminator",
                        zsmooth="fast", colorbar=_colorbar(title, bar),
                        hovertemplate="x=%{x:.2f}, y=%{y:.2f}<br>" + title.split(" =")[0]
                        + "=%{z:.3f}<extra></extra>")


def _samples(points, family: str) -> go.Scatter:
    points = _f32(points).reshape(-1, 2)
    name = "samples G(z)" if family == "gan" else "samples x ~ p_model"
    return fast.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=name, legendgroup="samples",
                        marker=dict(color=FAMILY_COLOURS[family], size=4, opacity=0.85,
                                    line=dict(color="white", width=0.4)), hoverinfo="skip")


def point_angles(points, bounds) -> np.ndarray:
    """Each point's angle around the centre of `bounds`, as a fraction of a turn in [0, 1] (its colour)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    xmin, xmax, ymin, ymax = bounds
    angle = np.arctan2(points[:, 1] - 0.5 * (ymin + ymax), points[:, 0] - 0.5 * (xmin + xmax))
    return (angle + math.pi) / (2 * math.pi)


def warp_lines(warp) -> tuple[list, list]:
    """The warped grid (2, L, P, 2) as one polyline per latent line, None between lines (x and y lists)."""
    warp = np.asarray(warp, dtype=np.float64)
    xs: list = []
    ys: list = []
    for line in warp.reshape(-1, warp.shape[-2], 2):
        xs.extend(np.round(line[:, 0], 4).tolist() + [None])
        ys.extend(np.round(line[:, 1], 4).tolist() + [None])
    return xs, ys


def _latent_strip(snap: dict, colour: np.ndarray) -> list:
    """The VAE's posterior means below the plane (axes x2, y2)."""
    means = np.asarray(snap["latent_means"], dtype=np.float64)
    if means.shape[1] == 1:  # a 1-D latent: spread the points vertically (a fixed, not random, jitter)
        jitter = (np.arange(len(means)) * 0.6180339887 % 1.0) * 2.0 - 1.0
        means = np.column_stack([means[:, 0], jitter])
    return [fast.Scatter(x=_f32(means[:, 0]), y=_f32(means[:, 1]), xaxis="x2", yaxis="y2", mode="markers",
                         name="posterior means E[z|x]", legendgroup="latent",
                         marker=dict(color=_f32(colour), cmin=0.0, cmax=1.0, colorscale=ANGLE_SCALE, size=5,
                                     line=dict(color="#333333", width=0.3)),
                         hovertemplate="z1=%{x:.2f}<extra></extra>" if snap["latent_dim"] == 1 else
                         "z1=%{x:.2f}, z2=%{y:.2f}<extra></extra>")]


def latent_title(latent_dim: int, n: int) -> str:
    """The strip's title: which coordinates of E_q[z | x] it shows."""
    if latent_dim == 1:
        return f"encoder: E[z|x] of {n} data points (z is 1-D: height is jitter)"
    if latent_dim == 2:
        return f"encoder: E[z|x] of {n} data points, (z1, z2)"
    return f"encoder: E[z|x] of {n} data points, first 2 of {latent_dim} coordinates"


def _family_traces(family: str, snap: dict, fake_density, bar: float) -> list:
    if family == "gan":
        traces = [_discriminator_heatmap(snap, bar)]
        if fake_density is not None:
            traces.append(_contour(*fake_density, name="p_g (KDE of the samples)", group="fake_density",
                                   colour=FAMILY_COLOURS["gan"], dash="dot"))
        return traces
    traces = [_density_heatmap(snap, bar)]
    if family == "flow":
        xs, ys = warp_lines(snap["warp"])
        traces.append(fast.Scatter(x=xs, y=ys, mode="lines", name="f⁻¹ of a latent grid", legendgroup="warp",
                                   line=dict(color=WARP_COLOUR, width=0.8), hoverinfo="skip"))
    return traces


def panel_figure(family: str, snap: dict, *, data_density=None, fake_density=None,
                 uirevision: str | None = None, title: str | None = None, plane_px: int = PLANE_PX) -> go.Figure:
    """One family's panel (see the module docstring).

    Args:
        family: "gan", "vae" or "flow".
        snap: the run's snapshot (the GAN's take_snapshot, or take_likelihood_snapshot).
        data_density: (xs, ys, dens) exact p_data on a grid (dens[i, j] at (xs[j], ys[i])), or None.
        fake_density: the GAN's (xs, ys, dens) kernel density estimate of p_g, or None.
        uirevision: kept in the layout so zoom survives frames (default "families-<family>").
        title: the figure's title (default "<Family> · step <step>"; "" for none: a page's own heading).
        plane_px: the height of the plane's plotting area in pixels (the same for all three panels).

    Returns:
        A figure whose traces carry legendgroup "discriminator" or "density", "fake_density" (GAN),
        "warp" (flow), "data_density", "real" and "latent" (VAE), "samples".
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}")
    bounds = tuple(float(b) for b in snap["bounds"])
    area = plane_px + (GAP_PX + STRIP_PX if family == "vae" else 0)
    traces = _family_traces(family, snap, fake_density, 0.95 * plane_px / area)
    if data_density is not None:
        traces.append(_contour(*data_density, name="p_data (exact)", group="data_density", colour=REAL_COLOUR))
    colour = None
    if family == "vae":
        colour = point_angles(snap["real"], bounds)
        real = _f32(snap["real"])
        traces.append(fast.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="data points (colour: angle)",
                                   legendgroup="real", hoverinfo="skip",
                                   marker=dict(color=_f32(colour), cmin=0.0, cmax=1.0, colorscale=ANGLE_SCALE,
                                               size=5, symbol="circle-open", line=dict(width=1.2))))
    sample_key = "fake" if family == "gan" else "samples"
    traces.append(_samples(snap[sample_key], family))
    if family == "vae":
        traces += _latent_strip(snap, colour)
    if title is None:
        title = f"{FAMILY_TITLES[family]} · step {int(snap['step'])}"
    layout = _panel_layout(title, bounds, uirevision or f"families-{family}", plane_px,
                           latent=(snap["latent_dim"], len(snap["real"])) if family == "vae" else None)
    return fast.Figure(data=traces, layout=layout)


def _panel_layout(title: str, bounds: tuple[float, ...], uirevision: str, plane_px: int, latent=None) -> dict:
    """Axes fixed to the data bounds at one scale, the plane at the top of a plane_px area; the VAE's latent
    strip (latent = (latent_dim, n)) below it."""
    xmin, xmax, ymin, ymax = bounds
    area = plane_px + (GAP_PX + STRIP_PX if latent else 0)
    plane_bottom = (area - plane_px) / area
    margin = MARGIN if title else {**MARGIN, "t": UNTITLED_TOP}
    layout = dict(
        title=dict(text=title, x=0.01, font=dict(size=14)), uirevision=uirevision, showlegend=False,
        height=area + margin["t"] + margin["b"], margin=margin, plot_bgcolor="white",
        xaxis=dict(range=[xmin, xmax], domain=list(PLANE_X), constrain="domain", showgrid=False,
                   zeroline=False, automargin=False),
        yaxis=dict(range=[ymin, ymax], domain=[plane_bottom, 1.0], scaleanchor="x", scaleratio=1,
                   constrain="domain", constraintoward="top", showgrid=False, zeroline=False, automargin=False))
    if latent:
        latent_dim, n = latent
        strip_top = STRIP_PX / area
        layout.update(
            xaxis2=dict(domain=[0.0, 0.6], anchor="y2", range=[-3.5, 3.5], zeroline=True, showgrid=False,
                        automargin=False, title=dict(text="z1", standoff=4, font=dict(size=11)),
                        tickfont=dict(size=10)),
            yaxis2=dict(domain=[0.0, strip_top], anchor="x2", automargin=False,
                        range=[-3.5, 3.5] if latent_dim > 1 else [-1.5, 1.5],
                        zeroline=latent_dim > 1, showgrid=False, showticklabels=latent_dim > 1,
                        tickfont=dict(size=10),
                        title=dict(text="z2" if latent_dim > 1 else "", standoff=4, font=dict(size=11))),
            annotations=[dict(text=latent_title(latent_dim, n), x=0.0, y=strip_top, xref="paper", yref="paper",
                              xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=11), yshift=4)])
    return layout


# ------------------------------------------------------------------------------------------- the KL chart

def kl_ceiling(*series) -> float:
    """Where +inf is drawn on a KL axis: 10x the largest finite value of all `series`, at least 10."""
    values = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in series]) if series else np.empty(0)
    finite = values[np.isfinite(values)]
    return max(10.0, 10.0 * float(finite.max())) if finite.size else 10.0


def plotted_kl(values, ceiling: float) -> tuple[np.ndarray, list[str]]:
    """(the values as drawn on the log axis, a marker symbol per value): at or below KL_FLOOR at the floor
    ("triangle-down"), +inf at `ceiling` ("triangle-up"), NaN left out (a gap), the rest as they are
    ("circle")."""
    values = np.asarray(values, dtype=np.float64)
    drawn = np.where(np.isposinf(values), ceiling, np.maximum(values, KL_FLOOR))
    symbols = ["triangle-up" if np.isposinf(v) else "triangle-down" if v <= KL_FLOOR else "circle"
               for v in values]
    return drawn, symbols


def _kl_values(series: dict, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = np.asarray(series.get("step", []), dtype=np.float64)
    values = np.asarray(series.get(column, np.full(len(steps), np.nan)), dtype=np.float64)
    se = np.asarray(series.get(f"{column}_se", np.full(len(steps), np.nan)), dtype=np.float64)
    return steps, values, se


def _kl_trace(family: str, series: dict, column: str, axis: str, ceiling: float) -> go.Scatter:
    steps, values, se = _kl_values(series, column)
    drawn, symbols = plotted_kl(values, ceiling)
    shown = [f"{v:.3g} ± {s:.2g}" if np.isfinite(v) and np.isfinite(s) else
             ("+∞" if np.isposinf(v) else f"{v:.3g}") for v, s in zip(values, se, strict=True)]
    return fast.Scatter(
        x=_f32(steps), y=drawn, xaxis=f"x{axis}", yaxis=f"y{axis}", mode="lines+markers",
        name=FAMILY_TITLES[family], legendgroup=family, showlegend=axis == "",
        line=dict(color=FAMILY_COLOURS[family], width=2), customdata=shown,
        marker=dict(color=FAMILY_COLOURS[family], size=7, symbol=symbols),
        error_y=dict(type="data", array=np.where(np.isfinite(se), se, 0.0), visible=True, thickness=1, width=0),
        hovertemplate=f"{FAMILY_TITLES[family]}, step %{{x}}: %{{customdata}} nats<extra></extra>")


def _infinity_mark(axis: str, ceiling: float) -> tuple[dict, dict]:
    """A dotted line at the ceiling and its "+∞" label, for a KL axis that has an infinite value."""
    line = dict(type="line", xref=f"x{axis} domain", yref=f"y{axis}", x0=0, x1=1, y0=ceiling, y1=ceiling,
                line=dict(color="#888888", width=1, dash="dot"), layer="below")
    label = dict(text="+∞", xref=f"x{axis} domain", yref=f"y{axis}", x=0.0, y=math.log10(ceiling),
                 xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=12, color="#555555"))
    return line, label


def kl_chart(series: dict[str, dict], uirevision: str = "families-kl") -> go.Figure:
    """Forward (left) and reverse (right) KL over training steps, one line per family in `series`.

    Args:
        series: family -> {"step", "forward_kl", "forward_kl_se", "reverse_kl", "reverse_kl_se"} arrays, one
            value per evaluation (the GAN's from its sample estimates: ganlab.likelihood.kl.kde_kl_columns).

    Returns:
        A figure with traces (forward KL of each family, on axes x / y) then (reverse KL, on x2 / y2); +inf
        is drawn at one ceiling per axis (kl_ceiling), marked by a dotted "+∞" line.
    """
    traces, shapes = [], []
    annotations = [dict(text=text, x=x, y=1.0, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                        showarrow=False, font=dict(size=13), yshift=6)
                   for text, x in zip(KL_DIRECTIONS.values(), (0.23, 0.77), strict=True)]
    layout = dict(
        height=370, margin=dict(l=70, r=12, t=40, b=92, autoexpand=False), uirevision=uirevision,
        legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.24, yanchor="top"),
        xaxis=dict(domain=[0.0, 0.46], title=dict(text="step"), anchor="y", automargin=False),
        xaxis2=dict(domain=[0.54, 1.0], title=dict(text="step"), anchor="y2", automargin=False))
    for column, axis in (("forward_kl", ""), ("reverse_kl", "2")):
        values = [_kl_values(series[family], column)[1] for family in series]
        ceiling = kl_ceiling(*values)
        traces += [_kl_trace(family, series[family], column, axis, ceiling) for family in series]
        drawn = [plotted_kl(v, ceiling)[0] for v in values]
        layout[f"yaxis{axis}"] = {**log_axis(None, *drawn, anchor=f"x{axis}", automargin=False),
                                  "title": dict(text="nats (log scale)" if axis == "" else "")}
        if any(np.isposinf(v).any() for v in values):
            line, label = _infinity_mark(axis, ceiling)
            shapes.append(line)
            annotations.append(label)
    return fast.Figure(data=traces, layout={**layout, "shapes": shapes, "annotations": annotations})


__all__ = ["FAMILIES", "FAMILY_COLOURS", "FAMILY_TITLES", "KL_FLOOR", "LOG_DENSITY_SPAN", "kl_ceiling",
           "kl_chart", "latent_title", "panel_figure", "plotted_kl", "point_angles", "shown_log_density",
           "warp_lines"]
