"""Issue 20 on the Experiments page: a sweep goes to the Ray cluster the operator named (GANLAB_RAY_ADDRESS;
a student never types an address), the page shows where it runs and how big that is, and a student who
leaves the page and comes back sees the running sweep again (another session does not)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab import operator_settings
from ganlab.operator_settings import OperatorSettings, OperatorSettingsError
from ganlab.sweep import MAX_STEPS, SweepSpec, read_csv
from ganlab.ui.experiments import SweepJob, backend_caption, backend_labels
from tests.test_sweep_ray import RAY_SETTINGS, cluster, task_processes  # noqa: F401  (cluster: a local Ray head)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def operator_env(monkeypatch):
    """operator_env(NAME=value, ...) sets the operator's variables and clears operator_settings' cache."""

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        operator_settings.clear_cache()

    yield set_env
    operator_settings.clear_cache()


def test_the_operators_ray_address_is_auto_or_host_and_port():
    read = operator_settings.operator_settings
    assert read({}).ray_address is None
    assert read({"GANLAB_RAY_ADDRESS": " "}).ray_address is None
    assert read({"GANLAB_RAY_ADDRESS": "auto"}).ray_address == "auto"
    assert read({"GANLAB_RAY_ADDRESS": " 10.0.0.5:6379 "}).ray_address == "10.0.0.5:6379"
    for bad in ("local", "head", "head:0", "ray://head:10001", "10.0.0.5:6379; rm -rf /"):
        with pytest.raises(OperatorSettingsError) as info:
            read({"GANLAB_RAY_ADDRESS": bad})
        assert str(info.value) == (f"GANLAB_RAY_ADDRESS={bad!r}: expected auto (the cluster `ray start` runs on "
                                   "this machine) or HOST:PORT of a Ray cluster's head (port 1 to 65535)")


def test_the_choice_of_where_to_run_is_the_operators():
    assert backend_labels(OperatorSettings()) == {"local": "This server (its own processes)"}
    assert backend_labels(OperatorSettings(ray_address="10.0.0.5:6379")) == {
        "local": "This server (its own processes)", "ray": "The operator's Ray cluster (10.0.0.5:6379)"}
    spec = SweepSpec(["ring8"], ["hinge"], [0], 5)
    with pytest.raises(ValueError, match="without the operator's GANLAB_RAY_ADDRESS"):
        SweepJob(spec, Path("x.csv"), "ray", None)
    job = SweepJob(spec, Path("x.csv"), "ray", "10.0.0.5:6379")
    command = job.command()
    assert command[command.index("--backend"):command.index("--backend") + 4] == \
        ["--backend", "ray", "--address", "10.0.0.5:6379"]
    assert command[command.index("--status-file") + 1] == "x.status.json"
    assert "--backend" not in SweepJob(spec, Path("x.csv")).command()


def test_without_a_cluster_the_page_offers_no_choice(tmp_path, monkeypatch, operator_env):
    monkeypatch.chdir(tmp_path)
    operator_env(GANLAB_RAY_ADDRESS="")
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60).run()
    assert not app.exception and len(app.radio) == 0
    assert "Where to run" not in [c.value for c in app.caption]


def fill_form(app: AppTest, steps: int) -> None:
    app.multiselect[1].set_value(["hinge", "nonsaturating"])
    app.text_input[0].set_value("0,1")
    app.number_input[0].set_value(steps)
    app.slider[0].set_value(1)


def test_a_sweep_sent_to_the_operators_cluster_shows_where_it_ran(cluster, tmp_path, monkeypatch,  # noqa: F811
                                                                  operator_env):
    address, _ = cluster
    monkeypatch.chdir(tmp_path)
    for name, value in RAY_SETTINGS.items():  # the sweep's driver joins the test cluster as its drivers do
        monkeypatch.setenv(name, value)
    operator_env(GANLAB_RAY_ADDRESS=address)
    app = AppTest.from_file(str(ROOT / "pages" / "experiments.py"), default_timeout=60).run()
    choice = app.radio(key="exp_backend")
    assert choice.options == ["This server (its own processes)", f"The operator's Ray cluster ({address})"]
    choice.set_value("ray").run()
    assert backend_caption("ray", operator_settings.current()) in [c.value for c in app.caption]
    assert "its size shows once a sweep has connected" in backend_caption("ray", operator_settings.current())
    fill_form(app, 10)
    app.button[0].click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    job: SweepJob = app.session_state["exp_job"]
    assert (job.backend, job.address) == ("ray", address)  # the operator's address, not one from the page
    assert job.process.wait(timeout=180) == 0, job.log_path.read_text()[-2000:]
    app.run()
    assert f"Runs on the Ray cluster at {address}: 1 node, 2 CPUs, no GPU." in [c.value for c in app.caption]
    rows = read_csv(job.out_csv)
    assert [(r["loss"], r["seed"], r["status"], r["steps"]) for r in rows] == [
        ("hinge", 0, "ok", 10), ("hinge", 1, "ok", 10), ("nonsaturating", 0, "ok", 10),
        ("nonsaturating", 1, "ok", 10)]
    assert list(app.dataframe[0].value["loss"]) == ["hinge", "nonsaturating"]
    assert backend_caption("ray", operator_settings.current()).startswith(
        f"Runs as Ray tasks on the cluster the operator set up at {address} (it had 1 node, 2 CPUs, no GPU at ")


def sweep_bars(app: AppTest, job: SweepJob) -> list[str]:
    """The texts of the progress bars that show `job`."""
    return [p.proto.text for p in app.get("progress") if job.out_csv.name in p.proto.text]


def test_a_student_who_leaves_the_page_and_comes_back_sees_the_running_sweep(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    app.switch_page("pages/experiments.py").run()  # the whole app (its page menu), opened on this page
    assert not app.exception
    fill_form(app, MAX_STEPS)  # long enough to be still running while the student is away
    app.button[0].click().run()
    job: SweepJob = app.session_state["exp_job"]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and job.placement() is None:
            time.sleep(0.2)
        app.switch_page("pages/lessons.py").run()
        assert not app.exception and sweep_bars(app, job) == []  # another page: no sweep shown
        app.switch_page("pages/experiments.py").run()  # back: the same job, still running, its progress shown
        assert not app.exception
        assert app.session_state["exp_job"] is job and not job.finished()
        assert sweep_bars(app, job) == [f"0 / 4 runs — {job.out_csv.name}"]
        assert "Runs on this machine, in this process." in [c.value for c in app.caption]
        assert [b.label for b in app.button if b.key == "exp_cancel"] == ["Cancel sweep"]
        other = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        other.switch_page("pages/experiments.py").run()  # another session: neither the job nor its folder
        assert "exp_job" not in other.session_state and sweep_bars(other, job) == []
        assert other.caption[-1].value.startswith("No sweep yet")
    finally:
        job.cancel()
    assert job.finished() and job.cancelled


def test_cancel_stops_the_sweeps_tasks_on_the_cluster(cluster, tmp_path, monkeypatch):  # noqa: F811
    address, group = cluster
    for name, value in RAY_SETTINGS.items():  # the sweep's driver joins the test cluster as its drivers do
        monkeypatch.setenv(name, value)
    spec = SweepSpec(["ring8"], ["hinge"], [0, 1], MAX_STEPS, workers=1)
    job = SweepJob(spec, tmp_path / "s.csv", "ray", address)
    job.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(task_processes(group)) < 2 and not job.finished():
            time.sleep(0.1)
        assert len(task_processes(group)) == 2, job.log_path.read_text()[-2000:]  # both runs train on the cluster
        job.cancel()
        assert job.finished() and job.cancelled and job.failed() is None
        deadline = time.monotonic() + 30  # the driver is gone: the cluster stops its tasks
        while time.monotonic() < deadline and task_processes(group):
            time.sleep(0.2)
        assert task_processes(group) == []
    finally:
        job.cancel()
