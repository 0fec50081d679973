"""The GAN, VAE and flow page's session: three runs in lockstep, in a training worker while they play; Step,
Reset, presets, a lost worker."""

import math
import os
import signal
import time

import numpy as np
import pytest
import torch

from ganlab.config import ConfigError
from ganlab.likelihood import make_trainer
from ganlab.ui.families_session import (
    BASE_OPTIONS,
    FAMILY_DATASETS,
    PRESETS,
    FamilySession,
    family_configs,
    key_numbers,
    kl_series,
)
from tests.torch_threads import one_torch_thread  # noqa: F401 - autouse: one torch thread


@pytest.fixture
def use_pool(server_pool):
    """A one-worker pool for 4 runs as the server's (training_pool()): the tests' shared one
    (tests/ui/conftest.py), holding no group when the test starts."""
    server_pool.max_runs = 4  # put back after the test
    return server_pool


def play_until(session: FamilySession, step: int, seconds: float = 60) -> dict:
    deadline, frame = time.monotonic() + seconds, {}
    while time.monotonic() < deadline:
        frame = session.live_frame()
        if frame["step"] >= step:
            break
        time.sleep(0.05)
    return frame


def assert_same_run(trained, alone) -> None:
    """Two trainers of one config at the same step, bit for bit (networks, optimisers, random state)."""
    a, b = trained.state_dict(), alone.state_dict()
    assert a["step_count"] == b["step_count"] and torch.equal(a["rng"], b["rng"])
    for key in ("G", "D", "model"):
        for name, value in b.get(key, {}).items():
            assert torch.equal(a[key][name], value), (key, name)
    opt_keys = ("g_opt", "d_opt") if "g_opt" in b else ("opt",)
    for key in opt_keys:
        for index, state in b[key]["state"].items():
            for name, value in state.items():
                assert torch.equal(a[key]["state"][index][name], value), (key, index, name)


def test_play_in_the_pool_then_pause_brings_three_runs_home_in_lockstep_bit_for_bit(use_pool):
    session = FamilySession(background=True)
    session.play()
    frame = play_until(session, 260)  # past the first evaluation (every 250 steps)
    assert session.remote is not None and session.remote.worker.pid != os.getpid()
    assert frame["step"] >= 260 and [s["step"] for s in frame["snapshots"].values()] == [frame["step"]] * 3
    assert session.step_count == 0  # the local copies wait for a refresh or the pause
    session.pause()
    assert session.remote is None and use_pool.stats()["groups"] == 0 and not session.playing
    steps = [t.step_count for t in session.trainers.values()]
    assert steps[0] >= frame["step"] and steps == [steps[0]] * 3
    for family, trainer in session.trainers.items():
        alone = make_trainer(session.configs[family])
        alone.step(steps[0])
        assert_same_run(trainer, alone)
        assert trainer.metrics.as_arrays()["step"].tolist() == alone.metrics.as_arrays()["step"].tolist()
    assert session.kl_histories()["vae"]["step"][0] == 250


def test_a_killed_worker_pauses_the_runs_with_the_message_and_keeps_the_last_state(use_pool):
    session = FamilySession(background=True)
    session.play()
    play_until(session, 40)
    session.refresh(force=True)
    kept = session.step_count
    assert kept >= 40 and [t.step_count for t in session.trainers.values()] == [kept] * 3
    os.kill(session.remote.worker.pid, signal.SIGKILL)
    session.remote.worker.process.wait(10)
    deadline = time.monotonic() + 10
    while session.playing and time.monotonic() < deadline:
        session.live_frame()
        time.sleep(0.05)
    assert not session.playing and session.remote is None
    assert session.error.startswith("Runs lost: the training worker process stopped")
    assert f"The three runs are at step {kept:,}, the last state this page had" in session.error
    assert [t.step_count for t in session.trainers.values()] == [kept] * 3
    frame = session.live_frame()  # drawn here now, from the kept state
    assert frame["step"] == kept and session.remote is None


