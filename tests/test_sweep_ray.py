"""Issue 20: the same sweep on a Ray cluster. A real local cluster (`ray start --head`, 2 CPUs, this
machine only) runs a small sweep through the command line; its rows equal the local pool's for the same
seeds; a Ray worker killed mid-sweep is retried and every run is written exactly once; a driver killed
mid-sweep is continued by `--resume`. The first tests need no ray (it is an optional extra); the cluster
tests are skipped only when ray is not installed (requirements-dev.txt installs it)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ganlab import sweep
from ganlab.sweep import METRICS, SweepSpec, add_arguments, read_csv, run_from_args, run_sweep, write_spec
from ganlab.sweep_backends import RAY_MISSING, BackendChoice, check_ray_address, open_backend
from ganlab.sweep_ray import TASK_NAME

ROOT = Path(__file__).resolve().parents[1]
TINY_BASE = {"batch_size": "32", "g.width": "32", "d.width": "32", "g.depth": "2", "d.depth": "2"}
SAME = ("dataset", "loss", "variant", "seed", "steps", "diverged", "diverged_at", *METRICS, "status",
        "config_hash")
"""Equal for the same seed whichever backend trained the run (all but seconds, device and attempts)."""
SPEC = SweepSpec(["ring8"], ["nonsaturating", "lsgan"], [0, 1], 2500, base=dict(TINY_BASE), workers=1,
                 eval_samples=500)
"""Four runs of about a second each: long enough to kill a worker or the driver in the middle."""
RAY_SETTINGS = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
"""The test cluster's and its drivers' environment: no usage report, and token authentication with a token of
its own (so neither a ~/.ray/auth_token nor its absence changes what the tests do)."""
RAY_ENV = {**os.environ, **RAY_SETTINGS}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def same(rows: list[dict]) -> list[tuple]:
    return [tuple(row[k] for k in SAME) for row in rows]


# --- without ray ---------------------------------------------------------------------------------------

def test_importing_the_sweep_and_a_local_sweep_never_load_ray(tmp_path):
    code = f"""
import sys
import ganlab.cli, ganlab.sweep, ganlab.ui.experiments
from ganlab.sweep import SweepSpec, run_sweep
rows = run_sweep(SweepSpec(["ring8"], ["hinge"], [0, 1], 5, base={{"batch_size": "16"}}, workers=1,
                           eval_samples=200), {str(tmp_path / "s.csv")!r})
print(len(rows), "ray" in sys.modules, sorted(m for m in sys.modules if m.split(".")[0] == "ray"))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2", "False", "[]"]


def test_backend_ray_without_the_ray_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    out = tmp_path / "never.csv"
    with pytest.raises(ValueError) as info:
        run_from_args(parse(["--steps", "5", "--backend", "ray", "--out", str(out)]))
    assert str(info.value) == RAY_MISSING == "--backend ray needs the ray package: pip install ray"
    with pytest.raises(ValueError, match=f"^{RAY_MISSING}$"):
        open_backend(BackendChoice("ray", "auto"), 2, [])
    assert not out.exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--address", "auto"], "--address needs --backend ray (it names the Ray cluster the runs go to)"),
    (["--retries", "3"], "--retries needs --backend ray (on this machine a run that raises is recorded as failed "
                         "at once, and a lost pool process stops the sweep: continue it with --resume)"),
    (["--backend", "ray", "--retries", "11"], "--retries: expected a whole number from 0 to 10, got 11"),
    (["--backend", "ray", "--address", "http://head:6379"], "--address: expected auto (the cluster `ray start` "
     "runs on this machine), local (a private Ray instance for this sweep) or HOST:PORT of a Ray cluster's head, "
     "got 'http://head:6379'"),
])
def test_the_backend_flags_are_checked_before_anything_runs(tmp_path, monkeypatch, argv, message):
    monkeypatch.setattr(sweep, "ray_installed", lambda: True)
    with pytest.raises(ValueError) as info:
        run_from_args(parse(["--steps", "5", "--out", str(tmp_path / "x.csv"), *argv]))
    assert str(info.value) == message
    assert not (tmp_path / "x.csv").exists()


