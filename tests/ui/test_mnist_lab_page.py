import json
import re
from concurrent.futures import Future
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from ganlab.ui import session_files

# autouse: torch on one thread, as the app's server sets it (ganlab.ui.runtime.APP_TORCH_THREADS) and a
# worker has it; on a busy machine a second intra-op thread only waits
from tests.torch_threads import one_torch_thread  # noqa: F401
from tests.ui.apptest import open_with_query

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnist_lab.py")
STEP = re.compile(r"### Step (\d+)")


def step_number(app: AppTest) -> int:
    return int(next(STEP.match(m.value).group(1) for m in app.markdown if STEP.match(m.value)))


def small(app: AppTest) -> None:
    """Narrow DCGAN networks, so the test trains fast."""
    app.number_input(key="mn.g.channels").set_value(8).run()
    app.number_input(key="mn.d.channels").set_value(8).run()


def session_folder_of(app: AppTest, root: Path) -> Path:
    """This AppTest session's save folder under `root` (SESSIONS_DIR, patched to a temporary folder)."""
    return root / app.session_state["session_folder_name"]


def test_mnist_lab_steps_resets_and_says_which_data(tmp_path):
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not app.exception
    assert any("Data:" in c.value and ("subset" in c.value or "torchvision" in c.value) for c in app.caption)
    assert step_number(app) == 0
    next(b for b in app.button if b.label == "Step").click().run()
    assert step_number(app) == 1
    next(b for b in app.button if b.label == "Reset").click().run()
    assert step_number(app) == 0
    assert app.radio(key="mn_kind").options == ["unconditional", "conditional (label embedding)",
                                                 "InfoGAN (10-way code)"]
    app.radio(key="mn_kind").set_value("conditional").run()
    assert app.session_state["mnist_session"].config.conditional
    app.radio(key="mn_kind").set_value("infogan").run()
    config = app.session_state["mnist_session"].config
    assert (config.conditional, config.info_codes) == (False, 10)
    arch = app.selectbox(key="mn_arch")
    assert (arch.options, arch.value) == (["dcgan", "mlp"], "dcgan")
    assert not app.exception


def chart(app: AppTest, key: str) -> dict:
    found = [c for c in app.get("plotly_chart") if c.proto.id.endswith(key)]
    assert len(found) == 1, [c.proto.id for c in app.get("plotly_chart")]
    return json.loads(found[0].proto.spec)


def test_d_output_histogram_shows_the_current_step_with_titled_axes():
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    small(app)
    before = chart(app, "mn_hist")
    layout = before["layout"]
    assert layout["title"]["text"] == "D's outputs on a real and a generated batch (step 0)"
    assert layout["xaxis"]["title"]["text"] == "D(x): probability that x is real"
    assert layout["yaxis"]["title"]["text"] == "digits"
    assert [t["name"] for t in before["data"]] == ["D on real digits", "D on generated digits"]
    for _ in range(3):
        next(b for b in app.button if b.label == "Step").click().run()
    after = chart(app, "mn_hist")
    assert after["layout"]["title"]["text"] == "D's outputs on a real and a generated batch (step 3)"
    assert after["data"][0]["x"] != before["data"][0]["x"]  # D moved: its outputs on the same real batch
    assert after["data"][1]["x"] != before["data"][1]["x"]


def test_a_notice_stays_until_the_next_play_or_step():
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    app.number_input(key="mn.g.channels").set_value(8).run()
    assert [i.value for i in app.info] == ["New run: g.channels changed."]
    app.number_input(key="mn.batch_size").set_value(32).run()  # nothing pressed yet: the newest notice shows
    assert [i.value for i in app.info] == ["New run: batch_size changed."]
    next(b for b in app.button if b.label == "Step").click().run()
    assert [i.value for i in app.info] == []
    next(b for b in app.button if b.label == "Reset").click().run()
    assert [i.value for i in app.info] == ["Reset: a new run from step 0."]
    next(b for b in app.button if b.label == "Play").click().run()
    assert [i.value for i in app.info] == [] and app.session_state["mnist_session"].playing
    app.session_state["mnist_session"].pause()  # its run leaves the server's worker (else it trains on there)


