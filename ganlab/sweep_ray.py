"""The Ray backend of a sweep: each run is one Ray task on a cluster (`pip install ray`, the optional extra).

`ray` is imported here, inside `import_ray`, only when a sweep asks for `--backend ray`; nothing else in
ganlab imports it, so `import ganlab.sweep` and a local sweep never load it.

    python -m ganlab sweep ... --backend ray --address auto        # the cluster `ray start` runs here
    python -m ganlab sweep ... --backend ray --address HOST:PORT   # a cluster's head (its GCS port)
    python -m ganlab sweep ... --backend ray --address local       # a private instance, --workers CPUs

The driver (this process) ships the ganlab package to the cluster with the job (runtime_env
py_modules), so the nodes need Python with ganlab's requirements (torch, numpy, scipy, ray) but not
ganlab itself, and every node runs the driver's code. A task asks for one CPU (and one GPU when the
run's device is cuda, or auto on a cluster with GPUs), sets one torch thread and calls the same
ganlab.sweep_run.run_one as the local pool. Its row (a small dict) comes back through Ray's object store;
only the driver writes the CSV, so no storage is shared between the nodes.

Ray's own task retries are off (max_retries=0): ganlab.sweep_driver retries a run whose worker process
or node was lost (WorkerCrashedError, NodeDiedError, ...), so it can count the attempts, say so in the
progress lines, and keep the last reason in the row of a run that failed every attempt.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ganlab.sweep_backends import LOCAL_RAY, RAY_MISSING, Failure, Placement, error_line
from ganlab.sweep_csv import Row
from ganlab.sweep_run import RunSpec, run_one

PACKAGE_DIR = Path(__file__).resolve().parent
TASK_NAME = "ganlab_sweep_run"
"""The Ray task's name: its worker process shows as `ray::ganlab_sweep_run` while it trains a run."""
CONNECT_SECONDS = 5.0
"""How long to wait for a cluster's head to answer before saying it cannot be reached."""


