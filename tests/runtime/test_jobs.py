"""ganlab.runtime.jobs: one-off computations in a worker process of their own."""

import os
import signal
import time

import pytest
import torch

from ganlab.runtime.jobs import JobRunner, job_target
from ganlab.runtime.pool import WorkerError, WorkerLost
from ganlab.ui.families_mnist import first_of_each_digit, shipped_reports


@pytest.fixture(scope="module")
def shared_runner():
    """One runner for the tests that do not shut it down: the spare each job leaves behind (a process that
    imports torch: seconds of CPU) runs the next test's first job instead of being stopped unused."""
    jobs = JobRunner(workers=1)
    yield jobs
    jobs.shutdown()


@pytest.fixture
def runner(shared_runner):
    """The shared runner, with no job running."""
    assert shared_runner.workers == set()
    return shared_runner


@pytest.fixture
def own_runner():
    """A runner of the test's own (made in it: its spare starts with it)."""
    jobs = JobRunner(workers=1)
    yield jobs
    jobs.shutdown()


def running_worker(runner: JobRunner, seconds: float = 60):
    """The worker process of the job running now (waits for it to start)."""
    deadline = time.monotonic() + seconds
    while not runner.workers and time.monotonic() < deadline:
        time.sleep(0.01)
    (worker,) = runner.workers
    return worker


def test_a_job_runs_in_a_process_of_its_own_which_exits_when_it_is_done(runner):
    labels = torch.tensor([3, 0, 3, 1, 0, 9])
    future = runner.submit(first_of_each_digit, labels)
    process = running_worker(runner).process
    assert future.result(timeout=120) == [1, 3, 0, 5]  # the first 0, 1, 3 and 9
    assert process.pid != os.getpid() and process.wait(timeout=30) is not None  # gone once done
    assert runner.workers == set()


def test_a_jobs_own_error_comes_back_with_its_text_and_a_cached_key_that_failed_is_tried_again(runner):
    failed = runner.cached("labels", first_of_each_digit, "not a tensor")
    with pytest.raises(WorkerError, match="^AttributeError: .bool. object has no attribute .any.$"):
        failed.result(timeout=120)
    assert runner.cached("labels", first_of_each_digit, "not a tensor") is not failed  # tried again
    good = runner.cached("digits", first_of_each_digit, torch.tensor([2, 2, 1]))
    assert runner.cached("digits", first_of_each_digit, torch.tensor([2, 2, 1])) is good  # shared
    assert good.result(timeout=120) == [2, 0]


def test_jobs_queue_in_order_with_their_places_and_a_killed_one_fails_with_worker_lost_and_the_next_run(runner):
    long = runner.cached("shipped", shipped_reports)  # tens of seconds: killed long before it ends
    worker = running_worker(runner)
    second = runner.submit(first_of_each_digit, torch.tensor([0, 1]))
    third = runner.submit(first_of_each_digit, torch.tensor([1, 0]))
    assert (runner.ahead(long), runner.ahead(second), runner.ahead(third)) == (0, 1, 2)
    time.sleep(0.5)
    os.kill(worker.pid, signal.SIGKILL)
    with pytest.raises(WorkerLost):
        long.result(timeout=120)
    assert second.result(timeout=120) == [0, 1] and third.result(timeout=120) == [1, 0]
    assert runner.ahead(third) == 0


@pytest.mark.parametrize("function", [lambda: 1, os.getpid, print])
def test_only_module_level_functions_of_ganlab_are_jobs(function):
    with pytest.raises(ValueError, match="a job is a module-level function of ganlab's"):
        job_target(function)


def test_a_job_starts_in_the_spare_started_ahead_and_a_killed_spare_is_replaced(own_runner):
    runner = own_runner
    spare = runner.spare
    assert spare is not None and spare.process.poll() is None  # started with the runner, before any job
    assert runner.submit(first_of_each_digit, torch.tensor([1, 1, 0])).result(timeout=120) == [2, 0]
    assert spare.process.wait(timeout=30) is not None  # the job ran in it, and it went with the job
    assert runner.spare is not None and runner.spare is not spare  # a new one waits for the next job
    os.kill(runner.spare.pid, signal.SIGKILL)
    runner.spare.process.wait(timeout=30)
    assert runner.submit(first_of_each_digit, torch.tensor([0, 1])).result(timeout=120) == [0, 1]
    runner.shutdown()
    assert runner.spare is None


def test_without_a_spare_no_process_waits():
    runner = JobRunner(workers=1, spare=False)
    try:
        assert runner.spare is None
        assert runner.submit(first_of_each_digit, torch.tensor([4])).result(timeout=120) == [0]
        assert runner.spare is None
    finally:
        runner.shutdown()
