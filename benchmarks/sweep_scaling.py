"""The same sweep on the local process pool and on a local Ray cluster with the same CPU count.

    python benchmarks/sweep_scaling.py [--seeds 4] [--steps 1500] [--workers 2] [--address HOST:PORT]

Runs ring8 x 4 losses x --seeds seeds (16 runs by default) twice: on the local pool of --workers processes,
then as Ray tasks on a cluster with --workers CPUs (started here with `ray start --head` on this machine and
stopped after, unless --address names a running one). Each wall time counts everything the driver does
(the pool's processes starting; connecting to the cluster and its workers starting, but not the cluster's
own start, printed apart). Prints both wall times, their ratio (goal: Ray within 10 % of the local pool on
one machine), Ray's overhead per run in worker-seconds ((ray - local) x workers / runs), the mean seconds
a run trained on each backend, and whether the rows are identical (all metric columns).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.sweep import METRICS, SweepSpec, run_sweep  # noqa: E402
from ganlab.sweep_backends import BackendChoice  # noqa: E402

TINY_BASE = {"batch_size": "32", "g.width": "32", "d.width": "32", "g.depth": "2", "d.depth": "2"}
LOSSES = ["nonsaturating", "lsgan", "hinge", "wgan-gp"]
SAME = ("dataset", "loss", "variant", "seed", "steps", "diverged", *METRICS, "status", "config_hash")


def start_cluster(cpus: int) -> tuple[str, subprocess.Popen, str]:
    """A Ray head on this machine with `cpus` CPUs: (address, the `ray start` process, its temp folder)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="gb", dir="/tmp")
    head = subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--head",
                             "--num-cpus", str(cpus), "--num-gpus", "0", "--port", str(port),
                             "--node-ip-address", "127.0.0.1", "--include-dashboard=false",
                             "--disable-usage-stats", "--temp-dir", temp],
                            env=os.environ, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = head.communicate(timeout=120)[0].decode(errors="replace")
    if head.returncode != 0:
        raise SystemExit(f"ray start failed:\n{output[-2000:]}")
    return f"127.0.0.1:{port}", head, temp


def stop_cluster(head: subprocess.Popen) -> None:
    """Every process of the cluster this script started (its process group and what runs below it)."""
    group = head.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _cluster_pids(group)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and _cluster_pids(group):
            time.sleep(0.1)


def _cluster_pids(group: int) -> set[int]:
    table = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            table[int(entry)] = (int(fields[1]), int(fields[2]))
    found = {pid for pid, (_, pgid) in table.items() if pgid == group}
    while True:
        below = {pid for pid, (parent, _) in table.items() if parent in found} - found
        if not below:
            return found
        found |= below


def timed(spec: SweepSpec, out: Path, backend: BackendChoice | None = None) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    rows = run_sweep(spec, out, backend=backend)
    return time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4, help="seeds per loss (4 losses): runs = 4 x seeds")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2, help="local processes = the Ray cluster's CPUs")
    parser.add_argument("--address", help="a running Ray cluster with --workers CPUs (default: start one here)")
    args = parser.parse_args()
    # the cluster started here and this driver: no usage report, token authentication with a token of their own
    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
                       "RAY_AUTH_TOKEN": secrets.token_hex(32)} if not args.address else {})
    spec = SweepSpec(["ring8"], LOSSES, list(range(args.seeds)), args.steps, base=dict(TINY_BASE),
                     workers=args.workers, eval_samples=500)
    runs = len(LOSSES) * args.seeds
    folder = Path(tempfile.mkdtemp(prefix="sweep_scaling"))
    head, temp = None, None
    try:
        local_s, local_rows = timed(spec, folder / "local.csv")
        started = time.perf_counter()
        if args.address:
            address = args.address
        else:
            address, head, temp = start_cluster(args.workers)
        cluster_s = time.perf_counter() - started
        ray_s, ray_rows = timed(spec, folder / "ray.csv", BackendChoice("ray", address))
    finally:
        if head is not None:
            stop_cluster(head)
        for made in (temp, folder):
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)
    identical = [tuple(r[k] for k in SAME) for r in local_rows] == [tuple(r[k] for k in SAME) for r in ray_rows]
    print(f"sweep: {runs} runs (ring8 x {len(LOSSES)} losses x {args.seeds} seeds), {args.steps} steps each, "
          f"{args.workers} workers / CPUs")
    print(f"local pool   {local_s:7.1f} s wall   {sum(r['seconds'] for r in local_rows) / runs:5.2f} s per run "
          "inside the worker")
    print(f"ray cluster  {ray_s:7.1f} s wall   {sum(r['seconds'] for r in ray_rows) / runs:5.2f} s per run "
          f"inside the task   (cluster start, not counted: {cluster_s:.1f} s)")
    print(f"ray / local  {ray_s / local_s:7.3f}   (goal: at most 1.10)")
    print(f"ray overhead per run: {(ray_s - local_s) * args.workers / runs:+.2f} worker-seconds")
    print(f"rows identical (every metric, same seeds): {'yes' if identical else 'NO'}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
