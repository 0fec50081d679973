"""Soak: a long toy run with a snapshot every 100 steps and metrics every 1,000; resident memory must
grow by less than 50 MB after warm-up.

    python benchmarks/soak.py [--steps 200000] [--every 10000]

Prints resident memory (RSS, from /proc/self/statm) every `--every` steps, the growth after the
warm-up (the first 10 %), and steps per second.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ganlab.config import RunConfig  # noqa: E402
from ganlab.toy_snapshot import take_snapshot  # noqa: E402
from ganlab.train import Trainer  # noqa: E402
from ganlab.ui.runtime import configure_torch_for_app  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--every", type=int, default=10_000, help="print memory every this many steps")
    args = parser.parse_args()
    configure_torch_for_app()
    trainer = Trainer(RunConfig(eval_every=1000, eval_samples=2500))
    warm_up = args.steps // 10
    curve, start, baseline = [], time.perf_counter(), None
    for done in range(100, args.steps + 1, 100):
        trainer.step(100)
        take_snapshot(trainer)
        if done % args.every == 0 or done == warm_up:
            mb = rss_mb()
            if done == warm_up:
                baseline = mb
            curve.append((done, mb))
            print(f"  step {done:>7,}  RSS {mb:7.1f} MB  ({time.perf_counter() - start:6.0f} s)", flush=True)
    seconds = time.perf_counter() - start
    final = rss_mb()
    evaluations = len(trainer.metrics.as_arrays()["step"])
    print(f"{args.steps:,} steps in {seconds:.0f} s ({args.steps / seconds:.0f} steps/s with a snapshot every 100 "
          f"and {evaluations} metric rows kept of {args.steps // 1000} evaluations)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RSS after warm-up (step {warm_up:,}) {baseline:.1f} MB, at the end {final:.1f} MB: growth "
          f"{final - baseline:+.1f} MB (goal < 50 MB); peak {peak:.1f} MB")


if __name__ == "__main__":
    main()
