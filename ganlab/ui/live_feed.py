"""Live frames over HTTP: while a Toy Lab run plays, its plane pulls each new frame from the server.

Drawing a frame through a Streamlit rerun costs the browser a React pass over the page on top of
Plotly's own drawing (a Chromium trace of the Toy Lab: about 45 ms a frame, 40 % of the renderer), and
the server a script run. Instead, each plane registers a PlaneFeed under an unguessable token; the live
plot (ganlab.ui.live_plot) fetches FEED_PATH/<token> in a loop and draws what comes back with
Plotly.react. The page does not rerun while the run plays: each answer also names the version of what the
page around the plane shows (the charts' layout, the health alarms, whether the run still plays, an error,
a place in the queue; PlaneFeed.watch), and the live plot asks Streamlit for a rerun only when that is no
longer the version the page drew.
`app.py` serves LIVE_ROUTES next to the Streamlit app (st.App).

A request trains nothing itself: the run trains in a worker process (ganlab.runtime), and the request asks
it for the run's snapshot now (ToySession.live_frame), from which the server builds the figure. In compare
mode run A's feed drives: the worker sends A's and B's snapshots of the same step, A's feed builds both
figures, and run B's feed serves its one, so the two planes show the same step.

The Toy Lab's side charts (losses, divergence, D's outputs, metrics) are fed the same way while a run plays,
every few seconds: a ChartFeed per chart, all served from one ChartBoard that builds the page's charts
from the run's histories once per refresh.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ganlab.operator_settings import frame_share
from ganlab.runtime.pool import training_pool
from ganlab.ui.toy_frames import plane_spec
from ganlab.ui.toy_handoff import FRAME_SECONDS
from ganlab.ui.toy_session import ToySession

FEED_PATH = "/api/ganlab/frame"
RUNTIME_PATH = "/api/ganlab/runtime"

_FEEDS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # token -> PlaneFeed
_FEEDS_LOCK = threading.Lock()


class _Feed:
    """What a live plot fetches from: registered under its unguessable `token` (a field of each feed) for
    find_feed, while the page's session state holds it."""

    token: str

    def __post_init__(self):
        with _FEEDS_LOCK:
            _FEEDS[self.token] = self

    @property
    def path(self) -> str:
        return f"{FEED_PATH}/{self.token}"


@dataclass(eq=False)
class PlaneFeed(_Feed):
    """What one plane shows: a run, its layers, and (for run A of a compare pair) run B's feed, which it
    builds frames for."""

    session: ToySession
    layers: frozenset = frozenset()
    uirevision: str = "plane"
    drives: bool = True  # this feed asks the worker for frames (run B's of a pair is served by run A's)
    follower: PlaneFeed | None = None  # run B's feed: each of this feed's frames builds B's at the same step
    # what the page around the plane shows now, as a short version string (None: not watched); each answer
    # names it (PAGE_HEADER), and the live plot asks for a rerun when it is not the one the page drew
    watch: Callable[[], str] | None = field(default=None, repr=False)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    _built: tuple[str, int] | None = field(default=None, init=False, repr=False)  # B: the frame A's built
    worker_cpu: float = field(default=0.0, init=False, repr=False)  # the worker's CPU for the last frame

    def next_frame(self, grid_size: int | None = None) -> tuple[str, int] | None:
        """The run's frame now (figure JSON, step), D's surface on a `grid_size` grid (default the session's),
        or None when it is not playing (paused, diverged) or waits for a training slot. A feed that does not
        drive (run B's) serves the frame its driver last built for it (None until the first)."""
        session = self.session
        if not session.playing:
            self._built = None
            return None
        if not self.drives:
            return self._built
        frame = session.live_frame(grid_size)  # from the worker that trains the run(s): A's and, paired, B's
        if frame is None:
            return None
        self.worker_cpu = float(frame.get("cpu_seconds", 0.0))
        snaps, step = frame["snapshots"], int(frame["step"])
        follower = self.follower
        if follower is not None and len(snaps) > 1:
            follower._built = (plane_spec(follower.session, snaps[1], follower.layers, follower.uirevision), step)
        return plane_spec(session, snaps[0], self.layers, self.uirevision), step