def eval_button(app: AppTest):
    return next(b for b in app.button if b.label == "Evaluate now")


def scoring_notes(app: AppTest) -> list[str]:
    return [i.value for i in app.info if i.value.startswith("Scoring the")]


def refuse_scoring_here(monkeypatch) -> None:
    """The image metrics must not be computed in the server's process (AppTest runs the page in this one)."""
    from ganlab import image_eval

    def refuse(*args, **kwargs):
        raise AssertionError("evaluate_images ran in the server's process")

    monkeypatch.setattr(image_eval, "evaluate_images", refuse)


def test_evaluate_now_scores_in_a_process_of_its_own_then_the_table_shows_it_and_save(tmp_path, monkeypatch):
    from ganlab.image_eval import IMAGE_METRIC_TITLES, evaluate_images

    monkeypatch.setattr(session_files, "SESSIONS_DIR", tmp_path)
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    small(app)
    session = app.session_state["mnist_session"]
    with torch.no_grad():
        expected = evaluate_images(session.trainer.sample(1000))  # the same 1,000 digits, scored here
    refuse_scoring_here(monkeypatch)
    eval_button(app).click().run()
    assert not app.exception and eval_button(app).disabled and not app.dataframe
    assert scoring_notes(app)[0].startswith("Scoring the 1,000 digits of step 0 in a process of its own")
    session.scoring.result(timeout=600)  # the job's process (the page's fragment polls it every second)
    app.run()
    assert not scoring_notes(app) and not eval_button(app).disabled and not app.error
    table = app.dataframe[0].value
    assert list(table.columns) == ["Step", "FID (LeNet)", "Classifier score (max 10)", "Class KL from uniform",
                                   "Precision", "Recall", "Density", "Coverage"]
    assert list(table["Step"]) == [0]
    shown = {key: float(table[title][0]) for key, title in IMAGE_METRIC_TITLES.items()}
    assert shown == pytest.approx({key: expected[key] for key in IMAGE_METRIC_TITLES}, rel=1e-4, abs=1e-6)
    next(b for b in app.button if b.label == "Save checkpoint").click().run()  # the generated name
    folder = session_folder_of(app, tmp_path)
    assert [f.name for f in folder.iterdir()] == ["mnist-dcgan-nonsaturating-step0.pt"]


class FakeRunner:
    """The server's job runner, standing in: the test settles each job's future (`place`: its queue place)."""

    def __init__(self, place: int = 0, failure: Exception | None = None):
        self.futures: list[Future] = []
        self.place, self.failure = place, failure

    def submit(self, function, *args) -> Future:
        future = Future()
        if self.failure is not None:
            future.set_exception(self.failure)
        self.futures.append(future)
        return future

    def ahead(self, future: Future) -> int:
        return 0 if future.done() else self.place


VALUES = {"fid_lenet": 40.5, "classifier_score": 6.25, "class_kl": 0.5, "precision": 0.75, "recall": 0.125,
          "density": 0.875, "coverage": 0.625}


def test_while_the_digits_are_scored_the_page_says_so_with_the_queue_place_and_adds_the_row_once_back(
        monkeypatch):
    from ganlab.runtime import jobs

    refuse_scoring_here(monkeypatch)
    runner = FakeRunner(place=2)
    monkeypatch.setattr(jobs, "_RUNNER", runner)
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    small(app)
    for _ in range(3):
        next(b for b in app.button if b.label == "Step").click().run()
    eval_button(app).click().run()
    note = ("Scoring the 1,000 digits of step 3 in a process of its own, number 2 in the queue behind other "
            "sessions' jobs… The run and the page go on meanwhile; the row appears in the table when it is done.")
    assert scoring_notes(app) == [note] and not app.dataframe
    assert eval_button(app).disabled and eval_button(app).help == "Scoring step 3…"
    next(b for b in app.button if b.label == "Step").click().run()  # the page works meanwhile
    assert step_number(app) == 4 and scoring_notes(app) == [note] and len(runner.futures) == 1
    runner.place = 0
    app.run()
    assert scoring_notes(app) == [note.replace(", number 2 in the queue behind other sessions' jobs", "")]
    runner.futures[0].set_result(dict(VALUES))
    app.run()
    assert not scoring_notes(app) and not eval_button(app).disabled and not app.exception
    table = app.dataframe[0].value
    assert table.to_dict("records") == [{"Step": 3, "FID (LeNet)": 40.5, "Classifier score (max 10)": 6.25,
                                         "Class KL from uniform": 0.5, "Precision": 0.75, "Recall": 0.125,
                                         "Density": 0.875, "Coverage": 0.625}]


