import copy
from concurrent.futures import Future

import numpy as np
import pytest
import torch

from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides
from ganlab.ui.mnist_scoring import sample_digits, sampling_weights, score_generator
from ganlab.ui.mnist_session import MnistSession

# autouse: torch on one thread, as the app's server sets it (ganlab.ui.runtime.APP_TORCH_THREADS) and a
# worker has it; on a busy machine a second intra-op thread only waits
from tests.torch_threads import one_torch_thread  # noqa: F401


def small_config(**extra: str) -> RunConfig:
    return with_overrides(RunConfig(), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                        "d.channels": "8", "batch_size": "32", **extra})


def small_session(**extra: str) -> MnistSession:
    return MnistSession(small_config(**extra))


def test_d_outputs_are_what_a_d_step_sees_and_leave_the_run_as_it_was():
    session = small_session()
    session.trainer.step(30)
    t = session.trainer
    g, d = copy.deepcopy(t.G), copy.deepcopy(t.D)
    state = copy.deepcopy(t.state_dict())
    outputs = session.d_outputs(n=64)

    # by hand, on a copy: G and D in training mode (batch statistics), a fixed random real batch and noise
    draw = torch.Generator().manual_seed(t.config.seed + 3)
    index = torch.randperm(len(t.problem.labels), generator=draw)[:64]
    z = torch.randn(64, t.config.latent_dim, generator=draw)
    assert len(set(t.problem.labels[index].tolist())) == 10  # every digit (the first 64 digits are all 0s)
    with torch.no_grad():
        fake = g(z, None)
        real_scores, fake_scores = d(t.problem.images[index]), d(fake)
    assert np.array_equal(outputs["real"], torch.sigmoid(real_scores).numpy())
    assert np.array_equal(outputs["fake"], torch.sigmoid(fake_scores).numpy())

    after = t.state_dict()
    for net in ("G", "D"):
        assert list(after[net]) == list(state[net])
        assert all(torch.equal(after[net][k], state[net][k]) for k in state[net])  # running stats kept
    assert t.G.training and t.D.training


def test_the_histogram_agrees_with_the_chart_of_mean_d_outputs():
    session = small_session(**{"g.channels": "32", "d.channels": "32", "batch_size": "64"})  # the page's
    trainer, errors = session.trainer, []
    for _ in range(6):
        trainer.step(19)
        outputs = session.d_outputs()
        trainer.step(1)  # the chart's next point: the next D step's means, with the D the histogram showed
        history = trainer.history.as_arrays()
        errors += [abs(outputs["real"].mean() - history["d_real"][-1]),
                   abs(outputs["fake"].mean() - history["d_fake"][-1])]
    # D in evaluation mode (running statistics) was 0.077 off on average, up to 0.3 (0.66 for 0.89)
    assert np.mean(errors) < 0.03, errors


def test_conditional_and_infogan_runs_get_their_codes():
    for extra in ({"conditional": "true"}, {"info_codes": "10"}):
        session = small_session(**extra)
        session.trainer.step(2)
        outputs = session.d_outputs(n=40)
        assert outputs["real"].shape == outputs["fake"].shape == (40,)


def test_notices_go_with_play_and_step_and_metrics_have_titles():
    session = small_session()
    session.reset()
    assert session.notice == "Reset: a new run from step 0."
    session.step()
    assert session.notice is None and session.trainer.step_count == 1
    session.set_config(with_overrides(session.config, {"batch_size": "16"}))
    assert session.notice == "New run: batch_size changed."
    session.play()
    assert (session.notice, session.playing) == (None, True)
    session.pause()
    session.metrics = [{"step": 500, "fid_lenet": 12.5, "classifier_score": 8.25, "class_kl": 0.125,
                        "precision": 0.5, "recall": 0.25, "density": 0.75, "coverage": 1.0}]
    assert session.metrics_table() == [{"Step": 500, "FID (LeNet)": 12.5, "Classifier score (max 10)": 8.25,
                                        "Class KL from uniform": 0.125, "Precision": 0.5, "Recall": 0.25,
                                        "Density": 0.75, "Coverage": 1.0}]


def test_saving_while_the_live_tick_trains_keeps_the_history_whole():
    """The page's full rerun (Pause, the download button's checkpoint) runs beside the live fragment's
    tick; found by the crawler: a checkpoint taken mid-tick read the step counter twice and raised
    "cannot reshape array of size 15 into shape (4,5)". Reads and training now take turns."""
    import threading
    import time

    session = small_session(**{"batch_size": "8", "g.channels": "4", "d.channels": "4"})
    session.metrics_every = 10**9
    session.play()
    errors: list[BaseException] = []
    saves: list[int] = []  # the trainer ticks until the saver has saved a few times (or 60 s pass)

    def train() -> None:
        deadline = time.time() + 60
        try:
            while len(saves) < 6 and time.time() < deadline:
                session.tick()
        except BaseException as err:  # noqa: BLE001 - handed to the main thread
            errors.append(err)

    worker = threading.Thread(target=train)
    worker.start()
    while worker.is_alive():
        assert session.checkpoint_bytes()
        saves.append(session.trainer.step_count)
    saved = len(saves)
    worker.join()
    assert not errors, errors
    history = session.trainer.history
    steps = history.as_arrays()["step"]
    stride = history.stride  # the history halves its resolution past `capacity` rows (a fast machine gets there)
    expected = [step for step in range(1, session.trainer.step_count + 1) if step % stride == 0]
    assert saved > 3 and list(steps) == expected  # every step on the stride, once


