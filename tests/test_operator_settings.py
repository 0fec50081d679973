"""The operator's settings (issue 19): each environment variable parsed, defaulted and checked."""

import os

import pytest

from ganlab import operator_settings as ops
from ganlab.operator_settings import OperatorSettings, OperatorSettingsError, operator_settings

VARIABLES = ("GANLAB_SAVES", "GANLAB_MNIST_MAX_STEPS", "GANLAB_SWEEP_MAX_RUNS", "GANLAB_SWEEP_MAX_TOTAL_STEPS",
             "GANLAB_WORKERS", "GANLAB_MAX_RUNS", "GANLAB_FORK_WORKERS", "GANLAB_FRAME_PERCENT")


@pytest.fixture
def clean_env(monkeypatch):
    """os.environ without any operator variable, and current() forgetting what it read (before and after)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    ops.clear_cache()
    yield monkeypatch
    ops.clear_cache()


def test_defaults(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert operator_settings({}) == OperatorSettings(saves=True, mnist_max_steps=20000, sweep_max_runs=100,
                                                     sweep_max_total_steps=1_000_000, training_workers=6,
                                                     max_training_runs=64, fork_workers=True,
                                                     frame_percent=10)


@pytest.mark.parametrize(("cpus", "workers"), [(None, 1), (1, 1), (64, 64), (256, 64)])
def test_default_workers_is_the_cpu_count_from_1_to_64(monkeypatch, cpus, workers):
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert operator_settings({}).training_workers == workers


def test_empty_or_blank_means_unset():
    assert operator_settings({name: "" for name in VARIABLES}) == operator_settings({})
    assert operator_settings({name: "  " for name in VARIABLES}) == operator_settings({})


@pytest.mark.parametrize(("text", "saves"), [("on", True), ("off", False), ("OFF", False), (" Off ", False),
                                             ("On", True)])
def test_saves_on_or_off(text, saves):
    assert operator_settings({"GANLAB_SAVES": text}).saves is saves


@pytest.mark.parametrize(("name", "field", "text", "value"), [
    ("GANLAB_MNIST_MAX_STEPS", "mnist_max_steps", "1", 1),
    ("GANLAB_MNIST_MAX_STEPS", "mnist_max_steps", " 500 ", 500),
    ("GANLAB_MNIST_MAX_STEPS", "mnist_max_steps", "10000000", 10_000_000),
    ("GANLAB_SWEEP_MAX_RUNS", "sweep_max_runs", "1", 1),
    ("GANLAB_SWEEP_MAX_RUNS", "sweep_max_runs", "12", 12),
    ("GANLAB_SWEEP_MAX_RUNS", "sweep_max_runs", "100", 100),
    ("GANLAB_SWEEP_MAX_TOTAL_STEPS", "sweep_max_total_steps", "1", 1),
    ("GANLAB_SWEEP_MAX_TOTAL_STEPS", "sweep_max_total_steps", "5000", 5000),
    ("GANLAB_SWEEP_MAX_TOTAL_STEPS", "sweep_max_total_steps", "1000000", 1_000_000),
    ("GANLAB_WORKERS", "training_workers", "1", 1),
    ("GANLAB_WORKERS", "training_workers", "3", 3),
    ("GANLAB_WORKERS", "training_workers", "64", 64),
    ("GANLAB_MAX_RUNS", "max_training_runs", "1", 1),
    ("GANLAB_MAX_RUNS", "max_training_runs", "0100", 100),
    ("GANLAB_MAX_RUNS", "max_training_runs", "1000", 1000),
])
def test_each_number_is_parsed_up_to_its_bound(name, field, text, value):
    settings = operator_settings({name: text})
    assert getattr(settings, field) == value
    others = {f: getattr(operator_settings({}), f) for f in OperatorSettings.__dataclass_fields__ if f != field}
    assert {f: getattr(settings, f) for f in others} == others  # one variable sets one field


ALLOWED = {
    "GANLAB_MNIST_MAX_STEPS": "expected a whole number from 1 to 10000000",
    "GANLAB_SWEEP_MAX_RUNS": "expected a whole number from 1 to 100 (the library's own limit, "
                             "ganlab.sweep.MAX_RUNS)",
    "GANLAB_SWEEP_MAX_TOTAL_STEPS": "expected a whole number from 1 to 1000000 (the library's own limit, "
                                    "ganlab.sweep.MAX_TOTAL_STEPS)",
    "GANLAB_WORKERS": "expected a whole number from 1 to 64",
    "GANLAB_MAX_RUNS": "expected a whole number from 1 to 1000",
}
ABOVE = {"GANLAB_MNIST_MAX_STEPS": "10000001", "GANLAB_SWEEP_MAX_RUNS": "101",
         "GANLAB_SWEEP_MAX_TOTAL_STEPS": "1000001", "GANLAB_WORKERS": "65", "GANLAB_MAX_RUNS": "1001"}


@pytest.mark.parametrize("name", list(ALLOWED))
@pytest.mark.parametrize("text", ["abc", "0", "-5", "+5", "1.5", "1e3", "20_000", "5 000", "١٢", "0x10"])
def test_a_bad_number_names_the_variable_the_value_and_what_is_allowed(name, text):
    with pytest.raises(OperatorSettingsError) as err:
        operator_settings({name: text})
    assert str(err.value) == f"{name}={text!r}: {ALLOWED[name]}"
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("name", list(ALLOWED))
def test_one_above_the_bound_is_refused(name):
    with pytest.raises(OperatorSettingsError) as err:
        operator_settings({name: ABOVE[name]})
    assert str(err.value) == f"{name}='{ABOVE[name]}': {ALLOWED[name]}"


def test_the_example_message():
    with pytest.raises(OperatorSettingsError,
                       match=r"^GANLAB_MNIST_MAX_STEPS='abc': expected a whole number from 1 to 10000000$"):
        operator_settings({"GANLAB_MNIST_MAX_STEPS": "abc"})


def test_a_huge_value_is_refused_and_shown_cut():
    text = "9" * 5000  # more digits than int() takes by default: still the variable's own message
    with pytest.raises(OperatorSettingsError) as err:
        operator_settings({"GANLAB_WORKERS": text})
    assert str(err.value) == f"GANLAB_WORKERS={'9' * 40 + '…'!r}: expected a whole number from 1 to 64"


@pytest.mark.parametrize("text", ["yes", "true", "1", "0", "of", "onn"])
def test_saves_takes_only_on_or_off(text):
    with pytest.raises(OperatorSettingsError, match=f"^GANLAB_SAVES='{text}': expected on or off$"):
        operator_settings({"GANLAB_SAVES": text})


@pytest.mark.parametrize(("text", "fork"), [("on", True), ("off", False), (" OFF ", False)])
def test_forking_workers_is_on_or_off(text, fork, monkeypatch):
    from ganlab.runtime import zygote

    assert operator_settings({"GANLAB_FORK_WORKERS": text}).fork_workers is fork
    monkeypatch.setenv("GANLAB_FORK_WORKERS", text)
    assert zygote.fork_wanted() is (fork and zygote.sys.platform.startswith("linux"))
    monkeypatch.setenv("GANLAB_FORK_WORKERS", "0")
    with pytest.raises(OperatorSettingsError, match="^GANLAB_FORK_WORKERS='0': expected on or off$"):
        zygote.fork_wanted()


def test_current_reads_once_until_the_cache_is_cleared(clean_env):
    clean_env.setenv("GANLAB_MNIST_MAX_STEPS", "123")
    clean_env.setenv("GANLAB_WORKERS", "5")
    clean_env.setenv("GANLAB_MAX_RUNS", "7")
    first = ops.current()
    assert (first.mnist_max_steps, ops.training_workers(), ops.max_training_runs()) == (123, 5, 7)
    clean_env.setenv("GANLAB_MNIST_MAX_STEPS", "456")
    assert ops.current() is first  # read once
    ops.clear_cache()
    assert ops.current().mnist_max_steps == 456


def test_current_raises_for_a_bad_value_until_it_is_fixed(clean_env):
    clean_env.setenv("GANLAB_MAX_RUNS", "many")
    with pytest.raises(OperatorSettingsError, match="^GANLAB_MAX_RUNS='many'"):
        ops.max_training_runs()
    clean_env.setenv("GANLAB_MAX_RUNS", "9")
    ops.clear_cache()
    assert ops.max_training_runs() == 9


def test_settings_are_frozen():
    settings = operator_settings({})
    with pytest.raises(AttributeError):
        settings.saves = False  # type: ignore[misc]


def test_the_module_docstring_lists_every_variable():
    assert all(name in ops.__doc__ for name in VARIABLES)


@pytest.mark.parametrize(("text", "percent"), [("1", 1), ("15", 15), (" 100 ", 100)])
def test_frame_percent_is_a_whole_number_from_1_to_100(text, percent):
    assert operator_settings({"GANLAB_FRAME_PERCENT": text}).frame_percent == percent


@pytest.mark.parametrize("text", ["0", "101", "12.5", "-5", "ten"])
def test_frame_percent_outside_1_to_100_is_named_with_what_is_allowed(text):
    with pytest.raises(OperatorSettingsError) as err:
        operator_settings({"GANLAB_FRAME_PERCENT": text})
    assert str(err.value) == f"GANLAB_FRAME_PERCENT={text!r}: expected a whole number from 1 to 100"

