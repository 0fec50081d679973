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
from ganlab.viz.toy_plane import LAYERS, plane_figure


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
