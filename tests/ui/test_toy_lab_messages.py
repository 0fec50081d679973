"""Toy Lab messages appear when they are actionable and go when they are not: the custom dataset asks
for points (no error) until it has some; a restart notice goes with the next Step."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ganlab.ui.toy_controls import NO_POINTS_YET, PREFIX

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "toy_lab.py")


def test_custom_dataset_gives_guidance_until_points_arrive():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    before = app.session_state["toy_session"].config
    app.selectbox(key=PREFIX + "data.name").set_value("custom").run()
    assert [e.value for e in app.error] == []
    assert [i.value for i in app.info] == [NO_POINTS_YET]
    assert app.session_state["toy_session"].config == before  # the run keeps its data meanwhile
    app.session_state["toy_points"] = [[0.0, 0.0], [1.0, 1.0]]
    app.run()
    assert not app.error
    assert NO_POINTS_YET not in [i.value for i in app.info]
    assert app.session_state["toy_session"].config.data.points == [[0.0, 0.0], [1.0, 1.0]]


def test_a_restart_notice_goes_with_the_next_step():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    app.slider(key=PREFIX + "g.depth").set_value(5).run()
    assert any(i.value.startswith("Restarted from step 0") for i in app.info)
    next(b for b in app.button if b.label == "Step").click().run()
    assert not any(i.value.startswith("Restarted") for i in app.info)
