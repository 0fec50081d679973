"""A preset in the address lands on each page (AppTest): lessons' "Open in ..." and teachers' links."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.ui.toy_controls import PREFIX

PAGES = Path(__file__).resolve().parents[2] / "pages"


def open_with(page: str, **params: str) -> AppTest:
    app = AppTest.from_file(str(PAGES / page), default_timeout=120)
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception
    return app


def labels(app: AppTest) -> set[str]:
    return {b.label for b in app.button}


def test_divergences_and_dynamics_take_their_widgets_from_the_address():
    app = open_with("divergences.py", theta="-0.3", distance="1.5")
    assert app.slider(key="div_theta").value == -0.3 and app.slider(key="div_distance").value == 1.5
    assert [c.value for c in app.caption if c.value.startswith("Opened with")] == [
        "Opened with: theta = -0.3, distance = 1.5"]
    app = open_with("dynamics.py", h="0.5", methods="simultaneous,extragradient", dirac_methods="r1",
                    gamma="2.5", scheme="alternating")
    assert app.slider(key="dyn_h").value == 0.5
    assert app.multiselect(key="dyn_methods").value == ["simultaneous", "extragradient"]
    assert app.multiselect(key="dyn_dirac_methods").value == ["r1"]
    assert app.slider(key="dyn_gamma").value == 2.5 and app.radio(key="dyn_scheme").value == "alternating"
    assert not app.error


def test_a_bad_parameter_is_named_and_the_rest_is_applied():
    app = open_with("dynamics.py", h="0.5", gamma="9")
    assert app.slider(key="dyn_h").value == 0.5 and app.slider(key="dyn_gamma").value == 1.0
    assert any("gamma: 9 is outside [0, 3]" in e.value for e in app.error)


def test_the_toy_lab_applies_a_new_preset_on_a_later_visit_but_not_the_same_one_twice():
    app = open_with("toy_lab.py", **{"data.name": "grid25", "loss.name": "minimax", "layers": "d_star,real",
                                     "open": "1"})
    cfg = app.session_state["toy_session"].config
    assert (cfg.data.name, cfg.loss.name) == ("grid25", "minimax")
    assert app.session_state["toy_layers"] == ["d_star", "real"]
    app.selectbox(key=PREFIX + "loss.name").set_value("hinge").run()  # the reader changes something:
    assert app.session_state["toy_session"].config.loss.name == "hinge"  # the same address does not undo it
    app.query_params["open"] = "2"  # the lesson's button pressed again
    app.run()
    assert app.session_state["toy_session"].config.loss.name == "minimax"


def test_a_teacher_link_hides_controls_keeping_their_values_and_an_ab_link_compares():
    app = open_with("toy_lab.py", **{"tricks.unrolled_steps": "3", "show": "play,loss",
                                     "vs": "tricks.unrolled_steps=0"})
    assert {"Play", "Pause"} <= labels(app) and not {"Step", "Reset", "Share"} & labels(app)
    assert [s.label for s in app.selectbox] == ["Loss"]
    assert not [s for s in app.slider if s.key == PREFIX + "tricks.unrolled_steps"]
    app.selectbox(key=PREFIX + "loss.name").set_value("hinge").run()
    session, pair = app.session_state["toy_session"], app.session_state["toy_pair"]
    assert session.config.tricks.unrolled_steps == 3 and session.config.loss.name == "hinge"  # hidden value kept
    assert pair.other.config.tricks.unrolled_steps == 0 and pair.other.config.loss.name == "hinge"
    next(b for b in app.button if b.label == "Show all controls").click().run()
    assert {"Step", "Reset", "Share"} <= labels(app)


def test_play_in_the_address_starts_the_toy_lab():
    app = open_with("toy_lab.py", **{"play": "1", "speed": "50"})
    session = app.session_state["toy_session"]
    assert session.playing and session.steps_per_tick == 50
    session.pause()


def test_the_mnist_lab_and_latent_explorer_take_their_presets():
    app = open_with("mnist_lab.py", kind="conditional", loss="hinge", batch="32", fm="1")
    cfg = app.session_state["mnist_session"].config
    assert (cfg.conditional, cfg.loss.name, cfg.batch_size, cfg.tricks.feature_matching) == (
        True, "hinge", 32, True)
    app = open_with("latent_explorer.py", checkpoint="mnist_cgan", seed="7")
    assert app.session_state["latent_session"].name == "mnist_cgan.pt"
    assert app.session_state["latent_session"].seed == 7


def test_settings_survive_a_visit_to_another_page():
    app = AppTest.from_file(str(PAGES.parent / "streamlit_app.py"), default_timeout=120).run()
    app.switch_page("pages/toy_lab.py").run()
    app.selectbox(key=PREFIX + "loss.name").set_value("hinge").run()
    run = app.session_state["toy_session"].trainer
    app.switch_page("pages/dynamics.py").run()
    app.slider(key="dyn_gamma").set_value(2.0).run()
    app.switch_page("pages/toy_lab.py").run()
    assert app.selectbox(key=PREFIX + "loss.name").value == "hinge"
    assert app.session_state["toy_session"].trainer is run  # the same run, not a restart with the defaults
    app.switch_page("pages/dynamics.py").run()
    assert app.slider(key="dyn_gamma").value == 2.0


def test_a_page_opened_from_a_lesson_links_back_to_it():
    app = AppTest.from_file(str(PAGES.parent / "streamlit_app.py"), default_timeout=120).run()
    app.query_params.update({"lesson": "saturation", "loss.name": "minimax", "open": "1"})
    app.switch_page("pages/toy_lab.py").run()
    assert not app.exception
    back = [p for p in app.get("page_link") if p.proto.label.startswith("Back to lesson")]
    assert [p.proto.label for p in back] == ["Back to lesson 4: Saturation: why the minimax generator loss stalls"]
    assert app.session_state["toy_session"].config.loss.name == "minimax"


@pytest.mark.parametrize("page", ["pages/toy_lab.py", "pages/mnist_lab.py", "pages/latent_explorer.py"])
def test_in_presenter_mode_the_controls_move_from_the_sidebar_to_the_page(page):
    app = AppTest.from_file(str(PAGES.parent / "streamlit_app.py"), default_timeout=120)
    app.query_params["presenter"] = "1"
    app.run()
    app.switch_page(page).run()
    assert not app.exception
    assert [e.label for e in app.expander if e.label == "Controls"] == ["Controls"]
    assert not app.sidebar.selectbox and not app.sidebar.slider
    if page == "pages/toy_lab.py":  # the "Step N" heading above the plane grows with the page's text
        args = json.loads(app.get("component_instance")[0].proto.json_args)
        assert args["header"] == "Step 0" and args["header_scale"] == pytest.approx(22 / 16)
