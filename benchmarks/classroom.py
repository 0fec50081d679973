"""A classroom against one server: N simulated students play the Toy Lab at once; what each gets.

    python benchmarks/classroom.py [--students 1 10 30] [--seconds 20] [--workers W] [--max-runs M]

The server side is the app's own: one training pool of worker processes (ganlab.runtime, sized like the
app's: GANLAB_WORKERS, default one per core), and per student a Toy Lab run (ToySession, default settings,
as the page builds it) and its plane's live feed (ganlab.ui.live_feed.PlaneFeed). Each student is a thread
that fetches frames the way the page's live plot does, without rendering: it asks for a frame as the
live-frame route does (ganlab.ui.live_feed.serve_frame: in the feed's turn, the server asks the worker for
the run's snapshot and builds the plane's figure JSON), then asks again FRAME_SECONDS after it asked for
the last. So the figures are the server's and the workers', not a browser's.

Prints, per N: total training steps/s and its ratio to one headless run (the same default run trained in one
process with one torch thread, as a worker does, measured just before and after the row), per-student steps/s
(min / median), frames served per student per second (min / median), and memory: the server process (this one)
and the workers (resident set), and the growth per student over the empty server. Goals on the 2-core machine
(issue 19): at N = 30 total >= 1.6x headless, min / median of the per-student steps/s >= 0.8 (fairness), >= 2
frames/s to every student, <= 40 MB per student.

First it prints the machine's ceiling for that total: one headless run per worker, each in its own process,
all at once, with no server and no frames; their summed steps/s over one such run alone. On a VM whose
cores share caches, memory bandwidth or a physical core, this is below the worker count, and no server can
do better than it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAYERS = frozenset({"discriminator", "real", "fake", "arrows", "modes", "data_density"})  # the page's defaults


def resident_mb(pid: int | str = "self") -> float:
    """VmRSS of a process, in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds so far of a process (0 when it is gone), from Linux's /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def headless_rate(seconds: float) -> float:
    """Steps/s of the default Toy Lab run trained in this process with one torch thread (as a worker)."""
    import torch

    from ganlab.config import RunConfig
    from ganlab.train import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer = Trainer(RunConfig())
        trainer.step(50)
        start = time.perf_counter()
        done = trainer.run(seconds)
        return done / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)


CEILING_CODE = """
import sys, time
sys.path.insert(0, {root!r})
from benchmarks.classroom import headless_rate
headless_rate(1.0)  # imports and first steps out of the way
print(headless_rate({seconds!r}), flush=True)
"""


def ceiling(processes: int, seconds: float) -> tuple[float, float]:
    """(one headless run's steps/s in a process of its own, the summed steps/s of `processes` such runs at
    once): what the machine's cores give trainers that share nothing but the machine."""
    import subprocess

    code = CEILING_CODE.format(root=str(ROOT), seconds=seconds)

    def together(count: int) -> float:
        runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
                for _ in range(count)]
        return sum(float(run.communicate()[0].strip().splitlines()[-1]) for run in runs)

    return together(1), together(processes)


def serve_frame(feed):
    from ganlab.ui.live_feed import serve_frame as serve

    return serve(feed)


class Student(threading.Thread):
    """One simulated student: plays a default Toy Lab run and fetches its frames as the live plot does."""

    def __init__(self, feed, period: float):
        super().__init__(daemon=True)
        self.feed, self.period = feed, period
        self.frames: list[tuple[float, int]] = []  # (time served, step shown)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            asked = time.perf_counter()
            frame = serve_frame(self.feed)  # as the live-frame route serves it
            if frame is not None:
                self.frames.append((time.perf_counter(), frame[1]))
            self.stop.wait(max(0.0, self.period - (time.perf_counter() - asked)))

    def between(self, start: float, end: float) -> tuple[int, int]:
        """(frames served, steps advanced) in [start, end]."""
        inside = [step for at, step in self.frames if start <= at <= end]
        return len(inside), (inside[-1] - inside[0]) if len(inside) > 1 else 0


