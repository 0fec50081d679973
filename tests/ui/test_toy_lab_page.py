"""The Toy Lab page through streamlit's AppTest (no browser)."""

import base64
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganlab.checkpoint import load_checkpoint
from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.ui.toy_controls import NO_POINTS_YET, PREFIX
from ganlab.ui.toy_presets import PRESETS

# autouse: torch on one thread, as the app's server sets it (ganlab.ui.runtime.APP_TORCH_THREADS) and a
# worker has it; on a busy machine a second intra-op thread only waits
from tests.torch_threads import one_torch_thread  # noqa: F401

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "toy_lab.py")
STEP = re.compile(r"Step (\d+)")


def open_page() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not app.exception
    return app


def plane_args(app: AppTest, index: int = 0) -> dict:
    """What the live plot (ganlab.ui.live_plot) of the plane was given: spec, header, feed, period_ms."""
    return json.loads(app.get("component_instance")[index].proto.json_args)


def plane(app: AppTest, index: int = 0) -> dict:
    """The plane's figure: {"data": [...], "layout": {...}}."""
    return json.loads(plane_args(app, index)["spec"])


def step_number(app: AppTest) -> int:
    """The "Step N" heading above the plane."""
    return int(STEP.match(plane_args(app)["header"]).group(1))


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def test_step_advances_the_counter_by_one_and_reset_returns_to_zero():
    app = open_page()
    assert step_number(app) == 0
    button(app, "Step").click().run()
    session = app.session_state["toy_session"]
    assert session.phase == "d" and session.trainer.d_updates == 1  # D's half shown first
    assert plane(app)["layout"]["title"]["text"] == "step 0  ·  D updates 1  ·  G updates 0"
    assert plane_args(app)["header"] == "Step 0  ·  after D's update (G's update follows)"
    session.step_generator()
    app.run()
    assert step_number(app) == 1
    assert plane(app)["layout"]["title"]["text"] == "step 1  ·  D updates 1  ·  G updates 1"
    button(app, "Reset").click().run()
    assert step_number(app) == 0


def test_step_while_playing_pauses_and_the_controls_say_so():
    """Step is handled after Play was drawn disabled for the playing run: the page is drawn again, paused."""
    app = open_page()
    button(app, "Play").click().run()
    session = app.session_state["toy_session"]
    try:
        assert button(app, "Play").disabled is True
        button(app, "Step").click().run()
        assert not session.playing and session.phase == "d"
        assert button(app, "Play").disabled is False and button(app, "Pause").disabled is True
        assert plane_args(app)["feed"] is None and plane_args(app)["header"].endswith("(G's update follows)")
    finally:
        session.pause()


def test_while_playing_the_plane_is_fed_by_the_server_and_paused_it_gets_the_figure():
    from ganlab.ui.live_feed import FEED_PATH, find_feed

    app = open_page()
    assert plane_args(app)["feed"] is None and plane_args(app)["spec"]
    button(app, "Play").click().run()
    args = plane_args(app)
    try:
        assert args["spec"] is None and args["feed"].startswith(FEED_PATH + "/")
        assert args["period_ms"] == 66  # FRAME_SECONDS: 15 frames a second at most
        feed = find_feed(args["feed"].rsplit("/", 1)[1])
        assert feed.session is app.session_state["toy_session"] and "arrows" in feed.layers
    finally:
        app.session_state["toy_session"].pause()
    button(app, "Pause").click().run()
    assert plane_args(app)["feed"] is None and plane(app)["data"]


@pytest.mark.parametrize("name", [d for d in DATASETS if d != "custom"])
def test_every_dataset_renders(name):
    app = open_page()
    app.selectbox(key=PREFIX + "data.name").set_value(name).run()
    assert not app.exception
    assert app.session_state["toy_session"].config.data.name == name
    figure = plane(app)
    assert figure["layout"]["title"]["text"].startswith("step 0")
    assert {"discriminator", "real", "fake", "arrows"} <= {t.get("legendgroup") for t in figure["data"]}


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_renders(loss):
    app = open_page()
    app.selectbox(key=PREFIX + "loss.name").set_value(loss).run()
    assert not app.exception
    assert app.session_state["toy_session"].config.loss.name == loss


