"""Worker processes forked from one that has imported torch already (Linux).

A fresh `python -m ganlab.runtime.worker` spends seconds importing torch and ganlab (about 3 s of a core here,
4-20 s of wall time on a busy machine) before it trains a step or runs a job. The server therefore starts one
*zygote* process (`python -m ganlab.runtime.zygote --fd N`) that imports the worker's modules, runs nothing,
and forks a worker whenever the server asks for one; the child starts in milliseconds and shares the imported
pages with the zygote until it writes them.

- `start_worker(fd, threads)` (server side): a `WorkerProcess` (pid, poll, wait, kill, like subprocess.Popen's)
  serving the socket `fd`, which is handed to the zygote over its Unix socket (SCM_RIGHTS); None when there is
  no zygote (not Linux, GANLAB_FORK_WORKERS=off, or it failed or died), and the caller then starts a fresh
  process as before.
- The zygote stays single-threaded and never runs a torch operation or touches CUDA, so a fork copies no
  thread pool, lock or device context. Each child takes a session of its own, reseeds Python's, numpy's and
  torch's global generators (runs seed their own), and is reaped by the zygote, which keeps its exit status
  for `poll` (negative: the signal that ended it, as Popen reports it).
- The zygote exits when the server's end of its socket closes; its workers end, as before, when theirs do.
- A forked worker has the environment the zygote started with (the server's when it first needed a worker),
  not the server's at the fork; nothing a worker runs reads the environment (the operator's limits reach it in
  each group's payload).

Protocol (SOCK_SEQPACKET, one pickled tuple a message, between the server and the process it started itself):
    ("spawn", threads) + the socket as ancillary data   ->  pid
    ("status", pid)                                       ->  None while it runs, else its exit status
"""

from __future__ import annotations

import argparse
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

FORK_ENV = "GANLAB_FORK_WORKERS"
"""The operator's switch (ganlab.operator_settings): off starts every worker as a fresh process, as off Linux."""
REPLY_TIMEOUT = 120.0  # the first spawn waits for the zygote's imports: seconds, tens on a busy machine
REAP_SECONDS = 0.05
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def worker_environment() -> dict[str, str]:
    """The server's environment with the folder that holds ganlab/ first on PYTHONPATH: what a worker process
    (forked or fresh) and the zygote start with."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT),
                                                                      os.environ.get("PYTHONPATH")]))}


def fork_wanted() -> bool:
    """Linux, and GANLAB_FORK_WORKERS not off (read each time; its check names a bad value)."""
    from ganlab.operator_settings import switch

    return sys.platform.startswith("linux") and switch(os.environ, FORK_ENV, True)


class WorkerProcess:
    """A worker the zygote forked: the parts of subprocess.Popen the pool and the tests use."""

    def __init__(self, pid: int, zygote: Zygote):
        self.pid, self.returncode, self._zygote = pid, None, zygote

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"ganlab worker {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # gone already


class Zygote:
    """The server's handle on the zygote process (thread-safe)."""

    def __init__(self):
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ganlab.runtime.zygote", "--fd", str(there.fileno())],
            pass_fds=[there.fileno()], env=worker_environment(), stdin=subprocess.DEVNULL, start_new_session=True)
        there.close()
        self.sock = here
        self.sock.settimeout(REPLY_TIMEOUT)
        self._lock = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def _ask(self, request: tuple, fds: list[int] = ()):
        with self._lock:
            socket.send_fds(self.sock, [pickle.dumps(request)], list(fds))
            reply = self.sock.recv(4096)
        if not reply:
            raise OSError("the zygote closed its socket")
        return pickle.loads(reply)  # noqa: S301 - from the process this server started itself

    def spawn(self, fd: int, threads: int) -> WorkerProcess:
        return WorkerProcess(self._ask(("spawn", threads), [fd]), self)

    def status(self, pid: int) -> int | None:
        try:
            return self._ask(("status", pid))
        except (OSError, EOFError, pickle.UnpicklingError):
            # the zygote is gone, and its children with it as far as exit codes go: alive or not, from /proc
            return None if Path(f"/proc/{pid}").exists() and not _is_zombie(pid) else -1


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


_ZYGOTE: Zygote | None = None
_ZYGOTE_LOCK = threading.Lock()


def start_worker(fd: int, threads: int) -> WorkerProcess | None:
    """A worker forked by the server's zygote (started on first use), serving socket `fd`; None when workers
    are not forked here or the zygote cannot (the caller starts a fresh process)."""
    global _ZYGOTE
    if not fork_wanted():
        return None
    with _ZYGOTE_LOCK:
        if _ZYGOTE is not None and not _ZYGOTE.alive():
            _ZYGOTE = None
        if _ZYGOTE is None:
            try:
                _ZYGOTE = Zygote()
            except OSError:
                return None
        zygote = _ZYGOTE
    try:
        return zygote.spawn(fd, threads)
    except (OSError, EOFError, pickle.UnpicklingError):  # died, timed out: the next call starts another
        with _ZYGOTE_LOCK:
            if _ZYGOTE is zygote:
                _ZYGOTE = None
        zygote.process.kill()
        return None


# --- the zygote process ---------------------------------------------------------------------------------


def _become_worker(fd: int, threads: int) -> None:
    """In the forked child: a worker serving socket `fd`; never returns."""
    code = 1
    try:
        os.setsid()
        import random

        import numpy as np
        import torch

        random.seed()
        np.random.seed()
        torch.seed()
        from multiprocessing.connection import Connection

        from ganlab.runtime.worker import worker_main

        worker_main(Connection(fd), threads=threads)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:  # noqa: BLE001 - printed, and the exit code says so
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def zygote_main(fd: int) -> None:
    """Import what a worker needs, then fork one per "spawn" request until the server's socket closes."""
    import gc

    import torch

    import ganlab.runtime.worker  # noqa: F401 - torch, the run groups, the race, the metrics: what every worker loads

    assert not torch.cuda.is_initialized(), "the zygote must not hold a CUDA context"
    gc.collect()
    gc.freeze()  # what the imports made stays out of the children's collections: their pages stay shared
    sock = socket.socket(fileno=fd)
    exited: dict[int, int | None] = {}
    while True:
        _reap(exited)
        try:
            ready, _, _ = select.select([sock], [], [], REAP_SECONDS)
            if not ready:
                continue
            message, fds, _, _ = socket.recv_fds(sock, 4096, 4)
        except (OSError, ValueError):
            return
        if not message:
            return  # the server is gone
        kind, value = pickle.loads(message)  # noqa: S301 - from the server that started this process
        if kind == "spawn":
            pid = os.fork()
            if pid == 0:
                sock.close()
                _become_worker(fds[0], int(value))
            for extra in fds:
                os.close(extra)
            exited[pid] = None
            reply = pid
        else:
            _reap(exited)
            reply = exited.get(value, -1)
        try:
            sock.send(pickle.dumps(reply))
        except OSError:
            return


def unseeded_draws() -> tuple[float, float, float]:
    """One draw each from Python's, numpy's and torch's global generators as this process left them (run as a
    job, it shows that forked workers do not share a random stream: each reseeds after the fork)."""
    import random

    import numpy as np
    import torch

    return random.random(), float(np.random.random()), float(torch.rand(1))


def _reap(exited: dict[int, int | None]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exited[pid] = os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ganlab's worker zygote (started by the server).")
    parser.add_argument("--fd", type=int, required=True, help="the inherited socket to the server")
    zygote_main(parser.parse_args(argv).fd)


if __name__ == "__main__":
    main()
