"""The data plane: D's output, real and fake samples, G's gradient arrows, G's manifold, and theory overlays.

A pure function of a trainer snapshot (ganlab.train.Trainer.snapshot) to a Plotly figure, in the spirit
of GAN Lab (poloclub/ganlab): a decision heatmap, the samples, the direction G pushes each fake sample,
and the deformed latent mesh, plus what GAN Lab does not show: the optimal discriminator D* of theory
and contour lines of p_data and p_g.

Each layer is a legend group named after its key in LAYERS, so a legend click toggles a whole layer and
tests can find a layer's traces by `trace.legendgroup`. For a given set of layers (and extras supplied),
the trace list has a fixed length and order, so figures of successive snapshots can be frames of one
animation (ganlab.viz.export).

Size: numeric arrays are float32 numpy arrays (Plotly serialises them as base64 typed arrays); lines
with None separators are lists rounded to COORD_DECIMALS, so a frame at grid 64 with 512 points is far
below 300 kB of JSON.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import plotly.colors as pcolors
import plotly.graph_objects as go

from ganlab.viz import plain

LAYERS = ("discriminator", "d_contours", "d_star", "data_density", "fake_density", "real", "fake",
          "arrows", "manifold", "modes")
DEFAULT_LAYERS = frozenset({"discriminator", "real", "fake", "arrows", "modes", "data_density"})

ARROW_FRACTION = 0.08      # auto scale: the longest arrow is this fraction of the plot width
MANIFOLD_BINS = 5          # quantile bins of 1 / cell area used to shade the manifold mesh
COORD_DECIMALS = 5         # rounding of the coordinates of None-separated line traces

REAL_COLOUR = "#1b7837"    # green: "real" end of the PiYG scale
FAKE_COLOUR = "#762a83"    # purple: "fake" end of the PiYG scale
EMA_COLOUR = "#c2a5cf"
ARROW_COLOUR = "#40004b"
MESH_COLOUR = "rgba(40, 40, 40, 0.55)"
# low D (fake) purple/pink, high D (real) green; spelled out because the unvalidated constructors do not
# translate plotly.py's scale names (plotly.js alone does not know "PiYG")
D_SCALE = [[i / 10, colour] for i, colour in enumerate(pcolors.diverging.PiYG)]
PROB_LEVELS = (0.1, 0.9, 0.2)   # start, end, size of the probability / D* contour levels


# --------------------------------------------------------------------------------------------- helpers

def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def _rounded(values: Iterable) -> list:
    """A list of floats rounded to COORD_DECIMALS (short JSON, no float noise); None and NaN become None,
    a gap in a plotly line."""
    return [None if v is None or v != v else round(float(v), COORD_DECIMALS) for v in values]


def manifold_cell_areas(manifold) -> np.ndarray:
    """Areas of the quadrilateral cells of G's deformed latent mesh (shoelace formula).

    Args:
        manifold: (R, M, 2) image of a latent grid under G.

    Returns:
        (R - 1, M - 1) unsigned cell areas; cell (i, j) has corners manifold[i, j], [i, j+1], [i+1, j+1],
        [i+1, j] (in that order around the cell). Empty when R < 2 or M < 2.
    """
    m = np.asarray(manifold, dtype=np.float64)
    if m.ndim != 3 or m.shape[2] != 2:
        raise ValueError(f"manifold must have shape (R, M, 2); got {m.shape}")
    if m.shape[0] < 2 or m.shape[1] < 2:
        return np.zeros((max(m.shape[0] - 1, 0), max(m.shape[1] - 1, 0)))
    corners = (m[:-1, :-1], m[:-1, 1:], m[1:, 1:], m[1:, :-1])
    twice = np.zeros(m[:-1, :-1, 0].shape)
    for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
        twice += a[..., 0] * b[..., 1] - b[..., 0] * a[..., 1]
    return np.abs(twice) / 2.0


def density_bins(areas, n_bins: int = MANIFOLD_BINS) -> np.ndarray:
    """Quantile bin (0 = sparsest ... n_bins - 1 = densest) of each cell's density 1 / area.

    Cells of zero area (or non-finite area) count as infinitely dense and land in the densest bin.

    Returns:
        int array of the shape of `areas`.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1; got {n_bins}")
    areas = np.asarray(areas, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = np.where((areas > 0) & np.isfinite(areas), 1.0 / areas, np.inf)
    finite = dens[np.isfinite(dens)]
    if finite.size == 0:
        return np.full(areas.shape, n_bins - 1, dtype=int)
    inner = np.quantile(finite, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.searchsorted(inner, dens, side="right").astype(int).clip(0, n_bins - 1)


def auto_arrow_scale(fake_grad, bounds, fraction: float = ARROW_FRACTION) -> float:
    """The scale that makes the longest arrow (-fake_grad * scale) `fraction` of the plot width.

    Freeze the value this returns and pass it as `arrow_scale` to compare frames: one scale for a whole
    frame (and across frames), never per-arrow normalisation, so vanishing gradients give tiny arrows.
    Returns 1.0 when every gradient is zero or non-finite.
    """
    g = np.asarray(fake_grad, dtype=np.float64).reshape(-1, 2)
    lengths = np.hypot(g[:, 0], g[:, 1])
    lengths = lengths[np.isfinite(lengths)]
    longest = float(lengths.max()) if lengths.size else 0.0
    if longest <= 0.0:
        return 1.0
    width = float(bounds[1]) - float(bounds[0])
    return fraction * width / longest


def arrow_tips(fake, fake_grad, scale: float) -> np.ndarray:
    """Where each arrow ends: x - scale * grad, the way G pushes the fake sample x (exact, no rounding).

    Returns:
        (n, 2) float64 tips for (n, 2) fake samples and their gradients.
    """
    x = np.asarray(fake, dtype=np.float64).reshape(-1, 2)
    g = np.asarray(fake_grad, dtype=np.float64).reshape(-1, 2)
    if x.shape != g.shape:
        raise ValueError(f"fake {x.shape} and fake_grad {g.shape} must have the same shape")
    return x - scale * g


def _mesh_lines(manifold: np.ndarray) -> tuple[list, list]:
    """Rows and columns of the mesh as one None-separated polyline."""
    xs: list = []
    ys: list = []
    lines = [manifold[i] for i in range(manifold.shape[0])]
    if manifold.shape[0] > 1:
        lines += [manifold[:, j] for j in range(manifold.shape[1])]
    for line in lines:
        xs.extend(line[:, 0].tolist())
        ys.extend(line[:, 1].tolist())
        xs.append(None)
        ys.append(None)
    return xs, ys


def _cell_polygons(manifold: np.ndarray, mask: np.ndarray) -> tuple[list, list]:
    """The cells where mask is true as closed polygons separated by None."""
    xs: list = []
    ys: list = []
    for i, j in zip(*np.nonzero(mask), strict=True):
        quad = (manifold[i, j], manifold[i, j + 1], manifold[i + 1, j + 1], manifold[i + 1, j], manifold[i, j])
        xs.extend(float(p[0]) for p in quad)
        ys.extend(float(p[1]) for p in quad)
        xs.append(None)
        ys.append(None)
    return xs, ys


def _fraction_levels(dens: np.ndarray, fractions=(0.1, 0.5, 0.9)) -> dict:
    top = float(np.nanmax(dens)) if np.isfinite(dens).any() else 0.0
    if top <= 0.0:
        top = 1.0
    step = (fractions[-1] - fractions[0]) / (len(fractions) - 1)
    return {"start": fractions[0] * top, "end": fractions[-1] * top, "size": step * top}


def _line_contour(x, y, z, *, name: str, group: str, colour: str, levels: dict, dash: str = "solid",
                  width: float = 1.2, labels: bool = False, showlegend: bool = True) -> dict:
    return plain.Contour(
        x=_f32(x), y=_f32(y), z=_f32(z), name=name, legendgroup=group, showlegend=showlegend,
        showscale=False, autocontour=False, contours=dict(coloring="none", showlabels=labels, **levels),
        line=dict(color=colour, width=width, dash=dash), hoverinfo="skip")


# ------------------------------------------------------------------------------------------------ layers

def _discriminator_layer(snap: dict) -> list:
    gx, gy = _f32(snap["grid_x"]), _f32(snap["grid_y"])
    if snap.get("d_prob") is not None:
        z = _f32(snap["d_prob"])
        return [plain.Heatmap(
            x=gx, y=gy, z=z, zmin=0.0, zmax=1.0, colorscale=D_SCALE, opacity=0.8, name="D(x) = P(real)",
            legendgroup="discriminator", showlegend=True, zsmooth="fast",
            colorbar=dict(title=dict(text="D(x) = P(real)", side="right"), thickness=12, len=0.75),
            hovertemplate="x=%{x:.2f}, y=%{y:.2f}<br>D(x)=%{z:.3f}<extra></extra>")]
    z = _f32(snap["d_score"])
    finite = np.abs(z[np.isfinite(z)])
    bound = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    return [plain.Heatmap(
        x=gx, y=gy, z=z, zmin=-bound, zmax=bound, zmid=0.0, colorscale=D_SCALE, opacity=0.8,
        name="critic value f(x)", legendgroup="discriminator", showlegend=True, zsmooth="fast",
        colorbar=dict(title=dict(text="critic value f(x)", side="right"), thickness=12, len=0.75),
        hovertemplate="x=%{x:.2f}, y=%{y:.2f}<br>f(x)=%{z:.3g}<extra></extra>")]


def _d_contour_layer(snap: dict) -> list:
    gx, gy = snap["grid_x"], snap["grid_y"]
    if snap.get("d_prob") is not None:
        z = snap["d_prob"]
        boundary, levels, label = 0.5, dict(zip(("start", "end", "size"), PROB_LEVELS, strict=True)), "D = 0.5"
    else:
        z = np.asarray(snap["d_score"], dtype=np.float64)
        finite = np.abs(z[np.isfinite(z)])
        s = (float(finite.max()) if finite.size and finite.max() > 0 else 1.0) / 3.0
        boundary, levels, label = 0.0, {"start": -2 * s, "end": 2 * s, "size": s}, "f = 0"
    return [
        _line_contour(gx, gy, z, name="D contours", group="d_contours", colour="rgba(30, 30, 30, 0.6)",
                      levels=levels, width=0.8, labels=True),
        _line_contour(gx, gy, z, name=f"{label} (decision boundary)", group="d_contours", colour="#111111",
                      levels={"start": boundary, "end": boundary, "size": 1.0}, width=2.2, showlegend=False),
    ]


def _manifold_layer(manifold: np.ndarray) -> list:
    traces = []
    rows, cols = manifold.shape[:2]
    if rows >= 2 and cols >= 2:
        bins = density_bins(manifold_cell_areas(manifold), MANIFOLD_BINS)
        for b in range(MANIFOLD_BINS):
            xs, ys = _cell_polygons(manifold, bins == b)
            alpha = 0.06 + 0.34 * b / max(MANIFOLD_BINS - 1, 1)
            traces.append(plain.Scatter(
                x=_rounded(xs), y=_rounded(ys), mode="lines", fill="toself", line=dict(width=0),
                fillcolor=f"rgba(30, 30, 30, {alpha:.3f})", name=f"manifold density bin {b + 1}/{MANIFOLD_BINS}",
                legendgroup="manifold", showlegend=False, hoverinfo="skip"))
    xs, ys = _mesh_lines(manifold)
    name = "G manifold (mesh, darker = denser)" if rows >= 2 else "G manifold (curve)"
    traces.append(plain.Scatter(x=_rounded(xs), y=_rounded(ys), mode="lines", name=name, legendgroup="manifold",
                             line=dict(color=MESH_COLOUR, width=1), hoverinfo="skip"))
    return traces


def arrow_path_points(fake, tips, width: float) -> np.ndarray:
    """Each arrow as one polyline: tail, tip, left barb, tip, right barb, then a NaN separator.

    One subpath per arrow (not three: shaft and two barbs) makes plotly.js draw the arrow layer about
    three times faster; all arrows still share one SVG path. Arrows shorter than 1e-3 of the plot width
    get no head (their barbs sit on the tip).

    Args:
        fake: (n, 2) tails; tips: (n, 2) heads (see arrow_tips); width: the plot's data width.

    Returns:
        (6n, 2) points.
    """
    fake = np.asarray(fake, dtype=np.float64).reshape(-1, 2)
    tips = np.asarray(tips, dtype=np.float64).reshape(-1, 2)
    if fake.shape != tips.shape:
        raise ValueError(f"fake {fake.shape} and tips {tips.shape} must have the same shape")
    d = tips - fake
    length = np.hypot(d[:, 0], d[:, 1])
    headed = np.isfinite(length) & (length > 1e-3 * width)
    back = np.zeros_like(d)
    back[headed] = -d[headed] / length[headed, None]
    head = np.minimum(0.35 * np.where(headed, length, 0.0), 0.025 * width)[:, None]  # 0: no head
    barbs = []
    for sign in (1.0, -1.0):
        c, s = np.cos(np.radians(25.0)), sign * np.sin(np.radians(25.0))
        barbs.append(tips + head * np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]],
                                            axis=1))
    gap = np.full_like(fake, np.nan)
    return np.stack([fake, tips, barbs[0], tips, barbs[1], gap], axis=1).reshape(-1, 2)


