"""The training runtime across processes: sessions' runs train in worker processes (ganlab.runtime.pool),
pages talk to them through ToySession, a dead worker costs only its own sessions."""

import os
import signal
import time

import pytest
import torch

import ganlab.runtime.pool as pool_module
from ganlab.config import RunConfig, with_overrides
from ganlab.runtime.pool import TrainingPool, WorkerHandle, WorkerLost
from ganlab.train import Trainer
from ganlab.ui.tcp_nodelay import open_descriptors
from ganlab.ui.toy_session import ComparePair, ToySession

# autouse: torch on one thread, as the app's server sets it (ganlab.ui.runtime.APP_TORCH_THREADS) and a
# worker has it; on a busy machine a second intra-op thread only waits
from tests.torch_threads import one_torch_thread  # noqa: F401


def small(**overrides) -> RunConfig:
    return with_overrides(RunConfig(device="cpu", batch_size=32, eval_every=0), overrides)


@pytest.fixture
def use_pool(clean_pool):
    """Install the shared pool (tests/runtime/conftest.py: two workers started ahead, no group on them) as the
    server's (training_pool()) with room for `max_runs` runs; put back after the test."""

    def install(workers: int = 1, max_runs: int = 8) -> TrainingPool:
        assert workers <= clean_pool.size  # at least as many workers as the test asked for
        clean_pool.max_runs = max_runs
        pool_module._POOL = clean_pool
        return clean_pool

    saved = pool_module._POOL
    yield install
    pool_module._POOL = saved


def frames_until(session: ToySession, step: int, seconds: float = 60) -> list[dict]:
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = session.live_frame()
        if frame is not None:
            frames.append(frame)
            if frame["step"] >= step:
                break
        time.sleep(0.05)
    return frames


def test_a_playing_run_trains_in_a_worker_process_and_pause_brings_every_step_home(use_pool):
    pool = use_pool()
    session = ToySession(small(), background=True)
    session.steps_per_tick = 100  # at most 1,000 steps/s: the run stays under the history's 2,000 rows
    session.play()
    frames_until(session, 1)  # the group trains in its worker (the worker may have had to start first)
    started = time.monotonic()
    frames = frames_until(session, 300)
    time.sleep(max(0.0, started + 1.2 - time.monotonic()))  # moments: every 100 steps, at most two a second
    assert frames[-1]["step"] >= 300 and frames[-1]["snapshots"][0]["fake"].shape == (128, 2)
    assert pool.stats()["groups"] == 1 and session.remote.worker.pid != os.getpid()
    assert session.trainer.step_count == 0  # the local copy waits for a refresh or the pause
    session.pause()
    assert session.remote is None and pool.stats()["groups"] == 0
    trainer = session.trainer
    assert trainer.step_count >= 300 and len(trainer.history) == trainer.step_count  # every step checked in
    alone = Trainer(small())  # the run went to a worker and back: bit for bit the run trained here
    alone.step(trainer.step_count)
    for net in ("G", "D"):
        for name, value in alone.state_dict()[net].items():
            assert torch.equal(trainer.state_dict()[net][name], value), (net, name)
    kept = [m["step"] for m in session.timeline]
    assert kept[0] == 0 and len(kept) >= 3 and all(b - a >= 100 for a, b in zip(kept, kept[1:], strict=False))


def test_refresh_brings_a_playing_runs_histories_without_stopping_it(use_pool):
    use_pool()
    session = ToySession(small(), background=True)
    session.play()
    frames_until(session, 200)
    session.refresh()
    first = session.trainer.step_count
    assert first >= 200 and len(session.trainer.history) == first and session.remote is not None
    trainer = session.trainer
    assert trainer.g_opt.state_dict()["state"] == {}  # a light refresh: the optimisers stay as they were here
    assert trainer.rollback.step == 0  # and it is no whole state to go back to
    frames = frames_until(session, first + 100)
    assert frames[-1]["step"] >= first + 100  # still training there
    session.refresh(full=True)  # at once, however recent the last refresh: a checkpoint's whole state
    adam = trainer.g_opt.state_dict()["state"][0]
    assert trainer.step_count >= first + 100 and int(adam["step"]) == trainer.g_updates == trainer.step_count
    assert trainer.rollback.step == trainer.step_count
    session.close()


