"""figure_spec: the fast route (the figure's own dicts) gives the JSON plotly.py's public route gives."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from ganlab.config import RunConfig
from ganlab.toy_snapshot import take_snapshot
from ganlab.train import Trainer
from ganlab.viz.spec import figure_spec, figure_spec_public, typed_array
from ganlab.viz.toy_plane import LAYERS, plane_figure, plane_plain


@pytest.fixture(scope="module")
def snapshot():
    trainer = Trainer(RunConfig(device="cpu", batch_size=64, ema=0.99, eval_every=0))
    trainer.step(40)
    return take_snapshot(trainer, n_samples=128, grid_size=32)


@pytest.mark.parametrize("layers", [frozenset(LAYERS), frozenset({"discriminator", "real", "fake", "arrows"}),
                                    frozenset()])
def test_the_plane_spec_is_byte_for_byte_plotlys_own(snapshot, layers):
    fig = plane_figure(snapshot, layers=layers, uirevision="plane")
    assert figure_spec(fig) == figure_spec_public(fig)


def overlay_arguments(snapshot) -> dict:
    """Every optional input of the plane: densities on a grid, D*, mode centres with some hit, a fixed arrow
    scale and a title."""
    xs, ys = np.linspace(-2, 2, 9), np.linspace(-2, 2, 7)
    dens = np.exp(-(xs[None, :] ** 2 + ys[:, None] ** 2))
    centers = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    return {"data_density": (xs, ys, dens), "fake_density": (xs, ys, 0.5 * dens),
            "d_star": {"grid_x": xs, "grid_y": ys, "d_star": dens / (1 + dens)}, "centers": centers,
            "covered": np.array([True, False, True]), "arrow_scale": 0.05, "title": "a <b>title</b>"}


@pytest.mark.parametrize("output", ["probability", "score"])
@pytest.mark.parametrize("layers", [frozenset(LAYERS), frozenset({"discriminator", "real", "fake", "arrows"}),
                                    frozenset({"manifold", "d_contours", "modes"}), frozenset()])
def test_the_plain_plane_gives_the_json_of_plotlys_public_route(snapshot, layers, output):
    """The live frames' route (dict traces, no plotly.py objects) against plotly.py's `to_dict` of the same
    plane as a Figure: the same data and layout, value for value."""
    snap = dict(snapshot)
    if output == "score":
        snap.pop("d_prob")  # a critic's plane: D's raw score on a symmetric scale
    for extra in ({}, overlay_arguments(snap)):
        arguments = {"layers": layers, "uirevision": "plane", **extra}
        fast = figure_spec(plane_plain(snap, **arguments))
        public = figure_spec_public(plane_figure(snap, **arguments))
        assert json.loads(fast) == json.loads(public)
        assert len(json.loads(fast)["data"]) == len(plane_figure(snap, **arguments).data)
    if "discriminator" in layers:
        heatmap = json.loads(fast)["data"][0]
        assert heatmap["type"] == "heatmap"
        bound = 0.5 if output == "probability" else float(np.abs(snap["d_score"]).max())
        centre = 0.5 if output == "probability" else 0.0
        assert (heatmap["zmin"], heatmap["zmax"]) == (pytest.approx(centre - bound), pytest.approx(centre + bound))


def test_a_validated_figure_with_int64_arrays_and_a_range_matches_too():
    fig = go.Figure(go.Scatter(x=np.arange(5), y=np.array([1.5, 2.0, np.nan, 4.0, 5.0]),
                               customdata=np.arange(10).reshape(5, 2)), layout=dict(xaxis=dict(range=[0, 4])))
    assert figure_spec(fig) == figure_spec_public(fig)
    spec = json.loads(figure_spec(fig))
    assert spec["data"][0]["x"]["dtype"] == "i1"  # narrowed, as plotly.py does
    assert "template" not in spec["layout"]


def test_typed_arrays_decode_to_the_same_values():
    values = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    spec = typed_array(values)
    assert spec["dtype"] == "f4" and spec["shape"] == "3, 4"
    decoded = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.float32).reshape(3, 4)
    assert np.array_equal(decoded, values)
    assert typed_array(np.array([2**40, 1])).dtype == np.int64  # too big for int32: left as it is
    assert typed_array(np.array([70_000, 1]))["dtype"] == "i4"
    assert typed_array(np.zeros(0)).size == 0
    assert typed_array(torch.zeros(2).numpy())["dtype"] == "f4"
