"""Accuracy and cost of the divergence estimates (ganlab.metrics.divergence_estimates) on every toy set.

    python benchmarks/divergence_estimates.py [--seeds 5] [--samples 2500]

For each toy data set with a density: a perfect generator (a second sample of the data) -> the
JSD, TV and squared Hellinger it reads (mean ± sd over seeds; goal: JSD <= 0.02 nats at 2,500), the
kernel width h, and the milliseconds of the one-off set-up and of one estimate. Then ring8 with a
generator on k of its 8 modes (k = 1, 2, 4, 8) beside the closed forms.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ganlab.data import DATASETS, make_dataset  # noqa: E402
from ganlab.metrics.divergence_estimates import DivergenceEstimator  # noqa: E402


def draw(dataset, n: int, seed: int) -> np.ndarray:
    return dataset.sample(n, torch.Generator().manual_seed(seed)).double().numpy()


def k_modes(dataset, k: int, n: int, seed: int) -> np.ndarray:
    g = torch.Generator().manual_seed(seed)
    kept = torch.as_tensor(dataset.centers[np.arange(k) * (8 // k)])
    index = torch.randint(k, (n,), generator=g)
    return (kept[index] + dataset.std * torch.randn(n, 2, generator=g, dtype=torch.float64)).numpy()


def measure(dataset, fake_of_seed, seeds: int, n: int) -> tuple[dict, float, float, float]:
    rows, setup, estimate = [], [], []
    for seed in range(seeds):
        real = draw(dataset, n, 10_000 + seed)
        start = time.perf_counter()
        est = DivergenceEstimator(dataset.smoothed_log_density, real, seed=seed)
        setup.append(time.perf_counter() - start)
        fake = fake_of_seed(seed)
        start = time.perf_counter()
        rows.append(est.estimate(fake))
        estimate.append(time.perf_counter() - start)
    stats = {key: (np.mean([r[key] for r in rows]), np.std([r[key] for r in rows]), np.mean([r[f"{key}_se"]
                   for r in rows])) for key in ("jsd", "tv", "hellinger", "triangular", "kl_fake_data")}
    return stats, rows[0]["bandwidth"], 1e3 * np.median(setup), 1e3 * np.median(estimate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2500)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n = args.samples
    print(f"perfect generator, {n:,} vs {n:,} samples, {args.seeds} seeds (mean ± sd; se = mean standard error)")
    for name in DATASETS:
        if name in ("custom",):
            continue
        dataset = make_dataset(name)
        if not dataset.has_density:
            continue
        stats, h, setup_ms, est_ms = measure(dataset, lambda s, d=dataset: draw(d, n, s), args.seeds, n)
        jsd, tv, hel = stats["jsd"], stats["tv"], stats["hellinger"]
        print(f"  {name:<19s} h {h:.4f}  JSD {jsd[0]:.4f} ± {jsd[1]:.4f} (se {jsd[2]:.4f})  "
              f"TV {tv[0]:.3f} ± {tv[1]:.3f}  Hellinger {hel[0]:.4f}  set-up {setup_ms:5.0f} ms  "
              f"estimate {est_ms:5.0f} ms")
    print("ring8, a generator on k of the 8 modes (estimate ± sd over seeds | closed form)")
    ring8 = make_dataset("ring8")
    for k in (1, 2, 4, 8):
        p, q = 1 / 8, 1 / k
        m = (p + q) / 2
        jsd = 0.5 * (k * p * math.log(p / m) + (8 - k) * p * math.log(2)) + 0.5 * k * q * math.log(q / m)
        closed = {"jsd": jsd,
                  "tv": 1 - k / 8, "hellinger": 2 - 2 * math.sqrt(k / 8),
                  "triangular": k * (p - q) ** 2 / (p + q) + (8 - k) * p, "kl_fake_data": math.log(8 / k)}
        stats, _, _, est_ms = measure(ring8, lambda s, k=k: k_modes(ring8, k, n, s), args.seeds, n)
        cells = "  ".join(f"{key} {stats[key][0]:.4f} ± {stats[key][1]:.4f} | {closed[key]:.4f}" for key in closed)
        print(f"  k = {k}: {cells}  ({est_ms:.0f} ms)")


if __name__ == "__main__":
    main()
