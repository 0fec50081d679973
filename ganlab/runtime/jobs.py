"""One-off computations in a process apart from the server (issue 19): scoring a model on a thousand digits takes
a core for tens of seconds, and done in the Streamlit server it held up every session's clicks and frames.

A job is a function of ganlab's, called with picklable arguments, in a fresh worker process (the training
workers' `python -m ganlab.runtime.worker`, its "job" command); the process exits when the job is done, so its
memory goes back to the system. Jobs run `workers` at a time (half the machine's cores, at least one), in the
order submitted, so that the training workers keep most of the cores; `submit` returns a Future at once, a page
polls it and shows its place in the queue (`ahead`).

`cached(key, ...)` keeps a job's future by `key` for the server's life: the same key submitted again (another
session, a rerun) shares the one computation and its result, and a key whose job failed is tried again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ganlab.runtime.pool import WorkerHandle
from ganlab.runtime.worker import is_job_target

JOB_TIMEOUT = 900.0  # seconds a job may take before its process is stopped (WorkerLost)


def job_target(function: Callable) -> tuple[str, str]:
    """(module, name) of a ganlab module-level function, which the worker imports and calls. ValueError for
    anything else (a lambda, a method, another package's function)."""
    module, name = getattr(function, "__module__", ""), getattr(function, "__qualname__", "")
    if not is_job_target(module, name):
        raise ValueError(f"a job is a module-level function of ganlab's, not {function!r}")
    return module, name


def default_job_workers() -> int:
    """Jobs at once: half the machine's cores, at least one."""
    return max(1, (os.cpu_count() or 1) // 2)


class JobRunner:
    """Runs jobs `workers` at a time, each in a worker process of its own (thread-safe).

    With `spare` (the default) one process is started ahead of the next job: a job then begins in a process that
    has imported torch already (seconds on a busy machine: 4-10 s measured here), and a new spare starts as
    each job takes one. The spare has run nothing, so a job still starts in a fresh process."""

    def __init__(self, workers: int | None = None, threads: int = 1, timeout: float = JOB_TIMEOUT,
                 spare: bool = True):
        self.threads, self.timeout, self.keep_spare = threads, timeout, spare
        self._queue = ThreadPoolExecutor(workers or default_job_workers(), thread_name_prefix="ganlab-jobs")
        self._cached: dict[object, Future] = {}
        self._waiting: list[Future] = []  # submitted and not started, oldest first
        self._lock = threading.RLock()  # cached() submits under it
        self.workers: set[WorkerHandle] = set()  # the processes of the jobs running now
        self.spare: WorkerHandle | None = None  # started ahead of the next job
        self._closed = False
        self._start_spare()

    def submit(self, function: Callable, *args) -> Future:
        """function(*args) in a worker process; the Future holds its result, or its exception (the job's own,
        sent back as a WorkerError with its text, or WorkerLost when the process died)."""
        target = job_target(function)
        with self._lock:
            future = self._queue.submit(self._run, target, args)
            if not future.running() and not future.done():
                self._waiting.append(future)
            return future

    def ahead(self, future: Future) -> int:
        """How many jobs submitted before `future` wait to start, plus one while it waits itself (its place in
        the queue); 0 once it runs or is done."""
        with self._lock:
            self._waiting = [f for f in self._waiting if not (f.running() or f.done())]
            return self._waiting.index(future) + 1 if future in self._waiting else 0

    def cached(self, key, function: Callable, *args) -> Future:
        """submit(function, *args), once per `key` while it has not failed (see the module docstring)."""
        with self._lock:
            known = self._cached.get(key)
            if known is not None and not (known.done() and (known.cancelled() or known.exception() is not None)):
                return known
            future = self._cached[key] = self.submit(function, *args)
            return future

    def _start_spare(self) -> None:
        with self._lock:
            if self.keep_spare and not self._closed and self.spare is None:
                self.spare = WorkerHandle(self.threads)

    def _take_worker(self) -> WorkerHandle:
        """The spare if it is alive (a new one starts for the next job), else a new process."""
        with self._lock:
            worker, self.spare = self.spare, None
            if worker is None or not worker.alive or worker.process.poll() is not None:
                if worker is not None:
                    worker.kill()
                worker = WorkerHandle(self.threads)
            self.workers.add(worker)
            self._start_spare()
            return worker

    def _run(self, target: tuple[str, str], args: tuple):
        worker = self._take_worker()
        try:
            return worker.call("job", 0, (*target, args), timeout=self.timeout)
        finally:
            with self._lock:
                self.workers.discard(worker)
            worker.kill()  # done: the process and its memory go

    def shutdown(self) -> None:
        """Stop the jobs running now (their futures fail with WorkerLost), drop the queued ones and the spare."""
        self._queue.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self._closed = True
            workers = list(self.workers) + ([self.spare] if self.spare is not None else [])
            self.spare = None
        for worker in workers:
            worker.kill()


_RUNNER: JobRunner | None = None
_RUNNER_LOCK = threading.Lock()


def job_runner() -> JobRunner:
    """The server's job runner, made on first use."""
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None:
            _RUNNER = JobRunner()
        return _RUNNER
