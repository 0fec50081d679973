import copy

import numpy as np
import torch

from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides
from ganlab.ui.mnist_session import MnistSession


def small_session(**extra: str) -> MnistSession:
    config = with_overrides(RunConfig(), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                          "d.channels": "8", "batch_size": "32", **extra})
    return MnistSession(config)


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
