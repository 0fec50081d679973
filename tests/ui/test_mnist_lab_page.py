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
    app.radio(key="mn_kind").set_value("conditional (label embedding)").run()
    assert app.session_state["mnist_session"].config.conditional
    assert not app.exception


def test_evaluate_and_save(tmp_path):
    app = AppTest.from_file(PAGE, default_timeout=180).run()
    app.select_slider(key="mn_channels").set_value(8).run()
    next(b for b in app.button if b.label == "Evaluate now").click().run()
    table = app.dataframe[0].value
    assert list(table["step"]) == [0] and 1.0 <= table["classifier_score"][0] <= 10.0
    app.text_input(key="mn_folder").set_value(str(tmp_path)).run()
    next(b for b in app.button if b.label == "Save checkpoint").click().run()
    assert any("Saved" in s.value for s in app.success)
    assert len(list(tmp_path.glob("mnist-dcgan-*.pt"))) == 1
    assert 0.0 <= table["precision"][0] <= 1.0 and 0.0 <= table["recall"][0] <= 1.0


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