def test_a_preset_sets_the_widgets_it_claims():
    name = "Weight clipping vs gradient penalty"
    app = open_page()
    app.selectbox(key="toy_preset").set_value(name).run()
    assert not app.exception
    preset = PRESETS[name]
    assert app.selectbox(key=PREFIX + "loss.name").value == preset.overrides["loss.name"] == "wgan"
    assert app.selectbox(key=PREFIX + "data.name").value == "grid25"
    assert app.slider(key=PREFIX + "d_steps").value == 5
    assert app.session_state["toy_session"].config.g_opt.name == "rmsprop"
    assert any(preset.watch == c.value for c in app.caption)


def test_clearing_the_preset_box_keeps_the_settings_and_drops_its_note():
    """The crawler's finding: emptying the box (the select allows no choice) raised KeyError: None."""
    name = "Weight clipping vs gradient penalty"
    app = open_page()
    app.selectbox(key="toy_preset").set_value(name).run()
    config = app.session_state["toy_session"].config
    app.selectbox(key="toy_preset").set_value(None).run()
    assert not app.exception
    assert app.session_state["toy_session"].config == config
    assert not any(PRESETS[name].watch == c.value for c in app.caption)


def test_an_invalid_choice_keeps_the_last_good_run():
    app = open_page()
    app.number_input(key=PREFIX + "g_opt.lr").set_value(0.002).run()
    good = app.session_state["toy_session"].config
    assert good.g_opt.lr == 0.002
    app.selectbox(key=PREFIX + "data.name").set_value("custom").run()  # no points uploaded yet
    assert not app.exception
    assert not app.error and NO_POINTS_YET in [i.value for i in app.info]  # guidance, not an error
    assert app.session_state["toy_session"].config == good


def test_a_share_link_restores_the_config_and_a_bad_link_says_why():
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params["loss.name"] = "hinge"
    app.query_params["d_steps"] = "3"
    app.run()
    cfg = app.session_state["toy_session"].config
    assert (cfg.loss.name, cfg.d_steps) == ("hinge", 3)
    bad = AppTest.from_file(PAGE, default_timeout=60)
    bad.query_params["batch_size"] = "-5"
    bad.run()
    assert not bad.exception
    assert any("batch_size" in e.value for e in bad.error)


def test_custom_points_train_once_drawn():
    app = open_page()
    app.selectbox(key=PREFIX + "data.name").set_value("custom").run()
    assert not app.error and NO_POINTS_YET in [i.value for i in app.info]  # nothing drawn yet: says how to
    app.session_state["toy_points"] = [[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]]  # as the canvas leaves them
    app.run()
    assert not app.error
    assert app.session_state["toy_session"].config.data.points == [[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]]
    assert len(app.get("plotly_chart")) >= 1 and plane(app)["data"]  # the canvas and the plane


def test_training_tricks_apply_live_and_reach_the_share_link():
    app = open_page()
    button(app, "Step").click().run()
    app.session_state["toy_session"].step_generator()
    app.checkbox(key=PREFIX + "tricks.feature_matching").check().run()
    app.slider(key=PREFIX + "tricks.unrolled_steps").set_value(2).run()
    session = app.session_state["toy_session"]
    assert (session.config.tricks.feature_matching, session.config.tricks.unrolled_steps) == (True, 2)
    assert session.trainer.step_count == 1  # live change: the run goes on
    from ganlab.config import to_query

    assert "tricks.feature_matching=true" in to_query(session.config)
    app.checkbox(key=PREFIX + "tricks.minibatch_discrimination").check().run()
    assert app.session_state["toy_session"].trainer.step_count == 0  # D's shape changed: a new run
    assert not app.exception


def chart(app: AppTest, key: str) -> dict:
    """The figure of the side chart `key` (a live plot, ganlab.ui.live_plot, updated in place)."""
    found = [c for c in app.get("component_instance") if c.proto.id.endswith(f"-{key}")]
    assert len(found) == 1, [c.proto.id for c in app.get("component_instance")]
    return json.loads(json.loads(found[0].proto.json_args)["spec"])


def chart_args(app: AppTest, key: str) -> dict:
    found = [c for c in app.get("component_instance") if c.proto.id.endswith(f"-{key}")]
    assert len(found) == 1
    return json.loads(found[0].proto.json_args)