class ChartBoard:
    """Every side chart of a page while its run plays, as figure JSON by chart key, built by `build` (which
    returns ({key: spec}, step, shape), or None when the run is not playing) and kept for `max_age` seconds,
    so that the charts' requests of one refresh share one build (one read of the run's histories). `shape`
    is the page's to define (what decides the layout around the charts); the latest built is kept."""

    def __init__(self, build: Callable[[], tuple[dict[str, str], int, object] | None] | None = None,
                 max_age: float = 1.0):
        self.build = build
        self.max_age = max_age
        self.shape = None
        self._built: tuple[dict[str, str], int] | None = None
        self._built_at = -math.inf
        self._lock = threading.Lock()

    def seed(self, specs: dict[str, str], step: int) -> None:
        """The page has just built and drawn these figures: the feeds answer with them until `max_age`."""
        with self._lock:
            self._built, self._built_at = (specs, step), time.monotonic()

    def specs(self, max_age: float | None = None) -> tuple[dict[str, str], int] | None:
        """({key: figure JSON}, step) now, or None when the run is not playing; built again when the last
        build is older than `max_age` (default: the board's)."""
        with self._lock:
            if time.monotonic() - self._built_at >= (self.max_age if max_age is None else max_age):
                built = self.build() if self.build is not None else None
                self._built = None if built is None else built[:2]
                if built is not None:
                    self.shape = built[2]
                self._built_at = time.monotonic()
            return self._built


@dataclass(eq=False)
class ChartFeed(_Feed):
    """One side chart's feed while its run plays: the chart fetches its figure from here every few seconds
    (ganlab.ui.toy_live.CHART_SECONDS) instead of through a Streamlit rerun of the charts' fragment, which
    cost the browser a React pass over the page and the server a script run per refresh."""

    board: ChartBoard
    key: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    def next_frame(self) -> tuple[str, int] | None:
        """This chart's figure now (JSON, the run's step), or None when the run is not playing or the chart
        has nothing to show yet."""
        built = self.board.specs()
        if built is None or self.key not in built[0]:
            return None
        return built[0][self.key], built[1]


class FramePacer:
    """Keeps the work on live frames (the worker's snapshot and the server's figure) to about `share` of the
    machine's cores (default the operator's GANLAB_FRAME_PERCENT: 10 %), so that many sessions playing at once
    leave the cores to training (issue 19): each feed's frames are spaced at least max(FRAME_SECONDS, feeds
    playing x CPU seconds per frame / (share x cores)) apart, but never more than 1 / MIN_FRAME_RATE, and a
    request that comes early waits for its turn. One session gets every frame it asks for; thirty get a few
    each per second, and at least MIN_FRAME_RATE.

    In a crowd, when the frames' share spaces them CROWD_SPACING or more apart (5 a second or fewer: no
    session's plane moves smoothly then), D's surface is drawn on a CROWD_GRID grid instead of the session's
    (`grid_size`): 48 x 48 points through D cost the worker 60 % of 64 x 64 (a default run's snapshot:
    1.2 ms against 1.6), and the heatmap is drawn smoothed either way (zsmooth "fast"). Measured with 30
    students (benchmarks/classroom.py, GANLAB_FRAME_PERCENT 10): 1.55x headless at 2.2 frames/s with 64 x 64,
    1.63x at 2.6 frames/s with 48 x 48. It goes back to full resolution only when the wanted spacing falls
    below FINE_AGAIN of CROWD_SPACING, so that the cheaper frames it brings do not flip it back and forth."""

    def __init__(self, share: float | None = None, cores: int | None = None):
        self._share, self.cores = share, cores or os.cpu_count() or 1
        self.frame_cpu = 0.005  # CPU seconds the server and the worker spend on one frame (running mean)
        self.crowded = False    # frames CROWD_SPACING apart or more: D's surface on the CROWD_GRID
        self._served: dict[str, float] = {}  # feed token -> when it was last served
        self._lock = threading.Lock()

    @property
    def share(self) -> float:
        """The share of the cores frames may use: the one given, else the operator's (GANLAB_FRAME_PERCENT)."""
        return self._share if self._share is not None else frame_share()

    def interval(self) -> float:
        now = time.monotonic()
        floor = 1.0 / MIN_FRAME_RATE
        with self._lock:
            self._served = {t: at for t, at in self._served.items() if now - at < ACTIVE_SECONDS}
            wanted = max(1, len(self._served)) * self.frame_cpu / (self.share * self.cores)
            self.crowded = wanted >= CROWD_SPACING or (self.crowded and wanted >= FINE_AGAIN * CROWD_SPACING)
            return min(max(FRAME_SECONDS, wanted), floor)

    def grid_size(self) -> int | None:
        """D's surface resolution for the next frame: CROWD_GRID in a crowd, else None (the session's)."""
        self.interval()
        return CROWD_GRID if self.crowded else None

    def wait_turn(self, token: str) -> None:
        with self._lock:
            last = self._served.get(token)
        if last is not None:
            delay = last + self.interval() - time.monotonic()
            if delay > 0:
                time.sleep(min(delay, MAX_WAIT))

    def served(self, token: str, cpu_seconds: float | None, began: float | None = None) -> None:
        """A frame was served to `token`, built with `cpu_seconds` of CPU (None: no frame, not playing),
        starting at `began` (time.monotonic(); default now): frames are spaced start to start, so that the
        time a frame takes to build does not lower the rate."""
        with self._lock:
            if cpu_seconds is None:
                self._served.pop(token, None)
                return
            self._served[token] = time.monotonic() if began is None else began
            self.frame_cpu += 0.05 * (cpu_seconds - self.frame_cpu)


