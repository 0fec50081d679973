import math
from dataclasses import replace

import numpy as np
import pytest

from ganlab.evaluation import REFERENCE_METRIC
from ganlab.losses import LOSSES, w1_from_critic
from ganlab.viz.toy_charts import (
    JSD_NOTE,
    WASSERSTEIN_DIVERGENCES,
    WASSERSTEIN_NOTE,
    RunSeries,
    change_label,
    compare_divergence_chart,
    compare_loss_chart,
    compare_metrics_chart,
    d_means_chart,
    divergence_chart,
    divergence_id,
    divergence_label,
    loss_chart,
    merge_changes,
    metrics_chart,
    reference_names,
    robust_y_range,
)

JSD_SEG = (None, "Jensen-Shannon", "(V + log 4) / 2")
W1_SEG = (None, "Wasserstein-1", "E f(x) - E f(G(z))")


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


def test_d_means_chart():
    steps = np.array([0, 50, 100])
    real, fake = np.array([0.6, 0.7, 0.55]), np.array([0.4, 0.2, 0.45])
    fig = d_means_chart(steps, real, fake, uirevision="dm")
    assert [t.name for t in fig.data] == ["mean D(real)", "mean D(fake)"]
    np.testing.assert_array_equal(fig.data[0].y, real)
    np.testing.assert_array_equal(fig.data[1].y, fake)
    np.testing.assert_array_equal(fig.data[1].x, steps)
    assert fig.layout.uirevision == "dm"


# ------------------------------------------------------------------------------------- shared fixtures

def evaluations(n: int = 5, start: int = 100, every: int = 100) -> dict:
    """Metric rows as ganlab.evaluation writes them (a subset of the columns)."""
    steps = np.arange(start, start + n * every, every)
    ramp = np.linspace(0.0, 1.0, n)
    return {
        "step": steps,
        "modes_covered": 2.0 + 5.5 * ramp, "modes_covered_sd": 0.1 + 0.4 * ramp, "modes_total": np.full(n, 8.0),
        "hq_fraction": 0.2 + 0.6 * ramp, "hq_fraction_sd": 0.01 + 0.02 * ramp,
        "w1": 1.0 - 0.9 * ramp, "w1_floor": np.full(n, 0.0312),
        "jsd": 0.6 - 0.55 * ramp, "jsd_se": 0.02 - 0.01 * ramp, "jsd_floor": np.full(n, 0.00412),
        "precision": 0.5 + 0.4 * ramp, "recall": 0.3 + 0.6 * ramp,
        "reference": 0.6 - 0.55 * ramp, "reference_se": 0.02 - 0.01 * ramp,
        "reference_floor": np.full(n, 0.00412),
        "d_real": 0.6 + 0.1 * ramp, "d_fake": 0.4 - 0.1 * ramp,
    }


def changes_marked(fig) -> list[tuple[int, str, str]]:
    """(x, xref, yref) of each dotted change line."""
    return [(s.x0, s.xref, s.yref) for s in fig.layout.shapes if s.name == "config-change"]


def clip_notes(fig) -> list[str]:
    """The clipping notes: the title's subtitle, one line each."""
    text = fig.layout.title.subtitle.text
    return text.split("<br>") if text else []


def spiky(history, step: int = 200, value: float = 12_000.0) -> dict:
    d_loss = history["d_loss"].copy()
    d_loss[list(history["step"]).index(step)] = value
    return dict(history, d_loss=d_loss)


# ------------------------------------------------------------------------------- robust y-range, clipping

def test_loss_chart_clips_a_spike_to_the_range_of_the_other_points(history):
    fig = loss_chart(spiky(history))
    others = np.concatenate([np.delete(history["d_loss"], 20), history["g_loss"]])
    low, high = others.min(), others.max()
    pad = 0.08 * (high - low)
    assert fig.layout.yaxis.range == pytest.approx((low - pad, high + pad))
    assert fig.layout.yaxis.autorange is False
    assert clip_notes(fig) == ["y clipped; spike of 1.2e4 at step 200 not shown"]
    np.testing.assert_array_equal(fig.data[0].y[20], 12_000.0)  # the data keep the spike; only the view clips


def test_without_a_spike_the_y_range_is_left_to_plotly(history):
    fig = loss_chart(history)
    assert fig.layout.yaxis.range is None and clip_notes(fig) == []


