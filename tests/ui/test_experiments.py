import json
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab import operator_settings
from ganlab.operator_settings import OperatorSettings
from ganlab.sweep import MAX_SEEDS, SweepSpec, load_spec, run_sweep
from ganlab.ui.experiments import SAVES_OFF_NO_SWEEPS, SweepJob, saved_sweeps, spec_from_form
from ganlab.ui.session_files import SESSIONS_DIR

ROOT = Path(__file__).resolve().parents[2]


def tiny_spec() -> SweepSpec:
    return SweepSpec(["ring8"], ["hinge", "nonsaturating"], [0, 1], 10, base={"batch_size": "16"}, workers=1)


def test_job_runs_the_cli_with_a_spec_file_in_a_subprocess_and_counts_rows(tmp_path):
    job = SweepJob(tiny_spec(), tmp_path / "s.csv")
    assert job.total == 4
    cmd = job.command()
    assert cmd[:4] == [sys.executable, "-m", "ganlab", "sweep"]
    assert cmd[cmd.index("--spec") + 1] == str(tmp_path / "s.spec.json") and "--set" not in cmd
    job.start()
    assert load_spec(job.spec_path) == job.spec  # the whole specification went through the file
    job.process.wait(timeout=120)
    assert job.finished() and job.failed() is None
    assert job.done_runs() == 4


def test_the_command_line_stays_short_whatever_the_spec(tmp_path):
    """The issue's 'Argument list too long': the specification is in the file, not on argv."""
    big = SweepSpec(["ring8"], ["hinge", "nonsaturating"], list(range(MAX_SEEDS)), 10,
                    base={f"g.{k}": "8" for k in ("width", "depth")}, workers=1)
    assert len(" ".join(SweepJob(big, tmp_path / "s.csv").command())) < 500


def test_an_oversized_sweep_is_refused_with_the_limit(tmp_path):
    spec = tiny_spec()
    spec.seeds = list(range(MAX_SEEDS + 1))
    with pytest.raises(ValueError, match=f"seeds: at most {MAX_SEEDS} per sweep"):
        SweepJob(spec, tmp_path / "s.csv")
    assert not (tmp_path / "s.spec.json").exists()


def test_a_bad_sweep_is_refused_before_it_starts(tmp_path):
    spec = tiny_spec()
    spec.base = {"g_opt.lr": "-1"}
    with pytest.raises(ValueError, match="g_opt.lr"):
        SweepJob(spec, tmp_path / "s.csv")


def start_from_page(app: AppTest, seeds: str) -> SweepJob:
    """Fill the form (hinge and nonsaturating on ring8, 10 steps, one process) and press Run sweep."""
    app.multiselect[1].set_value(["hinge", "nonsaturating"])
    app.text_input[0].set_value(seeds)
    app.number_input[0].set_value(10)
    app.slider[0].set_value(1)
    app.button[0].click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    return app.session_state["exp_job"]


def test_page_runs_a_sweep_into_its_own_folder_and_lists_only_its_own(tmp_path, monkeypatch):
    """The sweep's files go to the session's folder; another student's sweep (another session folder) and
    old sweeps in runs/ are not listed; the finished sweep shows its table and charts."""
    monkeypatch.chdir(tmp_path)
    run_sweep(tiny_spec(), SESSIONS_DIR / "0123456789abcdef" / "sweep-theirs.csv")
    run_sweep(tiny_spec(), Path("runs") / "sweep-old.csv")
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60).run()
    assert "No sweep yet" in app.caption[-1].value and not app.dataframe
    job = start_from_page(app, "0,1")
    folder = SESSIONS_DIR / app.session_state["session_folder_name"]
    assert job.out_csv.parent == job.spec_path.parent == folder
    assert job.process.wait(timeout=300) == 0
    app.run()
    assert not app.exception
    assert app.selectbox[1].options == [job.out_csv.name] == [p.name for p in saved_sweeps(folder)]
    table = app.dataframe[0].value
    assert list(table["loss"]) == ["hinge", "nonsaturating"]
    charts = {c.proto.id.rsplit("-", 1)[1]: json.loads(c.proto.spec) for c in app.get("plotly_chart")}
    assert len(charts) >= 4
    # the table's columns and the charts' y-axes carry the same titles, so the same units
    hq = charts["exp_hq_fraction"]
    assert hq["layout"]["yaxis"]["title"]["text"] == "high-quality samples (%)" in table.columns
    shown = [float(cell.split(" ± ")[0]) for cell in table["high-quality samples (%)"]]
    assert [round(y, 1) for y in hq["data"][0]["y"]] == shown
    assert charts["exp_jsd"]["layout"]["yaxis"]["title"]["text"] == "JSD (sample estimate, nats, in [0, log 2])"
    assert "JSD (sample estimate, nats, in [0, log 2])" in table.columns


def test_page_refuses_a_big_seed_range_at_once_naming_the_field_and_limit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60).run()
    app.text_input[0].set_value("0-100000000")
    started = time.perf_counter()
    app.button[0].click().run()
    assert time.perf_counter() - started < 5  # a page rerun; the check itself takes microseconds
    assert [e.value for e in app.error] == [
        f"Sweep not started: Seeds: at most {MAX_SEEDS} seeds per sweep, got 100,000,001"]
    assert "exp_job" not in app.session_state
    assert not Path("runs").exists()  # no folder, no spec file, no CSV