def test_a_scoring_job_that_fails_is_named_word_for_word_and_evaluate_now_comes_back(monkeypatch):
    from ganlab.runtime import jobs
    from ganlab.runtime.pool import WorkerLost

    runner = FakeRunner(failure=WorkerLost("the training worker exited (exit code -9)"))
    monkeypatch.setattr(jobs, "_RUNNER", runner)
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    small(app)
    next(b for b in app.button if b.label == "Step").click().run()
    eval_button(app).click().run()
    app.run()  # the next rerun (the fragment's poll) finds the job done
    assert not app.exception and not scoring_notes(app) and not app.dataframe
    assert [e.value for e in app.error] == [
        "Scoring the digits of step 1 failed: the training worker exited (exit code -9). Press Evaluate now to "
        "try again."]
    assert not eval_button(app).disabled
    runner.failure = None
    eval_button(app).click().run()
    assert len(runner.futures) == 2 and not app.error and eval_button(app).disabled  # tried again
    runner.futures[1].set_result(dict(VALUES))
    app.run()
    assert list(app.dataframe[0].value["Step"]) == [1] and not app.error


def test_optimisers_regularisers_and_d_steps_reach_the_run():
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    small(app)
    app.selectbox(key="mn.d_opt.name").set_value("rmsprop").run()
    app.number_input(key="mn.d_opt.lr").set_value(1e-4).run()
    app.checkbox(key="mn.on.r2").check().run()
    app.number_input(key="mn.reg.r2").set_value(3.0).run()
    app.checkbox(key="mn.on.instance-noise").check().run()
    app.slider(key="mn.d_steps").set_value(2).run()
    config = app.session_state["mnist_session"].config
    assert (config.d_opt.name, config.d_opt.lr, config.g_opt.name) == ("rmsprop", 1e-4, "adam")
    assert config.regularizers == {"r2": 3.0, "instance-noise": 0.1}
    assert config.d_steps == 2
    next(b for b in app.button if b.label == "Step").click().run()
    trainer = app.session_state["mnist_session"].trainer
    assert (trainer.d_updates, trainer.g_updates) == (2, 1)
    assert isinstance(trainer.d_opt, torch.optim.RMSprop)
    assert not app.exception


def test_training_tricks_reach_the_run():
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    small(app)
    app.checkbox(key="mn.tricks.feature_matching").check().run()
    app.checkbox(key="mn.tricks.virtual_batch_norm").check().run()
    app.number_input(key="mn.tricks.historical_averaging").set_value(0.5).run()
    tricks = app.session_state["mnist_session"].config.tricks
    assert (tricks.feature_matching, tricks.virtual_batch_norm, tricks.historical_averaging) == (True, True, 0.5)
    next(b for b in app.button if b.label == "Step").click().run()
    assert app.session_state["mnist_session"].trainer.step_count == 1 and not app.exception


def test_an_option_the_loss_does_not_allow_is_named_and_the_run_is_kept():
    """The crawler's finding: label smoothing with an f-GAN loss raised ConfigError as a traceback."""
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    next(b for b in app.button if b.label == "Step").click().run()
    app.selectbox(key="mn.loss.name").set_value("fgan-reverse-kl").run()
    before = app.session_state["mnist_session"].config
    assert before.loss.name == "fgan-reverse-kl"
    app.checkbox(key="mn.on.label-smoothing").check().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "reg.label-smoothing" in errors[0] and "fgan-reverse-kl" in errors[0]
    assert "keeps its last good settings" in errors[0]
    assert app.session_state["mnist_session"].config is before  # the run was not replaced
    assert app.session_state["mnist_session"].config.regularizers == {}
    app.checkbox(key="mn.on.label-smoothing").uncheck().run()
    assert [e.value for e in app.error] == []


