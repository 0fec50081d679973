import base64
import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganlab.runtime.jobs import job_runner
from ganlab.runtime.pool import Ticket, queued_message
from ganlab.theory.disjoint import KINDS, fit_discriminators
from ganlab.theory.race import RACE_LOSSES
from ganlab.ui.race_session import RaceSession
from ganlab.ui.session_resources import GpuSlots, SessionResources

# autouse: torch on one thread, as the app's server sets it (ganlab.ui.runtime.APP_TORCH_THREADS) and a
# worker has it; on a busy machine a second intra-op thread only waits
from tests.torch_threads import one_torch_thread  # noqa: F401
from tests.ui.apptest import open_with_query

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


@pytest.fixture
def one_worker(server_pool):
    """A pool of one worker process installed as the server's (training_pool()): the tests' shared one
    (tests/ui/conftest.py), holding no group when the test starts."""
    return server_pool


def play_until(app: AppTest, step: int, seconds: float = 180) -> RaceSession:
    """Rerun the page (as the race's fragment does every 0.5 s) until the race has measured `step`."""
    deadline = time.monotonic() + seconds
    race = app.session_state["div_race"]
    while race.step < step and time.monotonic() < deadline:
        time.sleep(0.5)
        app.run()
        race = app.session_state["div_race"]
    assert not app.exception and race.step >= step, race.error
    return race


def race_chart(app: AppTest) -> dict:
    """The race's figure, each trace's x and y as lists (Plotly sends numpy arrays as typed binary data)."""
    figure = charts(app)["div_race_chart"]
    for trace in figure["data"]:
        for axis in ("x", "y"):
            if isinstance(trace[axis], dict):
                trace[axis] = np.frombuffer(base64.b64decode(trace[axis]["bdata"]), trace[axis]["dtype"]).tolist()
    return figure


def button(app: AppTest, label: str):
    return next(b for b in app.button if b.label == label)


def test_the_race_plays_in_a_worker_and_pause_brings_it_home_to_continue_from(one_worker):
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    race = app.session_state["div_race"]
    assert race.step == 0 and race.remote is None and not race.playing
    start = race_chart(app)
    assert [t["name"] for t in start["data"]] == list(RACE_LOSSES) and start["layout"]["title"]["text"] == "step 0"
    assert all(t["x"] == [0] for t in start["data"])
    assert len({round(t["y"][0], 9) for t in start["data"]}) == 1 and start["data"][0]["y"][0] > 4.0
    assert any("the race ends at step 3,000" in m.value for m in app.markdown)
    button(app, "Play").click().run()
    race = app.session_state["div_race"]
    assert race.playing and race.remote is not None and race.remote.worker.pid != os.getpid()
    assert one_worker.stats()["groups"] == 1
    race = play_until(app, 50)
    shown = race_chart(app)
    assert shown["layout"]["title"]["text"] == f"step {race.step}"
    assert shown["data"][0]["x"] == list(range(0, race.step + 1, 25))  # W1 every 25 steps, nothing skipped
    button(app, "Pause").click().run()
    race = app.session_state["div_race"]
    paused = race.step
    assert not race.playing and race.remote is None and one_worker.stats()["groups"] == 0
    assert paused >= 50 and race.home["measured"] == paused
    assert all(state["step_count"] >= paused for state in race.home["trainers"].values())  # every runner home
    assert race_chart(app)["layout"]["title"]["text"] == f"step {paused}"
    before = {loss: rows.copy() for loss, rows in race.rows.items()}
    app.run()  # paused: nothing moves
    assert app.session_state["div_race"].step == paused
    button(app, "Play").click().run()
    race = play_until(app, paused + 25)
    for loss, rows in before.items():  # it went on from where it was
        np.testing.assert_array_equal(race.rows[loss][: len(rows)], rows)
        assert race.rows[loss][len(rows), 0] == paused + 25
    button(app, "Reset").click().run()
    race = app.session_state["div_race"]
    assert race.step == 0 and race.home is None and not race.playing and one_worker.stats()["groups"] == 0
    assert all(t["x"] == [0] for t in race_chart(app)["data"])


