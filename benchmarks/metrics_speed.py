"""Speed of the toy metrics on the sizes the app uses (CPU, numpy / scipy only).

    python benchmarks/metrics_speed.py [--repeats 5]

Prints the median milliseconds over the repeats for: exact W1 on 1,000 vs 1,000 points; mode_stats
on 2,500 ring8 samples; grid_divergences at 128 x 128 with 2,500 fake samples (data density as a
callable and as a precomputed grid; goal < 30 ms); precision_recall and density_coverage with
2,500 vs 2,500.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from scipy.special import logsumexp  # noqa: E402

from ganlab.metrics import (  # noqa: E402
    DEFAULT_EVAL_SAMPLES,
    density_coverage,
    grid_centres,
    grid_divergences,
    mode_stats,
    precision_recall,
    wasserstein1,
    wasserstein1_method,
)

RING_STD = 0.05
BOUNDS = (-1.5, 1.5, -1.5, 1.5)


def ring8_centres() -> np.ndarray:
    angles = 2 * np.pi * np.arange(8) / 8
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring8_samples(n: int, rng: np.random.Generator, std: float = RING_STD) -> np.ndarray:
    centres = ring8_centres()
    return centres[rng.integers(0, 8, size=n)] + std * rng.standard_normal((n, 2))


def ring8_log_density(points: np.ndarray) -> np.ndarray:
    d2 = ((points[:, None, :] - ring8_centres()[None, :, :]) ** 2).sum(axis=2)
    return logsumexp(-0.5 * d2 / RING_STD**2, axis=1) - np.log(8 * 2 * np.pi * RING_STD**2)


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = DEFAULT_EVAL_SAMPLES

    a1k, b1k = ring8_samples(1000, rng), ring8_samples(1000, rng, std=0.08)
    real, fake = ring8_samples(n, rng), ring8_samples(n, rng, std=0.08)
    xs, ys = grid_centres(BOUNDS, 128)
    gx, gy = np.meshgrid(xs, ys)
    plane = np.stack([gx.ravel(), gy.ravel()], axis=1)
    data_grid = np.exp(ring8_log_density(plane)).reshape(128, 128)

    rows = [
        (f"wasserstein1 (method: {wasserstein1_method(1000, 1000)}), 1,000 vs 1,000 ring8",
         lambda: wasserstein1(a1k, b1k)),
        (f"mode_stats, {n:,} ring8 samples", lambda: mode_stats(fake, ring8_centres(), RING_STD)),
        (f"grid_divergences 128x128, {n:,} fake, data log-density callable",
         lambda: grid_divergences(ring8_log_density, fake, BOUNDS)),
        (f"grid_divergences 128x128, {n:,} fake, data density grid given",
         lambda: grid_divergences(data_grid, fake, BOUNDS)),
        (f"precision_recall (k=3), {n:,} vs {n:,}", lambda: precision_recall(real, fake)),
        (f"density_coverage (k=5), {n:,} vs {n:,}", lambda: density_coverage(real, fake)),
    ]
    print(f"median of {args.repeats} repeats (ms), numpy {np.__version__}")
    for label, fn in rows:
        print(f"  {label:<72s} {median_ms(fn, args.repeats):9.1f} ms")


if __name__ == "__main__":
    main()