def test_step_advances_each_run_by_exactly_one_and_reset_goes_back_to_step_0():
    session = FamilySession()
    assert session.live_frame()["step"] == 0
    session.step()
    session.step()
    assert [t.step_count for t in session.trainers.values()] == [2, 2, 2]
    frame = session.live_frame()
    assert [s["step"] for s in frame["snapshots"].values()] == [2, 2, 2]
    for family, trainer in session.trainers.items():
        alone = make_trainer(session.configs[family])
        alone.step(2)
        assert_same_run(trainer, alone)
    session.reset()
    assert [t.step_count for t in session.trainers.values()] == [0, 0, 0]
    assert session.notice == "Reset: three new runs from step 0." and session.live_frame()["step"] == 0


def test_playing_here_stops_at_the_presets_budget_once_and_says_why():
    session = FamilySession()
    session.apply_preset("vae-blur")
    assert (session.dataset, session.max_steps) == ("ring8", 3000)
    session.max_steps = 5  # a short budget for the test
    session.play()
    deadline = time.monotonic() + 60
    while session.playing and time.monotonic() < deadline:
        session.live_frame()
    assert not session.playing and session.step_count == 5
    assert [t.step_count for t in session.trainers.values()] == [5, 5, 5]
    assert session.notice.startswith("Stopped at step 5, the preset's budget (VAE blur): A VAE with")
    assert session.max_steps is None  # once: Play trains on


def test_presets_and_data_sets_set_the_three_configs():
    session = FamilySession()
    session.apply_preset("flow-bridges")
    configs = session.configs
    assert [c.model for c in configs.values()] == ["gan", "vae", "flow"]
    assert {c.data.name for c in configs.values()} == {"grid25"} and configs["flow"].flow.depth == 4
    assert configs["vae"].vae.depth == 2 and configs["gan"].loss.name == "nonsaturating"  # the others' defaults
    assert session.trainers["flow"].model.layers.__len__() == 4
    session.set_dataset("moons")
    assert (session.preset, session.max_steps, session.configs["flow"].flow.depth) == (None, None, 8)
    assert session.trainers["gan"].dataset.name == "moons" and session.notice == "New runs on moons."
    with pytest.raises(ConfigError, match="dataset: 'parallel-lines' is not one of ring8, grid25"):
        session.set_dataset("parallel-lines")
    with pytest.raises(ConfigError, match="preset: 'nope' is not one of vae-blur, flow-bridges"):
        session.apply_preset("nope")
    assert "custom" not in FAMILY_DATASETS and "parallel-lines" not in FAMILY_DATASETS
    gan = family_configs("ring8", PRESETS["gan-dropped-modes"])["gan"]
    assert (gan.loss.name, gan.eval_every, gan.device, gan.batch_size) == ("minimax", 250, "cpu", 256)
    assert BASE_OPTIONS["eval_every"] == "250"


def test_kl_series_reads_the_gans_sample_estimates_and_key_numbers_say_what_applies():
    metrics = {"step": np.array([250, 500]), "kl_data_fake": np.array([math.inf, 1.5]),
               "kl_data_fake_se": np.array([math.nan, 0.1]), "kl_fake_data": np.array([4.0, 2.0]),
               "kl_fake_data_se": np.array([0.2, 0.1])}
    series = kl_series("gan", metrics)
    assert series["forward_kl"].tolist() == [math.inf, 1.5] and series["reverse_kl_se"].tolist() == [0.2, 0.1]
    flow = kl_series("flow", {"step": np.array([250]), "forward_kl": np.array([0.5])})
    assert flow["forward_kl"].tolist() == [0.5] and math.isnan(flow["reverse_kl"][0])
    last = {"modes_covered": 5.0, "modes_total": 8.0, "hq_fraction": 0.2, "w1": 0.29, "w1_floor": 0.054,
            "kl_data_fake": math.inf, "kl_fake_data": 102.0}
    assert key_numbers("gan", last) == ["modes covered 5.0/8", "high-quality 20 %", "W1 0.29 (floor 0.054)",
                                        "KL fwd +∞, rev 102 nats"]
    vae = {**last, "elbo": -3.31, "test_log_likelihood": -2.27, "importance_samples": 256.0, "forward_kl": 3.36,
           "reverse_kl": 45.2}
    assert key_numbers("vae", vae)[3:] == ["ELBO -3.31 nats",
                                           "test log-likelihood -2.27 nats (importance sampling, k = 256)",
                                           "KL fwd 3.36, rev 45.2 nats"]
    assert key_numbers("flow", {"w1": 0.1, "test_log_likelihood": 1.887})[1] == \
        "test log-likelihood 1.89 nats (exact)"


