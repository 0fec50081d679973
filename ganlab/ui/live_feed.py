"""Live frames over HTTP: while a Toy Lab run plays, its plane pulls each new frame from the server.

Drawing a frame through a Streamlit rerun costs the browser a React pass over the page on top of
Plotly's own drawing (a Chromium trace of the Toy Lab: about 45 ms a frame, 40 % of the renderer), and
the server a script run. Instead, each plane registers a PlaneFeed under an unguessable token; the live
plot (ganlab.ui.live_plot) fetches FEED_PATH/<token> in a loop and draws what comes back with
Plotly.react, while the page's fragment reruns only about once a second for the counter and the alarms.
`app.py` serves LIVE_ROUTES next to the Streamlit app (st.App).

A request trains nothing itself: it tells the session a frame was taken (ToySession.tick, which paces the
background worker exactly as a fragment tick did) and builds the frame from the run's current state.
In compare mode run A's feed drives: each of its frames also builds run B's frame from the same moment
(both runs held still together), and run B's feed serves that one, so the two planes show the same step.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ganlab.ui.toy_frames import live_snapshot, plane_spec
from ganlab.ui.toy_session import ComparePair, ToySession

FEED_PATH = "/api/ganlab/frame"

_FEEDS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # token -> PlaneFeed
_FEEDS_LOCK = threading.Lock()


@dataclass(eq=False)
class PlaneFeed:
    """What one plane shows: a run, its layers, and (for run A of a compare pair) the pair it paces."""

    session: ToySession
    layers: frozenset = frozenset()
    uirevision: str = "plane"
    pair: ComparePair | None = None
    drives: bool = True  # this feed's frames pace training (run B of a pair is paced through run A's)
    follower: PlaneFeed | None = None  # run B's feed: each of this feed's frames builds B's at the same step
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    _built: tuple[str, int] | None = field(default=None, init=False, repr=False)  # B: the frame A's built

    def __post_init__(self):
        with _FEEDS_LOCK:
            _FEEDS[self.token] = self

    @property
    def path(self) -> str:
        return f"{FEED_PATH}/{self.token}"

    def next_frame(self) -> tuple[str, int] | None:
        """The run's frame now (figure JSON, step), or None when it is not playing (paused, diverged).
        A feed that does not drive (run B's) serves the frame its driver last built for it (None until
        the first)."""
        session = self.session
        if not session.playing:
            self._built = None
            return None
        if not self.drives:
            return self._built
        follower = self.follower
        with session.reading():  # holds run B still too (its leader's hold)
            if self.pair is not None:
                self.pair.tick()
            else:
                session.tick()
            if not session.playing:
                return None
            snap = live_snapshot(session)
            other = live_snapshot(follower.session) if follower is not None else None
        if other is not None:
            follower._built = (plane_spec(follower.session, other, follower.layers, follower.uirevision),
                               int(other["step"]))
        return plane_spec(session, snap, self.layers, self.uirevision), int(snap["step"])


def find_feed(token: str) -> PlaneFeed | None:
    with _FEEDS_LOCK:
        return _FEEDS.get(token)


def frame_endpoint(request: Request) -> Response:
    """GET FEED_PATH/<token>: 200 with the figure JSON (header X-Ganlab-Step), 204 when the run is not
    playing, 404 for a token no live page holds (for example after the browser session ended)."""
    feed = find_feed(request.path_params["token"])
    if feed is None:
        return Response("unknown or expired live feed", status_code=404, media_type="text/plain")
    frame = feed.next_frame()
    if frame is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    spec, step = frame
    return Response(spec, media_type="application/json",
                    headers={"Cache-Control": "no-store", "X-Ganlab-Step": str(step)})


LIVE_ROUTES = [Route(FEED_PATH + "/{token}", frame_endpoint, methods=["GET"])]
