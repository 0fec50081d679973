"""RunGroup: the runs a training worker owns, driven here in-process (no worker)."""

import copy
import time

import numpy as np
import pytest
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.likelihood import make_trainer
from ganlab.rollback import TrainingDiverged
from ganlab.runtime.group import CHECK_EVERY, RunGroup, RunSpec
from ganlab.train import Trainer
from tests.torch_threads import torch_threads


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


def test_the_rate_limit_bounds_iterations_per_second(monkeypatch):
    # on a clock the test moves (a real one made the count depend on how busy the machine was)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    group = RunGroup([spec(small())], max_rate=50.0)
    for _ in range(20):
        clock[0] += 0.05
        group.train_slice(10.0)  # a long slice: only the rate stops it
    assert group.step == pytest.approx(50, abs=1)  # 1 s at 50 a second
    clock[0] += 10.0  # idle for 10 s: at most 0.2 s of iterations were saved up
    before = group.step
    group.train_slice(10.0)
    assert group.step - before == 10


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
    steps, deadline = [], time.monotonic() + 60
    while len(steps) < 3 and time.monotonic() < deadline:  # by moments, not seconds: a slow machine once
        group.train_slice(0.01)  # did fewer than 7 iterations in one 0.05 s slice
        steps += [m["step"] for m in group.take_moments()[0]]
    assert len(steps) >= 3 and all(b - a >= every for a, b in zip([0, *steps], steps, strict=False))


# --- a group of a GAN, a VAE and a flow (the GAN, VAE and flow page): make_trainer picks each trainer ---------

@pytest.fixture(autouse=True)
def one_torch_thread():
    """Torch on one thread, as in a worker (a busy machine made two-thread steps hundreds of times slower):
    every test of the module (autouse), the in-process groups above too."""
    with torch_threads(1):
        yield


def family(model: str) -> RunConfig:
    return small(model=model, **{"vae.width": "32", "flow.depth": "4", "flow.width": "32"})


def family_spec(config: RunConfig) -> RunSpec:
    return RunSpec(config, copy.deepcopy(make_trainer(config).state_dict()), last_kept=0)


@pytest.mark.usefixtures("one_torch_thread")
def test_a_group_of_gan_vae_and_flow_trains_each_bit_for_bit_as_its_own_trainer():
    configs = [family(m) for m in ("gan", "vae", "flow")]
    group = RunGroup([family_spec(c) for c in configs], timeline_every=2**62, max_rate=1e9, snapshot_grid=16,
                     labels=["GAN", "VAE", "flow"])
    assert [type(t).__name__ for t in group.trainers] == ["Trainer", "LikelihoodTrainer", "LikelihoodTrainer"]
    train_to(group, 70)
    steps = group.step
    assert [t.step_count for t in group.trainers] == [steps] * 3
    states = group.states()["states"]
    for config, state in zip(configs, states, strict=True):
        alone = make_trainer(config)
        alone.step(steps)
        expected = alone.state_dict()
        nets = ("G", "D") if config.model == "gan" else ("model",)
        for net in nets:
            for name, value in expected[net].items():
                assert torch.equal(state[net][name], value), (config.model, net, name)
        assert torch.equal(state["rng"], expected["rng"]) and state["step_count"] == steps


@pytest.mark.usefixtures("one_torch_thread")
def test_frames_dispatch_each_run_to_its_snapshot_and_light_states_leave_every_optimiser_out():
    group = RunGroup([family_spec(family(m)) for m in ("gan", "vae", "flow")], max_rate=1e9,
                     snapshot_samples=40, snapshot_grid=12)
    group.train_slice(0.05)
    frame = group.frame()
    gan, vae, flow = frame["snapshots"]
    assert gan["fake"].shape == (40, 2) and gan["d_score"].shape == (12, 12) and "history" not in gan
    assert vae["model"] == "vae" and vae["log_density"].shape == (12, 12) and vae["latent_means"].shape == (40, 2)
    assert flow["model"] == "flow" and flow["warp"].shape[0] == 2 and flow["samples"].shape == (40, 2)
    assert all(s["step"] == frame["step"] == group.step for s in frame["snapshots"])
    light = group.states(light=True)["states"]
    assert not {"g_opt", "d_opt"} & set(light[0]) and "G" in light[0]
    assert "opt" not in light[1] and "opt" not in light[2] and "model" in light[1]
    assert "opt" in group.states()["states"][1]  # the full state keeps it


@pytest.mark.usefixtures("one_torch_thread")
def test_every_run_of_a_group_of_three_is_checked_and_named_in_a_divergence(monkeypatch):
    group = RunGroup([family_spec(family(m)) for m in ("gan", "vae", "flow")], max_rate=1e9,
                     labels=["GAN", "VAE", "flow"])
    assert RunGroup([family_spec(family("flow"))] * 3).labels == ["A", "B", "C"]  # the default names

    def diverge():
        raise TrainingDiverged(7, "loss", float("nan"), 5)

    monkeypatch.setattr(group.trainers[2], "check", diverge)  # the third run (before: only A and B were)
    assert group.check() is False
    assert (group.divergence.label, group.divergence.step, group.divergence.restored_step) == ("flow", 7, 5)
    assert group.train_slice(0.01) == 0 and group.frame()["divergence"].error().run_label == "flow"


