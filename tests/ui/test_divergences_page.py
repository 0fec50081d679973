import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.runtime.jobs import job_runner
from ganlab.theory.disjoint import KINDS, fit_discriminators

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "divergences.py")


def test_divergences_page_shows_the_closed_forms():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["distance"])[:2] == ["Wasserstein-1", "Jensen-Shannon (nats)"]
    assert table["value at θ"][0] == 0.5 and abs(table["value at θ"][1] - 0.6931471805599453) < 1e-12
    app.slider(key="div_theta").set_value(0.0).run()
    assert app.dataframe[0].value["value at θ"].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0]
    f_table = app.dataframe[1].value
    assert len(f_table) == 6 and "t^2/4 + t" in f_table["f*(t)"].tolist()
    assert "t (for |t| <= 1/2)" in f_table["f*(t)"].tolist()  # total variation


def test_the_race_plays_and_pauses():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    race = app.session_state["div_race"]
    assert race.trainers["minimax"].step_count == 0
    next(b for b in app.button if b.label == "Play").click().run()
    assert app.session_state["div_race_playing"] is True
    assert app.session_state["div_race"].trainers["minimax"].step_count == 25  # one tick ran
    next(b for b in app.button if b.label == "Pause").click().run()
    assert app.session_state["div_race_playing"] is False
    assert app.session_state["div_race"].trainers["hinge"].step_count == 25


def test_the_optimal_networks_train_in_a_process_apart_then_their_charts_show_what_it_measured():
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    app.slider(key="div_distance").set_value(4.5).run()
    assert not app.exception
    fitting = job_runner().cached(("fit_discriminators", 4.5), fit_discriminators, 4.5)  # the page's own job
    if not fitting.done():
        assert any(i.value.startswith("Training the discriminator and the critics for d = 4.5 in a process of its "
                                      "own") for i in app.info)
        assert "div_grads" not in charts(app)
    fits = fitting.result(timeout=300)
    app.run()
    assert not app.exception and not any(i.value.startswith("Training the discriminator") for i in app.info)
    shown = charts(app)
    bars = shown["div_grads"]["data"][0]
    assert bars["y"] == list(KINDS)
    assert bars["x"] == pytest.approx([fits[kind]["grad_at_fake"] for kind in KINDS])
    discriminator, clipped, penalty = bars["x"]
    assert discriminator < 1e-3 * penalty  # 4.5 apart, sigmoid(D) saturates at the fakes; the critic keeps pulling
    assert len(shown["div_disjoint"]["data"]) == len(KINDS) + 2  # the three networks, then the two histograms


def charts(app: AppTest) -> dict[str, dict]:
    """The page's Plotly charts by their keys."""
    return {c.proto.id.rsplit("-", 1)[1]: json.loads(c.proto.spec) for c in app.get("plotly_chart")}
