"""What one browser session holds beyond its widgets, and how it is given back.

`SessionResources` tracks the session's long-lived runs (Toy Lab, MNIST Lab, race, an Experiments sweep,
...) and its GPU slot. The app gets one per browser session through `st.cache_resource(scope="session",
on_release=...)` (see `session_resources` below): when the session disconnects, Streamlit calls
`release()`, which pauses every run (their worker threads stop), closes what has a `close()` (a sweep's
whole process group stops), drops them, gives the GPU slot back and empties torch's CUDA cache, so the
trainer and its GPU memory go with the session.

GPU slots: at most `GPU_RUNS` sessions train on the GPU at once (environment variable GANLAB_GPU_RUNS,
default 2); later sessions train on the CPU and are told so.
"""

from __future__ import annotations

import gc
import os
import threading

import streamlit as st
import torch

from ganlab.config import RunConfig
from ganlab.device import resolve_device

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


class SessionResources:
    """One browser session's runs and GPU slot; `release()` gives everything back (idempotent)."""

    def __init__(self, slots: GpuSlots = GPU_SLOTS):
        self.slots = slots
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
            for session in (run, getattr(run, "main", None), getattr(run, "other", None)):
                if session is None:
                    continue
                if hasattr(session, "playing"):
                    session.playing = False
                join = getattr(session, "join_worker", None)
                if join is not None:
                    join(2.0)
            close = getattr(run, "close", None)  # e.g. an Experiments sweep: stops its process group
            if close is not None:
                close()
        self.runs.clear()
        if self.gpu:
            self.slots.release()
        self.gpu = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _release(resources: SessionResources) -> None:
    resources.release()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def session_resources() -> SessionResources:
    """This browser session's SessionResources (released by Streamlit when the session disconnects)."""
    return SessionResources()
