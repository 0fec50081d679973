"""The GAN, VAE and flow page's figures: each family's panel has its layers on the same axes, and the KL chart
has 3 models x 2 directions with the values of the histories."""

import math

import numpy as np
import pytest

from ganlab.config import RunConfig, with_overrides
from ganlab.likelihood import make_trainer
from ganlab.likelihood.snapshot import take_likelihood_snapshot
from ganlab.toy_snapshot import take_snapshot
from ganlab.viz.families import (
    GAP_PX,
    KL_FLOOR,
    LOG_DENSITY_SPAN,
    PLANE_PX,
    PLANE_X,
    STRIP_PX,
    kl_ceiling,
    kl_chart,
    latent_title,
    panel_figure,
    plotted_kl,
    point_angles,
    shown_log_density,
    warp_lines,
)
from tests.torch_threads import one_torch_thread  # noqa: F401 - autouse: one torch thread


@pytest.fixture(scope="module")
def snaps() -> dict:
    out = {}
    for model in ("gan", "vae", "flow"):
        config = with_overrides(RunConfig(device="cpu", eval_every=0), {"model": model, "flow.depth": "2"})
        trainer = make_trainer(config)
        out[model] = (take_snapshot(trainer, n_samples=30, grid_size=10, histories=False) if model == "gan"
                      else take_likelihood_snapshot(trainer, n_samples=30, grid_size=10))
    dataset = make_trainer(with_overrides(RunConfig(device="cpu"), {"model": "flow"})).dataset
    out["data"] = dataset.density_grid(12)
    return out


def groups(fig) -> list[str]:
    return [trace.legendgroup for trace in fig.data]


def test_the_gan_panel_has_d_the_kde_of_p_g_p_data_and_the_samples(snaps):
    snap = snaps["gan"]
    kde = (np.linspace(-1.5, 1.5, 8), np.linspace(-1.5, 1.5, 8), np.ones((8, 8)))
    fig = panel_figure("gan", snap, data_density=snaps["data"], fake_density=kde)
    assert groups(fig) == ["discriminator", "fake_density", "data_density", "samples"]
    heat = fig.data[0]
    np.testing.assert_allclose(heat.z, snap["d_prob"], rtol=1e-6)
    assert (heat.zmin, heat.zmax, heat.colorbar.title.text) == (0.0, 1.0, "D(x) = P(real)")
    np.testing.assert_allclose(fig.data[3].x, snap["fake"][:, 0], rtol=1e-6)
    assert fig.data[1].line.dash == "dot" and fig.layout.title.text == "GAN · step 0"
    assert groups(panel_figure("gan", snap)) == ["discriminator", "samples"]  # without the overlays


def test_the_vae_panel_has_its_density_the_coloured_data_and_the_posterior_means_below(snaps):
    snap = snaps["vae"]
    fig = panel_figure("vae", snap, data_density=snaps["data"])
    assert groups(fig) == ["density", "data_density", "real", "samples", "latent"]
    density, _, real, samples, latent = fig.data
    top = float(np.max(snap["log_density"]))
    assert (density.zmax, density.zmin) == pytest.approx((top, top - LOG_DENSITY_SPAN))
    assert float(np.min(density.z)) >= top - LOG_DENSITY_SPAN - 1e-4
    np.testing.assert_allclose(samples.x, snap["samples"][:, 0], rtol=1e-6)
    assert (latent.xaxis, latent.yaxis) == ("x2", "y2")
    np.testing.assert_allclose(latent.x, snap["latent_means"][:, 0], rtol=1e-6)
    np.testing.assert_allclose(latent.marker.color, real.marker.color)  # the same colour per point
    assert fig.layout.annotations[0].text == "encoder: E[z|x] of 30 data points, (z1, z2)"
    plane, strip = fig.layout.yaxis.domain, fig.layout.yaxis2.domain
    assert strip[1] < plane[0] and plane[1] == 1.0  # the strip is below the plane, not over it


def test_the_flow_panel_has_its_density_and_the_warped_latent_grid(snaps):
    snap = snaps["flow"]
    fig = panel_figure("flow", snap, data_density=snaps["data"])
    assert groups(fig) == ["density", "warp", "data_density", "samples"]
    warp = fig.data[1]
    assert sum(v is None for v in warp.x) == 2 * snap["warp"].shape[1]  # one polyline per latent line
    assert warp.x[0] == pytest.approx(float(snap["warp"][0, 0, 0, 0]), abs=1e-4)


