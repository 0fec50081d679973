"""The Divergences page's race as a worker's group (ganlab.runtime.race_group): the same curve as the race
stepped in-process, W1 every 25 steps, a diverging runner stops alone, bounded histories, and the race
through a real worker process (frames; a killed worker is WorkerLost)."""

import math
import os
import pickle
import signal
import time

import numpy as np
import pytest
import torch

from ganlab.runtime.pool import Ticket, WorkerLost
from ganlab.runtime.race_group import MEASURE_EVERY, RaceGroup
from ganlab.runtime.worker import WorkerState
from ganlab.theory.race import Race
from tests.torch_threads import one_torch_thread, torch_threads  # noqa: F401 - autouse: one torch thread

LOSSES = ["minimax", "nonsaturating", "lsgan"]  # the three quickest runners (wgan-gp is ~6x slower)


def settings(max_steps: int = 100) -> dict:
    return {"losses": LOSSES, "seed": 0, "offset": 4.0, "lr": 1e-3, "max_steps": max_steps}


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    """The race stepped in-process 25 steps at a time to step 100, as the page did before."""
    with torch_threads(1):
        race = Race(**settings())
        while not race.finished:
            race.step(MEASURE_EVERY)
    return race.distances()


def train_until(group: RaceGroup, step: int) -> None:
    """One piece of work at a time until the race has measured `step` (or cannot train)."""
    while group.trainable and group.step < step:
        group.train_slice(0)


def test_a_race_group_draws_the_curve_of_the_race_stepped_in_process(reference):
    group = RaceGroup(settings())
    while group.trainable:
        assert group.train_slice(0.01) > 0
    assert group.race.finished and group.step == 100 and group.train_slice(0.01) == 0
    frame = group.frame()
    assert set(frame["rows"]) == set(LOSSES) and frame["stopped"] == {} and frame["finished"] is True
    for loss in LOSSES:
        rows = frame["rows"][loss]
        assert rows[:, 0].tolist() == [0, 25, 50, 75, 100]  # measured every MEASURE_EVERY steps
        np.testing.assert_allclose(rows, reference[loss], rtol=1e-6, atol=0)
        assert group.race.trainers[loss].step_count == 100
    assert reference["minimax"][0, 1] > 4.0  # the start is disjoint from the data
    assert reference["nonsaturating"][-1, 1] < reference["nonsaturating"][0, 1] - 0.1  # it moved towards it
    newer = group.frame({loss: 3 for loss in LOSSES})["rows"]  # only the rows the page has not got
    for loss in LOSSES:
        np.testing.assert_array_equal(newer[loss], frame["rows"][loss][3:])
        assert newer[loss].shape == (2, 2)


def test_a_race_brought_home_mid_interval_continues_where_it_was(reference):
    group = RaceGroup(settings())
    train_until(group, 50)
    for _ in range(7):  # a few runner iterations past the measurement: the runners are between two
        group.train_slice(0)
    steps = sorted(t.step_count for t in group.race.trainers.values())
    assert steps[0] >= 50 and steps[-1] > 50
    home = pickle.loads(pickle.dumps(group.states()))  # as it crosses the pipe
    assert home["step"] == 50 and home["finished"] is False
    assert [s for s, _ in home["race"]["history"]["minimax"]] == [0, 25, 50]
    again = RaceGroup(settings(), home["race"])
    assert {loss: t.step_count for loss, t in again.race.trainers.items()} == {
        loss: t.step_count for loss, t in group.race.trainers.items()}
    while again.trainable:
        again.train_slice(0.01)
    for loss, rows in again.race.distances().items():
        np.testing.assert_allclose(rows, reference[loss], rtol=1e-6, atol=0)