def test_a_config_change_while_playing_applies_live_and_training_goes_on(use_pool):
    use_pool()
    session = ToySession(small(), background=True)
    session.play()
    frames_until(session, 100)
    restart = session.set_config(small(**{"g_opt.lr": "0.0005"}))
    assert restart == [] and session.playing and session.remote is not None
    at_change = session.trainer.step_count
    assert at_change >= 100
    frames = frames_until(session, at_change + 100)
    assert frames[-1]["step"] >= at_change + 100
    session.pause()
    assert session.trainer.g_opt.param_groups[0]["lr"] == pytest.approx(0.0005)
    assert session.trainer.step_count >= at_change + 100


def test_the_same_config_again_leaves_a_playing_run_and_pair_in_their_worker(use_pool):
    """Every page run passes the config: when it has not changed, the group is not taken home and sent back
    (the same remote, no step lost)."""
    use_pool()
    session = ToySession(small(), background=True)
    session.play()
    frames_until(session, 50)
    remote = session.remote
    assert session.set_config(small()) == [] and session.remote is remote
    pair = ComparePair(session, {"loss.name": "wgan-gp"})
    session.play()
    frames_until(session, 50)
    remote = session.remote
    assert pair.set_config(small()) == [] and session.remote is remote and session.playing
    session.pause()


def test_a_compare_pair_trains_in_one_worker_and_every_frame_shows_both_at_the_same_step(use_pool):
    pool = use_pool()
    main = ToySession(small(**{"tricks.unrolled_steps": "2"}), background=True)
    pair = ComparePair(main, {"tricks.unrolled_steps": "0"})
    main.timeline_every = 50
    main.play()
    frames = frames_until(main, 200)
    assert all(len(f["snapshots"]) == 2 for f in frames) and pool.stats()["groups"] == 1
    main.pause()
    assert main.trainer.step_count == pair.other.trainer.step_count >= 200
    assert [m["step"] for m in main.timeline] == [m["step"] for m in pair.other.timeline]
    assert not pair.other.playing


def test_a_divergence_in_the_worker_pauses_the_run_at_its_last_good_state(use_pool):
    use_pool()
    session = ToySession(small(**{"g_opt.name": "sgd", "d_opt.name": "sgd", "g_opt.lr": "10", "d_opt.lr": "10",
                                  "loss.name": "wgan-gp", "loss.gp_lambda": "10000"}), background=True)
    session.play()
    deadline = time.monotonic() + 60
    while session.playing and time.monotonic() < deadline:
        session.live_frame()
        time.sleep(0.05)
    assert not session.playing and "diverged at step" in session.error and session.remote is None
    assert all(torch.isfinite(p).all() for p in session.trainer.G.parameters())
    assert all(torch.isfinite(p).all() for p in session.trainer.D.parameters())


def test_when_the_server_is_full_a_play_queues_and_starts_when_a_slot_frees(use_pool):
    pool = use_pool(workers=1, max_runs=1)
    first, second = ToySession(small(), background=True), ToySession(small(), background=True)
    first.play()
    second.play()
    assert first.remote is not None and second.remote is None and second.queue_position == 1
    assert second.live_frame() is None and pool.stats()["queued"] == 1
    first.pause()
    frames = frames_until(second, 20)
    assert frames and second.queue_position is None and pool.stats() | {"workers": None} == {
        "workers": None, "groups": 1, "queued": 0, "max_runs": 1}
    second.close()
    assert pool.stats()["groups"] == 0