def capped_session(monkeypatch, limit: int) -> MnistSession:
    """A small session under the operator's GANLAB_MNIST_MAX_STEPS=limit (the cache cleared before and after)."""
    from ganlab import operator_settings

    monkeypatch.setenv("GANLAB_MNIST_MAX_STEPS", str(limit))
    operator_settings.clear_cache()
    try:
        session = small_session(**{"batch_size": "8", "g.channels": "4", "d.channels": "4"})
    finally:
        operator_settings.clear_cache()
    session.metrics_every = 10**9
    return session


LIMIT_NOTICE = ("Paused at step 10, the most an MNIST Lab run may train on this server (the operator's limit "
                "GANLAB_MNIST_MAX_STEPS). Download a checkpoint to keep the run, or Reset to start a new one.")


def test_the_operator_step_limit_pauses_the_run_at_exactly_the_limit(monkeypatch):
    session = capped_session(monkeypatch, 10)  # not a multiple of the tick's chunk of 4 steps
    assert session.max_steps == 10
    session.play()
    trained, ticks = [], 0
    while session.playing and ticks < 100:  # usually one tick (TRAIN_BUDGET); more on a busy machine
        trained.append(session.tick())
        ticks += 1
    assert (sum(trained), session.trainer.step_count, session.playing) == (10, 10, False)
    assert session.notice == LIMIT_NOTICE
    assert list(session.trainer.history.as_arrays()["step"]) == list(range(1, 11))
    assert session.tick() == 0  # paused: nothing more


def test_play_and_step_at_the_limit_say_so_instead_of_training(monkeypatch):
    session = capped_session(monkeypatch, 10)
    session.trainer.step(9)
    session.step()  # the tenth step is allowed
    assert (session.trainer.step_count, session.notice) == (10, None)
    session.step()
    assert (session.trainer.step_count, session.notice) == (10, LIMIT_NOTICE)
    session.notice = None
    session.play()
    assert (session.playing, session.notice, session.trainer.step_count) == (False, LIMIT_NOTICE, 10)
    session.reset()  # a new run may train again
    session.play()
    assert (session.playing, session.notice) == (True, None)


def test_the_step_limit_defaults_to_the_operator_default(monkeypatch):
    from ganlab import operator_settings

    monkeypatch.delenv("GANLAB_MNIST_MAX_STEPS", raising=False)
    operator_settings.clear_cache()
    try:
        assert small_session().max_steps == 20000
    finally:
        operator_settings.clear_cache()


# --- the image metrics: a job (ganlab.runtime.jobs, ganlab.ui.mnist_scoring), never the server's own work ---

class FakeRunner:
    """Stands in for the server's job runner: records each submitted job and hands out futures the test
    settles."""

    def __init__(self, place: int = 0):
        self.jobs: list[tuple] = []
        self.futures: list[Future] = []
        self.place = place

    def submit(self, function, *args) -> Future:
        self.jobs.append((function, *args))
        self.futures.append(Future())
        return self.futures[-1]

    def ahead(self, future: Future) -> int:
        return self.place if not future.done() else 0


def no_scoring_here(monkeypatch) -> None:
    """The image metrics must not be computed in this (the server's) process."""
    from ganlab import image_eval

    def refuse(*args, **kwargs):
        raise AssertionError("evaluate_images ran in the server's process")

    monkeypatch.setattr(image_eval, "evaluate_images", refuse)


VALUES = {"fid_lenet": 40.5, "classifier_score": 6.25, "class_kl": 0.5, "precision": 0.75, "recall": 0.125,
          "density": 0.875, "coverage": 0.625}


def test_the_job_draws_exactly_the_digits_the_trainer_samples():
    """The server sends G's sampling weights, not digits: the job must redraw Trainer.sample's digits."""
    from ganlab.train import Trainer

    data = small_session().trainer.dataset  # loaded once for every config
    for extra in ({}, {"conditional": "true"}, {"info_codes": "10"}, {"g.arch": "mlp", "d.arch": "mlp"},
                  {"tricks.virtual_batch_norm": "true", "ema": "0", "noise": "uniform"}):
        trainer = Trainer(small_config(**extra), data=data)
        trainer.step(3)
        config, state = sampling_weights(trainer)
        expected = trainer.sample(100)
        trainer.step(2)  # training goes on in place: the copy keeps step 3's weights
        assert torch.equal(sample_digits(config, state, 100), expected), extra


