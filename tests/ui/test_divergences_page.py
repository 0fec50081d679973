from pathlib import Path

from streamlit.testing.v1 import AppTest

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
