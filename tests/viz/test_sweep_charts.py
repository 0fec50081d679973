"""The Experiments page's charts and table agree on titles and units (ganlab.viz.sweep_charts)."""

import re
from dataclasses import replace

import numpy as np
import pytest

from ganlab.losses import LOSSES
from ganlab.sweep import summarize
from ganlab.viz.sweep_charts import METRIC_TITLES, SWEEP_METRICS, metric_chart, summary_rows
from ganlab.viz.toy_charts import JSD_NOTE

DIVERGENCES = {name: loss.divergence_id for name, loss in LOSSES.items()}  # as the Experiments page passes


def row(loss: str, seed: int, **metrics) -> dict:
    base = {"dataset": "ring8", "loss": loss, "variant": "-", "seed": seed, "steps": 100, "seconds": 2.0,
            "diverged": False, "modes_covered": 6.0 + seed, "modes_total": 8.0, "hq_fraction": 0.60 + 0.02 * seed,
            "mode_kl": 0.1, "w1": 0.2 + 0.1 * seed, "w1_floor": 0.031, "jsd": 0.1 + 0.01 * seed, "jsd_se": 0.004,
            "jsd_floor": 0.002, "precision": 0.9, "recall": 0.8, "estimate": 0.3 + seed, "reference": 0.1}
    return {**base, **metrics}


@pytest.fixture()
def summary():
    return summarize([row("nonsaturating", 0), row("nonsaturating", 1), row("wgan-gp", 0, estimate=-0.5),
                      row("wgan-gp", 1, estimate=1.5)])


def number(cell: str) -> float:
    return float(re.match(r"-?[\d.]+", cell).group(0))


def test_hq_is_a_percentage_in_both_the_table_and_the_chart(summary):
    title = "high-quality samples (%)"
    assert METRIC_TITLES["hq_fraction"] == title
    table = summary_rows(summary)
    assert table[0][title] == "61.0 ± 1.0"  # mean of 60 % and 62 %, se 1 point
    fig = metric_chart(summary, "hq_fraction")
    assert fig.layout.yaxis.title.text == title
    np.testing.assert_allclose(fig.data[0].y, [61.0, 61.0])
    np.testing.assert_allclose(fig.data[0].error_y.array, [1.0, 1.0])


def test_every_metric_has_the_same_title_and_units_in_table_and_chart(summary):
    table = summary_rows(summary, divergences=DIVERGENCES)
    for metric, spec in SWEEP_METRICS.items():
        if metric == "estimate":
            continue  # one panel per divergence: tested below
        fig = metric_chart(summary, metric)
        assert fig.layout.yaxis.title.text == spec.title, metric
        assert spec.title in table[0], metric
        shown = [number(r[spec.title]) for r in table]
        np.testing.assert_allclose(fig.data[0].y, shown, atol=10 ** -spec.digits, err_msg=metric)


def test_jsd_is_named_a_sample_estimate_in_nats_with_its_convention_and_floor(summary):
    assert METRIC_TITLES["jsd"] == "JSD (sample estimate, nats, in [0, log 2])"
    assert all("grid" not in title for title in METRIC_TITLES.values())
    fig = metric_chart(summary, "jsd")
    points, floor = fig.data
    assert JSD_NOTE in points.hovertemplate and JSD_NOTE in floor.hovertemplate
    assert floor.name == "ring8: floor"
    np.testing.assert_allclose(floor.y, [0.002, 0.002])
    table = summary_rows(summary)
    assert table[0]["JSD floor (perfect generator)"] == "0.002"
    assert table[0]["W1 floor (two real samples)"] == "0.031"
    assert table[0]["modes covered"] == "6.50 ± 0.50 / 8"


