"""Issue 18: Cancel and the end of the browser session stop a sweep's whole process tree (the sweep and its
pool workers), checked on real processes through /proc (no psutil)."""

import os
import signal
import time
from pathlib import Path

from ganlab.sweep import MAX_STEPS, SweepSpec
from ganlab.ui.experiments import SweepJob
from ganlab.ui.session_resources import GpuSlots, SessionResources
from tests.test_parent_watch import alive, children


def endless_spec() -> SweepSpec:
    """Four runs long enough to be still training when the test cancels, on two pool workers."""
    return SweepSpec(["ring8"], ["hinge", "nonsaturating"], [0, 1], MAX_STEPS, workers=2)


def process_tree(pid: int) -> list[int]:
    """`pid` and every running process below it."""
    tree, frontier = [pid], [pid]
    while frontier:
        below = [c for p in frontier for c in children(p)]
        tree += below
        frontier = below
    return tree


def group_members(group: int) -> list[int]:
    """Running processes (not zombies awaiting their reaper) of process group `group`."""
    members = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry))
    return members


def started_with_workers(tmp_path: Path) -> tuple[SweepJob, list[int]]:
    """A sweep whose two pool workers (and multiprocessing's resource tracker) are running."""
    job = SweepJob(endless_spec(), tmp_path / "s.csv")
    job.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(children(job.process.pid)) < 3:
        time.sleep(0.2)
    tree = process_tree(job.process.pid)
    assert len(tree) >= 4, f"the sweep did not start its workers: {tree}, log: {job.log_path.read_text()}"
    return job, tree


def kill_left_over(pids: list[int]) -> None:
    """Cleanup if an assertion failed: SIGKILL exactly the processes this test started."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_cancel_leaves_no_process_of_the_sweep_alive(tmp_path):
    job, tree = started_with_workers(tmp_path)
    try:
        assert all(alive(pid) for pid in tree)
        assert all(os.getpgid(pid) == job.process.pid for pid in tree)  # one group, led by the sweep
        started = time.monotonic()
        job.cancel()
        took = time.monotonic() - started
        assert [pid for pid in tree if alive(pid)] == [], "a process of the sweep survived Cancel"
        assert took < 5
        assert job.finished() and job.cancelled and job.failed() is None  # a Cancel is not an error
        assert group_members(job.process.pid) == []  # nothing left running in its process group either
        job.cancel()  # a second Cancel (a double click) is harmless
    finally:
        kill_left_over(tree)


def test_the_end_of_the_session_stops_the_sweep_and_its_workers(tmp_path):
    """What Streamlit does when the tab closes: SessionResources.release() on the session's resources."""
    job, tree = started_with_workers(tmp_path)
    try:
        resources = SessionResources(GpuSlots(0))
        resources.track("experiments", job)
        resources.release()
        assert [pid for pid in tree if alive(pid)] == [], "a process of the sweep outlived its session"
        assert resources.runs == {}
    finally:
        kill_left_over(tree)


def test_cancel_after_the_sweep_finished_does_nothing(tmp_path):
    job = SweepJob(SweepSpec(["ring8"], ["hinge"], [0], 5, base={"batch_size": "16"}, workers=1),
                   tmp_path / "s.csv")
    job.start()
    job.process.wait(timeout=120)
    job.cancel()
    assert not job.cancelled and job.failed() is None and job.done_runs() == 1