def test_a_damaged_sweep_csv_is_named_and_the_page_goes_on(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "sweep-broken.csv").write_bytes(b"dataset,loss,variant,seed\x00\xff\nring8,hinge\n")
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60)
    app.session_state["exp_folder"] = folder
    app.run()
    assert not app.exception
    assert [e.value for e in app.error][-1].startswith("This sweep's results cannot be read: sweep CSV")


def test_link_words_show_as_typed_in_the_link_notes():
    from ganlab.ui.classroom import as_plain_text

    shown = as_plain_text("[click](http://x.org) d_steps: 21 is outside [1, 20] $x$ *b* <i>")
    assert shown == r"[click\](http\:\/\/x.org) d_steps: 21 is outside [1, 20] \$x\$ \*b\* \<i\>"


@pytest.fixture
def operator_env(monkeypatch):
    """operator_env(NAME=value, ...) sets the operator's variables and clears operator_settings' cache (which
    is cleared again after the test)."""

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        operator_settings.clear_cache()

    yield set_env
    operator_settings.clear_cache()


def test_the_page_builder_takes_the_form_and_keeps_the_preset_rest():
    preset = SweepSpec(["ring8"], ["hinge"], [0], 100, base={"batch_size": "16"}, workers=2)
    spec = spec_from_form(preset, ["ring8", "grid25"], ["hinge", "nonsaturating"], "0-2", 50, 1,
                          OperatorSettings(sweep_max_runs=12, sweep_max_total_steps=600))
    assert spec == SweepSpec(["ring8", "grid25"], ["hinge", "nonsaturating"], [0, 1, 2], 50,
                             base={"batch_size": "16"}, workers=1)  # 12 runs x 50 steps = 600: just allowed
    assert preset.seeds == [0]  # the preset itself is not changed


def test_the_page_builder_refuses_a_sweep_over_the_operator_limits(operator_env):
    operator_env(GANLAB_SWEEP_MAX_RUNS="3")
    with pytest.raises(ValueError) as err:
        spec_from_form(tiny_spec(), ["ring8"], ["hinge", "nonsaturating"], "0,1", 10, 1)
    assert str(err.value) == ("runs: at most 3 per sweep on this server (the operator's limit "
                              "GANLAB_SWEEP_MAX_RUNS), got 4")
    operator_env(GANLAB_SWEEP_MAX_RUNS="4", GANLAB_SWEEP_MAX_TOTAL_STEPS="39")
    with pytest.raises(ValueError) as err:
        spec_from_form(tiny_spec(), ["ring8"], ["hinge", "nonsaturating"], "0,1", 10, 1)
    assert str(err.value) == ("steps: at most 39 iterations in all (runs x steps) on this server (the operator's "
                              "limit GANLAB_SWEEP_MAX_TOTAL_STEPS), got 4 x 10 = 40")
    assert spec_from_form(tiny_spec(), ["ring8"], ["hinge", "nonsaturating"], "0,1", 9, 1).steps == 9


def test_the_library_limits_still_come_first_in_the_page_builder():
    with pytest.raises(ValueError, match=f"^Seeds: at most {MAX_SEEDS} seeds per sweep"):
        spec_from_form(tiny_spec(), ["ring8"], ["hinge"], f"0-{MAX_SEEDS}", 10, 1, OperatorSettings())
    with pytest.raises(ValueError, match="^pick at least one dataset and one loss$"):
        spec_from_form(tiny_spec(), [], ["hinge"], "0", 10, 1, OperatorSettings())


def test_page_refuses_a_sweep_over_the_operator_limit_and_shows_the_limits(tmp_path, monkeypatch, operator_env):
    monkeypatch.chdir(tmp_path)
    operator_env(GANLAB_SWEEP_MAX_RUNS="5", GANLAB_SWEEP_MAX_TOTAL_STEPS="3000")
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60).run()
    assert ("Limits of one sweep (the server is shared): at most 5 runs, 50 seeds, 3,000 steps per run and 3,000 "
            "steps in all.") in [c.value for c in app.caption]
    assert app.number_input[0].max == 3000
    app.number_input[0].set_value(10)
    app.button[0].click().run()  # the page's default: ring8 x nonsaturating, wgan-gp x seeds 0, 1, 2 = 6 runs
    assert [e.value for e in app.error] == ["Sweep not started: runs: at most 5 per sweep on this server (the "
                                            "operator's limit GANLAB_SWEEP_MAX_RUNS), got 6"]
    assert "exp_job" not in app.session_state
    assert not Path("runs").exists()


def test_page_starts_no_sweep_when_server_saves_are_off(tmp_path, monkeypatch, operator_env):
    monkeypatch.chdir(tmp_path)
    operator_env(GANLAB_SAVES="off")
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60).run()
    assert not app.exception
    assert [i.value for i in app.info] == [SAVES_OFF_NO_SWEEPS]
    assert "GANLAB_SAVES=off" in SAVES_OFF_NO_SWEEPS
    assert app.button[0].label == "Run sweep" and app.button[0].disabled
    assert app.caption[-1].value == "No sweep yet: this server runs none from this page (see above)."
    with pytest.raises(ValueError, match="GANLAB_SAVES=off"):
        spec_from_form(tiny_spec(), ["ring8"], ["hinge"], "0", 10, 1, OperatorSettings(saves=False))
    assert not Path("runs").exists()