def test_a_ray_address_is_auto_local_or_host_and_port():
    for good in ("auto", "local", "127.0.0.1:6379", "head-0.cluster.example:10001", "[::1]:6379", " auto "):
        assert check_ray_address(good) == good.strip()
    for bad in ("", "head", "head:0", "head:65536", "head:63a", "a b:1", "ray://head:10001", "-x:1", ":6379"):
        with pytest.raises(ValueError, match=r"^GANLAB_RAY_ADDRESS: expected auto"):
            check_ray_address(bad, "GANLAB_RAY_ADDRESS")


# --- a real local cluster --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent, process group, command line) of every running process (zombies left out)."""
    out = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z":
            out[int(entry)] = (int(fields[1]), int(fields[2]), cmdline.strip())
    return out


def cluster_processes(group: int) -> dict[int, str]:
    """pid -> command line of the processes `ray start` made (its process group) and every process below them
    (Ray's workers start sessions of their own)."""
    table = processes()
    found = {pid for pid, (_, pgid, _) in table.items() if pgid == group}
    grew = True
    while grew:
        below = {pid for pid, (parent, _, _) in table.items() if parent in found} - found
        found |= below
        grew = bool(below)
    return {pid: table[pid][2] for pid in found}


def task_processes(group: int) -> list[int]:
    """The cluster's worker processes training a sweep run now (Ray names them ray::ganlab_sweep_run)."""
    return [pid for pid, cmd in cluster_processes(group).items() if cmd.startswith(f"ray::{TASK_NAME}")]


def stop_cluster(group: int) -> None:
    """SIGTERM to every process of the cluster, SIGKILL to what is left after 3 s, twice (workers spawned
    meanwhile are caught by the second round); never `ray stop`, which would stop any Ray on the machine."""
    for _ in range(2):
        pids = cluster_processes(group)
        for pid in pids:
            with _gone_already():
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and set(pids) & set(cluster_processes(group)):
            time.sleep(0.1)
        for pid in set(pids) & set(cluster_processes(group)):
            with _gone_already():
                os.kill(pid, signal.SIGKILL)


class _gone_already:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        return kind is ProcessLookupError


@pytest.fixture(scope="module")
def cluster():
    """A Ray head on this machine with 2 CPUs: (its address, its process group). Stopped, every process of it,
    at the end of the module."""
    pytest.importorskip("ray")
    port = free_port()
    temp = tempfile.mkdtemp(prefix="gr", dir="/tmp")  # short: Ray's socket paths must stay under 107 bytes
    head = subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--num-cpus", "2",
                             "--num-gpus", "0", "--port", str(port), "--node-ip-address", "127.0.0.1",
                             "--include-dashboard=false", "--disable-usage-stats", "--temp-dir", temp],
                            env=RAY_ENV, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output = head.communicate(timeout=120)[0].decode(errors="replace")
        assert head.returncode == 0, output[-2000:]
        yield f"127.0.0.1:{port}", head.pid
    finally:
        stop_cluster(head.pid)
        shutil.rmtree(temp, ignore_errors=True)
    assert cluster_processes(head.pid) == {}, "a process of the test cluster outlived it"


@pytest.fixture(scope="module")
def local_rows(tmp_path_factory) -> list[dict]:
    """SPEC's rows on this machine (in this process): what every Ray run must reproduce."""
    return run_sweep(SPEC, tmp_path_factory.mktemp("local") / "local.csv")


def sweep_command(spec_file: Path, address: str, *flags: str) -> list[str]:
    return [sys.executable, "-m", "ganlab", "sweep", "--spec", str(spec_file), "--backend", "ray", "--address",
            address, *flags]


def test_no_cluster_at_the_address_is_a_message_at_once(cluster, tmp_path):
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(ValueError) as info:
        run_sweep(SPEC, tmp_path / "never.csv", backend=BackendChoice("ray", f"127.0.0.1:{port}"))
    assert str(info.value).startswith(f"--address 127.0.0.1:{port}: no Ray cluster answers at 127.0.0.1:{port} "
                                      "(ConnectionRefusedError")
    assert time.monotonic() - started < 10  # ray.init itself would wait minutes
    assert not (tmp_path / "never.csv").exists()