def test_while_playing_the_plane_watches_the_page_and_the_version_changes_with_what_the_page_shows():
    from ganlab.ui.live_feed import find_feed
    from ganlab.ui.toy_live import PAGE_SHOWN

    app = open_page()
    assert plane_args(app)["page"] is None  # paused: nothing to watch
    button(app, "Play").click().run()
    session = app.session_state["toy_session"]
    try:
        args = plane_args(app)
        assert re.fullmatch(r"[0-9a-f]{16}", args["page"]) and args["page"] == app.session_state[PAGE_SHOWN]
        feed = find_feed(args["feed"].rsplit("/", 1)[1])
        assert feed.watch() == args["page"]  # the board's first build: the charts and alarms the page drew
        board = app.session_state["_toy_chart_board"]
        charts, alarms = board.shape
        board.shape = (charts, (*alarms, "G's gradient norms reach ..."))
        assert feed.watch() != args["page"]  # a new alarm: the plane asks for a rerun
        board.shape = (charts, alarms)
        assert feed.watch() == args["page"]
        session.error = "diverged"
        assert feed.watch() != args["page"]
        session.error = None
    finally:
        session.pause()
    assert feed.watch() != args["page"]  # stopped (a divergence, the worker lost): the page must redraw
    app.run()  # the rerun the plane asked for
    assert plane_args(app)["page"] is None and plane_args(app)["feed"] is None and plane(app)["data"]
    assert button(app, "Play").disabled is False


def test_a_run_that_stops_while_the_page_is_drawn_gets_the_page_drawn_again_with_its_message():
    """The divergence found by the charts' refresh, after the controls and the (empty) error line were drawn
    for a playing run: the page runs again, so the message shows and Play is enabled."""
    app = open_page()
    button(app, "Play").click().run()
    session = app.session_state["toy_session"]
    refresh = session.refresh
    message = "training diverged at step 3: D's loss became nan (a stand-in for the worker's answer)"

    def diverge_once(full: bool = False) -> None:  # what a refresh finds when the worker's run diverged
        session.refresh = refresh
        session.pause()
        session.error = message

    try:
        session.refresh = diverge_once
        app.run()
        assert session.refresh == refresh  # the stop was found during this page run
        assert [e.value for e in app.error] == [message]
        assert button(app, "Play").disabled is False and button(app, "Pause").disabled is True
        assert plane_args(app)["feed"] is None and plane_args(app)["page"] is None
    finally:
        session.refresh = refresh
        session.pause()


def test_while_playing_the_side_charts_fetch_their_figures_from_the_server_not_through_reruns():
    from ganlab.ui.live_feed import FEED_PATH, find_feed

    app = open_page()
    assert chart_args(app, "toy_losses")["feed"] is None
    button(app, "Play").click().run()
    session = app.session_state["toy_session"]
    try:
        args = chart_args(app, "toy_losses")
        assert args["feed"].startswith(FEED_PATH + "/") and args["period_ms"] == 3000  # CHART_SECONDS
        assert json.loads(args["spec"])["data"]  # drawn at once, then fed
        feed = find_feed(args["feed"].rsplit("/", 1)[1])
        assert chart_args(app, "toy_divergence")["feed"] != args["feed"]
        deadline, step = time.monotonic() + 60, 0
        while step < 30 and time.monotonic() < deadline:  # the run trains in a worker meanwhile
            session.live_frame()  # what the plane's feed does (a worker drops a group nobody looks at)
            spec, step = feed.next_frame()
            time.sleep(0.2)
        figure = json.loads(spec)
        assert step == session.trainer.step_count >= 30  # the histories were brought from the worker
        assert figure["layout"]["uirevision"] == "losses"
        assert len(figure["data"]) == len(chart(app, "toy_losses")["data"])
        steps = figure["data"][0]["x"]  # D's loss over the steps the run has trained (a typed array)
        if isinstance(steps, dict):
            steps = np.frombuffer(base64.b64decode(steps["bdata"]), steps["dtype"])
        assert 0 < steps[-1] <= step
    finally:
        session.pause()
    time.sleep(1.1)  # the board keeps a build for CHART_SECONDS / 3
    assert feed.next_frame() is None  # paused: the chart keeps what it shows
    button(app, "Pause").click().run()
    assert chart_args(app, "toy_losses")["feed"] is None


def change_lines(figure: dict) -> list[tuple[float, str]]:
    return [(s["x0"], s["xref"]) for s in figure["layout"].get("shapes", []) if s.get("name") == "config-change"]