ACTIVE_SECONDS = 2.0  # a feed that asked within this long counts as playing
MIN_FRAME_RATE = 2.2  # frames/s every playing feed is paced for at least (so >= 2 arrive), however many play
MAX_WAIT = 2.0        # the longest an early request waits
CROWD_SPACING = 0.2   # frames spaced this far apart or more (5 a second or fewer): D's surface on ...
CROWD_GRID = 48       # ... a grid this size (FramePacer)
FINE_AGAIN = 0.7      # ... until the wanted spacing falls below this share of CROWD_SPACING
PACER = FramePacer()


def serve_frame(feed: PlaneFeed, pacer: FramePacer = PACER) -> tuple[str, int] | None:
    """feed.next_frame(), in the feed's turn and at the grid the crowd allows (FramePacer)."""
    pacer.wait_turn(feed.token)
    began, started = time.monotonic(), time.thread_time()
    frame = feed.next_frame(pacer.grid_size())
    pacer.served(feed.token, None if frame is None else time.thread_time() - started + feed.worker_cpu, began)
    return frame


def find_feed(token: str) -> PlaneFeed | ChartFeed | None:
    with _FEEDS_LOCK:
        return _FEEDS.get(token)


PAGE_HEADER = "X-Ganlab-Page"  # a watched plane's answers: the version of the page around it now (PlaneFeed.watch)


def frame_endpoint(request: Request) -> Response:
    """GET FEED_PATH/<token>: 200 with the figure JSON (header X-Ganlab-Step), 204 when the run is not
    playing, 404 for a token no live page holds (for example after the browser session ended). A watched
    plane's 200 and 204 name the page's version now (PAGE_HEADER)."""
    feed = find_feed(request.path_params["token"])
    if feed is None:
        return Response("unknown or expired live feed", status_code=404, media_type="text/plain")
    frame = serve_frame(feed) if isinstance(feed, PlaneFeed) else feed.next_frame()  # a chart: not paced
    headers = {"Cache-Control": "no-store"}
    if isinstance(feed, PlaneFeed) and feed.watch is not None:
        headers[PAGE_HEADER] = feed.watch()
    if frame is None:
        return Response(status_code=204, headers=headers)
    spec, step = frame
    return Response(spec, media_type="application/json", headers={**headers, "X-Ganlab-Step": str(step)})


def runtime_endpoint(request: Request) -> Response:
    """GET RUNTIME_PATH: the training runtime's state for the operator, as JSON: its worker processes (pid,
    alive, groups), the groups training, the Plays queued and GANLAB_MAX_RUNS. Counts only: nothing of
    any session."""
    return Response(json.dumps(training_pool().stats()), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


LIVE_ROUTES = [Route(FEED_PATH + "/{token}", frame_endpoint, methods=["GET"]),
               Route(RUNTIME_PATH, runtime_endpoint, methods=["GET"])]
