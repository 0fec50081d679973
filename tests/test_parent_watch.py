"""A sweep the Experiments page starts ends with the server that started it (ganlab.parent_watch)."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_until_gone(pid: int, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline and alive(pid):
        time.sleep(0.1)
    return not alive(pid)


def test_a_watching_child_ends_when_its_parent_exits_and_a_plain_one_does_not():
    child = ("import os, time; from ganlab.parent_watch import end_with_parent; {}; time.sleep(120)")
    watching = child.format("end_with_parent(int(os.environ['PARENT']), 0.05)")
    code = f"""
        import os, subprocess, sys
        os.environ["PARENT"] = str(os.getpid())
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # run() waits for its pipe's holders
        watched = subprocess.Popen([sys.executable, "-c", {watching!r}], **quiet)
        plain = subprocess.Popen([sys.executable, "-c", {child.format("pass")!r}], **quiet)
        print(plain.pid)
        print(watched.pid)
    """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    plain, watched = map(int, out.split())
    try:
        assert wait_until_gone(watched, 15)
        assert alive(plain)  # the control: without the watch a child outlives its parent
    finally:
        os.kill(plain, 9)


def test_an_experiments_sweep_and_its_workers_end_with_the_server_that_started_it(tmp_path):
    """The starting process lives until the sweep's two pool workers run, then exits (as a stopped server
    would): the sweep and both workers end."""
    csv = tmp_path / "sweep.csv"
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        from ganlab.sweep import SweepSpec
        from ganlab.ui.experiments import SweepJob
        from tests.test_parent_watch import children
        spec = SweepSpec(["ring8"], ["hinge", "nonsaturating"], [0, 1], 100_000, workers=2)
        job = SweepJob(spec, Path({str(csv)!r}))
        job.start()
        assert job.command()[job.command().index("--end-with-parent") + 1] == str(os.getpid())
        deadline = time.time() + 60
        while time.time() < deadline and len(children(job.process.pid)) < 2:
            time.sleep(0.2)
        print(job.process.pid, *children(job.process.pid))
    """)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout
    sweep, *workers = map(int, out.split())
    assert len(workers) >= 2, out  # both pool workers (and the resource tracker) ran when the starter exited
    assert wait_until_gone(sweep, 20), "the sweep outlived the process that started it"
    assert all(wait_until_gone(w, 20) for w in workers), "a sweep worker outlived the sweep"


def children(pid: int) -> list[int]:
    """The running processes whose parent is `pid`."""
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and alive(int(p)) and _parent(int(p)) == pid]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return -1


def test_a_sweeps_workers_end_when_the_sweep_is_killed_outright(tmp_path):
    """SIGKILL leaves the sweep no time to stop its pool: each worker watches the sweep itself."""
    sweep = subprocess.Popen([sys.executable, "-m", "ganlab", "sweep", "--out", str(tmp_path / "s.csv"), "--quiet",
                              "--workers", "2", "--steps", "100000", "--seeds", "0,1", "--datasets", "ring8",
                              "--losses", "hinge"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(children(sweep.pid)) < 3:  # two workers, the resource tracker
            time.sleep(0.2)
        workers = children(sweep.pid)
    finally:
        sweep.kill()
        sweep.wait()
    assert len(workers) >= 2
    assert all(wait_until_gone(w, 20) for w in workers), "a worker outlived the sweep killed under it"