def arrow_paths(fake, tips, width: float) -> tuple[list, list]:
    """arrow_path_points as two lists (xs, ys) rounded to COORD_DECIMALS, None for the gaps."""
    path = arrow_path_points(fake, tips, width)
    return _rounded(path[:, 0].tolist()), _rounded(path[:, 1].tolist())


def _arrow_layer(fake: np.ndarray, grad: np.ndarray, scale: float, width: float, auto: bool) -> list:
    label = "auto" if auto else "frozen"
    name = f"G's push -grad (scaled ×{scale:.3g}, {label})"
    # float32 with NaN gaps: sent as base64 (ganlab.viz.spec), a gap in plotly.js's line as None would be
    path = _f32(arrow_path_points(fake, arrow_tips(fake, grad, scale), width))
    return [plain.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name=name, legendgroup="arrows",
                         line=dict(color=ARROW_COLOUR, width=1.1), hoverinfo="skip")]


def mode_legend(k: int, total: int, n_points: int | None = None, step: int | None = None) -> tuple[str, str]:
    """Legend names of the covered and missed mode markers, saying exactly what they count: the modes
    hit (nearest centre of a high-quality point) by the `n_points` fake points drawn at `step`, not the
    periodic evaluation's mean over draws of 2,500 samples that the metrics chart shows."""
    points = f"the {n_points:,} points shown" if n_points is not None else "the points shown"
    at = f" (step {step})" if step is not None else ""
    return f"modes hit by {points}{at}: {k}/{total}", f"modes missed by them: {total - k}/{total}"