def test_a_ray_sweep_from_the_command_line_gives_the_local_rows(cluster, local_rows, tmp_path):
    address, _ = cluster
    out, status = tmp_path / "ray.csv", tmp_path / "ray.status.json"
    done = subprocess.run(sweep_command(write_spec(SPEC, tmp_path / "s.json"), address, "--out", str(out),
                                        "--status-file", str(status)),
                          cwd=ROOT, env=RAY_ENV, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = read_csv(out)
    assert same(rows) == same(local_rows)  # every metric exactly, the same seeds on either backend
    assert [(r["device"], r["attempts"]) for r in rows] == [("cpu", 1)] * 4
    assert f"ganlab sweep: runs on the Ray cluster at {address}: 1 node, 2 CPUs, no GPU" in done.stderr
    assert sorted(line.split("]")[0] for line in done.stderr.splitlines() if line.startswith("[")) == \
        ["[1/4", "[2/4", "[3/4", "[4/4"]
    placed = json.loads(status.read_text())
    assert {k: placed[k] for k in ("backend", "address", "nodes", "cpus", "gpus", "parallel")} == \
        {"backend": "ray", "address": address, "nodes": 1, "cpus": 2.0, "gpus": 0.0, "parallel": 2}
    # a CSV the Ray backend wrote counts as done for the local backend too: nothing trains again
    notes = []
    assert same(run_sweep(SPEC, out, resume=True, note=notes.append)) == same(local_rows)
    assert notes == ["resuming 'ray.csv': 4 of 4 runs already done, 0 to train"]


def test_a_killed_ray_worker_is_retried_and_every_run_is_written_once(cluster, local_rows, tmp_path):
    address, group = cluster
    out = tmp_path / "k.csv"
    driver = subprocess.Popen(sweep_command(write_spec(SPEC, tmp_path / "s.json"), address, "--out", str(out),
                                            "--retries", "2"),
                              cwd=ROOT, env=RAY_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, victims = time.monotonic() + 120, []
        while time.monotonic() < deadline and not victims and driver.poll() is None:
            victims = task_processes(group)
            time.sleep(0.05)
        assert victims, "no Ray worker was seen training a run"
        os.kill(victims[0], signal.SIGKILL)
        stdout, stderr = driver.communicate(timeout=180)
    finally:
        driver.kill()
    assert driver.returncode == 0, stderr[-3000:]
    assert "WorkerCrashedError" in stderr and "; trying it again (attempt 2 of 3)" in stderr
    rows = read_csv(out)
    assert same(rows) == same(local_rows)  # each run exactly once, in order, with the local numbers
    assert sorted(r["attempts"] for r in rows) == [1, 1, 1, 2]
    assert "modes (mean ± se)" in stdout


def test_a_killed_ray_driver_is_continued_by_resume(cluster, local_rows, tmp_path):
    address, group = cluster
    spec_file, out = write_spec(SPEC, tmp_path / "s.json"), tmp_path / "d.csv"
    driver = subprocess.Popen(sweep_command(spec_file, address, "--out", str(out), "--quiet"), cwd=ROOT,
                              env=RAY_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not out.exists() or not read_csv(out)):
            time.sleep(0.02)
    finally:
        driver.kill()
        driver.wait()
    before = read_csv(out)
    assert 1 <= len(before) < 4, "the driver was not killed mid-sweep"
    deadline = time.monotonic() + 30  # the cluster stops the dead driver's tasks
    while time.monotonic() < deadline and task_processes(group):
        time.sleep(0.2)
    assert task_processes(group) == []
    with out.open("a") as handle:
        handle.write("ring8,lsgan,-,1,2500,1.2")  # as if the kill had come in the middle of a write
    done = subprocess.run(sweep_command(spec_file, address, "--resume", str(out)), cwd=ROOT, env=RAY_ENV,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ganlab sweep: dropped the unfinished last line of 'd.csv' (24 characters" in done.stderr
    assert f"ganlab sweep: resuming 'd.csv': {len(before)} of 4 runs already done, {4 - len(before)} to train" \
        in done.stderr
    after = read_csv(out)
    assert same(after) == same(local_rows)
    kept = {(r["loss"], r["seed"]): r["seconds"] for r in before}
    assert [r["seconds"] for r in after if (r["loss"], r["seed"]) in kept] == \
        [kept[(r["loss"], r["seed"])] for r in after if (r["loss"], r["seed"]) in kept]  # not trained again