def test_robust_y_range_rules():
    assert robust_y_range(np.linspace(0, 100, 50)) is None  # a trend is not an outlier
    assert robust_y_range(np.full(20, 3.0), [1e6]) is None  # no spread to judge by
    assert robust_y_range([1.0, 2.0, 1e6]) is None  # too few points
    rng = np.random.default_rng(0)
    assert robust_y_range(rng.normal(size=2000)) is None  # Gaussian noise is never clipped
    values = np.r_[np.linspace(1.0, 2.0, 40), [-5e3, np.nan, np.inf]]
    assert robust_y_range(values) == pytest.approx((1.0 - 0.08, 2.0 + 0.08))


def test_a_sustained_spike_after_a_loss_switch_is_clipped_and_counted(history):
    d_loss = history["d_loss"].copy()
    d_loss[20:24] = [6093.0, 3019.5, 1817.8, 962.7]
    fig = loss_chart(dict(history, d_loss=d_loss), changes=[(195, "loss.name: nonsaturating -> wgan-gp")])
    assert clip_notes(fig) == ["y clipped; spike of 6.1e3 at step 200 not shown (4 points outside)"]
    assert fig.layout.yaxis.range[1] < 3.0


# ----------------------------------------------------------------------------------- config changes

CHANGES = [(120, "loss.name: nonsaturating -> wgan-gp"), (300, "g_opt.lr: 0.0002 -> 0.001, d_steps: 1 -> 5")]


def test_change_labels_are_short_and_the_hover_has_everything(history):
    assert change_label(CHANGES[0][1]) == "loss → wgan-gp"
    assert change_label(CHANGES[1][1]) == "g_opt.lr → 0.001 +1"
    fig = loss_chart(history, changes=CHANGES)
    assert changes_marked(fig) == [(120, "x", "y domain"), (300, "x", "y domain")]
    assert all(s.line.dash == "dot" for s in fig.layout.shapes if s.name == "config-change")
    labels = [a for a in fig.layout.annotations if a.name == "config-change"]
    assert [(a.x, a.text) for a in labels] == [(120, "loss → wgan-gp"), (300, "g_opt.lr → 0.001 +1")]
    assert labels[1].hovertext == "config changed after step 300:<br>g_opt.lr: 0.0002 → 0.001<br>d_steps: 1 → 5"


def test_every_time_series_chart_marks_every_change_in_every_panel(history):
    metrics = evaluations()
    keys = ["modes_covered", "hq_fraction", "w1", "jsd"]
    figs = {
        "losses": (loss_chart(history, changes=CHANGES), 1),
        "divergence": (divergence_chart(history, *JSD_SEG[1:], metrics, changes=CHANGES), 1),
        "d means": (d_means_chart(metrics["step"], metrics["d_real"], metrics["d_fake"], changes=CHANGES), 1),
        "metrics": (metrics_chart(metrics, keys, changes=CHANGES), 4),
    }
    for name, (fig, panels) in figs.items():
        marked = changes_marked(fig)
        assert len(marked) == 2 * panels, name
        assert sorted({x for x, _, _ in marked}) == [120, 300], name
        assert len({xref for _, xref, _ in marked}) == panels, name


def test_merge_changes_of_two_runs():
    a = [(100, "loss.name: hinge -> wgan")]
    assert merge_changes([("A", a), ("B", a)]) == [(100, "A, B: loss.name: hinge -> wgan")]
    assert merge_changes([("A", a), ("B", [(90, "d_steps: 1 -> 2")])]) == [
        (90, "B: d_steps: 1 -> 2"), (100, "A: loss.name: hinge -> wgan")]


# ----------------------------------------------------------------------------------- divergence chart

def test_divergence_chart_jsd_beside_its_sample_estimate_and_floor(history):
    metrics = evaluations()
    fig = divergence_chart(history, "Jensen-Shannon", "(V + log 4) / 2", reference=metrics)
    assert [t.name for t in fig.data] == ["D's estimate: (V + log 4) / 2", "sample estimate (± 1 se)",
                                          "perfect generator reads 0.00412"]
    est, reference, floor = fig.data
    np.testing.assert_array_equal(est.x, history["step"])
    np.testing.assert_array_equal(est.y, history["estimate"])
    np.testing.assert_array_equal(reference.x, metrics["step"])
    np.testing.assert_array_equal(reference.y, metrics["reference"])
    np.testing.assert_array_equal(reference.error_y.array, metrics["reference_se"])
    assert reference.error_y.visible
    np.testing.assert_array_equal(floor.y, metrics["reference_floor"])
    assert floor.line.dash == "dot"
    assert fig.layout.title.text == "Jensen-Shannon: D's estimate"
    assert fig.layout.yaxis.title.text == "JSD in [0, log 2]"
    for trace in fig.data:  # the convention wherever a JSD is shown
        assert JSD_NOTE in trace.hovertemplate
    assert JSD_NOTE == "JSD in [0, log 2] (nats); max_D V = 2 JSD - log 4"
    assert any(s.y0 == pytest.approx(math.log(2)) and s.name == "bound" for s in fig.layout.shapes)
    assert "grid" not in fig.to_json()