def test_evaluate_now_scores_in_a_job_and_the_row_keeps_the_step_its_digits_were_drawn_at(monkeypatch):
    from ganlab.image_eval import IMAGE_METRIC_TITLES, evaluate_images
    from ganlab.runtime import jobs

    session = small_session()
    session.trainer.step(5)
    with torch.no_grad():
        expected = evaluate_images(session.trainer.sample(1000))  # here, in the test, before the job
    no_scoring_here(monkeypatch)
    submitted = []
    real = jobs.job_runner()

    class Recording:
        def submit(self, function, *args):
            submitted.append(function)
            return real.submit(function, *args)

        def ahead(self, future):
            return real.ahead(future)

    monkeypatch.setattr(jobs, "_RUNNER", Recording())
    assert session.evaluate() is True
    assert (session.scoring_step, session.metrics_mark, session.metrics) == (5, 5, [])
    assert session.evaluate() is False  # one at a time
    session.trainer.step(3)  # the run goes on while its digits of step 5 are scored
    session.scoring.result(timeout=600)
    assert session.collect_metrics() is True
    assert submitted == [score_generator] and session.scoring is None and session.metrics_error is None
    [row] = session.metrics
    assert row["step"] == 5 and set(row) == {"step", *IMAGE_METRIC_TITLES}
    assert {k: row[k] for k in IMAGE_METRIC_TITLES} == pytest.approx(
        {k: expected[k] for k in IMAGE_METRIC_TITLES}, rel=1e-4, abs=1e-6)
    assert session.collect_metrics() is False and len(session.metrics) == 1


def test_a_metrics_step_crossed_while_playing_is_scored_in_a_job_one_at_a_time(monkeypatch):
    from ganlab.runtime import jobs

    no_scoring_here(monkeypatch)
    runner = FakeRunner()
    monkeypatch.setattr(jobs, "_RUNNER", runner)
    session = small_session(**{"batch_size": "8", "g.channels": "4", "d.channels": "4"})
    assert session.metrics_every == 500
    session.metrics_every = 12  # the default 500 steps, shortened for the test
    session.play()
    for _ in range(100):  # until the tick that crosses step 12 (usually the first)
        session.tick()
        if runner.jobs:
            break
    [(function, config, state, n)] = runner.jobs
    first = session.scoring_step
    assert function is score_generator and n == 1000 and first >= 12 and session.metrics_mark == first
    assert session.metrics == [] and (config.g.channels, config.device) == (4, "cpu")
    sent, now = state, sampling_weights(session.trainer)[1]  # G's weights at the crossing, as they were
    assert first == session.trainer.step_count and all(torch.equal(sent[k], now[k]) for k in now)
    for _ in range(100):  # crossings while the job is pending start no second one
        session.tick()
        if session.trainer.step_count >= first + 24:
            break
    assert session.trainer.step_count >= first + 24 and len(runner.jobs) == 1 and session.metrics == []
    runner.futures[0].set_result(dict(VALUES))
    session.tick()  # back: its row, with the step its digits were drawn at; then the next one is due at once
    assert session.metrics == [{"step": first, **VALUES}]
    assert len(runner.jobs) == 2 and session.scoring_step >= first + 24
    session.pause()


def test_a_failed_scoring_is_named_with_its_text_and_evaluate_works_again(monkeypatch):
    from ganlab.runtime import jobs
    from ganlab.runtime.pool import WorkerError

    runner = FakeRunner()
    monkeypatch.setattr(jobs, "_RUNNER", runner)
    session = small_session()
    session.trainer.step(3)
    assert session.evaluate()
    runner.futures[0].set_exception(WorkerError("FileNotFoundError: checkpoints/mnist_classifier.pt is missing"))
    assert session.collect_metrics()
    assert session.metrics_error == ("Scoring the digits of step 3 failed: FileNotFoundError: checkpoints/"
                                     "mnist_classifier.pt is missing. Press Evaluate now to try again.")
    assert session.metrics == [] and session.scoring is None
    assert session.evaluate() and session.metrics_error is None and len(runner.jobs) == 2
    runner.futures[1].set_result(dict(VALUES))
    session.collect_metrics()
    assert session.metrics == [{"step": 3, **VALUES}]


def test_a_reset_drops_the_pending_scoring_of_the_run_before(monkeypatch):
    from ganlab.runtime import jobs

    runner = FakeRunner()
    monkeypatch.setattr(jobs, "_RUNNER", runner)
    session = small_session()
    session.trainer.step(4)
    session.evaluate()
    session.reset()
    assert runner.futures[0].cancelled()  # still queued: it will not run
    assert (session.scoring, session.scoring_step, session.metrics_mark) == (None, None, 0)
    assert session.collect_metrics() is False and session.metrics == []
    assert session.evaluate() and session.scoring_step == 0
