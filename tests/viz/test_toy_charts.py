import math

import numpy as np
import pytest

from ganlab.viz.toy_charts import JSD_NOTE, d_means_chart, divergence_chart, loss_chart, metrics_chart


@pytest.fixture()
def history():
    steps = np.arange(0, 500, 10)
    return {"step": steps, "d_loss": np.cos(steps / 50.0) + 1.3, "g_loss": np.sin(steps / 40.0) + 0.7,
            "estimate": np.linspace(0.0, 0.6, len(steps))}


def test_loss_chart_data_equal_history(history):
    fig = loss_chart(history, uirevision="losses-run1")
    d, g = fig.data
    assert (d.name, g.name) == ("D loss", "G loss")
    np.testing.assert_array_equal(d.x, history["step"])
    np.testing.assert_array_equal(d.y, history["d_loss"])
    np.testing.assert_array_equal(g.x, history["step"])
    np.testing.assert_array_equal(g.y, history["g_loss"])
    assert fig.layout.uirevision == "losses-run1"
    assert loss_chart(history).layout.uirevision == "losses"


def test_loss_chart_keeps_nan_gaps(history):
    history = dict(history, d_loss=history["d_loss"].copy())
    history["d_loss"][5] = np.nan
    fig = loss_chart(history)
    assert np.isnan(fig.data[0].y[5])
    assert not fig.data[0].connectgaps


def test_loss_chart_is_deterministic(history):
    assert loss_chart(history).to_json() == loss_chart(history).to_json()


def test_loss_chart_length_mismatch_is_explained(history):
    with pytest.raises(ValueError, match="d_loss has 3 values but there are 50 steps"):
        loss_chart(dict(history, d_loss=np.zeros(3)))


def test_divergence_chart_jsd_with_reference(history):
    ref = {"step": np.array([0, 100, 200]), "value": np.array([0.69, 0.4, 0.2]), "name": "grid JSD"}
    fig = divergence_chart(history, "Jensen-Shannon", "(V + log 4) / 2", reference=ref)
    est, reference = fig.data
    np.testing.assert_array_equal(est.x, history["step"])
    np.testing.assert_array_equal(est.y, history["estimate"])
    assert "(V + log 4) / 2" in est.name
    assert reference.name == "grid JSD"
    np.testing.assert_array_equal(reference.x, ref["step"])
    np.testing.assert_array_equal(reference.y, ref["value"])
    assert "Jensen-Shannon" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == "JSD in [0, log 2]"
    assert JSD_NOTE in est.hovertemplate and "[0, log 2]" in JSD_NOTE
    assert any(shape.y0 == pytest.approx(math.log(2)) for shape in fig.layout.shapes)


def test_divergence_chart_without_reference_non_jsd(history):
    fig = divergence_chart(history, "Wasserstein-1", "E f(x) - E f(G(z))")
    assert len(fig.data) == 1
    assert fig.layout.yaxis.title.text == "Wasserstein-1"
    assert "Wasserstein-1" in fig.layout.title.text
    assert not fig.layout.shapes
    assert "log 2" not in fig.data[0].hovertemplate
    twice = divergence_chart(history, "2 x Jensen-Shannon (2 JSD, in [0, 2 log 2])", "E_P[T] - E_Q[f*(T)]")
    assert twice.layout.yaxis.title.text == "2 JSD in [0, 2 log 2]"


def test_metrics_chart_small_multiples_with_nan():
    steps = np.array([100, 200, 300, 400])
    metrics = {"step": steps, "modes_covered": np.array([2.0, 5.0, np.nan, 8.0]),
               "hq_fraction": np.array([0.1, 0.5, 0.7, 0.9]), "w1": np.array([1.0, 0.5, 0.2, 0.1]),
               "jsd": np.array([0.6, 0.3, np.nan, 0.05])}
    keys = ["modes_covered", "hq_fraction", "w1", "jsd"]
    fig = metrics_chart(metrics, keys, {"modes_covered": "modes covered", "w1": "W1"})
    assert len(fig.data) == 4
    for tr, key in zip(fig.data, keys, strict=True):
        np.testing.assert_array_equal(tr.x, steps)
        np.testing.assert_array_equal(tr.y, metrics[key])
    # distinct panels
    assert len({(tr.xaxis, tr.yaxis) for tr in fig.data}) == 4
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["modes covered", "hq_fraction", "W1", "jsd"]
    assert fig.layout.uirevision == "metrics"
    with pytest.raises(ValueError, match="unknown metric"):
        metrics_chart(metrics, ["fid"], None)
    empty = metrics_chart(metrics, [], None)
    assert len(empty.data) == 0 and empty.layout.annotations[0].text == "no metrics yet"


def test_d_means_chart():
    steps = np.array([0, 50, 100])
    real, fake = np.array([0.6, 0.7, 0.55]), np.array([0.4, 0.2, 0.45])
    fig = d_means_chart(steps, real, fake, uirevision="dm")
    assert [t.name for t in fig.data] == ["mean D(real)", "mean D(fake)"]
    np.testing.assert_array_equal(fig.data[0].y, real)
    np.testing.assert_array_equal(fig.data[1].y, fake)
    np.testing.assert_array_equal(fig.data[1].x, steps)
    assert fig.layout.uirevision == "dm"
