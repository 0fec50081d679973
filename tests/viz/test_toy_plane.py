import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from ganlab.config import LossConfig, RunConfig
from ganlab.metrics import covered_modes, grid_centres, kde_grid
from ganlab.theory import optimal_discriminator_grid
from ganlab.toy_snapshot import take_snapshot
from ganlab.train import Trainer
from ganlab.viz.toy_plane import (
    ARROW_FRACTION,
    DEFAULT_LAYERS,
    LAYERS,
    MANIFOLD_BINS,
    arrow_paths,
    arrow_tips,
    auto_arrow_scale,
    density_bins,
    manifold_cell_areas,
    mode_legend,
    plane_figure,
)

GRID = 64
N = 512


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny MLPs: one torch thread is fastest and immune to a busy machine; restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def trainer():
    t = Trainer(RunConfig(device="cpu", batch_size=64))
    t.step(20)
    return t


@pytest.fixture(scope="module")
def snap(trainer):
    return take_snapshot(trainer, n_samples=N, grid_size=GRID, manifold_size=16)


@pytest.fixture(scope="module")
def extras(trainer, snap):
    ds = trainer.dataset
    dens, _ = kde_grid(snap["fake"], ds.bounds, GRID)
    xs, ys = grid_centres(ds.bounds, GRID)
    return {
        "data_density": ds.density_grid(GRID),
        "d_star": optimal_discriminator_grid(ds.log_density, snap["fake"], ds.bounds, size=GRID),
        "fake_density": (xs, ys, dens),
        "centers": ds.centers,
        "covered": covered_modes(snap["fake"], ds.centers, ds.std),
    }


@pytest.fixture(scope="module")
def critic_snap():
    t = Trainer(RunConfig(device="cpu", batch_size=64, loss=LossConfig(name="wgan-gp")))
    t.step(10)
    return take_snapshot(t, n_samples=64, grid_size=24, manifold_size=6)


def groups(fig):
    return {tr.legendgroup for tr in fig.data}


def by_group(fig, group):
    return [tr for tr in fig.data if tr.legendgroup == group]


# ------------------------------------------------------------------------------------------- helpers

def test_cell_areas_of_scaled_unit_grid():
    ii, jj = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")   # 4 rows x 5 columns
    mesh = np.stack([jj, ii], axis=-1) * 2.0                               # unit squares scaled by 2
    areas = manifold_cell_areas(mesh)
    assert areas.shape == (3, 4)
    np.testing.assert_allclose(areas, 4.0)
    # orientation does not matter (a mirrored mesh has negative signed areas)
    np.testing.assert_allclose(manifold_cell_areas(mesh[:, ::-1]), 4.0)


def test_cell_areas_of_sheared_mesh():
    # parallelogram cells spanned by (1, 0) and (0.5, 2): area 2
    ii, jj = np.meshgrid(np.arange(3.0), np.arange(3.0), indexing="ij")
    mesh = np.stack([jj + 0.5 * ii, 2.0 * ii], axis=-1)
    np.testing.assert_allclose(manifold_cell_areas(mesh), 2.0)


def test_cell_areas_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\(R, M, 2\)"):
        manifold_cell_areas(np.zeros((3, 3)))


def test_tiny_cell_lands_in_darkest_bin_and_its_own_trace():
    ii, jj = np.meshgrid(np.arange(6.0), np.arange(6.0), indexing="ij")
    mesh = np.stack([jj, ii], axis=-1)
    mesh[2, 2] = mesh[3, 3] - 0.01          # collapse cell (2, 2) to a sliver
    areas = manifold_cell_areas(mesh)
    smallest = np.unravel_index(np.argmin(areas), areas.shape)
    assert smallest == (2, 2)
    bins = density_bins(areas, MANIFOLD_BINS)
    assert bins[smallest] == MANIFOLD_BINS - 1
    assert bins.min() == 0
    # zero-area cells are infinitely dense
    assert density_bins(np.array([[1.0, 0.0], [2.0, 3.0]]), 3)[0, 1] == 2

    snap = {"manifold": mesh}
    from ganlab.viz.toy_plane import _manifold_layer
    traces = _manifold_layer(snap["manifold"])
    fills = [t for t in traces if t.get("fill") == "toself"]  # plain trace dicts (ganlab.viz.plain)
    assert len(fills) == MANIFOLD_BINS                       # a few traces, not one per cell
    darkest = fills[-1]
    # the darkest trace has the darkest fill colour and contains the tiny cell's corner
    alphas = [float(t["fillcolor"].rsplit(",", 1)[1].rstrip(") ")) for t in fills]
    assert alphas == sorted(alphas) and alphas[-1] > alphas[0]
    xs = [x for x in darkest["x"] if x is not None]
    ys = [y for y in darkest["y"] if y is not None]
    corner = mesh[2, 2]
    assert any(abs(x - corner[0]) < 1e-9 and abs(y - corner[1]) < 1e-9 for x, y in zip(xs, ys, strict=True))
    # polygons are closed (5 points) and None-separated
    assert darkest["x"][5] is None and darkest["x"][0] == darkest["x"][4]


