"""ganlab.runtime.jobs: one-off computations in a worker process of their own."""

import os
import signal
import time

import pytest
import torch

from ganlab.runtime.jobs import JobRunner, job_target
from ganlab.runtime.pool import WorkerError, WorkerLost
from ganlab.ui.families_mnist import first_of_each_digit, shipped_reports


@pytest.fixture
def runner():
    jobs = JobRunner()
    yield jobs
    jobs.shutdown()


def test_a_job_runs_in_a_process_of_its_own_which_exits_when_it_is_done(runner):
    labels = torch.tensor([3, 0, 3, 1, 0, 9])
    future = runner.submit(first_of_each_digit, labels)
    deadline = time.monotonic() + 60
    while runner.worker is None and not future.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    process = runner.worker.process if runner.worker is not None else None
    assert future.result(timeout=120) == [1, 3, 0, 5]  # the first 0, 1, 3 and 9
    if process is not None:
        assert process.pid != os.getpid() and process.wait(timeout=30) is not None  # gone once done
    assert runner.worker is None


def test_a_jobs_own_error_comes_back_with_its_text_and_a_cached_key_that_failed_is_tried_again(runner):
    failed = runner.cached("labels", first_of_each_digit, "not a tensor")
    with pytest.raises(WorkerError, match="^AttributeError: .bool. object has no attribute .any.$"):
        failed.result(timeout=120)
    assert runner.cached("labels", first_of_each_digit, "not a tensor") is not failed  # tried again
    good = runner.cached("digits", first_of_each_digit, torch.tensor([2, 2, 1]))
    assert runner.cached("digits", first_of_each_digit, torch.tensor([2, 2, 1])) is good  # shared
    assert good.result(timeout=120) == [2, 0]


def test_a_killed_job_process_fails_its_job_with_worker_lost_and_the_next_runs(runner):
    future = runner.cached("shipped", shipped_reports)  # tens of seconds: killed long before it ends
    deadline = time.monotonic() + 60
    while runner.worker is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)
    os.kill(runner.worker.pid, signal.SIGKILL)
    with pytest.raises(WorkerLost):
        future.result(timeout=120)
    assert runner.submit(first_of_each_digit, torch.tensor([0, 1])).result(timeout=120) == [0, 1]


@pytest.mark.parametrize("function", [lambda: 1, os.getpid, print])
def test_only_module_level_functions_of_ganlab_are_jobs(function):
    with pytest.raises(ValueError, match="a job is a module-level function of ganlab's"):
        job_target(function)
