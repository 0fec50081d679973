import gc
import json
import time

import pytest
from starlette.requests import Request

from ganlab.config import RunConfig
from ganlab.ui.live_feed import (
    FEED_PATH,
    LIVE_ROUTES,
    RUNTIME_PATH,
    ChartBoard,
    ChartFeed,
    PlaneFeed,
    find_feed,
    frame_endpoint,
)
from ganlab.ui.toy_session import ComparePair, ToySession

LAYERS = frozenset({"discriminator", "real", "fake", "arrows"})


def get(token: str):
    return frame_endpoint(Request({"type": "http", "method": "GET", "path": f"{FEED_PATH}/{token}",
                                   "path_params": {"token": token}, "query_string": b"", "headers": []}))


def background_session() -> ToySession:
    return ToySession(RunConfig(device="cpu", batch_size=32), background=True)


def test_a_feed_is_found_by_its_token_until_the_page_drops_it():
    feed = PlaneFeed(background_session(), LAYERS)
    assert len(feed.token) >= 24 and feed.path == f"{FEED_PATH}/{feed.token}"
    assert find_feed(feed.token) is feed
    token = feed.token
    del feed
    gc.collect()
    assert find_feed(token) is None  # held weakly: gone with the browser session's state
    assert get(token).status_code == 404
    assert [route.path for route in LIVE_ROUTES] == [FEED_PATH + "/{token}", RUNTIME_PATH]


def test_a_paused_run_sends_no_frame_and_a_playing_one_sends_its_plane_and_trains_between_frames():
    session = background_session()
    feed = PlaneFeed(session, LAYERS)
    assert get(feed.token).status_code == 204
    session.play()
    try:
        first = get(feed.token)
        assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
        figure = json.loads(first.body)
        assert {t["legendgroup"] for t in figure["data"]} == LAYERS
        assert figure["layout"]["uirevision"] == "plane"
        step = int(first.headers["x-ganlab-step"])
        assert figure["layout"]["title"]["text"].startswith(f"step {step} ")
        deadline = time.monotonic() + 20  # the request started the worker: the next frames are later steps
        later = step
        while later == step and time.monotonic() < deadline:
            time.sleep(0.05)
            later = int(get(feed.token).headers["x-ganlab-step"])
        assert later > step
    finally:
        session.pause()
    assert get(feed.token).status_code == 204


def test_run_a_of_a_pair_paces_both_runs_and_builds_run_bs_frame_at_the_same_step():
    main = background_session()
    pair = ComparePair(main, {"loss.name": "wgan-gp"})
    assert pair.other.background
    feed_b = PlaneFeed(pair.other, LAYERS, uirevision="toy_plane_b", drives=False)
    feed_a = PlaneFeed(main, LAYERS, follower=feed_b)
    main.play()
    try:
        assert pair.other.playing  # Play drives both
        assert get(feed_b.token).status_code == 204  # no frame of B until A's request builds one
        pairs = []
        deadline = time.monotonic() + 20
        while (not pairs or pairs[-1][0] == 0) and time.monotonic() < deadline:
            a, b = get(feed_a.token), get(feed_b.token)
            figure_b = json.loads(b.body)
            assert figure_b["layout"]["uirevision"] == "toy_plane_b"
            pairs.append((int(a.headers["x-ganlab-step"]), int(b.headers["x-ganlab-step"]),
                          figure_b["layout"]["title"]["text"]))
            time.sleep(0.05)
        assert pairs[-1][0] > 0
        for step_a, step_b, title_b in pairs:  # every frame: B drawn at A's step
            assert step_a == step_b and title_b.startswith(f"step {step_a} ")
    finally:
        main.pause()
    assert not pair.other.playing
    assert get(feed_b.token).status_code == 204 and get(feed_a.token).status_code == 204


def test_the_pacer_spaces_frames_by_their_cost_with_a_floor_of_min_frame_rate():
    from ganlab.ui.live_feed import FRAME_SECONDS, MIN_FRAME_RATE, FramePacer

    pacer = FramePacer(share=0.2, cores=2)
    pacer.frame_cpu = 0.004
    assert pacer.interval() == FRAME_SECONDS  # nobody playing yet
    for k in range(30):
        pacer._served[f"feed{k}"] = time.monotonic()
    # 30 feeds x 4 ms per frame within 0.2 x 2 cores: each feed every 0.3 s
    assert pacer.interval() == pytest.approx(30 * 0.004 / 0.4)
    pacer.frame_cpu = 0.05  # dear frames: still MIN_FRAME_RATE each
    assert pacer.interval() == pytest.approx(1 / MIN_FRAME_RATE)
    pacer.frame_cpu = 0.0
    pacer.served("feed0", 0.010)  # a frame's cost is counted into the running mean
    assert pacer.frame_cpu == pytest.approx(0.05 * 0.010)


