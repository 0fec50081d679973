"""What one browser session holds beyond its widgets, and how it is given back.

`SessionResources` tracks the session's long-lived runs (Toy Lab, MNIST Lab, race, an Experiments sweep,
...) and its GPU slot. The app gets one per browser session through `st.cache_resource(scope="session",
on_release=...)` (see `session_resources` below): when the session disconnects, Streamlit calls
`release()`, which pauses every run (their worker threads stop), closes what has a `close()` (a sweep's
whole process group stops), drops them, gives the GPU slot back and empties torch's CUDA cache, so the
trainer and its GPU memory go with the session.

Streamlit keeps a disconnected session (st.session_state included) for `server.disconnectedSessionTTL`
seconds (default 120) so that a browser that reconnects finds its runs, and drops it when its store is next
written after that (the next session to disconnect). What the session held is then freed only by the
garbage collector: the page scripts' globals (which hold the ToySession and MnistSession) and the functions
defined in them form reference cycles, and so do a Trainer and its Rollback and Evaluator. An idle server
allocates nothing, so it runs no collection, and the session's state is itself in a cycle: dropping it
frees nothing at once (measured: 5 closed sessions held ~700 MB of the server's memory). So each
session keeps a `SessionEnd` marker in st.session_state; release() hands it (weakly) to `ClosedSessions`,
whose thread collects every COLLECT_EVERY seconds, and trims glibc's heap, until the marker is gone (issue 18).

GPU slots: at most `GPU_RUNS` sessions train on the GPU at once (environment variable GANLAB_GPU_RUNS,
default 2); later sessions train on the CPU and are told so.
"""

from __future__ import annotations

import os
import threading
import time
import weakref

import streamlit as st
import torch

from ganlab.config import RunConfig
from ganlab.device import resolve_device
from ganlab.runtime.memory import collect_garbage

GPU_RUNS = max(0, int(os.environ.get("GANLAB_GPU_RUNS", "2")))


class GpuSlots:
    """A counting limit on sessions that train on the GPU (thread-safe)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.in_use = 0
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            if self.in_use >= self.limit:
                return False
            self.in_use += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.in_use = max(0, self.in_use - 1)


GPU_SLOTS = GpuSlots(GPU_RUNS)


SESSION_END_KEY = "_ganlab_session_end"
COLLECT_EVERY = 20.0  # seconds between collections while a closed session's state is alive


class SessionEnd:
    """Kept in a session's st.session_state: alive exactly as long as the session's state."""

    __slots__ = ("__weakref__",)


class ClosedSessions:
    """The SessionEnd markers (weakly) of sessions that disconnected. While one is alive a thread collects
    every `every` seconds; it stops once all are gone (their sessions dropped and collected) or reconnected."""

    def __init__(self, every: float = COLLECT_EVERY):
        self.every = every
        self._markers: list[weakref.ref] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, marker: SessionEnd) -> None:
        with self._lock:
            self._markers.append(weakref.ref(marker))
            if self._thread is None:
                self._thread = threading.Thread(target=self._collect_while_pending, name="ganlab-session-gc",
                                                daemon=True)
                self._thread.start()

    def discard(self, marker: SessionEnd) -> None:
        """The session reconnected: its state is in use again."""
        with self._lock:
            self._markers = [ref for ref in self._markers if ref() not in (None, marker)]

    def pending(self) -> int:
        with self._lock:
            return sum(ref() is not None for ref in self._markers)

    def collecting(self) -> bool:
        with self._lock:
            return self._thread is not None

    def _collect_while_pending(self) -> None:
        while True:
            time.sleep(self.every)
            collect_garbage()
            with self._lock:
                self._markers = [ref for ref in self._markers if ref() is not None]
                if not self._markers:
                    self._thread = None
                    return


CLOSED_SESSIONS = ClosedSessions()


def session_end_marker(state, closed: ClosedSessions = CLOSED_SESSIONS) -> SessionEnd:
    """`state`'s (a session's st.session_state) SessionEnd marker, put there on the session's first call. A
    marker already there means the session reconnected: it is no longer waiting to be collected."""
    marker = state.get(SESSION_END_KEY)
    if marker is None:
        marker = state[SESSION_END_KEY] = SessionEnd()
    else:
        closed.discard(marker)
    return marker


class SessionResources:
    """One browser session's runs and GPU slot; `release()` gives everything back (idempotent)."""

    def __init__(self, slots: GpuSlots = GPU_SLOTS, closed: ClosedSessions = CLOSED_SESSIONS):
        self.slots = slots
        self.closed = closed
        self.session_end: weakref.ref | None = None  # the session state's SessionEnd marker (the app's)
        self.runs: dict[str, object] = {}
        self.gpu: bool | None = None  # None: not decided yet; True: holds a slot; False: CPU
        self.device_note: str | None = None
        self.released = False

    def track(self, name: str, run: object) -> object:
        """Remember a run (replacing one of the same name) so release() can stop it; returns it."""
        self.runs[name] = run
        return run

    def device_for(self, config: RunConfig) -> str:
        """The device this session's runs use: the GPU while a slot is free (kept for the session), else cpu."""
        wanted = config.device
        try:
            resolved = resolve_device(wanted)
        except ValueError:
            return wanted  # validation elsewhere names the field
        if resolved.type != "cuda":
            return wanted
        if self.gpu is None:
            self.gpu = self.slots.acquire()
            if not self.gpu:
                self.device_note = (f"The GPU is busy ({self.slots.limit} sessions already train on it): "
                                    "this session trains on the CPU.")
        return wanted if self.gpu else "cpu"

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        for run in self.runs.values():
            stop = getattr(run, "close", None) or getattr(run, "pause", None)
            if stop is not None:  # a Toy Lab run leaves its worker; a sweep's whole process group stops
                stop()
            elif hasattr(run, "playing"):
                run.playing = False
        self.runs.clear()
        if self.gpu:
            self.slots.release()
        self.gpu = None
        marker = self.session_end() if self.session_end is not None else None
        if marker is not None:  # Streamlit keeps the session's state a while: collect once it lets it go
            self.closed.add(marker)
        collect_garbage()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _release(resources: SessionResources) -> None:
    resources.release()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def session_resources() -> SessionResources:
    """This browser session's SessionResources (released by Streamlit when the session disconnects; what its
    state holds is collected once Streamlit drops the session: ClosedSessions)."""
    resources = SessionResources()
    resources.session_end = weakref.ref(session_end_marker(st.session_state))
    return resources