def test_arrow_tips_are_exact_and_paths_draw_one_polyline_per_arrow():
    rng = np.random.default_rng(0)
    fake = rng.normal(size=(7, 2))
    grad = rng.normal(size=(7, 2))
    tips = arrow_tips(fake, grad, 0.3)
    np.testing.assert_array_equal(tips, fake - 0.3 * grad)
    grad[3] = 0.0  # a zero gradient: no head, its barbs sit on the tip
    tips = arrow_tips(fake, grad, 0.3)
    xs, ys = arrow_paths(fake, tips, width=6.0)
    assert len(xs) == len(ys) == 6 * 7
    assert all(v is None for v in xs[5::6]) and all(v is None for v in ys[5::6])
    assert not any(v is None for k, v in enumerate(xs) if k % 6 != 5)
    path = np.stack([np.array([v for k, v in enumerate(c) if k % 6 != 5], float).reshape(7, 5)
                     for c in (xs, ys)], axis=-1)  # (arrow, tail / tip / barb / tip / barb, xy)
    np.testing.assert_allclose(path[:, 0], fake, atol=1e-5)
    np.testing.assert_allclose(path[:, 1], tips, atol=1e-5)
    np.testing.assert_allclose(path[:, 3], tips, atol=1e-5)
    shaft = tips - fake
    for barb in (path[:, 2], path[:, 4]):
        back = barb - tips
        length = np.hypot(back[:, 0], back[:, 1])
        headed = np.arange(7) != 3
        expected = np.minimum(0.35 * np.hypot(shaft[:, 0], shaft[:, 1]), 0.025 * 6.0)
        np.testing.assert_allclose(length[headed], expected[headed], atol=1e-4)
        cos = -(back[headed] * shaft[headed]).sum(1) / (length[headed] * np.hypot(*shaft[headed].T))
        np.testing.assert_allclose(cos, np.cos(np.radians(25.0)), atol=1e-3)  # barbs 25 degrees off the shaft
        assert length[3] == pytest.approx(0.0, abs=1e-5)  # coordinates are rounded to 5 decimals


def test_auto_scale_longest_arrow_is_eight_percent_and_frozen_scale_shrinks():
    rng = np.random.default_rng(1)
    fake = rng.uniform(-1, 1, size=(50, 2))
    grad = rng.normal(size=(50, 2)) * 3.0
    bounds = (-2.0, 4.0, -3.0, 3.0)              # width 6
    scale = auto_arrow_scale(grad, bounds)
    shafts = arrow_tips(fake, grad, scale) - fake
    lengths = np.hypot(shafts[:, 0], shafts[:, 1])
    assert ARROW_FRACTION == 0.08
    assert lengths.max() == pytest.approx(0.08 * 6.0, rel=1e-12)
    # vanishing gradients with the frozen scale: arrows 1e-6 times shorter (no per-arrow normalisation)
    shafts2 = arrow_tips(fake, grad * 1e-6, scale) - fake
    lengths2 = np.hypot(shafts2[:, 0], shafts2[:, 1])
    np.testing.assert_allclose(lengths2, lengths * 1e-6, rtol=1e-6)
    assert auto_arrow_scale(np.zeros((4, 2)), bounds) == 1.0


# -------------------------------------------------------------------------------------------- figure