def _raise_lr(session: FamilySession, family: str, lr: float) -> None:
    """Set one run's learning rate (its optimiser state carries it to the worker's group)."""
    session.trainers[family].opt.param_groups[0]["lr"] = lr


def _steps(session: FamilySession) -> list[int]:
    return [t.step_count for t in session.trainers.values()]


def _play_until_stopped(session: FamilySession, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while session.playing and time.monotonic() < deadline:
        session.live_frame()
        time.sleep(0.01)


@pytest.mark.parametrize("background", [False, True])
def test_a_divergence_while_playing_keeps_the_three_runs_in_lockstep_and_play_goes_on(background, request):
    if background:
        request.getfixturevalue("use_pool")
    session = FamilySession(background=background)
    for _ in range(3):
        session.step()
    _raise_lr(session, "vae", 1e39)  # its next step makes the VAE's weights infinite: it diverges at once
    session.play()
    _play_until_stopped(session)
    assert not session.playing and session.remote is None
    back = session.step_count
    assert _steps(session) == [back] * 3 == [3] * 3  # the VAE's last good state: the step it was handed at
    assert session.error.startswith("The VAE run: training diverged at step ")
    assert f"To stay in lockstep, all three runs are back at step {back}." in session.error
    assert session.live_frame()["step"] == back
    assert all(s["step"] == back for s in session.live_frame()["snapshots"].values())
    for trainer in session.trainers.values():  # nothing recorded past the step they are back at
        assert trainer.history.as_arrays()["step"].tolist() == list(range(1, back + 1))
    _raise_lr(session, "vae", 1e-3)  # as configured: Play trains all three on together
    session.play()
    assert session.error is None
    play_until(session, back + 20)
    session.pause()
    assert _steps(session)[0] >= back + 20 and _steps(session) == [_steps(session)[0]] * 3
    assert session.error is None


def test_a_divergence_on_step_takes_the_runs_stepped_before_it_back_too():
    session = FamilySession()
    session.step()
    _raise_lr(session, "flow", 1e39)  # the last of the three: the GAN and the VAE step before it
    session.step()  # the GAN and the VAE step, the flow's weights turn nan: all three go back to step 1
    assert _steps(session) == [1, 1, 1]
    assert session.error.startswith("The Flow run: training diverged at step 2: model weights became nan")
    assert "all three runs are back at step 1." in session.error
    for family in ("gan", "vae"):  # as if they had trained one step alone
        alone = make_trainer(session.configs[family])
        alone.step(1)
        assert_same_run(session.trainers[family], alone)
        assert session.trainers[family].history.as_arrays()["step"].tolist() == [1]
    assert session.trainers["flow"].opt.param_groups[0]["lr"] == 1e-3  # its last good state's
    session.step()
    session.step()
    assert _steps(session) == [3, 3, 3]


def test_runs_that_keep_no_common_step_after_a_divergence_start_again_together(monkeypatch):
    import ganlab.ui.families_session as families_session

    monkeypatch.setattr(families_session, "realign", lambda trainers: None)  # as if no step were kept by all
    session = FamilySession()
    session.step()
    _raise_lr(session, "flow", 1e39)
    session.step()  # the GAN and the VAE at step 2, the flow back at 1: never shown out of step
    assert _steps(session) == [0, 0, 0]
    assert session.error.startswith("The Flow run: training diverged at step 2: ")
    assert session.error.endswith("The three runs kept no common step to go back to, so they started again "
                                  "from step 0.")
