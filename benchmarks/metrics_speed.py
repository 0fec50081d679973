"""Speed of the toy metrics on the sizes the app uses (CPU, numpy / scipy only).

    python benchmarks/metrics_speed.py [--repeats 5]

Prints the median milliseconds over the repeats for: exact W1 on 1,000 vs 1,000 points; mode_stats
on 2,500 ring8 samples; the divergence estimates (all seven, with error bars) for 2,500 generator
samples against 2,500 real ones, and the estimator's one-off set-up (bandwidth choice, real side);
precision_recall and density_coverage with 2,500 vs 2,500. benchmarks/divergence_estimates.py
measures the estimates' accuracy and their cost on every toy data set.
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
    DivergenceEstimator,
    density_coverage,
    mode_stats,
    precision_recall,
    wasserstein1,
    wasserstein1_method,
)

RING_STD = 0.05


def ring8_centres() -> np.ndarray:
    angles = 2 * np.pi * np.arange(8) / 8
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring8_samples(n: int, rng: np.random.Generator, std: float = RING_STD) -> np.ndarray:
    centres = ring8_centres()
    return centres[rng.integers(0, 8, size=n)] + std * rng.standard_normal((n, 2))


def ring8_smoothed_log_density(points: np.ndarray, bandwidth: float) -> np.ndarray:
    var = RING_STD**2 + bandwidth**2
    d2 = ((points[:, None, :] - ring8_centres()[None, :, :]) ** 2).sum(axis=2)
    return logsumexp(-0.5 * d2 / var, axis=1) - np.log(8 * 2 * np.pi * var)


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
    estimator = DivergenceEstimator(ring8_smoothed_log_density, real)

    rows = [
        (f"wasserstein1 (method: {wasserstein1_method(1000, 1000)}), 1,000 vs 1,000 ring8",
         lambda: wasserstein1(a1k, b1k)),
        (f"mode_stats, {n:,} ring8 samples", lambda: mode_stats(fake, ring8_centres(), RING_STD)),
        (f"DivergenceEstimator set-up, {n:,} real (bandwidth, real side)",
         lambda: DivergenceEstimator(ring8_smoothed_log_density, real)),
        (f"DivergenceEstimator.estimate, {n:,} fake (7 divergences + se)", lambda: estimator.estimate(fake)),
        (f"precision_recall (k=3), {n:,} vs {n:,}", lambda: precision_recall(real, fake)),
        (f"density_coverage (k=5), {n:,} vs {n:,}", lambda: density_coverage(real, fake)),
    ]
    print(f"median of {args.repeats} repeats (ms), numpy {np.__version__}")
    for label, fn in rows:
        print(f"  {label:<72s} {median_ms(fn, args.repeats):9.1f} ms")


if __name__ == "__main__":
    main()