def test_all_layers_traces_by_name_and_type(snap, extras):
    fig = plane_figure(snap, layers=frozenset(LAYERS), **extras)
    assert groups(fig) == set(LAYERS)
    types = {(tr.legendgroup, tr.type) for tr in fig.data}
    for expected in [("discriminator", "heatmap"), ("d_contours", "contour"), ("d_star", "contour"),
                     ("data_density", "contour"), ("fake_density", "contour"), ("real", "scatter"),
                     ("fake", "scatter"), ("arrows", "scatter"), ("manifold", "scatter"), ("modes", "scatter")]:
        assert expected in types
    names = [tr.name for tr in fig.data]
    assert "D(x) = P(real)" in names
    assert "real samples" in names and "fake samples G(z)" in names
    assert "D* = p_data / (p_data + p_g)" in names
    assert any(n.startswith("G's push -grad (scaled ×") for n in names)
    k = int(extras["covered"].sum())
    # the legend says what it counts: the N fixed-noise points drawn at this step (not the evaluation)
    assert f"modes hit by the 512 points shown (step 20): {k}/8" in names
    assert f"modes missed by them: {8 - k}/8" in names
    # D* is dashed, p_data from the exact density
    dstar = by_group(fig, "d_star")[0]
    assert dstar.line.dash == "dash"
    np.testing.assert_allclose(dstar.z, extras["d_star"]["d_star"], rtol=1e-6, atol=1e-7)
    dens = extras["data_density"][2]
    np.testing.assert_allclose(by_group(fig, "data_density")[0].z, dens, rtol=1e-6, atol=1e-6 * dens.max())
    # manifold: mesh line trace plus a few fill traces, all None-separated
    manifold = by_group(fig, "manifold")
    assert len(manifold) == MANIFOLD_BINS + 1
    mesh = [t for t in manifold if t.fill != "toself"][0]
    assert mesh.x.count(None) == 32   # 16 rows + 16 columns


def test_heatmap_is_probability(snap):
    fig = plane_figure(snap)
    (heat,) = by_group(fig, "discriminator")
    assert isinstance(heat, go.Heatmap)
    np.testing.assert_array_equal(heat.z, snap["d_prob"].astype(np.float32))
    np.testing.assert_array_equal(heat.x, snap["grid_x"].astype(np.float32))
    assert heat.zmin == 0 and heat.zmax == 1
    assert heat.colorbar.title.text == "D(x) = P(real)"


def test_heatmap_is_symmetric_critic(critic_snap):
    assert "d_prob" not in critic_snap
    fig = plane_figure(critic_snap, layers=frozenset({"discriminator", "d_contours"}))
    heat = by_group(fig, "discriminator")[0]
    np.testing.assert_array_equal(heat.z, critic_snap["d_score"].astype(np.float32))
    assert heat.zmin == pytest.approx(-heat.zmax)
    assert heat.zmax == pytest.approx(np.abs(critic_snap["d_score"]).max(), rel=1e-6)
    assert heat.colorbar.title.text == "critic value f(x)"
    boundary = by_group(fig, "d_contours")[1]
    assert boundary.contours.start == 0 and boundary.contours.end == 0


def test_probability_contours_include_one_half(snap):
    fig = plane_figure(snap, layers=frozenset({"d_contours"}))
    lines, boundary = by_group(fig, "d_contours")
    assert boundary.contours.start == 0.5 == boundary.contours.end
    levels = np.arange(lines.contours.start, lines.contours.end + 1e-9, lines.contours.size)
    assert np.isclose(levels, 0.5).any()


@pytest.mark.parametrize("layer", LAYERS)
def test_toggling_a_layer_off_removes_it(snap, extras, layer):
    on = plane_figure(snap, layers=frozenset(LAYERS), **extras)
    off = plane_figure(snap, layers=frozenset(LAYERS) - {layer}, **extras)
    assert layer in groups(on)
    assert layer not in groups(off)
    assert len(off.data) == len(on.data) - len(by_group(on, layer))


def test_unknown_layer_is_refused(snap):
    with pytest.raises(ValueError, match="unknown layer"):
        plane_figure(snap, layers={"discrimnator"})


def test_axes_uirevision_and_aspect(snap):
    fig = plane_figure(snap, uirevision="run-7")
    xmin, xmax, ymin, ymax = snap["bounds"]
    assert tuple(fig.layout.xaxis.range) == (xmin, xmax)
    assert tuple(fig.layout.yaxis.range) == (ymin, ymax)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert fig.layout.uirevision == "run-7"
    assert f"step {snap['step']}" in fig.layout.title.text