def test_a_diverging_runner_stops_alone_and_the_others_go_on(reference):
    group = RaceGroup(settings())
    train_until(group, 50)
    with torch.no_grad():
        for weight in group.race.trainers["lsgan"].D.parameters():
            weight.fill_(math.nan)  # lsgan's D blows up after step 50
    while group.trainable:
        group.train_slice(0.01)
    frame = group.frame()
    assert list(frame["stopped"]) == ["lsgan"] and frame["finished"] is True and frame["failure"] is None
    assert frame["stopped"]["lsgan"].startswith("training diverged at step 51")
    assert "restored to its last good state, step 50" in frame["stopped"]["lsgan"]
    assert frame["rows"]["lsgan"][:, 0].tolist() == [0, 25, 50]  # its curve ends where it stopped
    np.testing.assert_allclose(frame["rows"]["lsgan"], reference["lsgan"][:3], rtol=1e-6, atol=0)
    assert group.race.trainers["lsgan"].step_count == 50
    for loss in ("minimax", "nonsaturating"):  # the other runners trained to the end, untouched
        np.testing.assert_allclose(frame["rows"][loss], reference[loss], rtol=1e-6, atol=0)


def test_the_race_ends_at_its_step_budget_so_its_histories_stay_bounded():
    race = Race(losses=["minimax"], max_steps=60)
    for _ in range(10):
        race.step(25)
    assert race.finished and race.measured == 60
    assert race.distances()["minimax"][:, 0].tolist() == [0, 25, 50, 60]  # the last measurement at the budget
    assert race.trainers["minimax"].step_count == 60
    group = RaceGroup({"losses": ["minimax"], "max_steps": 60})
    while group.trainable:
        group.train_slice(0.01)
    assert group.frame()["rows"]["minimax"][:, 0].tolist() == [0, 25, 50, 60]
    np.testing.assert_allclose(group.frame()["rows"]["minimax"], race.distances()["minimax"], rtol=1e-6, atol=0)


def test_the_worker_starts_a_race_from_its_start_payload():
    state = WorkerState()
    state.handle("start", 1, {"kind": "race", "settings": settings(25), "state": None})
    assert isinstance(state.groups[1], RaceGroup) and state.training() == [state.groups[1]]
    state.handle("rate", 1, 10.0)  # a race trains at full speed; the command is harmless
    while state.training():
        state.train_next(state.training())
    assert state.handle("frame", 1, None)["step"] == 25
    assert state.handle("stop", 1, None)["race"]["measured"] == 25 and state.groups == {}


def test_a_race_in_a_worker_process_sends_its_frames_and_a_killed_worker_is_lost(reference, clean_pool):
    pool = clean_pool  # the shared pool (tests/runtime/conftest.py): its workers started ahead, no group on them
    remote = pool.start(Ticket(), {"kind": "race", "settings": settings(50), "state": None})
    assert remote is not None and remote.worker.pid != os.getpid()
    rows = {loss: np.zeros((0, 2)) for loss in LOSSES}
    deadline, frames = time.monotonic() + 120, 0
    while time.monotonic() < deadline:
        frame = remote.frame({loss: len(r) for loss, r in rows.items()})  # only the new rows come
        frames += 1
        rows = {loss: np.vstack([rows[loss], frame["rows"][loss]]) for loss in LOSSES}
        if frame["finished"]:
            break
        time.sleep(0.05)
    assert frame["finished"] and frame["step"] == 50 and frames >= 2
    for loss in LOSSES:
        np.testing.assert_allclose(rows[loss], reference[loss][:3], rtol=1e-6, atol=0)
    home = remote.stop()
    assert home["race"]["measured"] == 50 and pool.stats()["groups"] == 0
    assert Race(**settings(50), state=home["race"]).trainers["minimax"].step_count == 50

    remote = pool.start(Ticket(), {"kind": "race", "settings": settings(), "state": home["race"]})
    assert remote.frame()["step"] == 50
    os.kill(remote.worker.pid, signal.SIGKILL)
    with pytest.raises(WorkerLost, match="exit code -9"):
        remote.frame()
    assert pool.stats()["groups"] == 0