def test_divergence_chart_wasserstein_reference_is_exact_w1_and_says_why_d_can_be_negative(history):
    metrics = dict(evaluations(), reference=1.0 - 0.9 * np.linspace(0, 1, 5), reference_se=np.full(5, np.nan),
                   reference_floor=np.full(5, 0.0312))
    fig = divergence_chart(dict(history, estimate=history["estimate"] - 0.3), "Wasserstein-1",
                           "E f(x) - E f(G(z))", metrics)
    assert [t.name for t in fig.data] == ["D's estimate: E f(x) - E f(G(z))", "exact W1 (500 vs 500)",
                                          "two real samples: W1 = 0.0312"]
    assert fig.data[1].error_y.array is None  # exact W1 has no standard error
    np.testing.assert_array_equal(fig.data[2].y, metrics["reference_floor"])
    assert fig.layout.yaxis.title.text == "Wasserstein-1"
    assert WASSERSTEIN_NOTE in fig.data[0].hovertemplate.replace("<br>", " ")
    assert not [s for s in fig.layout.shapes if s.name == "bound"]
    assert all("log 2" not in t.hovertemplate for t in fig.data)


def test_divergence_chart_without_reference(history):
    fig = divergence_chart(history, "Wasserstein-1", "E f(x) - E f(G(z))")
    assert len(fig.data) == 1
    assert "Wasserstein-1" in fig.layout.title.text
    twice = divergence_chart(history, "2 x Jensen-Shannon (2 JSD, in [0, 2 log 2])", "E_P[T] - E_Q[f*(T)]")
    assert twice.layout.yaxis.title.text == "2 JSD in [0, 2 log 2]"
    assert JSD_NOTE in twice.data[0].hovertemplate
    assert [s.y0 for s in twice.layout.shapes if s.name == "bound"] == [pytest.approx(2 * math.log(2))]


def test_a_jsd_and_a_wasserstein_estimate_never_share_a_y_axis(history):
    """A run switched from the non-saturating loss to WGAN-GP after step 250: one panel per divergence."""
    metrics = evaluations()
    segments = [JSD_SEG, (250, "Wasserstein-1", "E f(x) - E f(G(z))")]
    fig = divergence_chart(history, "Wasserstein-1", "E f(x) - E f(G(z))", metrics, segments=segments,
                           changes=[(250, "loss.name: nonsaturating -> wgan-gp")])
    axes = {t.name: t.yaxis for t in fig.data}
    assert axes == {"D's estimate: (V + log 4) / 2": "y", "sample estimate (± 1 se)": "y",
                    "perfect generator reads 0.00412": "y", "D's estimate: E f(x) - E f(G(z))": "y2",
                    "exact W1 (500 vs 500)": "y2", "two real samples: W1 = 0.00412": "y2"}
    jsd, w = fig.data[0], fig.data[3]
    before = history["step"] <= 250
    np.testing.assert_array_equal(jsd.y[before], history["estimate"][before])
    assert np.isnan(jsd.y[~before]).all() and np.isnan(w.y[before]).all()
    np.testing.assert_array_equal(w.y[~before], history["estimate"][~before])
    ref_jsd = fig.data[1]
    np.testing.assert_array_equal(ref_jsd.y[:2], metrics["reference"][:2])  # evaluations at 100, 200
    assert np.isnan(ref_jsd.y[2:]).all()
    assert fig.layout.yaxis.title.text == "JSD in [0, log 2]" and fig.layout.yaxis2.title.text == "Wasserstein-1"
    assert len(changes_marked(fig)) == 2  # the switch, in both panels


def test_compare_divergence_overlays_one_divergence_and_splits_two(history):
    metrics = evaluations()
    a = RunSeries("A", history, metrics, "nonsaturating", divergences=[JSD_SEG])
    b = RunSeries("B", dict(history, estimate=history["estimate"] * 2), metrics, "minimax", divergences=[JSD_SEG])
    same = compare_divergence_chart([a, b])
    assert {t.yaxis or "y" for t in same.data} == {"y"}
    assert [t.name for t in same.data if "estimate" in t.name] == [
        "A: D's estimate", "A: sample estimate (± 1 se)", "B: D's estimate", "B: sample estimate (± 1 se)"]
    w = RunSeries("B", history, metrics, "wgan-gp", divergences=[W1_SEG])
    split = compare_divergence_chart([a, w])
    assert {t.name: t.yaxis for t in split.data if "D's estimate" in t.name} == {
        "A: D's estimate": "y", "B: D's estimate": "y2"}


