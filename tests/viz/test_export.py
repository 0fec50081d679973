import csv
import io
import math
import re

import numpy as np
import pytest
import torch

from ganlab.config import RunConfig
from ganlab.toy_snapshot import take_snapshot
from ganlab.train import Trainer
from ganlab.viz.export import animation_figure, animation_html, metrics_csv


@pytest.fixture(scope="module")
def snaps():
    before = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny MLPs: one thread is fastest and immune to a busy machine
    try:
        t = Trainer(RunConfig(device="cpu", batch_size=64, eval_every=0))
        out = []
        for _ in range(4):
            t.step(5)
            out.append(take_snapshot(t, n_samples=64, grid_size=16, manifold_size=6))
    finally:
        torch.set_num_threads(before)
    return out


def test_animation_figure_frames_and_slider(snaps):
    fig = animation_figure(snaps, layers=frozenset({"discriminator", "real", "fake", "arrows", "manifold"}))
    assert len(fig.frames) == len(snaps)
    labels = [step.label for step in fig.layout.sliders[0].steps]
    assert labels == [str(s["step"]) for s in snaps] == ["5", "10", "15", "20"]
    assert [step.args[0][0] for step in fig.layout.sliders[0].steps] == [f.name for f in fig.frames]
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["Play", "Pause"]
    for frame, snap in zip(fig.frames, snaps, strict=True):
        assert len(frame.data) == len(fig.data)
        assert [t.type for t in frame.data] == [t.type for t in fig.data]
        np.testing.assert_array_equal(frame.data[0].z, snap["d_prob"].astype(np.float32))
        assert f"step {snap['step']}" in frame.layout.title.text
    # one arrow scale for the whole animation: the longest arrow of all frames is 8 % of the width
    arrow_names = {[t for t in f.data if t.legendgroup == "arrows"][0].name for f in fig.frames}
    assert len(arrow_names) == 1
    grads = np.concatenate([s["fake_grad"] for s in snaps])
    width = snaps[0]["bounds"][1] - snaps[0]["bounds"][0]
    scale = 0.08 * width / np.hypot(grads[:, 0], grads[:, 1]).max()
    assert f"×{scale:.3g}" in arrow_names.pop()
    # the base view is the first snapshot
    np.testing.assert_array_equal(fig.data[0].z, snaps[0]["d_prob"].astype(np.float32))


def test_frames_keep_trace_order_when_a_trace_is_missing(snaps):
    with_ema = dict(snaps[1], fake_ema=snaps[1]["fake"] + 0.1)
    fig = animation_figure([snaps[0], with_ema, snaps[2]], layers={"fake"})
    # template from the first snapshot: one fake trace; EMA trace of the second frame is dropped
    assert all(len(f.data) == len(fig.data) == 1 for f in fig.frames)
    fig2 = animation_figure([with_ema, snaps[2]], layers={"fake"})
    assert len(fig2.frames[1].data) == 2 and fig2.frames[1].data[1].visible is False


def test_animation_html_is_self_contained(snaps):
    html = animation_html(snaps, arrow_scale=0.05)
    assert html.lstrip().lower().startswith("<html") or "<!doctype html" in html[:200].lower()
    assert not re.search(r"<script[^>]*src=[\"']https?://", html)
    assert "plotly.js v" in html or "plotly.js" in html   # the library itself is inline
    assert len(html) > 1_000_000                           # plotly.js is several MB when inline
    assert html.count('"name":"frame ') >= len(snaps)
    assert "Play" in html and "Pause" in html


def test_animation_needs_snapshots():
    with pytest.raises(ValueError, match="at least one snapshot"):
        animation_html([])


def test_metrics_csv_round_trip():
    cols = {"w1": np.array([0.5, np.nan, 0.1234567890123]), "step": np.array([100, 200, 300]),
            "modes_covered": np.array([3.0, 5.0, 8.0])}
    text = metrics_csv(cols)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["step", "w1", "modes_covered"]
    assert len(rows) == 4
    assert [int(r[0]) for r in rows[1:]] == [100, 200, 300]
    w1 = [float(r[1]) if r[1] else math.nan for r in rows[1:]]
    np.testing.assert_array_equal(w1, cols["w1"])                 # exact, NaN as empty field
    assert [float(r[2]) for r in rows[1:]] == [3.0, 5.0, 8.0]
    assert rows[2][1] == ""


def test_metrics_csv_rejects_ragged_columns():
    with pytest.raises(ValueError, match="same length"):
        metrics_csv({"step": np.arange(3), "w1": np.zeros(2)})
    assert metrics_csv({"step": np.arange(0)}) == "step\n"
