from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "dynamics.py")


def test_dynamics_page_renders_both_games():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not app.exception
    assert len(app.get("plotly_chart")) == 2 + 4  # bilinear field + distance, four Dirac panels
    app.slider(key="dyn_h").set_value(0.5).run()  # redraw time is a benchmark figure, not asserted here
    caption = next(c.value for c in app.caption if c.value.startswith("Simultaneous GDA"))
    assert "× 1.1180" in caption and "√(1 + h²) = 1.1180" in caption


def test_eigenvalue_table_says_which_methods_converge():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    table = app.dataframe[0].value
    verdict = dict(zip(table["method"], table["locally"], strict=True))
    assert verdict["r1"] == "converges"
    assert verdict["standard"] == "does not converge" and verdict["wgan"] == "does not converge"