def test_a_lost_worker_says_so_and_play_continues_from_the_last_state_the_page_had(one_worker):
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    button(app, "Play").click().run()
    play_until(app, 25)
    race = app.session_state["div_race"]
    race.home_every = 0.0  # from now on, every tick brings a copy of the race's state home too
    race = play_until(app, race.step + 25)
    shown = race.step
    assert race.home["measured"] >= shown  # the copy is taken just after the frame
    os.kill(race.remote.worker.pid, signal.SIGKILL)
    time.sleep(0.5)
    app.run()
    assert not app.exception
    race = app.session_state["div_race"]
    home = race.home["measured"]
    assert not race.playing and race.remote is None and race.step == home and home >= shown >= 50
    errors = [e.value for e in app.error]
    assert len(errors) == 1
    assert errors[0].startswith("Race lost: the training worker process stopped (exit code -9)")
    assert errors[0].endswith(f"Press Play to continue from step {home}, the last state this page had.")
    assert race_chart(app)["layout"]["title"]["text"] == f"step {home}"
    assert race_chart(app)["data"][0]["x"] == list(range(0, home + 1, 25))
    kept = {loss: rows.copy() for loss, rows in race.rows.items()}
    assert not button(app, "Play").disabled
    button(app, "Play").click().run()
    assert not app.error
    race = play_until(app, home + 25)  # a fresh worker, from the state the page had
    for loss, rows in kept.items():
        np.testing.assert_array_equal(race.rows[loss][: len(rows)], rows)
        assert race.rows[loss][len(rows), 0] == home + 25
    button(app, "Pause").click().run()


def test_when_the_server_is_full_play_queues_with_its_place_and_the_race_starts_by_itself(one_worker):
    one_worker.max_runs = 1
    other = one_worker.start(Ticket(), {"kind": "race", "settings": {"losses": ["minimax"], "max_steps": 25},
                                        "state": None})  # another session's run holds the only slot
    app = AppTest.from_file(PAGE, default_timeout=120).run()
    button(app, "Play").click().run()
    race = app.session_state["div_race"]
    assert race.playing and race.remote is None and race.queue_position == 1
    assert queued_message(1) in [i.value for i in app.info]
    app.run()  # still full: it keeps its place
    assert app.session_state["div_race"].queue_position == 1 and one_worker.stats()["groups"] == 1
    other.stop()
    app.run()  # the fragment's next tick takes the free slot
    race = app.session_state["div_race"]
    assert race.remote is not None and race.queue_position is None
    assert queued_message(1) not in [i.value for i in app.info]
    play_until(app, 25)
    button(app, "Pause").click().run()
    assert one_worker.stats()["groups"] == 0


def test_a_lessons_link_with_race_play_starts_the_race_in_a_worker_once(one_worker):
    app = open_with_query(PAGE, distance="3", race="play")  # the lessons' "the race from distance 3"
    race = app.session_state["div_race"]
    assert race.playing and race.remote is not None and one_worker.stats()["groups"] == 1
    assert "div_race_playing" not in app.session_state  # acted on once, not a setting kept
    play_until(app, 25)
    button(app, "Pause").click().run()
    assert not app.session_state["div_race"].playing and one_worker.stats()["groups"] == 0


def test_the_race_stops_in_its_worker_when_the_browser_session_ends(one_worker):
    race, resources = RaceSession(), SessionResources(slots=GpuSlots(0))
    resources.track("race", race)  # as the page does
    race.play()
    assert race.remote is not None and one_worker.stats()["groups"] == 1
    resources.release()  # Streamlit calls this when the session disconnects
    assert not race.playing and race.remote is None and one_worker.stats()["groups"] == 0


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