def test_a_killed_worker_costs_only_its_own_sessions_and_restart_continues(use_pool):
    pool = use_pool(workers=2)
    victim, other = ToySession(small(), background=True), ToySession(small(), background=True)
    victim.play()
    other.play()
    assert victim.remote.worker is not other.remote.worker  # the fewest groups first: one each
    frames_until(victim, 150)
    frames_until(other, 150)
    os.kill(victim.remote.worker.pid, signal.SIGKILL)
    time.sleep(0.5)
    assert victim.live_frame() is None and victim.lost and not victim.playing
    assert "Run lost" in victim.error and "the other sessions go on" in victim.error
    kept = victim.timeline[-1]["step"]
    assert victim.trainer.step_count == kept and f"back at step {kept}" in victim.error  # shown: where it goes on
    before = other.live_frame()["step"]
    after = frames_until(other, before + 100)[-1]["step"]
    assert after >= before + 100  # the other session's step counter keeps advancing
    victim.restart()
    assert victim.playing and not victim.lost and victim.trainer.step_count == kept
    assert frames_until(victim, kept + 50)[-1]["step"] >= kept + 50  # on a fresh worker
    assert sum(w["alive"] for w in pool.stats()["workers"]) == 2
    victim.close()
    other.close()


def test_a_worker_exits_when_the_server_end_of_its_socket_closes():
    worker = WorkerHandle()
    assert worker.call("stats")["groups"] == 0
    worker.close()
    assert worker.process.wait(30) == 0


def test_a_dead_workers_socket_is_closed_by_its_reader_and_every_call_after_fails_at_once():
    before = open_descriptors()  # empty where the system does not list them
    worker = WorkerHandle()
    assert worker.call("stats")["pid"] == worker.pid
    os.kill(worker.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not worker.conn.closed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.conn.closed and not worker.alive  # closed by the reader, not left to the garbage collector
    with pytest.raises(WorkerLost, match="exit code -9"):
        worker.call("stats")
    worker.kill()  # and the pool's shutdown after it: nothing left to close, no error
    assert open_descriptors() == before


def small_mnist(**extra: str):
    from ganlab.ui.mnist_controls import IMAGE_DEFAULTS
    from ganlab.ui.mnist_session import MnistSession

    config = with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                                      "d.channels": "8", "batch_size": "32", **extra})
    return MnistSession(config, background=True)


def test_an_mnist_run_trains_in_a_worker_ticks_refresh_it_and_it_stops_at_the_operators_limit(use_pool):
    pool = use_pool()
    session = small_mnist()
    session.max_steps = 60
    session.metrics_every = 10**9
    session.play()
    assert session.remote is not None and pool.stats()["groups"] == 1 and session.trainer.step_count == 0
    deadline = time.monotonic() + 120
    while session.playing and time.monotonic() < deadline:
        session.tick()  # the page's live tick: the local copy follows the worker
        time.sleep(0.2)
    assert not session.playing and session.remote is None and pool.stats()["groups"] == 0
    assert session.trainer.step_count == 60 and "GANLAB_MNIST_MAX_STEPS" in session.notice
    history = session.trainer.history.as_arrays()["step"]
    assert list(history) == list(range(1, 61))  # every step, checked, once
    alone = small_mnist().trainer  # the same run trained here with a worker's one thread: bit for bit
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # (convolutions sum in another order with more threads)
    try:
        alone.step(60)
    finally:
        torch.set_num_threads(threads)
    for name, value in alone.state_dict()["G"].items():
        assert torch.equal(session.trainer.state_dict()["G"][name], value), name
    assert session.trainer.g_opt.state_dict()["state"]  # the optimisers came home too


def test_an_mnist_run_paused_mid_run_comes_home_whole_and_the_checkpoint_has_every_step(use_pool):
    use_pool()
    session = small_mnist()
    session.metrics_every = 10**9
    session.play()
    deadline = time.monotonic() + 120
    while session.trainer.step_count < 10 and time.monotonic() < deadline:
        session.tick()
        time.sleep(0.2)
    assert session.trainer.step_count >= 10 and session.remote is not None
    data = session.checkpoint_bytes()  # while playing: the whole state from the worker
    assert len(data) > 0 and session.remote is not None
    session.pause()
    assert session.remote is None and len(session.trainer.history) == session.trainer.step_count >= 10
