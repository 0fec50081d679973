"""RunGroup: the runs a training worker owns, driven here in-process (no worker)."""

import copy
import time

import pytest
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.runtime.group import CHECK_EVERY, RunGroup, RunSpec
from ganlab.train import Trainer


def small(**overrides) -> RunConfig:
    return with_overrides(RunConfig(device="cpu", batch_size=32, eval_every=0), overrides)


def spec(config: RunConfig) -> RunSpec:
    trainer = Trainer(config)
    return RunSpec(config, copy.deepcopy(trainer.state_dict()), last_kept=0)


def train_to(group: RunGroup, step: int) -> None:
    deadline = time.monotonic() + 60
    while group.step < step and time.monotonic() < deadline:
        group.train_slice(0.01)


def test_a_group_continues_a_run_bit_for_bit_as_one_trainer_would():
    config = small()
    group = RunGroup([spec(config)], max_rate=1e9)
    train_to(group, 300)
    alone = Trainer(config)
    alone.step(group.step)
    trained = group.states()["states"][0]
    for net in ("G", "D"):
        for name, value in alone.state_dict()[net].items():
            assert torch.equal(trained[net][name], value), (net, name)
    assert trained["step_count"] == alone.step_count == group.step


def test_a_pair_trains_in_lockstep_and_keeps_moments_at_the_same_steps():
    a, b = small(**{"tricks.unrolled_steps": "2"}), small()
    group = RunGroup([spec(a), spec(b)], timeline_every=50, moment_seconds=0, max_rate=1e9)
    train_to(group, 230)
    assert group.trainers[0].step_count == group.trainers[1].step_count == group.step
    moments = group.take_moments()
    steps_a, steps_b = ([m["step"] for m in moments[i]] for i in (0, 1))
    assert steps_a == steps_b and len(steps_a) == 4 and all(s >= 50 * (k + 1) for k, s in enumerate(steps_a))
    assert all(later - earlier >= 50 for earlier, later in zip(steps_a, steps_a[1:], strict=False))
    assert group.take_moments() == [[], []]  # taken once
    frame = group.frame()
    assert frame["step"] == group.step and len(frame["snapshots"]) == 2
    assert frame["snapshots"][0]["fake"].shape == (128, 2) and frame["divergence"] is None
    assert "history" not in frame["snapshots"][0] and "metrics" not in frame["snapshots"][0]  # the plane only
    assert 0 < frame["cpu_seconds"] < 5


def test_at_full_speed_moments_are_kept_at_most_every_moment_seconds(monkeypatch):
    import ganlab.runtime.group as group_module

    clock = [1000.0]  # the group's clock, moved on 1/16 s per slice: the test does not depend on the machine
    monkeypatch.setattr(group_module.time, "monotonic", lambda: clock[0])
    group = RunGroup([spec(small())], timeline_every=1, moment_seconds=0.5, max_rate=1e9)
    for _ in range(32):  # 2 s of the group's clock
        clock[0] += 0.0625
        group.train_slice(0.002)
    monkeypatch.undo()
    kept = [m["step"] for m in group.take_moments()[0]]
    assert len(kept) == 4  # at 1000.5, 1001.0, 1001.5, 1002.0: every 0.5 s, not at every step
    assert group.step >= 32 and kept == sorted(set(kept))


def test_the_rate_limit_bounds_iterations_per_second():
    group = RunGroup([spec(small())], max_rate=200.0)
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        group.train_slice(0.01)
        time.sleep(0.001)
    # 200 per second, plus at most the 0.2 s saved up (40)
    assert 150 <= group.step <= 200 * (time.monotonic() - start) + 40 + 1


def test_checks_run_every_so_many_steps_so_the_history_follows():
    group = RunGroup([spec(small())], timeline_every=10**6, max_rate=1e9)
    train_to(group, CHECK_EVERY + 5)
    history = group.trainers[0].history
    assert len(history) >= CHECK_EVERY  # checked into the history without a frame


def test_a_divergence_stops_the_group_at_the_last_good_state_and_names_the_run():
    wild = small(**{"g_opt.name": "sgd", "d_opt.name": "sgd", "g_opt.lr": "10", "d_opt.lr": "10",
                    "loss.name": "wgan-gp", "loss.gp_lambda": "10000"})
    group = RunGroup([spec(small()), spec(wild)], max_rate=1e9)
    deadline = time.monotonic() + 60
    while group.trainable and time.monotonic() < deadline:
        group.train_slice(0.01)
        group.frame()
    assert group.divergence is not None and group.divergence.label == "B"
    assert group.train_slice(0.01) == 0  # stopped
    err = group.divergence.error()
    assert err.run_label == "B" and "diverged at step" in str(err)
    state = group.states()["states"][1]
    assert state["step_count"] == err.restored_step < err.step  # back at the last good state
    assert all(torch.isfinite(v).all() for net in ("G", "D") for v in state[net].values())


@pytest.mark.parametrize("every", [1, 7])
def test_moments_are_kept_every_so_many_steps_after_the_last_kept(every):
    group = RunGroup([RunSpec(small(), spec(small()).state, last_kept=0)], timeline_every=every, moment_seconds=0,
                     max_rate=1e9)
    group.train_slice(0.05)
    steps = [m["step"] for m in group.take_moments()[0]]
    assert steps and all(b - a >= every for a, b in zip([0, *steps], steps, strict=False))
