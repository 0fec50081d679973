import time

import torch

from ganlab.config import RunConfig
from ganlab.ui.session_resources import GpuSlots, SessionResources, session_resources
from ganlab.ui.toy_session import ToySession


def test_release_pauses_runs_stops_their_workers_and_drops_them():
    session = ToySession(RunConfig(device="cpu", batch_size=32), background=True)
    resources = SessionResources(GpuSlots(1))
    resources.track("toy", session)
    session.play()
    session._frame_taken()  # a frame was drawn: the worker starts training
    deadline = time.time() + 10
    while session.trainer.step_count == 0 and time.time() < deadline:
        time.sleep(0.01)
    assert session.trainer.step_count > 0 and session._worker.is_alive()
    resources.release()
    assert not session.playing and not session._worker.is_alive()
    assert resources.runs == {} and resources.released
    steps = session.trainer.step_count
    time.sleep(0.2)
    assert session.trainer.step_count == steps  # nothing trains after the session ended
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
