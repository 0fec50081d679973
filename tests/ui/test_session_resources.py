import gc
import time
import weakref

import torch

from ganlab.config import RunConfig
from ganlab.ui.session_resources import (
    ClosedSessions,
    GpuSlots,
    SessionResources,
    session_end_marker,
    session_resources,
)
from ganlab.ui.toy_session import ToySession


def test_release_stops_runs_and_their_groups_leave_the_training_workers():
    from ganlab.runtime.pool import training_pool

    session = ToySession(RunConfig(device="cpu", batch_size=32), background=True)
    resources = SessionResources(GpuSlots(1))
    resources.track("toy", session)
    session.play()
    deadline = time.time() + 60
    frame = None
    while (frame is None or frame["step"] == 0) and time.time() < deadline:
        frame = session.live_frame()
        time.sleep(0.05)
    group = session.remote.group_id
    assert frame["step"] > 0 and training_pool().worker_of(group) is not None
    resources.release()
    assert not session.playing and session.remote is None and training_pool().worker_of(group) is None
    assert resources.runs == {} and resources.released
    assert session.live_frame() is None  # nothing trains after the session ended
    resources.release()  # idempotent


def test_gpu_slots_limit_sessions_and_come_back_on_release(monkeypatch):
    slots = GpuSlots(1)
    monkeypatch.setattr("ganlab.ui.session_resources.resolve_device", lambda name: torch.device("cuda"))
    first, second = SessionResources(slots), SessionResources(slots)
    assert first.device_for(RunConfig()) == "auto" and first.gpu and slots.in_use == 1
    assert first.device_for(RunConfig()) == "auto" and slots.in_use == 1  # kept for the session, not re-taken
    assert second.device_for(RunConfig()) == "cpu" and second.gpu is False
    assert "GPU is busy" in second.device_note and "CPU" in second.device_note
    first.release()
    assert slots.in_use == 0
    third = SessionResources(slots)
    assert third.device_for(RunConfig()) == "auto" and slots.in_use == 1


def test_cpu_only_machines_never_take_a_slot():
    slots = GpuSlots(0)
    resources = SessionResources(slots)
    assert resources.device_for(RunConfig(device="cpu")) == "cpu" and resources.gpu is None
    assert resources.device_note is None


def test_the_app_gets_one_per_session_released_by_streamlit():
    assert session_resources._info.scope == "session"
    assert session_resources._info.on_release is not None


class Held:
    """Stands for a run a page script's globals hold."""


def test_a_closed_sessions_state_is_collected_once_streamlit_drops_it():
    """Issue 18: Streamlit drops a closed session's state long after its release (disconnectedSessionTTL),
    the state and what it holds are reference cycles (a page's globals and its functions), and an idle server
    never collected them: a thread collects while a released session's state is alive, then stops."""
    closed = ClosedSessions(every=0.05)
    run = Held()
    state: dict = {"toy_session": [run]}
    state["toy_session"].append(state)  # a cycle through the state, as Streamlit's session state is
    marker = session_end_marker(state, closed)
    assert session_end_marker(state, closed) is marker  # one per session
    resources = SessionResources(GpuSlots(0), closed)
    resources.session_end = weakref.ref(marker)
    alive = weakref.ref(run)
    del run, marker
    was_enabled = gc.isenabled()
    gc.disable()  # no automatic collection: only ClosedSessions' can free the cycle
    try:
        resources.release()  # the websocket closed; Streamlit keeps the state a while
        time.sleep(0.3)
        assert alive() is not None and closed.pending() == 1 and closed.collecting()
        del state  # Streamlit drops the session
        deadline = time.time() + 10
        while (alive() is not None or closed.collecting()) and time.time() < deadline:
            time.sleep(0.01)
        assert alive() is None and closed.pending() == 0 and not closed.collecting()
    finally:
        if was_enabled:
            gc.enable()


def test_a_session_that_reconnects_is_not_waited_for():
    closed = ClosedSessions(every=0.05)
    state: dict = {}
    marker = session_end_marker(state, closed)
    closed.add(marker)  # released: the websocket closed
    assert closed.pending() == 1
    assert session_end_marker(state, closed) is marker  # the browser reconnected within the TTL
    assert closed.pending() == 0
    deadline = time.time() + 10
    while closed.collecting() and time.time() < deadline:
        time.sleep(0.01)
    assert not closed.collecting()  # the collecting thread stopped
