"""The server's side of the training runtime: a pool of worker processes (ganlab.runtime.worker), each owning
whole run groups, and the handles the pages hold.

- `TrainingPool(workers, max_runs)`: `workers` processes (the operator's GANLAB_WORKERS, default one per
  core), started when first needed; a new group goes to the live worker with the fewest groups; at most
  `max_runs` groups train at once (GANLAB_MAX_RUNS), later ones wait in a first-come queue (`start` returns
  None and `position` says where the ticket stands).
- `RemoteGroup`: one group's handle: frame(), states(), stop(), set_rate().
- A worker that dies (killed, out of memory, a crash in torch) fails every call on it with `WorkerLost`; its
  groups are gone, the pool starts a fresh process in its place for the next group, and every other worker
  and session goes on.

Calls from many server threads share a worker's pipe: each request carries an id, a reader thread hands each
reply to the call that waits for it, so a worker answers every waiting request after each training slice.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from ganlab.runtime.worker import receive, send
from ganlab.runtime.zygote import start_worker, worker_environment

CALL_TIMEOUT = 60.0     # seconds a worker may take to answer (one slice plus one frame: well under a second)
TICKET_TIMEOUT = 15.0   # a queued Play nobody has asked about for this long leaves the queue


class WorkerLost(RuntimeError):
    """The worker process that trained a group exited (killed, out of memory, crashed)."""


class WorkerError(RuntimeError):
    """The worker refused a command (its text says why)."""


class WorkerHandle:
    """One worker process (`python -m ganlab.runtime.worker`, so it never re-runs the server's own main
    module) and its end of a private socket pair, handed to it as an inherited descriptor (thread-safe)."""

    def __init__(self, threads: int = 1):
        here, there = socket.socketpair()
        command = [sys.executable, "-m", "ganlab.runtime.worker", "--fd", str(there.fileno()),
                   "--threads", str(threads)]
        # forked by the zygote (ganlab.runtime.zygote: torch imported already, milliseconds), else a fresh
        # process; either way in a session of its own (a Ctrl-C meant for the server does not reach it), and
        # it ends when the server's end of the socket closes (the server exited, however it exited)
        self.process = start_worker(there.fileno(), threads) or subprocess.Popen(
            command, pass_fds=[there.fileno()], env=worker_environment(), stdin=subprocess.DEVNULL,
            start_new_session=True)
        there.close()
        self.conn = Connection(here.detach())
        self.groups: set[int] = set()
        self.alive = True
        self._ids = itertools.count()
        self._pending: dict[int, Future] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._read_replies, name="ganlab-trainer-replies", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, command: str, group_id: int = 0, payload=None, timeout: float = CALL_TIMEOUT):
        """Send a command and wait for its result; WorkerLost when the process is gone, WorkerError when it
        refused."""
        future: Future = Future()
        with self._lock:
            if not self.alive:
                raise WorkerLost(self._lost_text())
            request_id = next(self._ids)
            self._pending[request_id] = future
            try:
                send(self.conn, (request_id, command, group_id, payload))
            except (OSError, ValueError):
                pass  # the reader sees the pipe closed and fails the call
        try:
            return future.result(timeout)
        except FutureTimeout:
            self.kill()  # a worker that answers nothing for a minute is stuck: its groups are lost
            raise WorkerLost("the training worker stopped answering and was stopped") from None

    def _read_replies(self) -> None:
        while True:
            try:
                request_id, ok, result = receive(self.conn)
            except Exception:  # noqa: BLE001 - EOF, a closed socket, a torn message: the worker is gone to us
                self._fail_all()
                return
            future = self._pending.pop(request_id, None)
            if future is None:
                continue
            if ok:
                future.set_result(result)
            else:
                future.set_exception(WorkerError(result))

    def _lost_text(self) -> str:
        code = self.process.poll()
        how = f" (exit code {code})" if code is not None else ""
        return f"the training worker process stopped{how}: it crashed, was killed or ran out of memory"

    def _fail_all(self) -> None:
        """The reader's last act: the socket is closed here, by the only thread that reads it, so no thread
        ever reads, writes or shuts down a descriptor number the system has since given to another file."""
        with self._lock:
            self.alive = False
            pending, self._pending = self._pending, {}
            self.conn.close()
        try:
            self.process.wait(1.0)
        except subprocess.TimeoutExpired:
            pass
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerLost(self._lost_text()))

    def close(self) -> None:
        """End the conversation: shut the socket down, so the worker sees the end of its input and exits and
        the reader thread sees it too and closes the socket (_fail_all)."""
        with self._lock:
            if self.conn.closed:
                return
            with socket.socket(fileno=os.dup(self.conn.fileno())) as duplicate:
                try:
                    duplicate.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # the worker's end is gone already

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.close()


@dataclass(eq=False)
class Ticket:
    """A session's place in the queue for a training slot."""

    seen: float = field(default_factory=time.monotonic)


