"""A training worker: a process that owns whole run groups (ganlab.runtime.group; the Divergences page's race:
ganlab.runtime.race_group) and trains them, round-robin, one slice at a time, answering the server between
slices.

The protocol (one socket pair per worker; every message is a pickled tuple, sent with send_bytes, between
the server and the processes it started itself: never a file, never a user's upload):

    server -> worker   (request_id, command, group_id, payload)
    worker -> server   (request_id, ok, result)        ok False: result is the error's text

    command   payload                                  result
    "start"   {"specs": [RunSpec], "timeline_every",   None: the group trains from now on
               "max_rate", "snapshot_samples",
               "snapshot_grid"}
              or {"kind": "race", "settings": Race      None: a RaceGroup (the race) trains from now on
               settings, "state": Race.state() or None}
    "frame"   grid (int) or None (the group's own)     RunGroup.frame(grid): step, snapshots, new moments, ...
              a race: {loss: rows the server has}      RaceGroup.frame(have): step, new (step, W1) rows per
                                                       loss, stopped runners, finished, failure
    "states"  light (bool)                             RunGroup.states(): step, full states, new moments, ...
                                                       (a race: RaceGroup.states(): step, Race.state(), ...)
    "stop"    None                                     RunGroup.states(), and the group is dropped
    "rate"    iterations per second                    None
    "stats"   None                                     {"groups", "training", "pid"}
    "job"     (module, function name, args)            module.function(*args), in a ganlab module
                                                       (ganlab.runtime.jobs: a worker of its own)

A group nobody has asked a frame or its states of for IDLE_SECONDS (its page closed or hidden) stops training
until the next such request. When the server's end of the socket closes (the server exited, even by kill -9)
the worker exits.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import pickle
import time
from multiprocessing.connection import Connection

import torch

from ganlab.runtime.group import RunGroup
from ganlab.runtime.memory import collect_garbage, fix_malloc_thresholds
from ganlab.runtime.race_group import RaceGroup

SLICE_SECONDS = 0.01   # training between two looks at the pipe
IDLE_SECONDS = 10.0    # no frame nor states asked for this long: the group waits
IDLE_POLL = 0.2        # seconds the worker sleeps on the pipe when nothing trains


def send(conn: Connection, message: tuple) -> None:
    conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def receive(conn: Connection) -> tuple:
    return pickle.loads(conn.recv_bytes())  # noqa: S301 - the server's own messages (see the docstring)


def is_job_target(module: str, name: str) -> bool:
    """Whether module.name may be run as a job: a module-level function's name in a ganlab module."""
    return module.startswith("ganlab.") and name.isidentifier()


def run_job(module: str, name: str, args: tuple):
    """module.name(*args), for a function of ganlab's (ganlab.runtime.jobs)."""
    if not is_job_target(module, name):
        raise ValueError(f"a job is a function of ganlab's, not {module}.{name}")
    return getattr(importlib.import_module(module), name)(*args)


def start_group(payload: dict) -> RunGroup | RaceGroup:
    """The group a "start" payload describes: a RaceGroup for {"kind": "race", ...}, else a RunGroup."""
    if payload.get("kind") == "race":
        return RaceGroup(payload["settings"], payload.get("state"))
    return RunGroup(**payload)


class WorkerState:
    """The groups one worker owns, and what each command does to them."""

    def __init__(self):
        self.groups: dict[int, RunGroup | RaceGroup] = {}
        self._turn = 0

    def handle(self, command: str, group_id: int, payload):
        if command == "start":
            self.groups[group_id] = start_group(payload)
            return None
        if command == "stats":
            return {"groups": len(self.groups), "training": len(self.training()), "pid": os.getpid()}
        if command == "job":
            return run_job(*payload)
        group = self.groups.get(group_id)
        if group is None:
            raise KeyError(f"no run group {group_id} on this worker")
        if command in ("frame", "states"):
            group.last_frame = time.monotonic()  # its page looks (the MNIST Lab asks for states, never frames)
        if command == "frame":
            return group.frame(payload)
        if command == "states":
            return group.states(light=bool(payload))
        if command == "stop":
            del self.groups[group_id]
            return group.states()
        if command == "rate":
            group.max_rate = float(payload)
            return None
        raise ValueError(f"unknown command {command!r}")

    def training(self) -> list[RunGroup | RaceGroup]:
        now = time.monotonic()
        return [g for g in self.groups.values() if g.trainable and now - g.last_frame < IDLE_SECONDS]

    def train_next(self, groups: list[RunGroup | RaceGroup]) -> int:
        """One slice of the next of `groups` (those training) in turn, round-robin; returns the iterations
        done."""
        self._turn = (self._turn + 1) % len(groups)
        group = groups[self._turn]
        try:
            return group.train_slice(SLICE_SECONDS)
        except Exception as err:  # noqa: BLE001 - this group stops; the worker's other groups go on
            group.failure = f"{type(err).__name__}: {err}"
            return 0


def worker_main(conn: Connection, threads: int = 1) -> None:
    """The worker process's loop: answer every waiting request, then train one slice; exits when the
    server's end of the socket closes."""
    torch.set_num_threads(threads)
    fix_malloc_thresholds()
    gc.collect()
    gc.freeze()  # the imports' objects: out of every later collection's way
    state = WorkerState()
    while True:
        busy = state.training()
        try:
            waiting = conn.poll(0 if busy else IDLE_POLL)
            while waiting:
                request_id, command, group_id, payload = receive(conn)
                try:
                    reply = (request_id, True, state.handle(command, group_id, payload))
                except Exception as err:  # noqa: BLE001 - the server shows it; the worker goes on
                    reply = (request_id, False, f"{type(err).__name__}: {err}")
                send(conn, reply)
                del reply
                if command == "stop":
                    collect_garbage()  # the group's trainers and states go back to the system
                waiting = conn.poll(0)
        except (EOFError, OSError):
            return  # the server is gone
        busy = state.training()  # the requests may have started, stopped or woken groups
        if busy and state.train_next(busy) == 0:
            time.sleep(0.002)  # every group waits on its rate limit


def main(argv: list[str] | None = None) -> None:
    """`python -m ganlab.runtime.worker --fd N`: serve the server on the inherited socket N."""
    parser = argparse.ArgumentParser(description="A ganlab training worker (started by the server).")
    parser.add_argument("--fd", type=int, required=True, help="the inherited socket to the server")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)
    worker_main(Connection(args.fd), threads=args.threads)


if __name__ == "__main__":
    main()
