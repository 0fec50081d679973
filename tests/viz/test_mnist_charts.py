import numpy as np

from ganlab.viz.mnist_charts import PROBABILITY_BIN, d_output_histogram


def test_probabilities_get_fixed_bins_on_0_1_and_titled_axes():
    outputs = {"real": np.array([0.9, 0.95, 0.99]), "fake": np.array([0.1, 0.2])}
    fig = d_output_histogram(outputs, probability=True, step=42)
    assert fig.layout.title.text == "D's outputs on a real and a generated batch (step 42)"
    assert fig.layout.xaxis.title.text == "D(x): probability that x is real"
    assert fig.layout.yaxis.title.text == "digits"
    assert tuple(fig.layout.xaxis.range) == (-0.02, 1.02)
    assert [t.name for t in fig.data] == ["D on real digits", "D on generated digits"]
    assert list(fig.data[0].x) == [0.9, 0.95, 0.99] and list(fig.data[1].x) == [0.1, 0.2]
    for trace in fig.data:  # the same bins in every frame: the bars do not jump as the data move
        assert (trace.xbins.start, trace.xbins.end, trace.xbins.size) == (0.0, 1.0, PROBABILITY_BIN)
    assert fig.layout.barmode == "overlay" and fig.layout.uirevision == "mn-hist"


def test_critic_scores_are_binned_over_their_range():
    fig = d_output_histogram({"real": np.array([3.0, -1.0]), "fake": np.array([-7.5])}, probability=False, step=0)
    assert fig.layout.xaxis.title.text == "D(x): critic score (raw)"
    assert fig.layout.xaxis.range is None
    assert all(t.xbins.size is None for t in fig.data)
