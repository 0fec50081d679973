import json
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.sweep import MAX_SEEDS, SweepSpec, load_spec, run_sweep
from ganlab.ui.experiments import SweepJob, saved_sweeps
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