def test_old_rows_without_the_new_columns_still_show(summary):
    old = [{k: v for k, v in row("hinge", s).items() if k not in ("w1_floor", "jsd_se", "jsd_floor")}
           for s in (0, 1)]
    summary = summarize(old)
    table = summary_rows(summary)
    assert table[0]["W1 floor (two real samples)"] == "n/a"
    fig = metric_chart(summary, "w1")
    assert [t.name for t in fig.data] == ["ring8"]  # no floor markers without a floor


def test_d_estimates_of_different_divergences_get_their_own_panels(summary):
    fig = metric_chart(summary, "estimate", divergences=DIVERGENCES)
    assert [a.text for a in fig.layout.annotations] == ["Jensen-Shannon", "Wasserstein-1"]
    assert [(t.x, t.yaxis) for t in fig.data] == [(("nonsaturating",), "y"), (("wgan-gp",), "y2")]
    assert fig.data[0].marker.color == fig.data[1].marker.color  # one colour per dataset in every panel
    assert "lower bound on W1" not in fig.data[0].hovertemplate  # the JSD panel
    assert "a lagging critic can score fakes higher, so it can be < 0" in fig.data[1].hovertemplate.replace(
        "<br>", " ")
    table = summary_rows(summary, divergences=DIVERGENCES)
    assert table[1]["D's own divergence estimate"] == "0.500 ± 1.000 (Wasserstein-1)"


def test_d_estimates_are_grouped_by_id_and_titled_by_label(summary, monkeypatch):
    labelled = {name: loss.divergence for name, loss in LOSSES.items()}  # labels still work
    assert metric_chart(summary, "estimate", divergences=labelled).to_json() == \
        metric_chart(summary, "estimate", divergences=DIVERGENCES).to_json()
    for name, loss in LOSSES.items():  # every label reworded
        monkeypatch.setitem(LOSSES, name, replace(loss, divergence=f"reworded {loss.divergence_id}"))
    fig = metric_chart(summary, "estimate", divergences=DIVERGENCES)
    assert [a.text for a in fig.layout.annotations] == ["reworded jsd", "reworded w1"]
    assert [(t.x, t.yaxis) for t in fig.data] == [(("nonsaturating",), "y"), (("wgan-gp",), "y2")]
    assert "lower bound on W1" not in fig.data[0].hovertemplate
    assert "a lagging critic can score fakes higher" in fig.data[1].hovertemplate.replace("<br>", " ")
    table = summary_rows(summary, divergences=DIVERGENCES)
    assert table[1]["D's own divergence estimate"] == "0.500 ± 1.000 (reworded w1)"
    one = metric_chart([s for s in summary if s["loss"] == "wgan-gp"], "estimate", divergences=DIVERGENCES)
    assert one.layout.yaxis.title.text == "D's own divergence estimate: reworded w1"
    assert "a lagging critic can score fakes higher" in one.data[0].hovertemplate.replace("<br>", " ")


def test_paper_figures_are_drawn_in_the_charts_units(summary):
    paper = {("ring8", "-"): {"modes": 6.3, "hq": 95.0}}
    fig = metric_chart(summary, "hq_fraction", paper)
    assert fig.data[-1].name == "ring8: paper"
    np.testing.assert_allclose(fig.data[-1].y, [95.0, 95.0])
    table = summary_rows(summary, paper)
    assert table[0]["paper: high-quality samples (%)"] == "95.0"
    assert table[0]["paper: modes covered"] == "6.3"


def test_a_sweep_over_every_loss_draws_its_estimate_panels_in_rows():
    """Ten divergences side by side asked Plotly for a spacing wider than a panel (ValueError)."""
    rows = [row(name, seed) for name in LOSSES for seed in (0, 1)]
    fig = metric_chart(summarize(rows), "estimate", None, DIVERGENCES)
    ids = list(dict.fromkeys(DIVERGENCES.values()))
    assert len(ids) == 11
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == len(ids)
    axes = {trace.xaxis for trace in fig.data}
    assert len(axes) == len(ids)  # each divergence in its own panel
    assert fig.layout.height == 320 * 3  # 11 panels, 4 to a row