def test_the_three_panels_share_their_axes(snaps):
    figs = [panel_figure(f, snaps[f], data_density=snaps["data"]) for f in ("gan", "vae", "flow")]
    for fig in figs:
        assert list(fig.layout.xaxis.range) == [-1.5, 1.5] and list(fig.layout.yaxis.range) == [-1.5, 1.5]
        assert tuple(fig.layout.xaxis.domain) == PLANE_X and fig.layout.yaxis.scaleanchor == "x"
        assert fig.layout.yaxis.constraintoward == "top"
    heights = [fig.layout.height - fig.layout.margin.t - fig.layout.margin.b for fig in figs]
    plane_px = [h * (1 - fig.layout.yaxis.domain[0]) for h, fig in zip(heights, figs, strict=True)]
    assert plane_px == pytest.approx([PLANE_PX] * 3)  # the same height in pixels, strip or not
    big = [panel_figure(f, snaps[f], plane_px=330) for f in ("gan", "vae", "flow")]
    sizes = [(fig.layout.height - fig.layout.margin.t - fig.layout.margin.b) * (1 - fig.layout.yaxis.domain[0])
             for fig in big]
    assert sizes == pytest.approx([330] * 3)
    assert big[1].data[0].colorbar.len == pytest.approx(0.95 * 330 / (330 + GAP_PX + STRIP_PX))
    with pytest.raises(ValueError, match="family must be one of gan, vae, flow"):
        panel_figure("pixelcnn", snaps["flow"])


def test_helpers_clip_colour_and_trace():
    shown, low, high = shown_log_density(np.array([[0.0, -3.0], [-50.0, -np.inf]]), span=10.0)
    assert (low, high) == (-10.0, 0.0) and shown.tolist() == [[0.0, -3.0], [-10.0, -10.0]]
    angles = point_angles([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], (-2, 2, -2, 2))
    assert angles.tolist() == pytest.approx([0.5, 0.75, 1.0])
    xs, ys = warp_lines(np.arange(2 * 1 * 3 * 2, dtype=float).reshape(2, 1, 3, 2))
    assert xs == [0.0, 2.0, 4.0, None, 6.0, 8.0, 10.0, None] and ys[:3] == [1.0, 3.0, 5.0]
    assert latent_title(1, 5).endswith("(z is 1-D: height is jitter)")
    assert latent_title(4, 5) == "encoder: E[z|x] of 5 data points, first 2 of 4 coordinates"


def test_plotted_kl_draws_infinity_at_the_ceiling_and_tiny_values_at_the_floor():
    values = [2.0, math.inf, -0.01, math.nan, 30.0]
    assert kl_ceiling(values, [5.0]) == 300.0 and kl_ceiling([math.inf]) == 10.0
    drawn, symbols = plotted_kl(values, 300.0)
    assert drawn[:3].tolist() == [2.0, 300.0, KL_FLOOR] and math.isnan(drawn[3]) and drawn[4] == 30.0
    assert symbols == ["circle", "triangle-up", "triangle-down", "circle", "circle"]


def history(forward, reverse, steps=(250, 500, 750)) -> dict:
    n = len(steps)
    return {"step": np.array(steps), "forward_kl": np.array(forward), "forward_kl_se": np.full(n, 0.1),
            "reverse_kl": np.array(reverse), "reverse_kl_se": np.full(n, 0.2)}


def test_the_kl_chart_has_three_models_by_two_directions_with_the_histories_values():
    series = {"gan": history([math.inf, 3.0, 2.0], [9.0, 5.0, 4.0]),
              "vae": history([4.0, 3.5, 3.2], [40.0, 30.0, 25.0]),
              "flow": history([3.0, 2.0, 1.5], [20.0, 12.0, 8.0])}
    fig = kl_chart(series)
    assert len(fig.data) == 6
    by_place = {(t.legendgroup, t.xaxis): t for t in fig.data}
    assert sorted(by_place) == sorted((f, x) for f in series for x in ("x", "x2"))
    for family, values in series.items():
        forward, reverse = by_place[(family, "x")], by_place[(family, "x2")]
        assert forward.yaxis == "y" and reverse.yaxis == "y2"
        np.testing.assert_array_equal(forward.x, [250, 500, 750])
        np.testing.assert_allclose(reverse.y, values["reverse_kl"])
        np.testing.assert_allclose(reverse.error_y.array, [0.2] * 3)
        assert forward.showlegend and not reverse.showlegend and forward.name == reverse.name
    np.testing.assert_allclose(by_place[("vae", "x")].y, [4.0, 3.5, 3.2])
    np.testing.assert_allclose(by_place[("gan", "x")].y, [40.0, 3.0, 2.0])  # +inf at 10x the largest finite
    assert by_place[("gan", "x")].customdata[0] == "+∞" and by_place[("vae", "x")].customdata[0] == "4 ± 0.1"
    assert [s.y0 for s in fig.layout.shapes] == [40.0]  # the "+∞" line, on the forward axis only
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert fig.layout.yaxis.title.text == "nats (log scale)"
    assert [a.text for a in fig.layout.annotations][:2] == ["forward KL(p_data ‖ p_model): mode covering",
                                                           "reverse KL(p_model ‖ p_data): mode seeking"]
