"""Where a sweep's runs train: this process, a local process pool (the default, needs nothing), or a Ray
cluster (ganlab.sweep_ray, the optional `ray` extra, imported only when asked for).

Every backend runs ganlab.sweep_run.run_one on a RunSpec and answers with the row or a `Failure`:

    backend = open_backend(BackendChoice("ray", "auto"), workers=2, runs=runs)
    handle = backend.submit(run)                  # starts (or queues) one run
    for handle, outcome in backend.wait([handle]):  # blocks until at least one has finished
        ...                                       # outcome: run_one's row, or Failure(reason, retryable)
    backend.close()                               # stops what still runs
    backend.placement.describe()                  # "a Ray cluster at 10.0.0.5:6379: 3 nodes, 48 CPUs, 2 GPUs"

The retry policy lives in one place for every backend (ganlab.sweep_driver): a Failure marked retryable
(a worker process or a node lost) is submitted again, up to `BackendChoice.retries` times; an error the
run raises itself is recorded at once (the same seed on the same code fails the same way).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import re
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from ganlab.sweep_csv import Row
from ganlab.sweep_run import RunSpec, run_one

BACKENDS = ("local", "ray")
RAY_MISSING = "--backend ray needs the ray package: pip install ray"
DEFAULT_RETRIES = 2
"""Times a run whose worker or node was lost is submitted again before it is recorded as failed."""
MAX_RETRIES = 10
LOCAL_RAY = "local"
"""--address local: a private Ray instance on this machine for this sweep only (--workers CPUs)."""
_HOST_PORT = re.compile(r"(?P<host>[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])"
                        r":(?P<port>[0-9]{1,5})")


@dataclass(frozen=True)
class Failure:
    """A run that gave no row: why (one line), and whether another attempt may succeed (a lost worker or
    node: yes; an error the run raised itself: no)."""

    reason: str
    retryable: bool


@dataclass(frozen=True)
class Placement:
    """Where a sweep runs: the backend, the Ray address (None locally) and what it has."""

    backend: str
    address: str | None
    nodes: int
    cpus: float
    gpus: float
    parallel: int
    """Runs that train at once (local: the pool's processes; Ray: the cluster's CPUs, or GPUs for GPU runs)."""

    def describe(self) -> str:
        """One line for a person: where, and how big."""
        if self.backend == "local":
            return ("this machine, in this process" if self.parallel == 1 else
                    f"this machine, {self.parallel} worker processes")
        nodes = f"{self.nodes} node{'s' if self.nodes != 1 else ''}"
        gpus = f"{self.gpus:g} GPU{'s' if self.gpus != 1 else ''}" if self.gpus else "no GPU"
        where = "a private Ray instance on this machine" if self.address == LOCAL_RAY else \
            f"the Ray cluster at {self.address}"
        return f"{where}: {nodes}, {self.cpus:g} CPUs, {gpus}"

    def as_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "address": self.address, "nodes": self.nodes, "cpus": self.cpus,
                "gpus": self.gpus, "parallel": self.parallel, "where": self.describe()}


@dataclass(frozen=True)
class BackendChoice:
    """Which backend a sweep asks for: kind "local" or "ray"; for Ray the cluster's `address` ("auto": the
    one `ray start` runs on this machine, HOST:PORT, or "local": a private instance) and the `retries` of a
    run whose worker or node is lost."""

    kind: str = "local"
    address: str | None = None
    retries: int = DEFAULT_RETRIES


class Backend(Protocol):
    placement: Placement

    def submit(self, run: RunSpec) -> Any: ...

    def wait(self, handles: list[Any]) -> list[tuple[Any, Row | Failure]]: ...

    def close(self) -> None: ...


def check_ray_address(text: str, what: str = "--address") -> str:
    """`text` if it is a Ray cluster address this project accepts: "auto", "local" or HOST:PORT (port 1 to
    65535); else ValueError naming `what` and what is allowed."""
    text = text.strip()
    match = _HOST_PORT.fullmatch(text)
    if text in ("auto", LOCAL_RAY) or (match and 1 <= int(match["port"]) <= 65535):
        return text
    shown = text if len(text) <= 60 else text[:60] + "…"
    raise ValueError(f"{what}: expected auto (the cluster `ray start` runs on this machine), local (a private "
                     f"Ray instance for this sweep) or HOST:PORT of a Ray cluster's head, got {shown!r}")


def error_line(err: BaseException) -> str:
    """'Type: first line of the message' of an exception."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


# --- this machine ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """One torch thread, as in a worker process, so workers=1 and workers=2 give the same numbers."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class InProcess:
    """Runs one at a time in this process (workers=1), with one torch thread, in submission order."""

    def __init__(self):
        self.placement = Placement("local", None, 1, 1, 0, 1)
        self._runs: dict[int, RunSpec] = {}
        self._next = itertools.count()

    def submit(self, run: RunSpec) -> int:
        handle = next(self._next)
        self._runs[handle] = run
        return handle

    def wait(self, handles: list[int]) -> list[tuple[int, Row | Failure]]:
        handle = handles[0]
        run = self._runs.pop(handle)
        with single_thread():
            try:
                return [(handle, run_one(run))]
            except Exception as err:  # the run's own error: recorded, the sweep goes on
                return [(handle, Failure(error_line(err), retryable=False))]

    def close(self) -> None:
        self._runs.clear()


def _init_worker(sweep_pid: int) -> None:
    """A pool worker: one torch thread; it ends when the sweep process `sweep_pid` does, even one killed
    outright (a worker left alone would finish its run on a core nobody reads)."""
    from ganlab.parent_watch import end_with_parent

    torch.set_num_threads(1)
    end_with_parent(sweep_pid)


class LocalPool:
    """A pool of `workers` "spawn" processes on this machine, each with one torch thread. A worker process
    that dies breaks the pool: the sweep stops there (BrokenProcessPool) and `--resume` continues it."""

    def __init__(self, workers: int):
        self.placement = Placement("local", None, 1, os.cpu_count() or 1, 0, workers)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_init_worker, initargs=(os.getpid(),))
        self._pending: set = set()

    def submit(self, run: RunSpec):
        future = self._pool.submit(run_one, run)
        self._pending.add(future)
        return future

    def wait(self, handles: list) -> list[tuple[Any, Row | Failure]]:
        done, _ = wait(handles, return_when=FIRST_COMPLETED)
        out = []
        for future in done:
            self._pending.discard(future)
            err = future.exception()
            if isinstance(err, BrokenProcessPool):
                raise err
            out.append((future, future.result() if err is None else Failure(error_line(err), retryable=False)))
        return out

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)


def open_backend(choice: BackendChoice, workers: int, runs: list[RunSpec]) -> Backend:
    """The backend `choice` names, ready for `runs` (`workers`: the local pool's processes, or the CPUs of
    a private Ray instance). ValueError naming the flag when it cannot be had (no ray package, no cluster at
    the address, cuda asked for on a cluster without a GPU)."""
    if choice.kind == "ray":
        from ganlab.sweep_ray import RayBackend  # ray itself is imported there, only now

        return RayBackend(choice.address or "auto", workers, runs)
    if choice.kind != "local":
        raise ValueError(f"--backend: expected one of {', '.join(BACKENDS)}, got {choice.kind!r}")
    workers = min(workers, len(runs))
    return InProcess() if workers <= 1 else LocalPool(workers)