def test_divergences_are_told_apart_by_id():
    critics = {s.divergence_id for s in LOSSES.values() if s.estimate is w1_from_critic}
    assert set(WASSERSTEIN_DIVERGENCES) == critics == {
        key for key, ref in REFERENCE_METRIC.items() if ref is not None and ref[0] == "w1"}
    for spec in LOSSES.values():
        assert divergence_id(spec.divergence) == divergence_id(spec.divergence_id) == spec.divergence_id
        assert divergence_id(divergence_label(spec.divergence_id)) == spec.divergence_id
    assert divergence_id("something else") == divergence_label("something else") == "something else"


def test_an_id_is_shown_by_its_label(history):
    by_label = divergence_chart(history, "Jensen-Shannon", "(V + log 4) / 2", evaluations())
    by_id = divergence_chart(history, "jsd", "(V + log 4) / 2", evaluations())
    assert by_id.to_json() == by_label.to_json()
    segments = [(None, "jsd", "(V + log 4) / 2"), (250, "w1", "E f(x) - E f(G(z))")]
    fig = divergence_chart(history, "w1", "E f(x) - E f(G(z))", evaluations(), segments=segments)
    assert [a.text for a in fig.layout.annotations if "D's estimate" in a.text] == [
        "Jensen-Shannon: D's estimate", "Wasserstein-1: D's estimate"]


@pytest.mark.parametrize(("loss", "axis", "reference"), [
    ("nonsaturating", "JSD in [0, log 2]", "sample estimate (± 1 se)"),
    ("fgan-js", "2 JSD in [0, 2 log 2]", "sample estimate (± 1 se)"),
    ("wgan-gp", "reworded wgan-gp", "exact W1 (500 vs 500)"),
    ("wgan", "reworded wgan", "exact W1 (500 vs 500)")])
def test_rewording_a_label_changes_only_what_is_shown(history, monkeypatch, loss, axis, reference):
    """The chart is drawn from the label a loss has now (as the Toy Lab passes it): a new wording is shown
    and changes nothing else (the JSD axis, its bound, the exact W1 reference, the critic's note)."""
    before = divergence_chart(history, LOSSES[loss].divergence, LOSSES[loss].estimate_formula, evaluations())
    monkeypatch.setitem(LOSSES, loss, replace(LOSSES[loss], divergence=f"reworded {loss}"))
    fig = divergence_chart(history, LOSSES[loss].divergence, LOSSES[loss].estimate_formula, evaluations())
    assert fig.layout.title.text == f"reworded {loss}: D's estimate"
    assert fig.layout.yaxis.title.text == axis
    assert fig.data[1].name == reference == reference_names(f"reworded {loss}", 0.0)[0]
    assert [t.hovertemplate for t in fig.data] == [t.hovertemplate for t in before.data]
    assert len(fig.layout.shapes) == len(before.layout.shapes)


# --------------------------------------------------------------------------------------- metrics chart

def test_metrics_chart_spreads_percent_and_floors():
    metrics = evaluations()
    keys = ["modes_covered", "hq_fraction", "w1", "jsd"]
    fig = metrics_chart(metrics, keys, cols=2)
    titles = [a.text for a in fig.layout.annotations][:4]
    assert titles == ["modes covered<br>(mean ± sd of 4 draws of 2,500)",
                      "high-quality samples, %<br>(mean ± sd of 4 draws)",
                      "W1 to the data (exact, 500 vs 500)<br>dotted: two real samples",
                      "JSD, nats (sample estimate ± 1 se)<br>dotted: perfect generator"]
    by_name = {t.name: t for t in fig.data}
    assert list(by_name) == ["modes covered", "high-quality %", "W1", "W1 floor: two real samples", "JSD",
                             "JSD floor: perfect generator"]
    modes = by_name["modes covered"]
    np.testing.assert_array_equal(modes.y, metrics["modes_covered"])
    np.testing.assert_array_equal(modes.error_y.array, metrics["modes_covered_sd"])
    assert "modes covered at step %{x} (mean of 4 draws of 2,500)" in modes.hovertemplate
    hq = by_name["high-quality %"]
    np.testing.assert_allclose(hq.y, 100 * metrics["hq_fraction"])
    np.testing.assert_allclose(hq.error_y.array, 100 * metrics["hq_fraction_sd"])
    np.testing.assert_array_equal(by_name["W1"].y, metrics["w1"])
    np.testing.assert_array_equal(by_name["W1 floor: two real samples"].y, metrics["w1_floor"])
    assert by_name["W1 floor: two real samples"].line.dash == "dot"
    jsd = by_name["JSD"]
    np.testing.assert_array_equal(jsd.error_y.array, metrics["jsd_se"])
    np.testing.assert_array_equal(by_name["JSD floor: perfect generator"].y, metrics["jsd_floor"])
    assert JSD_NOTE in jsd.hovertemplate
    # floors share their metric's panel; four panels
    assert by_name["W1"].yaxis == by_name["W1 floor: two real samples"].yaxis
    assert len({t.yaxis for t in fig.data}) == 4