def import_ray() -> Any:
    """The ray module, or ValueError(RAY_MISSING) when it is not installed."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves this machine
    try:
        import ray
    except ImportError:
        raise ValueError(RAY_MISSING) from None
    return ray


def ganlab_sweep_run(run: RunSpec, device: str | None) -> Row:
    """One run as a Ray task: one torch thread, then the same run_one as every backend. `device` (cuda or
    cpu), when given, replaces the run's "auto", as decided by the driver from the task's resources."""
    torch.set_num_threads(1)
    if device is not None:
        run = replace(run, overrides={**run.overrides, "device": device})
    return run_one(run)


def _bootstrap(ray: Any, address: str) -> str:
    """HOST:PORT of the cluster `address` names ("auto": the one `ray start` recorded on this machine), its
    head checked to answer within CONNECT_SECONDS (ray.init itself waits minutes on a wrong address)."""
    try:
        from ray._private.services import canonicalize_bootstrap_address
        target = canonicalize_bootstrap_address(address) if address == "auto" else address
    except (ImportError, AttributeError):  # another ray version: let ray.init find it
        return address
    except ConnectionError as err:
        raise ValueError(f"--address {address}: {error_line(err)} (start one with `ray start --head`, or give "
                         "--address HOST:PORT or --address local)") from None
    if not target:
        raise ValueError(f"--address {address}: no running Ray cluster found on this machine (start one with "
                         "`ray start --head`, or give --address HOST:PORT or --address local)")
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS):
            pass
    except (OSError, ValueError) as err:
        raise ValueError(f"--address {address}: no Ray cluster answers at {target} ({error_line(err)})") from None
    return target


def connect(ray: Any, address: str, workers: int) -> str:
    """ray.init for `address` (see the module docstring), shipping the ganlab package with the job; returns
    the address connected to ("local" for a private instance)."""
    options = dict(runtime_env={"py_modules": [str(PACKAGE_DIR)], "excludes": ["__pycache__", "*.pyc"]},
                   logging_level=logging.WARNING, log_to_driver=False)
    if ray.is_initialized():
        ray.shutdown()
    if address == LOCAL_RAY:
        ray.init(address="local", num_cpus=workers, include_dashboard=False, **options)
        return LOCAL_RAY
    target = _bootstrap(ray, address)
    try:
        ray.init(address=target, **options)
    except ConnectionError as err:
        raise ValueError(f"--address {address}: cannot connect to a Ray cluster ({error_line(err)}; a cluster "
                         "with token authentication needs RAY_AUTH_MODE=token and its token, in RAY_AUTH_TOKEN or "
                         "~/.ray/auth_token)") from None
    return target


def placement(ray: Any, address: str) -> Placement:
    """What the connected cluster has: alive nodes, CPUs, GPUs."""
    resources = ray.cluster_resources()
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    cpus, gpus = float(resources.get("CPU", 0)), float(resources.get("GPU", 0))
    return Placement("ray", address, nodes, cpus, gpus, int(cpus))


def task_devices(runs: list[RunSpec], gpus: float, address: str) -> dict[str, str | None]:
    """Per run's config_hash: the device its task trains on ("cuda" with one GPU, "cpu" with one CPU, None:
    the run names its own device, mps or cpu). ValueError for cuda on a cluster without a GPU."""
    devices: dict[str, str | None] = {}
    for run in runs:
        asked = run.config().device
        if asked == "cuda" and not gpus:
            raise ValueError(f"device: 'cuda' was asked for (run {run.label()}) but the Ray cluster at {address} "
                             "has no GPU; use 'auto' or 'cpu'")
        devices[run.config_hash()] = ("cuda" if gpus else "cpu") if asked == "auto" else \
            ("cuda" if asked == "cuda" else None)
    return devices


class RayBackend:
    """Runs as Ray tasks on the cluster at `address` (see the module docstring); `workers` is the CPU count
    of a private instance (--address local) and is not used otherwise."""

    def __init__(self, address: str, workers: int, runs: list[RunSpec]):
        self._ray = ray = import_ray()
        connected = connect(ray, address, workers)
        try:
            self.placement = placement(ray, connected)
            self._devices = task_devices(runs, self.placement.gpus, connected)
        except BaseException:
            ray.shutdown()
            raise
        if self.placement.gpus and any(d == "cuda" for d in self._devices.values()):
            self.placement = replace(self.placement, parallel=int(self.placement.gpus))
        self._task = ray.remote(ganlab_sweep_run)
        self._pending: set = set()

    def submit(self, run: RunSpec) -> Any:
        device = self._devices.get(run.config_hash())
        ref = self._task.options(name=TASK_NAME, num_cpus=1, num_gpus=1 if device == "cuda" else 0,
                                 max_retries=0, retry_exceptions=False).remote(run, device)
        self._pending.add(ref)
        return ref

    def wait(self, handles: list) -> list[tuple[Any, Row | Failure]]:
        ready, _ = self._ray.wait(handles, num_returns=1)
        out = []
        for ref in ready:
            self._pending.discard(ref)
            out.append((ref, self._outcome(ref)))
        return out

    def _outcome(self, ref: Any) -> Row | Failure:
        """The row of a finished task, or why it has none: an error the run raised (not retried), a task
        cancelled (not retried), or a lost worker process, node or object (retried)."""
        exceptions = self._ray.exceptions
        try:
            return self._ray.get(ref)
        except exceptions.RayTaskError as err:
            cause = getattr(err, "cause", None)
            return Failure(error_line(cause if isinstance(cause, BaseException) else err), retryable=False)
        except exceptions.TaskCancelledError as err:
            return Failure(error_line(err), retryable=False)
        except exceptions.RayError as err:  # WorkerCrashedError, NodeDiedError, ObjectLostError, OutOfMemoryError
            return Failure(error_line(err), retryable=True)

    def close(self) -> None:
        """Cancel the tasks still running (their worker processes are stopped) and disconnect."""
        for ref in self._pending:
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # a task that finished meanwhile, or a cluster already gone
                pass
        self._pending.clear()
        self._ray.shutdown()