def test_a_mid_run_loss_change_is_marked_and_a_jsd_never_shares_an_axis_with_a_critic():
    app = open_page()
    session = app.session_state["toy_session"]
    session.trainer.step(4)
    session.trainer.evaluate()
    app.selectbox(key=PREFIX + "loss.name").set_value("wgan-gp").run()
    assert session.trainer.config_changes == [(4, "loss.name: nonsaturating -> wgan-gp")]
    session.trainer.step(4)
    session.trainer.evaluate()
    app.run()
    assert not app.exception
    assert change_lines(chart(app, "toy_losses")) == [(4, "x")]
    divergence = chart(app, "toy_divergence")
    axes = {t["name"]: t.get("yaxis", "y") for t in divergence["data"]}
    assert axes["D's estimate: (V + log 4) / 2"] == "y" and axes["D's estimate: E f(x) - E f(G(z))"] == "y2"
    assert axes["sample estimate (± 1 se)"] == "y" and axes["exact W1 (500 vs 500)"] == "y2"
    assert change_lines(divergence) == [(4, "x"), (4, "x2")]
    d_means = chart(app, "toy_d_means")
    assert [a["text"] for a in d_means["layout"]["annotations"] if "name" not in a] == [
        "D(x) as a probability", "D's raw score / critic f(x)"]
    metrics = chart(app, "toy_metrics")
    assert len(change_lines(metrics)) == len({t.get("yaxis", "y") for t in metrics["data"]})  # one per panel
    titles = [a["text"] for a in metrics["layout"]["annotations"] if "name" not in a]
    assert titles[0] == "modes covered<br>(mean ± sd of 4 draws of 2,500)"
    assert "high-quality samples, %<br>(mean ± sd of 4 draws)" in titles


def test_compare_mode_overlays_the_runs_and_keeps_both_runs_losses():
    app = open_page()
    app.checkbox(key="toy_compare").check().run()
    app.selectbox(key="toy_compare_loss").set_value("wgan-gp").run()
    assert not app.exception
    pair = app.session_state["toy_pair"]
    for run in (pair.main, pair.other):
        run.trainer.step(3)
        run.trainer.evaluate()
    app.run()
    assert not app.exception
    losses = chart(app, "toy_compare_losses")
    assert [a["text"] for a in losses["layout"]["annotations"] if "name" not in a] == [
        "A: losses (nonsaturating)", "B: losses (wgan-gp)"]
    assert {(t["name"], t.get("yaxis", "y")) for t in losses["data"]} == {
        ("D loss", "y"), ("G loss", "y"), ("D loss", "y2"), ("G loss", "y2")}
    divergence = chart(app, "toy_compare_divergence")
    estimates = {t["name"]: t.get("yaxis", "y") for t in divergence["data"] if "D's estimate" in t["name"]}
    assert estimates == {"A: D's estimate": "y", "B: D's estimate": "y2"}  # JSD and W1: separate panels
    metrics = chart(app, "toy_compare_metrics")
    mains = [(t["name"], t.get("yaxis", "y")) for t in metrics["data"] if t["name"] in ("A", "B")]
    panels = sorted({axis for _, axis in mains})
    assert mains == [(run, axis) for axis in panels for run in ("A", "B")]  # one panel per metric, A and B in it
    assert len(panels) >= 4


def test_step_in_compare_mode_advances_runs_a_and_b_by_exactly_one_step():
    app = open_page()
    app.checkbox(key="toy_compare").check().run()
    pair = app.session_state["toy_pair"]
    runs = (pair.main, pair.other)
    assert [plane_args(app, i)["header"] for i in (0, 1)] == ["Step 0", "Step 0"]
    button(app, "Step").click().run()
    assert [(r.phase, r.trainer.d_updates, r.trainer.g_updates) for r in runs] == [("d", 1, 0), ("d", 1, 0)]
    assert [plane_args(app, i)["header"] for i in (0, 1)] == [
        "Step 0  ·  after D's update (G's update follows)"] * 2
    app.run()  # the live fragment's next turn: G's half, both runs
    assert not app.exception
    assert [(r.phase, r.trainer.d_updates, r.trainer.g_updates, r.trainer.step_count) for r in runs] == [
        ("idle", 1, 1, 1), ("idle", 1, 1, 1)]
    assert [plane_args(app, i)["header"] for i in (0, 1)] == ["Step 1", "Step 1"]
    assert [plane(app, i)["layout"]["title"]["text"] for i in (0, 1)] == [
        "step 1  ·  D updates 1  ·  G updates 1"] * 2
    button(app, "Reset").click().run()
    assert [r.trainer.step_count for r in runs] == [0, 0]
    assert [plane_args(app, i)["header"] for i in (0, 1)] == ["Step 0", "Step 0"]


