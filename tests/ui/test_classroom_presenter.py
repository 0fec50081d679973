"""Presenter mode keeps the demo on the first screen: the controls start collapsed, the Toy Lab's layer
toggles go in with them, and its plane is drawn taller (the browser check: tests/e2e/test_presenter.py)."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ganlab.ui.classroom import PRESENTER_CSS
from ganlab.ui.toy_live import PRESENTER_PLANE_HEIGHT

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


def toy_lab(presenter: bool) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    if presenter:
        app.query_params["presenter"] = "1"
    app.run()
    app.switch_page("pages/toy_lab.py").run()
    assert not app.exception
    return app


def plane_args(app: AppTest) -> dict:
    return json.loads(app.get("component_instance")[0].proto.json_args)


def test_in_presenter_mode_the_controls_start_collapsed_with_the_layer_toggles_inside():
    app = toy_lab(presenter=True)
    controls = [e for e in app.expander if e.label == "Controls"]
    assert len(controls) == 1 and controls[0].proto.expanded is False
    assert [p.key for p in controls[0].get("button_group")] == ["toy_layers"]  # the layer pills
    assert len(app.get("button_group")) == 1  # and not again above the plane
    assert plane_args(app)["plot_height"] == PRESENTER_PLANE_HEIGHT


def test_outside_presenter_mode_the_plane_keeps_its_own_height_and_the_pills_stay_above_it():
    app = toy_lab(presenter=False)
    assert not [e for e in app.expander if e.label == "Controls"]
    assert [p.key for p in app.main.get("button_group")] == ["toy_layers"]
    assert plane_args(app)["plot_height"] is None


def test_the_presenter_style_keeps_the_top_menu_at_its_normal_size():
    assert 'data-testid="stTopNav"' in PRESENTER_CSS and "font-size: 15px" in PRESENTER_CSS