def test_the_pacers_default_share_is_the_operators_frame_percent(monkeypatch):
    from ganlab import operator_settings as ops
    from ganlab.ui.live_feed import FramePacer

    monkeypatch.setenv("GANLAB_FRAME_PERCENT", "25")
    ops.clear_cache()
    try:
        pacer = FramePacer(cores=2)
        pacer.frame_cpu = 0.004
        for k in range(30):
            pacer._served[f"feed{k}"] = time.monotonic()
        assert pacer.share == 0.25
        assert pacer.interval() == pytest.approx(30 * 0.004 / (0.25 * 2))  # 0.24 s: each feed ~4 frames/s
        monkeypatch.delenv("GANLAB_FRAME_PERCENT")
        ops.clear_cache()
        assert pacer.share == 0.10  # unset: 10 %
        assert FramePacer(share=0.2).share == 0.2  # given: the one given
    finally:
        ops.clear_cache()


def test_in_a_crowd_the_pacer_asks_for_a_coarser_surface_and_gives_full_resolution_back_below_a_margin():
    from ganlab.ui.live_feed import CROWD_GRID, CROWD_SPACING, FINE_AGAIN, FramePacer

    pacer = FramePacer(share=0.2, cores=2)
    for k in range(30):
        pacer._served[f"feed{k}"] = time.monotonic()
    crowd_cpu = CROWD_SPACING * 0.4 / 30  # the frame cost at which 30 feeds are spaced CROWD_SPACING apart
    assert CROWD_SPACING == 0.2  # 5 frames a second each
    pacer.frame_cpu = 0.99 * crowd_cpu
    assert pacer.grid_size() is None  # more than 5 frames a second: the session's own grid
    pacer.frame_cpu = 1.01 * crowd_cpu
    assert pacer.grid_size() == CROWD_GRID and CROWD_GRID < 64
    pacer.frame_cpu = (FINE_AGAIN + 0.01) * crowd_cpu  # the cheaper frames alone do not flip it back
    assert pacer.grid_size() == CROWD_GRID
    pacer.frame_cpu = (FINE_AGAIN - 0.01) * crowd_cpu
    assert pacer.grid_size() is None
    pacer.frame_cpu = (FINE_AGAIN + 0.01) * crowd_cpu  # nor do dearer ones below the margin
    assert pacer.grid_size() is None


def heatmap_shape(spec: str) -> tuple[int, int]:
    (heatmap,) = [t for t in json.loads(spec)["data"] if t["type"] == "heatmap"]
    shape = heatmap["z"]["shape"]
    return tuple(map(int, shape.split(",") if isinstance(shape, str) else shape))