def test_compare_mode_turned_on_mid_run_restarts_a_with_b_and_off_leaves_a_alone():
    app = open_page()
    session = app.session_state["toy_session"]
    session.trainer.step(5)
    app.checkbox(key="toy_compare").check().run()
    pair = app.session_state["toy_pair"]
    assert (session.trainer.step_count, pair.other.trainer.step_count) == (0, 0)
    assert any(i.value.startswith("Compare mode: A and B start together from step 0") for i in app.info)
    app.checkbox(key="toy_compare").uncheck().run()
    assert session.partner is None and app.session_state["toy_pair"] is None
    button(app, "Step").click().run()
    app.run()
    assert (session.trainer.step_count, pair.other.trainer.step_count) == (1, 0)


def _children(node) -> list:
    kids = getattr(node, "children", None) or {}
    return list(kids.values()) if isinstance(kids, dict) else list(kids)


def _is(node, kind: str, key: str) -> bool:
    return getattr(node, "type", None) == kind and getattr(node, "key", None) == key


def _path_to(node, wanted, path=()) -> tuple | None:
    """The nodes from `node` down to the first one `wanted` accepts (depth first), or None."""
    path = (*path, node)
    if wanted(node):
        return path
    for child in _children(node):
        found = _path_to(child, wanted, path)
        if found:
            return found
    return None


def test_the_timeline_is_right_under_the_plane_in_its_column_and_scrubbing_shows_that_moment():
    app = open_page()
    session = app.session_state["toy_session"]
    for n in (3, 2):
        session.trainer.step(n)
        session.record()
    app.run()
    to_plane = _path_to(app.main, lambda n: _is(n, "component_instance", "toy_plane"))
    to_timeline = _path_to(app.main, lambda n: _is(n, "select_slider", "toy_moment"))
    column = next(n for n in reversed(to_plane) if getattr(n, "type", None) == "column")
    assert column in to_timeline  # the same column as the plane (the left one, beside the charts)
    parent = to_plane[-2]
    siblings = _children(parent)
    after_plane = siblings[siblings.index(to_plane[-1]) + 1]
    assert after_plane in to_timeline  # the next thing under the plane
    assert app.select_slider(key="toy_moment").value == 2
    app.select_slider(key="toy_moment").set_value(1).run()
    assert plane_args(app)["header"] == "Step 3"
    assert plane(app)["layout"]["title"]["text"] == "step 3  ·  D updates 3  ·  G updates 3"
    assert any(c.value == "Showing the timeline at step 3 (the run is at step 5)." for c in app.caption)
    button(app, "Branch from here").click().run()
    assert not app.exception
    assert session.trainer.step_count == 3 and [m["step"] for m in session.timeline] == [0, 3]
    assert plane_args(app)["header"] == "Step 3"
    assert any(i.value == "Branched from step 3: change a setting and press Play." for i in app.info)


def test_in_compare_mode_the_timeline_scrubs_both_planes_and_branches_both_runs():
    app = open_page()
    app.checkbox(key="toy_compare").check().run()
    session = app.session_state["toy_session"]
    pair = app.session_state["toy_pair"]
    for n in (3, 2):
        for run in (session, pair.other):
            run.trainer.step(n)
        session.record()
    app.run()
    app.select_slider(key="toy_moment").set_value(1).run()
    assert [plane_args(app, i)["header"] for i in (0, 1)] == ["Step 3", "Step 3"]
    assert any(c.value == "Showing the timeline at step 3 (the runs are at step 5)." for c in app.caption)
    button(app, "Branch from here").click().run()
    assert (session.trainer.step_count, pair.other.trainer.step_count) == (3, 3)
    assert [plane_args(app, i)["header"] for i in (0, 1)] == ["Step 3", "Step 3"]


def test_the_timelines_right_end_is_the_run_now_so_the_last_kept_moment_can_be_shown():
    app = open_page()
    session = app.session_state["toy_session"]
    session.trainer.step(3)
    session.record()
    session.trainer.step(2)  # past the last kept moment (step 3)
    app.run()
    timeline = app.select_slider(key="toy_moment")
    assert timeline.options == ["step 0", "step 3", "step 5 (now)"] and timeline.value == 2
    assert plane_args(app)["header"] == "Step 5"
    timeline.set_value(1).run()
    assert plane_args(app)["header"] == "Step 3"
    assert not next(b for b in app.button if b.label == "Branch from here").disabled


