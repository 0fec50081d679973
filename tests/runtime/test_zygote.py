"""ganlab.runtime.zygote: workers forked from a process that has imported torch, and the fresh-process fallback."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from ganlab.runtime import zygote
from ganlab.runtime.pool import WorkerHandle, WorkerLost
from ganlab.runtime.zygote import FORK_ENV, WorkerProcess

pytestmark = pytest.mark.skipif(not zygote.fork_wanted(), reason="workers are forked on Linux only")


def job(worker: WorkerHandle, function, *args):
    return worker.call("job", 0, (function.__module__, function.__qualname__, args))


def test_a_forked_worker_serves_its_socket_and_reports_how_it_ended():
    first, second = WorkerHandle(), WorkerHandle()
    try:
        assert isinstance(first.process, WorkerProcess) and isinstance(second.process, WorkerProcess)
        pids = {first.call("stats")["pid"], second.call("stats")["pid"]}
        assert pids == {first.pid, second.pid} and os.getpid() not in pids and len(pids) == 2
        assert first.process.poll() is None
        # each worker reseeds after the fork: two workers do not draw the same numbers
        draws = [job(first, zygote.unseeded_draws), job(second, zygote.unseeded_draws)]
        assert all(a != b for a, b in zip(*draws, strict=True)), draws
        os.kill(first.pid, signal.SIGKILL)
        assert first.process.wait(10) == -signal.SIGKILL  # as subprocess.Popen reports a signal
        with pytest.raises(WorkerLost, match=r"stopped \(exit code -9\)"):
            first.call("stats")
        second.close()  # the server's end closes: the worker sees the end of its input and exits cleanly
        assert second.process.wait(10) == 0
        third = WorkerHandle()
        with pytest.raises(subprocess.TimeoutExpired):
            third.process.wait(0.2)  # a worker nobody closed runs on
        third.kill()
        assert third.process.wait(10) == -signal.SIGKILL
    finally:
        first.kill(), second.kill()


def test_a_killed_zygote_leaves_its_workers_serving_and_the_next_worker_comes_from_a_new_one():
    before = WorkerHandle()
    try:
        old = zygote._ZYGOTE
        assert old is not None and old.alive()
        old.process.kill()
        old.process.wait(10)
        assert before.call("stats")["pid"] == before.pid  # the worker it forked goes on
        after = WorkerHandle()
        try:
            assert isinstance(after.process, WorkerProcess) and zygote._ZYGOTE is not old
            assert after.call("stats")["pid"] == after.pid != before.pid
        finally:
            after.kill()
        os.kill(before.pid, signal.SIGKILL)
        assert before.process.wait(10) == -1  # its zygote, which had its exit status, is gone: -1, not a hang
    finally:
        before.kill()


def test_with_forking_off_a_worker_is_a_fresh_process(monkeypatch):
    monkeypatch.setenv(FORK_ENV, "off")
    worker = WorkerHandle()
    try:
        assert isinstance(worker.process, subprocess.Popen)
        assert worker.process.args[1:3] == ["-m", "ganlab.runtime.worker"]
        assert worker.call("stats")["pid"] == worker.pid == worker.process.pid
    finally:
        worker.kill()
    assert worker.process.wait(10) == -signal.SIGKILL
