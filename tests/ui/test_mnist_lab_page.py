import json
import re
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "mnist_lab.py")
STEP = re.compile(r"### Step (\d+)")


def step_number(app: AppTest) -> int:
    return int(next(STEP.match(m.value).group(1) for m in app.markdown if STEP.match(m.value)))


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
    app.select_slider(key="mn_channels").set_value(8).run()
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
    app.select_slider(key="mn_channels").set_value(8).run()
    assert [i.value for i in app.info] == ["New run: g.channels, d.channels changed."]
    app.select_slider(key="mn_batch").set_value(32).run()  # nothing pressed yet: the newest notice shows
    assert [i.value for i in app.info] == ["New run: batch_size changed."]
    next(b for b in app.button if b.label == "Step").click().run()
    assert [i.value for i in app.info] == []
    next(b for b in app.button if b.label == "Reset").click().run()
    assert [i.value for i in app.info] == ["Reset: a new run from step 0."]
    next(b for b in app.button if b.label == "Play").click().run()
    assert [i.value for i in app.info] == [] and app.session_state["mnist_session"].playing


def test_evaluate_and_save(tmp_path):
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    app.select_slider(key="mn_channels").set_value(8).run()
    next(b for b in app.button if b.label == "Evaluate now").click().run()
    table = app.dataframe[0].value
    assert list(table.columns) == ["Step", "FID (LeNet)", "Classifier score (max 10)", "Class KL from uniform",
                                   "Precision", "Recall", "Density", "Coverage"]
    assert list(table["Step"]) == [0] and 1.0 <= table["Classifier score (max 10)"][0] <= 10.0
    app.text_input(key="mn_folder").set_value(str(tmp_path)).run()
    next(b for b in app.button if b.label == "Save checkpoint").click().run()
    assert any("Saved" in s.value for s in app.success)
    assert len(list(tmp_path.glob("mnist-dcgan-*.pt"))) == 1
    assert 0.0 <= table["Precision"][0] <= 1.0 and 0.0 <= table["Recall"][0] <= 1.0


def test_optimisers_regularisers_and_d_steps_reach_the_run():
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    app.select_slider(key="mn_channels").set_value(8).run()
    app.selectbox(key="mn_d_opt").set_value("rmsprop").run()
    app.select_slider(key="mn_d_lr").set_value(1e-4).run()
    app.checkbox(key="mn_on_r2").check().run()
    app.number_input(key="mn_reg_r2").set_value(3.0).run()
    app.checkbox(key="mn_on_instance-noise").check().run()
    app.slider(key="mn_d_steps").set_value(2).run()
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
    app.select_slider(key="mn_channels").set_value(8).run()
    app.checkbox(key="mn_fm").check().run()
    app.checkbox(key="mn_vbn").check().run()
    app.number_input(key="mn_ha").set_value(0.5).run()
    tricks = app.session_state["mnist_session"].config.tricks
    assert (tricks.feature_matching, tricks.virtual_batch_norm, tricks.historical_averaging) == (True, True, 0.5)
    next(b for b in app.button if b.label == "Step").click().run()
    assert app.session_state["mnist_session"].trainer.step_count == 1 and not app.exception


def test_an_option_the_loss_does_not_allow_is_named_and_the_run_is_kept():
    """The crawler's finding: label smoothing with an f-GAN loss raised ConfigError as a traceback."""
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    next(b for b in app.button if b.label == "Step").click().run()
    app.selectbox(key="mn_loss").set_value("fgan-reverse-kl").run()
    before = app.session_state["mnist_session"].config
    assert before.loss.name == "fgan-reverse-kl"
    app.checkbox(key="mn_on_label-smoothing").check().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "reg.label-smoothing" in errors[0] and "fgan-reverse-kl" in errors[0]
    assert "keeps its last good settings" in errors[0]
    assert app.session_state["mnist_session"].config is before  # the run was not replaced
    assert app.session_state["mnist_session"].config.regularizers == {}
    app.checkbox(key="mn_on_label-smoothing").uncheck().run()
    assert [e.value for e in app.error] == []
