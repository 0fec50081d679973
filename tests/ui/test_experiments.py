import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.sweep import SweepSpec, run_sweep
from ganlab.ui.experiments import SweepJob, saved_sweeps

ROOT = Path(__file__).resolve().parents[2]


def tiny_spec() -> SweepSpec:
    return SweepSpec(["ring8"], ["hinge", "nonsaturating"], [0, 1], 10, base={"batch_size": "16"}, workers=1)


def test_job_runs_the_cli_in_a_subprocess_and_counts_rows(tmp_path):
    job = SweepJob(tiny_spec(), tmp_path / "s.csv")
    assert job.total == 4
    cmd = job.command()
    assert cmd[:4] == [sys.executable, "-m", "ganlab", "sweep"] and "--set" in cmd
    job.start()
    job.process.wait(timeout=120)
    assert job.finished() and job.failed() is None
    assert job.done_runs() == 4


def test_a_bad_sweep_is_refused_before_it_starts(tmp_path):
    spec = tiny_spec()
    spec.base = {"g_opt.lr": "-1"}
    with pytest.raises(ValueError, match="g_opt.lr"):
        SweepJob(spec, tmp_path / "s.csv")


def test_page_shows_a_finished_sweep_with_its_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_sweep(tiny_spec(), tmp_path / "runs" / "sweep-a.csv")
    assert [p.name for p in saved_sweeps()] == ["sweep-a.csv"]
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60).run()
    assert not app.exception
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