def test_a_frames_cost_counts_the_workers_snapshot_and_a_crowd_gets_the_surface_from_the_worker_coarser():
    from ganlab.ui.live_feed import CROWD_GRID, FramePacer, serve_frame
    from ganlab.ui.toy_handoff import SNAPSHOT_GRID

    session = background_session()
    feed = PlaneFeed(session, LAYERS)
    pacer = FramePacer(share=0.2, cores=2)
    pacer.frame_cpu = 0.0
    session.play()
    try:
        deadline = time.monotonic() + 60
        while (frame := serve_frame(feed, pacer)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feed.worker_cpu > 0  # the worker's CPU for the snapshot came with the frame
        assert pacer.frame_cpu >= 0.05 * feed.worker_cpu
        assert heatmap_shape(frame[0]) == (SNAPSHOT_GRID, SNAPSHOT_GRID)
        for k in range(30):  # 29 more feeds playing, with dear frames
            pacer._served[f"other{k}"] = time.monotonic()
        pacer.frame_cpu = 0.05
        crowded = serve_frame(feed, pacer)
        assert heatmap_shape(crowded[0]) == (CROWD_GRID, CROWD_GRID) and crowded[1] >= frame[1]
        assert session.live_snap["d_score"].shape == (CROWD_GRID, CROWD_GRID)
    finally:
        session.close()


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """live_feed's time.monotonic() reads clock[0] (100.0 at first); a test moves it."""
    from ganlab.ui import live_feed

    now = [100.0]
    monkeypatch.setattr(live_feed.time, "monotonic", lambda: now[0])
    return now


def test_frames_are_spaced_start_to_start_so_building_one_does_not_lower_the_rate(monkeypatch, clock):
    from ganlab.ui import live_feed

    slept = []
    monkeypatch.setattr(live_feed.time, "sleep", lambda seconds: slept.append(seconds))
    pacer = live_feed.FramePacer(share=0.2, cores=2)
    pacer.frame_cpu = 0.0
    clock[0] = 100.02
    pacer.served("feed0", 0.001, began=100.0)  # began at 100.00, went out 20 ms later
    clock[0] = 100.05  # the next request comes 30 ms after the frame went out
    pacer.wait_turn("feed0")
    # it waits for 100.00 + FRAME_SECONDS, not for 100.02 + FRAME_SECONDS
    assert slept == [pytest.approx(100.0 + live_feed.FRAME_SECONDS - 100.05)]


def test_a_chart_board_builds_once_per_refresh_and_keeps_the_latest_shape(monkeypatch, clock):
    calls = []

    def build():
        calls.append(clock[0])
        if len(calls) == 3:
            return None  # the run paused
        return {"losses": f'{{"n": {len(calls)}}}'}, 10 * len(calls), ("losses", len(calls))

    board = ChartBoard(build, max_age=1.0)
    losses, missing = ChartFeed(board, "losses"), ChartFeed(board, "metrics")
    assert losses.next_frame() == ('{"n": 1}', 10) and missing.next_frame() is None
    clock[0] += 0.9
    assert losses.next_frame() == ('{"n": 1}', 10) and len(calls) == 1  # within max_age: the same build
    clock[0] += 0.1
    assert losses.next_frame() == ('{"n": 2}', 20) and board.shape == ("losses", 2)
    clock[0] += 1.0
    assert losses.next_frame() is None and board.shape == ("losses", 2)  # paused: nothing, the shape kept
    monkeypatch.undo()  # the clock moves on: a new build, playing again
    assert get(losses.token).status_code == 200 and get(missing.token).status_code == 204
    assert ChartFeed(ChartBoard(None), "losses").next_frame() is None


def test_a_chart_feed_serves_its_figure_over_http_unpaced():
    board = ChartBoard(lambda: ({"losses": '{"data": []}'}, 42, None))
    feed = ChartFeed(board, "losses")
    assert find_feed(feed.token) is feed and feed.path == f"{FEED_PATH}/{feed.token}"
    started = time.monotonic()
    for _ in range(5):  # a plane's feed would be paced (FramePacer); a chart asks every few seconds itself
        response = get(feed.token)
        assert response.status_code == 200 and response.body == b'{"data": []}'
        assert response.headers["x-ganlab-step"] == "42"
    assert time.monotonic() - started < 1.0


def test_a_watched_plane_names_the_pages_version_in_every_answer_and_an_unwatched_one_does_not():
    session = background_session()
    versions = iter(["v1", "v2"])
    watched, plain = PlaneFeed(session, LAYERS, watch=lambda: next(versions)), PlaneFeed(session, LAYERS)
    paused = get(watched.token)
    assert paused.status_code == 204 and paused.headers["x-ganlab-page"] == "v1"  # stopped: the page must know
    assert "x-ganlab-page" not in get(plain.token).headers
    session.play()
    try:
        playing = get(watched.token)
        assert playing.status_code == 200 and playing.headers["x-ganlab-page"] == "v2"
        assert "x-ganlab-page" not in get(plain.token).headers
    finally:
        session.pause()


def test_a_chart_board_builds_again_when_older_than_the_age_asked(clock):
    calls = []
    board = ChartBoard(lambda: calls.append(clock[0]) or ({"losses": "{}"}, 1, "shape"), max_age=1.0)
    board.specs()
    clock[0] += 2.0
    assert board.specs(max_age=6.0) == ({"losses": "{}"}, 1) and len(calls) == 1  # 2 s old: young enough
    clock[0] += 4.0
    board.specs(max_age=6.0)
    assert calls == [100.0, 106.0] and board.shape == "shape"
    board.seed({"losses": "drawn"}, 7)  # the page built and drew these: the feeds answer with them at first
    clock[0] += 0.9
    assert ChartFeed(board, "losses").next_frame() == ("drawn", 7) and len(calls) == 2
    clock[0] += 0.1
    assert ChartFeed(board, "losses").next_frame() == ("{}", 1) and len(calls) == 3