def _mode_layer(centers: np.ndarray, covered, n_points: int | None = None, step: int | None = None) -> list:
    centers = np.asarray(centers, dtype=np.float64).reshape(-1, 2)
    if covered is None:
        return [plain.Scatter(x=_f32(centers[:, 0]), y=_f32(centers[:, 1]), mode="markers", name="mode centres",
                           legendgroup="modes", marker=dict(symbol="x-thin-open", size=10,
                                                            line=dict(color="#333333", width=2)),
                           hovertemplate="mode (%{x:.2f}, %{y:.2f})<extra></extra>")]
    covered = np.asarray(covered, dtype=bool).reshape(-1)
    if covered.shape[0] != centers.shape[0]:
        raise ValueError(f"covered has {covered.shape[0]} entries but there are {centers.shape[0]} centres")
    k, total = int(covered.sum()), len(centers)
    # every centre in both traces, NaN (not drawn) where it is in the other one: the traces keep their
    # length as modes are won and lost, so a live frame can move them in place (live_plot's fast_frames.js)
    hit, miss = np.where(covered[:, None], centers, np.nan), np.where(covered[:, None], np.nan, centers)
    hit_name, miss_name = mode_legend(k, total, n_points, step)
    shown = f"the {n_points:,} points shown" if n_points is not None else "the points shown"
    return [
        plain.Scatter(x=_f32(hit[:, 0]), y=_f32(hit[:, 1]), mode="markers", name=hit_name,
                   legendgroup="modes", marker=dict(symbol="circle", size=11, color="#1a1a1a",
                                                    line=dict(color="white", width=1.5)),
                   hovertemplate=f"mode (%{{x:.2f}}, %{{y:.2f}}) hit by {shown}<extra></extra>"),
        plain.Scatter(x=_f32(miss[:, 0]), y=_f32(miss[:, 1]), mode="markers",
                   name=miss_name, legendgroup="modes",
                   marker=dict(symbol="circle-open", size=12, color="#d7191c", line=dict(width=2.5)),
                   hovertemplate=f"mode (%{{x:.2f}}, %{{y:.2f}}) missed by {shown}<extra></extra>"),
    ]