@pytest.mark.usefixtures("one_torch_thread")
def test_moments_of_likelihood_runs_keep_their_snapshot():
    group = RunGroup([family_spec(family("vae"))], timeline_every=5, moment_seconds=0, max_rate=1e9)
    train_to(group, 12)
    moments = group.take_moments()[0]
    assert moments and all(m["snapshot"]["model"] == "vae" and "state" in m for m in moments)
    assert [m["snapshot"]["step"] for m in moments] == [m["step"] for m in moments]


def _diverging_spec(config: RunConfig, good_steps: int) -> RunSpec:
    """A run trained `good_steps` steps, handed over with its learning rate raised to 10 (it diverges within a
    few steps: the loss turns non-finite)."""
    trainer = make_trainer(config)
    trainer.step(good_steps)
    state = copy.deepcopy(trainer.state_dict())
    state["opt"]["param_groups"][0]["lr"] = 10.0
    return RunSpec(config, state, last_kept=0)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("via_frames", [False, True])
def test_a_divergence_in_one_run_of_three_takes_all_three_back_to_one_step(via_frames):
    """The diverging VAE is found either by its own check inside a slice (every 64 steps) or by the group's
    check before a frame; either way the GAN, checked before it, and the flow go back to the VAE's step."""
    configs = [family(m) for m in ("gan", "vae", "flow")]
    specs = [family_spec(configs[0]), _diverging_spec(configs[1], 0), family_spec(configs[2])]
    group = RunGroup(specs, timeline_every=2**62, max_rate=1e9, labels=["GAN", "VAE", "flow"])
    assert all(t.rollback.keep_previous for t in group.trainers)
    deadline = time.monotonic() + 60
    while group.trainable and time.monotonic() < deadline:
        group.train_slice(0.002 if via_frames else 5.0)
        if via_frames:
            group.frame()
    assert group.divergence is not None and group.divergence.label == "VAE"
    err = group.divergence.error()
    back = err.restored_step
    assert [t.step_count for t in group.trainers] == [back] * 3 and back < err.step
    assert group.step == back and group.states()["step"] == back and group.train_slice(0.01) == 0
    for trainer in group.trainers:  # no history row after the step they are back at
        assert trainer.history.as_arrays()["step"].tolist() == list(range(1, back + 1))
        assert trainer.rollback.step == back  # its last good state: the one it is at
    for trainer, config in zip(group.trainers[::2], configs[::2], strict=True):  # the healthy ones, as if alone
        alone = make_trainer(config)
        alone.step(back)
        net = "G" if config.model == "gan" else "model"
        for name, value in alone.state_dict()[net].items():
            assert torch.equal(trainer.state_dict()[net][name], value), (config.model, name)


@pytest.mark.usefixtures("one_torch_thread")
def test_after_a_later_divergence_the_healthy_runs_keep_their_history_up_to_the_common_step():
    configs = [family(m) for m in ("gan", "vae", "flow")]
    states = []
    for config in configs:  # 70 good steps each, then the VAE's learning rate raised
        trainer = make_trainer(config)
        trainer.step(70)
        states.append(copy.deepcopy(trainer.state_dict()))
    states[1]["opt"]["param_groups"][0]["lr"] = 10.0
    group = RunGroup([RunSpec(c, s, 0) for c, s in zip(configs, states, strict=True)], timeline_every=2**62,
                     max_rate=1e9, labels=["GAN", "VAE", "flow"])
    deadline = time.monotonic() + 60
    while group.trainable and time.monotonic() < deadline:
        group.train_slice(5.0)
    assert group.divergence.label == "VAE" and group.divergence.error().restored_step == 70
    assert [t.step_count for t in group.trainers] == [70] * 3
    for trainer in group.trainers:
        steps = trainer.history.as_arrays()["step"]
        assert steps[-1] == 70 and len(steps) == 70  # rows 1..70 kept, the rows checked after them gone


def test_a_frame_of_healthy_runs_copies_no_state_and_the_regular_checks_still_run():
    group = RunGroup([spec(small())], timeline_every=10**6, max_rate=1e9)
    group.train_slice(0.0)  # one iteration
    trainer = group.trainers[0]
    kept_at = trainer.rollback.step
    frame = group.frame()
    assert frame["step"] == group.step == 1 and frame["divergence"] is None
    assert trainer.rollback.step == kept_at == 0  # not checked (a check keeps this state as the good one)
    train_to(group, CHECK_EVERY + 1)
    assert trainer.rollback.step >= CHECK_EVERY  # checked on the way, without a frame


def test_a_frame_whose_picture_is_not_finite_checks_first_and_shows_the_last_good_state():
    group = RunGroup([spec(small())], timeline_every=10**6, max_rate=1e9)
    train_to(group, 40)
    assert group.check()
    trainer, good = group.trainers[0], group.step
    assert trainer.rollback.step == good
    with torch.no_grad():
        next(trainer.D.parameters()).fill_(float("nan"))  # D's surface turns NaN
    group.train_slice(0.0)  # one more iteration, unchecked (fewer than CHECK_EVERY)
    assert group.step == good + 1 and group.divergence is None
    frame = group.frame()
    assert frame["divergence"] is not None and frame["divergence"].restored_step == good
    assert frame["step"] == good and np.isfinite(frame["snapshots"][0]["d_score"]).all()