def test_arrows_in_figure_follow_frozen_scale(snap):
    fig = plane_figure(snap, layers={"arrows"}, arrow_scale=0.5)
    line = by_group(fig, "arrows")[0]
    assert "×0.5" in line.name
    n = len(snap["fake"])
    assert len(line.x) == 6 * n  # one polyline per arrow: tail, tip, barb, tip, barb, gap
    tips_x = np.array(line.x[1::6], dtype=float)
    np.testing.assert_allclose(tips_x, snap["fake"][:, 0] - 0.5 * snap["fake_grad"][:, 0], atol=1e-5)
    np.testing.assert_allclose(np.array(line.x[3::6], dtype=float), tips_x)
    auto = plane_figure(snap, layers={"arrows"})
    scale = auto_arrow_scale(snap["fake_grad"], snap["bounds"])
    assert f"×{scale:.3g}" in by_group(auto, "arrows")[0].name


def test_mode_legend_names_what_it_counts():
    assert mode_legend(3, 8, 128, 850) == ("modes hit by the 128 points shown (step 850): 3/8",
                                           "modes missed by them: 5/8")
    assert mode_legend(25, 25, 2048) == ("modes hit by the 2,048 points shown: 25/25",
                                         "modes missed by them: 0/25")


def test_modes_unknown_coverage_is_neutral(snap, extras):
    fig = plane_figure(snap, layers={"modes"}, centers=extras["centers"])
    (modes,) = by_group(fig, "modes")
    assert modes.name == "mode centres"
    np.testing.assert_allclose(modes.x, extras["centers"][:, 0], atol=1e-6)
    covered = np.zeros(8, bool)
    covered[:3] = True
    hit, miss = by_group(plane_figure(snap, layers={"modes"}, centers=extras["centers"], covered=covered),
                         "modes")
    # both traces hold every centre, NaN where it belongs to the other: the hit ones drawn black, the
    # missed ones as open circles, and a live frame keeps the traces' lengths as modes are won and lost
    centers = extras["centers"]
    assert len(hit.x) == len(miss.x) == 8
    np.testing.assert_allclose(np.asarray(hit.x)[:3], centers[:3, 0], atol=1e-6)
    np.testing.assert_allclose(np.asarray(hit.y)[:3], centers[:3, 1], atol=1e-6)
    np.testing.assert_allclose(np.asarray(miss.x)[3:], centers[3:, 0], atol=1e-6)
    assert np.isnan(np.asarray(hit.x)[3:]).all() and np.isnan(np.asarray(miss.x)[:3]).all()
    assert np.isnan(np.asarray(hit.y)[3:]).all() and np.isnan(np.asarray(miss.y)[:3]).all()
    assert miss.marker.symbol == "circle-open"


def test_one_dimensional_latent_draws_a_curve(snap):
    curve = dict(snap, manifold=np.stack([np.linspace(-1, 1, 9), np.zeros(9)], axis=-1)[None])
    traces = by_group(plane_figure(curve, layers={"manifold"}), "manifold")
    assert len(traces) == 1
    assert traces[0].x[:9] == tuple(np.round(np.linspace(-1, 1, 9), 5))
    assert traces[0].name == "G manifold (curve)"


def test_default_frame_json_is_small(snap, extras):
    fig = plane_figure(snap, **extras)
    size = len(fig.to_json().encode())
    full = len(plane_figure(snap, layers=frozenset(LAYERS), **extras).to_json().encode())
    print(f"\nplane frame JSON (grid {GRID}, {N} points): default layers {size / 1e3:.1f} kB, "
          f"all layers {full / 1e3:.1f} kB")
    assert size < 300_000
    assert full < 300_000
    # list data (None-separated lines) carries no float noise: at most 5 decimals per number
    arrows = json.dumps(json.loads(fig.to_json())["data"][[tr.legendgroup for tr in fig.data].index("arrows")])
    assert re.findall(r"\d\.\d+", arrows)
    assert not re.findall(r"\.\d{6,}", arrows)


def test_default_layers_are_layers():
    assert DEFAULT_LAYERS <= set(LAYERS)


def test_the_plane_copies_no_default_template_and_its_spec_is_plotly_pys_own(snap):
    import plotly.io as pio

    from ganlab.viz.spec import figure_spec, figure_spec_public

    assert pio.templates.default is not None  # plotly.py would deep-copy this into every frame's figure
    fig = plane_figure(snap)
    assert fig.layout.template.to_plotly_json() == {}
    assert figure_spec(fig) == figure_spec_public(fig) and "template" not in json.loads(figure_spec(fig))["layout"]