# -------------------------------------------------------------------------------------------- the figure

def plane_figure(snap: dict, **arguments) -> go.Figure:
    """The 2-D plane of a toy run as a plotly.py Figure: plane_plain(snap, **arguments) (its arguments and
    traces), for the pages and the exports."""
    return plane_plain(snap, **arguments).figure()


def plane_plain(snap: dict, *, layers: Iterable[str] = DEFAULT_LAYERS, data_density=None, d_star=None,
                fake_density=None, centers=None, covered=None, arrow_scale: float | None = None,
                uirevision: str = "plane", title: str | None = None) -> plain.PlainFigure:
    """The 2-D plane of a toy run: one trace group per layer, axes fixed to the data bounds, as plain dicts
    (ganlab.viz.plain: what a live frame sends, at a tenth of a plotly.py Figure's cost).

    Args:
        snap: a take_snapshot(Trainer) dict (see ganlab.train).
        layers: keys of LAYERS to draw (default DEFAULT_LAYERS). Layers whose input is missing
            (data_density, d_star, fake_density, modes without centers) are skipped.
        data_density: (xs, ys, dens) exact p_data on a grid, dens[i, j] at (xs[j], ys[i]).
        d_star: ganlab.theory.optimal_discriminator_grid output ({"grid_x", "grid_y", "d_star", ...}).
        fake_density: (xs, ys, dens) a density estimate of p_g.
        centers: (k, 2) mode centres; covered: (k,) bool (None: unknown, neutral markers): the modes
            hit by snap["fake"]; the legend says "modes hit by the N points shown (step S): k/K".
        arrow_scale: arrows are x -> x - arrow_scale * fake_grad; None: auto_arrow_scale for this frame.
        uirevision: kept in the layout so zoom / legend state survive frame updates.
        title: figure title (default: the step and update counts).

    Returns:
        A PlainFigure (its trace dicts in `_data`). Traces carry legendgroup == their layer key, except the EMA
        generator's samples (drawn with the "fake" layer when the snapshot has fake_ema): group "fake_ema",
        legend-only.
    """
    layers = frozenset(layers)
    unknown = layers - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown layer(s) {sorted(unknown)}; valid: {', '.join(LAYERS)}")
    bounds = tuple(float(b) for b in snap["bounds"])
    xmin, xmax, _, _ = bounds
    traces: list = []
    if "discriminator" in layers:
        traces += _discriminator_layer(snap)
    if "d_contours" in layers:
        traces += _d_contour_layer(snap)
    traces += _density_layers(layers, data_density, fake_density, d_star)
    if "manifold" in layers:
        traces += _manifold_layer(np.asarray(snap["manifold"], dtype=np.float64))
    traces += _sample_layers(snap, layers)
    if "arrows" in layers:
        auto = arrow_scale is None
        scale = auto_arrow_scale(snap["fake_grad"], bounds) if auto else float(arrow_scale)
        traces += _arrow_layer(snap["fake"], snap["fake_grad"], scale, xmax - xmin, auto)
    if "modes" in layers and centers is not None:
        traces += _mode_layer(centers, covered, n_points=len(snap["fake"]), step=int(snap["step"]))
    if title is None:
        title = f"step {int(snap['step'])}  ·  D updates {int(snap['d_updates'])}  ·  " \
                f"G updates {int(snap['g_updates'])}"
    # an empty template spares plotly.py a deep copy of its default one when figure() builds a Figure (the
    # live plot's spec drops it, ganlab.viz.spec, and the HTML export replaces it)
    return plain.PlainFigure(traces, {**_plane_layout(title, uirevision, bounds), "template": {}})