def test_metrics_chart_names_the_evaluation_sizes():
    fig = metrics_chart(evaluations(), ["modes_covered"], eval_samples=1000, draws=3)
    assert fig.layout.annotations[0].text == "modes covered<br>(mean ± sd of 3 draws of 1,000)"


def test_metrics_chart_reads_rows_without_spread_columns():
    old = {k: v for k, v in evaluations().items() if not k.endswith(("_sd", "_se", "_floor"))}
    fig = metrics_chart(old, ["modes_covered", "w1", "jsd"])
    assert [t.name for t in fig.data] == ["modes covered", "W1", "JSD"]
    assert all(t.error_y.array is None for t in fig.data)


def test_compare_metrics_overlays_both_runs_in_one_panel_per_metric(history):
    ma = evaluations()
    mb = dict(evaluations(), modes_covered=np.full(5, 8.0), w1=np.full(5, 0.05))
    runs = [RunSeries("A", history, ma, "nonsaturating"), RunSeries("B", history, mb, "wgan-gp")]
    keys = ["modes_covered", "hq_fraction", "w1", "jsd"]
    fig = compare_metrics_chart(runs, keys)
    mains = [t for t in fig.data if t.name in ("A", "B")]
    assert [(t.name, t.yaxis) for t in mains] == [("A", "y"), ("B", "y"), ("A", "y2"), ("B", "y2"),
                                                   ("A", "y3"), ("B", "y3"), ("A", "y4"), ("B", "y4")]
    np.testing.assert_array_equal(mains[1].y, mb["modes_covered"])
    np.testing.assert_array_equal(mains[5].y, mb["w1"])
    assert [t.name for t in fig.data if t.showlegend] == ["A", "B"]  # one legend entry per run
    assert mains[0].line.color == mains[2].line.color != mains[1].line.color


def test_compare_loss_chart_shows_both_runs_losses_in_their_own_panels(history):
    b_history = dict(history, d_loss=-history["d_loss"] * 100)
    runs = [RunSeries("A", history, evaluations(), "nonsaturating"),
            RunSeries("B", b_history, evaluations(), "wgan-gp", changes=[(120, "loss.name: hinge -> wgan-gp")])]
    fig = compare_loss_chart(runs)
    assert [a.text for a in fig.layout.annotations if a.name is None] == ["A: losses (nonsaturating)",
                                                                          "B: losses (wgan-gp)"]
    assert [(t.name, t.yaxis) for t in fig.data] == [("D loss", "y"), ("G loss", "y"), ("D loss", "y2"),
                                                     ("G loss", "y2")]
    np.testing.assert_array_equal(fig.data[2].y, b_history["d_loss"])
    assert changes_marked(fig) == [(120, "x2", "y2 domain")]  # B's change, in B's panel only
    assert clip_notes(fig) == [] and fig.layout.yaxis2.range is None
    spiked = compare_loss_chart([runs[0], RunSeries("B", spiky(history), evaluations(), "wgan-gp")])
    assert clip_notes(spiked) == ["B's losses: y clipped; spike of 1.2e4 at step 200 not shown"]
    assert spiked.layout.yaxis.range is None and spiked.layout.yaxis2.range[1] < 3.0  # A's panel untouched


def test_d_means_get_one_panel_per_output_kind_after_a_switch():
    metrics = evaluations()
    segments = [(None, "D(x) as a probability"), (250, "D's raw score / critic f(x)")]
    fig = d_means_chart(metrics["step"], metrics["d_real"], metrics["d_fake"], segments=segments)
    assert [(t.name, t.yaxis) for t in fig.data] == [("mean D(real)", "y"), ("mean D(fake)", "y"),
                                                     ("mean D(real)", "y2"), ("mean D(fake)", "y2")]
    np.testing.assert_array_equal(fig.data[0].y[:2], metrics["d_real"][:2])
    assert np.isnan(fig.data[0].y[2:]).all() and np.isnan(fig.data[2].y[:2]).all()
