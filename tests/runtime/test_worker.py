"""ganlab.runtime.worker's WorkerState: which groups train."""

import time

from ganlab.config import RunConfig, with_overrides
from ganlab.runtime import worker
from ganlab.runtime.group import RunSpec
from ganlab.runtime.worker import WorkerState
from ganlab.train import Trainer


def start_group(state: WorkerState, group_id: int) -> None:
    config = with_overrides(RunConfig(device="cpu", eval_every=0), {"batch_size": "16", "g.width": "16",
                                                                    "d.width": "16"})
    spec = RunSpec(config, Trainer(config).state_dict(), 0)
    state.handle("start", group_id, {"specs": [spec], "timeline_every": 2**62, "max_rate": 1e9})


def test_a_group_whose_page_asks_for_states_or_frames_keeps_training_and_one_nobody_asks_about_waits(monkeypatch):
    monkeypatch.setattr(worker, "IDLE_SECONDS", 0.3)
    state = WorkerState()
    for group_id in (1, 2, 3):
        start_group(state, group_id)
    assert len(state.training()) == 3  # just started: each is looked at
    for _ in range(6):  # 0.6 s: twice IDLE_SECONDS
        time.sleep(0.1)
        state.handle("states", 1, True)  # the MNIST Lab's refresh: states, never a frame
        state.handle("frame", 2, None)  # the Toy Lab's live plane
    assert state.training() == [state.groups[1], state.groups[2]]  # group 3's page went quiet: it waits
    state.handle("states", 3, True)
    assert len(state.training()) == 3  # and trains again when its page asks