def open_with(**params: str) -> AppTest:
    return open_with_query(PAGE, 180, **params)


def test_a_new_visitor_sees_the_image_defaults_with_the_declared_limits():
    app = open_with()
    config = app.session_state["mnist_session"].config
    assert (config.data.name, config.g.arch, config.d.arch, config.loss.name) == ("mnist", "dcgan", "dcgan",
                                                                                  "nonsaturating")
    assert (config.g_opt.lr, config.d_opt.lr, config.g_opt.beta1, config.batch_size, config.latent_dim) == (
        2e-4, 2e-4, 0.5, 64, 100)
    assert (config.ema, config.g.channels, config.d_steps, config.conditional, config.regularizers) == (
        0.999, 32, 1, False, {})
    values = {w.key: w.value for w in [*app.number_input, *app.slider] if not w.key.startswith("mn.reg.")}
    assert values == {"mn.g.channels": 32, "mn.d.channels": 32, "mn.latent_dim": 100, "mn.ema": 0.999,
                      "mn.tricks.historical_averaging": 0.0, "mn.g_opt.lr": 2e-4, "mn.d_opt.lr": 2e-4,
                      "mn.batch_size": 64, "mn.d_steps": 1}
    d_steps = app.slider(key="mn.d_steps").proto
    assert (d_steps.min, d_steps.max) == (1, 20)  # OPTIONS["d_steps"], not a copy of it
    batch = app.number_input(key="mn.batch_size").proto
    assert (batch.min, batch.max) == (1, 8192)


def test_a_link_sets_a_declared_value_the_old_widget_could_not_show():
    app = open_with(d_steps="10", **{"g_opt.lr": "0.0005", "g.channels": "8", "channels": "4", "reg.r1": "2"})
    assert not app.error
    config = app.session_state["mnist_session"].config
    assert (config.d_steps, config.g_opt.lr, config.d_opt.lr) == (10, 5e-4, 2e-4)
    assert (config.g.channels, config.d.channels) == (4, 4)  # the earlier `channels` sets both, after g.channels
    assert config.regularizers == {"r1": 2.0}
    assert app.slider(key="mn.d_steps").value == 10 and app.checkbox(key="mn.on.r1").value is True
    assert [c.value for c in app.caption if c.value.startswith("Opened with")] == [
        "Opened with: d_steps = 10, g_opt.lr = 0.0005, g.channels = 8, channels = 4, reg.r1 = 2"]
    next(b for b in app.button if b.label == "Step").click().run()
    trainer = app.session_state["mnist_session"].trainer
    assert (trainer.d_updates, trainer.g_updates) == (10, 1)


def test_a_lessons_link_with_the_earlier_short_names_still_works():
    app = open_with(arch="mlp", kind="conditional", loss="hinge", batch="32", latent="16", fm="1", ha="0.5",
                    play="1")
    session = app.session_state["mnist_session"]
    config = session.config
    assert (config.g.arch, config.conditional, config.loss.name, config.batch_size, config.latent_dim) == (
        "mlp", True, "hinge", 32, 16)
    assert (config.tricks.feature_matching, config.tricks.historical_averaging) == (True, 0.5)
    assert session.playing
    session.pause()


def test_an_out_of_range_link_is_refused_naming_the_field_and_the_range():
    app = open_with(d_steps="21", batch_size="0", latent_dim="16")
    assert [e.value for e in app.error] == [
        "Some of the link's options were not used: d_steps: 21 is outside [1, 20]; batch_size: 0 is outside "
        "[1, 8192]. The others were applied."]
    config = app.session_state["mnist_session"].config
    assert (config.d_steps, config.batch_size, config.latent_dim) == (1, 64, 16)