def _density_layers(layers: frozenset, data_density, fake_density, d_star) -> list:
    """The line contours of p_data, the p_g estimate and D*, those asked for and given, in that order."""
    traces: list = []
    if "data_density" in layers and data_density is not None:
        xs, ys, dens = data_density
        traces.append(_line_contour(xs, ys, dens, name="p_data (exact)", group="data_density",
                                    colour=REAL_COLOUR, levels=_fraction_levels(np.asarray(dens)), width=1.2))
    if "fake_density" in layers and fake_density is not None:
        xs, ys, dens = fake_density
        traces.append(_line_contour(xs, ys, dens, name="p_g (estimate)", group="fake_density",
                                    colour=FAKE_COLOUR, levels=_fraction_levels(np.asarray(dens)), dash="dot",
                                    width=1.2))
    if "d_star" in layers and d_star is not None:
        traces.append(_line_contour(d_star["grid_x"], d_star["grid_y"], d_star["d_star"],
                                    name="D* = p_data / (p_data + p_g)", group="d_star", colour="#000000",
                                    levels=dict(zip(("start", "end", "size"), PROB_LEVELS, strict=True)),
                                    dash="dash", width=1.4, labels=True))
    return traces


def _sample_layers(snap: dict, layers: frozenset) -> list:
    """The real and fake sample markers (with the EMA generator's samples, legend-only, beside the fakes)."""
    traces: list = []
    if "real" in layers:
        real = _f32(snap["real"])
        traces.append(plain.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real samples",
                                 legendgroup="real", marker=dict(color=REAL_COLOUR, size=4, opacity=0.8),
                                 hoverinfo="skip"))
    if "fake" in layers:
        fake = _f32(snap["fake"])
        traces.append(plain.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="fake samples G(z)",
                                 legendgroup="fake", marker=dict(color=FAKE_COLOUR, size=4, opacity=0.85,
                                                                 symbol="diamond"), hoverinfo="skip"))
        if snap.get("fake_ema") is not None:
            ema = _f32(snap["fake_ema"])
            traces.append(plain.Scatter(x=ema[:, 0], y=ema[:, 1], mode="markers", name="fake samples (EMA G)",
                                     legendgroup="fake_ema", visible="legendonly", hoverinfo="skip",
                                     marker=dict(color=EMA_COLOUR, size=4, symbol="diamond-open")))
    return traces