def measure(pool, n: int, seconds: float, warmup: float) -> dict:
    from ganlab.config import RunConfig
    from ganlab.ui.live_feed import PlaneFeed
    from ganlab.ui.toy_handoff import FRAME_SECONDS
    from ganlab.ui.toy_session import ToySession

    base_server = resident_mb()
    base_workers = sum(resident_mb(w["pid"]) for w in pool.stats()["workers"])
    sessions = [ToySession(RunConfig(), background=True) for _ in range(n)]
    students = [Student(PlaneFeed(s, LAYERS), FRAME_SECONDS) for s in sessions]
    for session in sessions:
        session.play()
    for student in students:
        student.start()
    time.sleep(warmup)
    pids = [w["pid"] for w in pool.stats()["workers"]]
    start, cpu_start = time.perf_counter(), (cpu_seconds(), sum(cpu_seconds(p) for p in pids))
    time.sleep(seconds)
    end, cpu_end = time.perf_counter(), (cpu_seconds(), sum(cpu_seconds(p) for p in pids))
    server_mb = resident_mb()
    workers_mb = sum(resident_mb(w["pid"]) for w in pool.stats()["workers"])
    queued = pool.stats()["queued"]
    for student in students:
        student.stop.set()
    for student in students:
        student.join(10)
    served = [student.between(start, end) for student in students]
    for session in sessions:
        session.close()
    elapsed = end - start
    rates = [steps / elapsed for _, steps in served]
    fps = [frames / elapsed for frames, _ in served]
    return {"n": n, "total": sum(rates), "rates": rates, "fps": fps, "server_mb": server_mb,
            "workers_mb": workers_mb, "per_student_mb": (server_mb + workers_mb - base_server - base_workers) / n,
            "queued": queued, "server_cores": (cpu_end[0] - cpu_start[0]) / (end - start),
            "worker_cores": (cpu_end[1] - cpu_start[1]) / (end - start)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=None, help="default: GANLAB_WORKERS (one per core)")
    parser.add_argument("--max-runs", type=int, default=None, help="default: GANLAB_MAX_RUNS")
    args = parser.parse_args()

    import ganlab.runtime.pool as pool_module
    from ganlab.operator_settings import max_training_runs, training_workers
    from ganlab.runtime.pool import TrainingPool
    from ganlab.ui.runtime import configure_torch_for_app

    configure_torch_for_app()  # the server's own settings
    workers, max_runs = args.workers or training_workers(), args.max_runs or max_training_runs()
    alone, together = ceiling(workers, 8.0)
    print(f"ceiling: {workers} headless runs in {workers} processes at once: {together:.0f} steps/s in all, "
          f"{together / alone:.2f}x one alone ({alone:.0f} steps/s)", flush=True)
    pool = pool_module._POOL = TrainingPool(workers, max_runs)
    pool.warm()
    time.sleep(1.0)
    try:
        print(f"{os.cpu_count()} cores; {pool.size} workers; GANLAB_MAX_RUNS {pool.max_runs}; "
              f"{args.seconds:.0f} s measured after {args.warmup:.0f} s; 'head': one headless run's steps/s, "
              "measured just before and just after each row (the machine's speed drifts), their mean")
        print(f"{'N':>3} {'head':>6} {'total/s':>8} {'x head':>7} {'min/s':>7} {'median/s':>9} {'min/med':>8} "
              f"{'fps min':>8} "
              f"{'fps med':>8} {'cores srv/wrk':>14} {'server MB':>10} {'workers MB':>11} {'MB/student':>11} "
              f"{'queued':>7}")
        for n in args.students:
            before = headless_rate(5.0)
            row = measure(pool, n, args.seconds, args.warmup)
            headless = (before + headless_rate(5.0)) / 2
            median = statistics.median(row["rates"])
            print(f"{n:>3} {headless:>6.0f} {row['total']:>8.0f} {row['total'] / headless:>7.2f} "
                  f"{min(row['rates']):>7.0f} "
                  f"{median:>9.0f} {min(row['rates']) / max(median, 1e-9):>8.2f} {min(row['fps']):>8.1f} "
                  f"{statistics.median(row['fps']):>8.1f} {row['server_cores']:>7.2f}/{row['worker_cores']:<6.2f} "
                  f"{row['server_mb']:>10.0f} {row['workers_mb']:>11.0f} "
                  f"{row['per_student_mb']:>11.1f} {row['queued']:>7}", flush=True)
            time.sleep(2.0)
    finally:
        pool.shutdown()


if __name__ == "__main__":
    main()
