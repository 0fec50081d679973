import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from ganlab.theory.bilinear import METHODS as GAME_METHODS

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


def _trace_starts(app, chart: int) -> dict[str, tuple[float, float]]:
    spec = json.loads(app.get("plotly_chart")[chart].proto.spec)
    return {t["name"]: (_number(t["x"], 0), _number(t["y"], 0)) for t in spec["data"]
            if t.get("name") in GAME_METHODS or t.get("name") in ("simultaneous", "alternating")}


def _number(values, i):
    """Plotly JSON stores arrays as lists or as {"dtype", "bdata"} (base64)."""
    if isinstance(values, dict):
        return float(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])[i])
    return float(values[i])


def test_every_plane_says_a_click_starts_there_and_every_method_starts_at_the_start():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    app.number_input(key="dyn_x0").set_value(-2.3)
    app.number_input(key="dyn_y0").set_value(1.7).run()
    assert not app.exception
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "Click anywhere to start there"
    assert _trace_starts(app, 0) == {m: (-2.3, 1.7) for m in GAME_METHODS}
    assert any(c.value.startswith("Every method starts at (x, y) = (-2.3, 1.7)") for c in app.caption)


def test_dirac_panels_start_at_the_chosen_theta_and_psi():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    app.number_input(key="dyn_theta0").set_value(-1.2)
    app.number_input(key="dyn_psi0").set_value(0.6).run()
    assert not app.exception
    for chart in range(2, 6):  # the four Dirac-GAN panels
        spec = json.loads(app.get("plotly_chart")[chart].proto.spec)
        assert spec["layout"]["title"]["text"].endswith("(click to start there)")
        assert _trace_starts(app, chart) == {"simultaneous": (-1.2, 0.6)}
    assert any(c.value.startswith("Every panel starts at (θ, ψ) = (-1.2, 0.6)") for c in app.caption)
    app.number_input(key="dyn_theta0").set_value(0.0)
    app.number_input(key="dyn_psi0").set_value(0.0).run()
    assert app.dataframe[0].value["distance after the run"].tolist() == [0.0, 0.0, 0.0, 0.0]  # at the equilibrium


def test_a_link_sets_the_dirac_start_psi():
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params["psi0"] = "-0.5"
    app.run()
    assert not app.exception and app.number_input(key="dyn_psi0").value == -0.5


def test_starting_at_the_equilibrium_says_so_instead_of_a_nan_ratio():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    app.number_input(key="dyn_x0").set_value(0.0)
    app.number_input(key="dyn_y0").set_value(0.0).run()
    captions = [c.value for c in app.caption]
    assert not any("nan" in c for c in captions)
    assert any(c.startswith("The start is the equilibrium (0, 0)") for c in captions)