def _plane_layout(title: str, uirevision: str, bounds: tuple[float, ...]) -> dict:
    """The plane's layout: title, legend below, both axes fixed to the data bounds at one scale."""
    xmin, xmax, ymin, ymax = bounds
    return dict(
        title=dict(text=title, x=0.01, font=dict(size=14)), uirevision=uirevision,
        margin=dict(l=40, r=10, t=40, b=30), height=560,
        legend=dict(orientation="h", yanchor="top", y=-0.06, x=0.0, font=dict(size=11), groupclick="togglegroup"),
        xaxis=dict(range=[xmin, xmax], constrain="domain", showgrid=False, zeroline=False),
        yaxis=dict(range=[ymin, ymax], scaleanchor="x", scaleratio=1, constrain="domain", showgrid=False,
                   zeroline=False),
    )


def frame_size_bytes(fig: go.Figure) -> int:
    """Bytes of fig.to_json(): what one live frame costs to send to the browser."""
    return len(fig.to_json().encode())


__all__ = ["LAYERS", "DEFAULT_LAYERS", "ARROW_FRACTION", "plane_figure", "plane_plain", "auto_arrow_scale",
           "arrow_tips",
           "mode_legend",
           "arrow_paths", "arrow_path_points",
           "manifold_cell_areas", "density_bins", "frame_size_bytes"]