def test_share_puts_the_changed_settings_in_the_address_and_it_reopens_them():
    app = open_with()
    app.number_input(key="mn.g.channels").set_value(8).run()
    app.selectbox(key="mn.loss.name").set_value("wgan-gp").run()
    app.number_input(key="mn.loss.gp_lambda").set_value(5.0).run()
    app.slider(key="mn.d_steps").set_value(12).run()
    app.checkbox(key="mn.on.r1").check().run()
    app.radio(key="mn_kind").set_value("infogan").run()
    wanted = app.session_state["mnist_session"].config
    next(b for b in app.button if b.label == "Share").click().run()
    address = {name: app.query_params[name] for name in app.query_params}
    assert address == {"kind": "infogan", "loss.name": "wgan-gp", "loss.gp_lambda": "5.0", "g.channels": "8",
                       "d_steps": "12", "reg.r1": "10.0"}
    assert app.session_state["mnist_session"].config == wanted  # sharing applies nothing back
    reopened = open_with(**address).session_state["mnist_session"].config
    assert reopened == wanted


SAVE_REFUSED = ("File name {!r} is not allowed: give a name only, no folder or path: up to 61 letters, digits, "
                "'_', '.' or '-', starting with a letter or digit, without '..' (.pt is added when missing). "
                "Nothing was saved; the run and its settings are unchanged.")


def save_as(app: AppTest, text: str) -> AppTest:
    app.text_input(key="mn_save_name").set_value(text).run()
    return next(b for b in app.button if b.label == "Save checkpoint").click().run()


def test_a_path_like_save_name_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(session_files, "SESSIONS_DIR", tmp_path / "sessions")
    app = open_with()
    small(app)
    next(b for b in app.button if b.label == "Step").click().run()
    for text in ("../x", "a/b.pt", "/etc/passwd", "..", "a\\b"):
        save_as(app, text)
        assert [e.value for e in app.error] == [SAVE_REFUSED.format(text)]
        assert not app.success and app.text_input(key="mn_save_name").value == text  # what was typed stays
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert app.session_state["mnist_session"].trainer.step_count == 1


def test_a_good_name_writes_exactly_this_sessions_folder_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.setattr(session_files, "SESSIONS_DIR", tmp_path)
    app = open_with()
    small(app)
    save_as(app, "my-first_run")
    folder = session_folder_of(app, tmp_path)
    path = folder / "my-first_run.pt"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]
    assert [s.value for s in app.success] == [
        f"Saved my-first_run.pt in this browser session's own folder ({folder}). Open it in the Latent Explorer, "
        f"which lists this session's files, or with `python -m ganlab eval --checkpoint {path}`."]
    written = path.read_bytes()
    next(b for b in app.button if b.label == "Step").click().run()
    save_as(app, "my-first_run.pt")
    assert [e.value for e in app.error] == [
        "File name 'my-first_run.pt': this session has already saved a file of that name; type another name. "
        "Nothing was overwritten."]
    assert path.read_bytes() == written and [p for p in tmp_path.rglob("*") if p.is_file()] == [path]
    assert app.get("download_button")[0].proto.label == "Download checkpoint"


def test_every_number_on_the_page_is_a_link_parameter_of_its_dotted_path():
    from ganlab.links import PAGE_FIELDS
    from ganlab.options import OPTIONS

    app = open_with(**{"loss.name": "wgan-gp"})  # the gradient penalty's box
    shown = {w.key for w in [*app.number_input, *app.slider]}
    app.selectbox(key="mn.loss.name").set_value("wgan").run()  # the weight clip's box
    shown |= {w.key for w in [*app.number_input, *app.slider]}
    fields = PAGE_FIELDS["mnist-lab"]
    options = {key for key in shown if not key.startswith("mn.reg.")}
    assert {"mn.loss.clip", "mn.loss.gp_lambda", "mn.d_steps", "mn.g_opt.lr"} <= options
    for key in options:
        path = key.removeprefix("mn.")
        field, option = fields[path], OPTIONS[path]
        assert (field.key, field.low, field.high) == (key, option.low, option.high)
