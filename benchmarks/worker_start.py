"""How long a new worker process takes to answer its first request: forked by the zygote (torch imported
already, ganlab.runtime.zygote) or started afresh (`python -m ganlab.runtime.worker`).

    python benchmarks/worker_start.py [--workers 5]

Prints, for each way, the wall time from WorkerHandle() to the reply of its first "stats" request (median and
max) and the CPU seconds the new process used by then (median). The zygote's own start (one import of torch,
once per server) is printed apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.runtime import zygote  # noqa: E402
from ganlab.runtime.pool import WorkerHandle  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(count: int) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(count):
        began = time.perf_counter()
        worker = WorkerHandle()
        worker.call("stats")
        walls.append(time.perf_counter() - began)
        cpus.append(cpu_seconds(worker.pid))
        worker.kill()
        worker.process.wait(10)
    return walls, cpus


def report(name: str, walls: list[float], cpus: list[float]) -> None:
    print(f"{name:>8}: first reply after {statistics.median(walls):.3f} s median, {max(walls):.3f} s max; "
          f"{statistics.median(cpus):.2f} s of CPU in the new process (median of {len(walls)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=5)
    count = parser.parse_args().workers
    os.environ[zygote.FORK_ENV] = "off"
    report("afresh", *measure(count))
    os.environ[zygote.FORK_ENV] = "on"
    zygote_walls, _ = measure(1)
    print(f"  zygote: its start and first fork {zygote_walls[0]:.2f} s (once per server)")
    report("forked", *measure(count))


if __name__ == "__main__":
    main()