# every numeric option the Toy Lab shows, in links that make each one shown (ganlab.options declares them)
LINKS_SHOWING_EVERY_NUMBER = (
    {"data.name": "ring", "loss.name": "wgan"},
    {"data.name": "parallel-lines", "loss.name": "wgan-gp"},
    {"data.name": "disjoint-gaussians"},
)
SHOWN_NUMBERS = {
    0: ("data.std", "data.n_modes", "data.radius", "loss.clip", "tricks.historical_averaging",
        "tricks.unrolled_steps", "ema", "g.depth", "g.width", "d.depth", "d.width", "latent_dim", "g_opt.lr",
        "d_opt.lr", "batch_size", "d_steps", "g_steps"),
    1: ("data.theta", "loss.gp_lambda"),
    2: ("data.separation",),
}


@pytest.mark.parametrize("end", ["low", "high"])
@pytest.mark.parametrize("link", range(3))
def test_a_link_at_either_end_of_every_numbers_range_opens_with_the_widget_showing_it(link, end, monkeypatch):
    """The config's bounds are the widgets' limits (one declaration): a link the config accepts never
    raises in a widget (it did for d_steps=100 and latent_dim=256 before). (The top of every range at once
    is far over a live run's cost limit, which the next test covers: here the operator lifts it.)"""
    from ganlab.options import OPTIONS

    monkeypatch.setenv("GANLAB_MAX_STEP_GFLOP", "1e9")

    app = AppTest.from_file(PAGE, default_timeout=120)
    for path, value in LINKS_SHOWING_EVERY_NUMBER[link].items():
        app.query_params[path] = value
    for path in SHOWN_NUMBERS[link]:
        app.query_params[path] = f"{getattr(OPTIONS[path], end):g}"
    app.run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    cfg = app.session_state["toy_session"].config
    from ganlab.config import flatten

    for path in SHOWN_NUMBERS[link]:
        expected = getattr(OPTIONS[path], end)
        assert flatten(cfg)[path] == pytest.approx(expected, rel=1e-6), path
        widgets = [w for kind in ("number_input", "slider") for w in app.get(kind) if w.key == PREFIX + path]
        assert len(widgets) == 1 and widgets[0].value == pytest.approx(expected, rel=1e-6), path


def test_a_link_over_the_live_cost_limit_names_it_and_the_run_keeps_the_defaults():
    app = AppTest.from_file(PAGE, default_timeout=120)
    for path, value in {"g.width": "1024", "d.width": "1024", "batch_size": "8192"}.items():
        app.query_params[path] = value
    app.run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any(e.startswith("Not applied: cost: one iteration would take about") and "at most 50 GFLOP" in e
               for e in errors), errors
    cfg = app.session_state["toy_session"].config
    assert (cfg.g.width, cfg.batch_size) == (64, 256)  # the defaults train; the widgets show the link's values
    assert app.number_input(key=PREFIX + "batch_size").value == 8192


@pytest.mark.parametrize(("dataset", "shown"), [
    ("ring", {"data.std", "data.n_modes", "data.radius"}), ("checkerboard", set()),
    ("parallel-lines", {"data.theta"}), ("disjoint-gaussians", {"data.std", "data.separation"}),
    ("moons", {"data.std"})])
def test_the_data_section_shows_the_chosen_datasets_own_parameters(dataset, shown):
    app = open_page()
    app.selectbox(key=PREFIX + "data.name").set_value(dataset).run()
    assert not app.exception
    keys = {w.key[len(PREFIX):] for kind in ("number_input", "slider") for w in app.get(kind)
            if w.key and w.key.startswith(PREFIX + "data.")}
    assert keys == shown


def test_prepared_downloads_hold_the_run_at_the_step_their_names_give(tmp_path):
    app = open_page()
    for _ in range(3):
        button(app, "Step").click().run()
        app.session_state["toy_session"].step_generator()
        app.run()
    assert step_number(app) == 3
    button(app, "Prepare downloads").click().run()
    files = app.session_state["toy_downloads"]
    assert files["name"].endswith("-step3")
    path = tmp_path / f"{files['name']}.pt"
    path.write_bytes(files["pt"])
    state = load_checkpoint(path)["state"]
    assert state["step_count"] == 3 and int(state["g_opt"]["state"][0]["step"]) == 3  # the optimisers' too
    assert files["losses"].splitlines()[-1].startswith("3,")  # the losses up to that step
    labels = [b.proto.label for b in app.get("download_button")]
    assert labels == ["Animation (HTML)", "Metrics (CSV)", "Losses (CSV)", "Checkpoint (.pt)"]