class TrainingPool:
    """Worker processes that train run groups; see the module docstring."""

    def __init__(self, workers: int, max_runs: int, threads_per_worker: int = 1):
        self.size = max(1, workers)
        self.max_runs = max(1, max_runs)
        self.threads_per_worker = threads_per_worker
        self._workers: list[WorkerHandle | None] = [None] * self.size
        self._groups: dict[int, WorkerHandle] = {}
        self._waiting: list[Ticket] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # --- the queue --------------------------------------------------------------------------------

    def _expire_tickets(self) -> None:
        now = time.monotonic()
        self._waiting = [t for t in self._waiting if now - t.seen < TICKET_TIMEOUT]

    def position(self, ticket: Ticket) -> int | None:
        """1 for the next in the queue, ...; None when not queued."""
        with self._lock:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else None

    def leave(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket in self._waiting:
                self._waiting.remove(ticket)

    def start(self, ticket: Ticket, payload: dict) -> RemoteGroup | None:
        """Start a group (payload: the worker's "start" payload) when a slot is free and no earlier ticket
        waits; else queue the ticket (or keep its place) and return None."""
        with self._lock:
            self._expire_tickets()
            ticket.seen = time.monotonic()
            if ticket not in self._waiting:
                self._waiting.append(ticket)
            if len(self._groups) >= self.max_runs or self._waiting[0] is not ticket:
                return None
            self._waiting.remove(ticket)
            worker = self._worker_for_new_group()
            group_id = next(self._ids)
            self._groups[group_id] = worker
            worker.groups.add(group_id)
        try:
            worker.call("start", group_id, payload)
        except BaseException:
            self.forget(group_id)
            raise
        return RemoteGroup(self, worker, group_id)

    def warm(self) -> None:
        """Start every worker now (each takes seconds to import torch), so that the first Play does not wait."""
        with self._lock:
            self._start_missing_workers()

    def _worker_for_new_group(self) -> WorkerHandle:
        """The live worker with the fewest groups; a slot without a live worker gets a fresh process."""
        self._start_missing_workers()
        return min(self._workers, key=lambda w: len(w.groups))

    def _start_missing_workers(self) -> None:
        for index, worker in enumerate(self._workers):
            if worker is None or not worker.alive:
                if worker is not None:
                    for group_id in worker.groups:
                        self._groups.pop(group_id, None)
                self._workers[index] = WorkerHandle(self.threads_per_worker)

    def forget(self, group_id: int) -> None:
        """The group is no longer on its worker (stopped, or its worker died)."""
        with self._lock:
            worker = self._groups.pop(group_id, None)
            if worker is not None:
                worker.groups.discard(group_id)

    # --- for operators and tests -------------------------------------------------------------------

    def stats(self) -> dict:
        """{"workers": [{"pid", "alive", "groups"}], "groups", "queued", "max_runs"}."""
        with self._lock:
            self._expire_tickets()
            workers = [{"pid": w.pid, "alive": w.alive and w.process.poll() is None, "groups": len(w.groups)}
                       for w in self._workers if w is not None]
            return {"workers": workers, "groups": len(self._groups), "queued": len(self._waiting),
                    "max_runs": self.max_runs}

    def worker_of(self, group_id: int) -> WorkerHandle | None:
        with self._lock:
            return self._groups.get(group_id)

    def shutdown(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, [None] * self.size
            self._groups.clear()
        for worker in workers:
            if worker is not None:
                worker.kill()


@dataclass(eq=False)
class RemoteGroup:
    """A session's handle on its group in a worker."""

    pool: TrainingPool
    worker: WorkerHandle
    group_id: int

    def _call(self, command: str, payload=None):
        try:
            return self.worker.call(command, self.group_id, payload)
        except WorkerLost:
            self.pool.forget(self.group_id)
            raise

    def frame(self, payload=None) -> dict:
        """The group's frame, from its worker: a RunGroup's frame(grid size or None), a RaceGroup's frame(the
        rows the page has per loss) (ganlab.runtime.worker's protocol)."""
        return self._call("frame", payload)

    def states(self, light: bool = False) -> dict:
        return self._call("states", light)

    def set_rate(self, max_rate: float) -> None:
        self._call("rate", max_rate)

    def stop(self) -> dict:
        """The group's final states (and new moments); the group leaves its worker."""
        try:
            return self._call("stop")
        finally:
            self.pool.forget(self.group_id)


_POOL: TrainingPool | None = None
_POOL_LOCK = threading.Lock()


def training_pool() -> TrainingPool:
    """The server's pool, sized by the operator's settings (ganlab.operator_settings), made on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from ganlab.operator_settings import max_training_runs, training_workers

            _POOL = TrainingPool(training_workers(), max_training_runs())
        return _POOL


# --- what a page's session does with its group (the Toy Lab's and the MNIST Lab's alike) -------------------
# A session holds `remote` (its RemoteGroup or None), `queue_position` (None unless waiting) and `_ticket`.


def queued_message(position: int, runs: int = 1) -> str:
    """What a page says while its run(s) wait for a training slot, number `position` in the queue."""
    if runs == 1:
        return (f"The server is training as many runs as its operator allows (GANLAB_MAX_RUNS): this run waits "
                f"its turn, number {position} in the queue. It starts by itself.")
    return (f"The server is training as many runs as its operator allows (GANLAB_MAX_RUNS): these runs wait "
            f"their turn, number {position} in the queue. They start by themselves.")


def start_or_queue(ticket: Ticket, payload: dict) -> tuple[RemoteGroup | None, int | None]:
    """(the group now training, None) or (None, the ticket's place in the queue). WorkerLost passes."""
    pool = training_pool()
    remote = pool.start(ticket, payload)
    return remote, None if remote is not None else pool.position(ticket)


def take_remote(session) -> RemoteGroup | None:
    """The session's group handle, taken from it (its `remote` becomes None); it leaves the queue too."""
    if session.queue_position is not None:
        training_pool().leave(session._ticket)
        session.queue_position = None
    remote, session.remote = session.remote, None
    return remote


def stop_quietly(remote: RemoteGroup | None) -> None:
    """Stop a group without taking its states (the session ended); a dead worker has stopped it already."""
    if remote is not None:
        try:
            remote.stop()
        except (WorkerLost, WorkerError):
            pass
