"""What one live frame of the Toy Lab costs: snapshot, plane figure build, and JSON bytes sent.

Trains a default RunConfig (device cpu) for 200 steps, then for grid 64 and 128 with 512 samples times
(median of 20) take_snapshot(trainer), plane_figure(snap, ...) and fig.to_json(), for the default layers
and for all layers (with the overlays the app computes: exact p_data, D*, a KDE of p_g, mode coverage).
The overlays' own computation is not timed here; only building the figure from them.

    python benchmarks/frame_payload.py [--steps 200] [--repeats 20] [--threads 1]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from ganlab.config import RunConfig  # noqa: E402
from ganlab.metrics import covered_modes, grid_centres, kde_grid  # noqa: E402
from ganlab.theory import optimal_discriminator_grid  # noqa: E402
from ganlab.toy_snapshot import take_snapshot  # noqa: E402
from ganlab.train import Trainer  # noqa: E402
from ganlab.viz.toy_plane import DEFAULT_LAYERS, LAYERS, plane_figure  # noqa: E402

SAMPLES = 512


def median_ms(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (tiny MLPs: 1 is fastest; 0 = torch's default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    trainer = Trainer(RunConfig(device="cpu"))
    t0 = time.perf_counter()
    trainer.step(args.steps)
    train_s = time.perf_counter() - t0
    ds = trainer.dataset
    cfg = trainer.config
    print(f"trained {args.steps} steps ({cfg.data.name}, {cfg.loss.name}) in {train_s:.1f} s; "
          f"torch threads {torch.get_num_threads()}; median of {args.repeats}")
    header = ("grid", "layers", "snapshot ms", "figure ms", "to_json ms", "JSON bytes/frame")
    widths = (5, 8, 12, 10, 11, 17)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    for grid in (64, 128):
        snap_ms, snap = median_ms(lambda g=grid: take_snapshot(trainer, n_samples=SAMPLES, grid_size=g),
                                  args.repeats)
        dens, _ = kde_grid(snap["fake"], ds.bounds, grid)
        xs, ys = grid_centres(ds.bounds, grid)
        extras = {
            "data_density": ds.density_grid(grid),
            "d_star": optimal_discriminator_grid(ds.log_density, snap["fake"], ds.bounds, size=grid),
            "fake_density": (xs, ys, dens),
            "centers": ds.centers,
            "covered": covered_modes(snap["fake"], ds.centers, ds.std),
        }
        for label, layers in (("default", DEFAULT_LAYERS), ("all", frozenset(LAYERS))):
            fig_ms, fig = median_ms(lambda s=snap, la=layers, ex=extras: plane_figure(s, layers=la, **ex),
                                    args.repeats)
            json_ms, text = median_ms(fig.to_json, args.repeats)
            row = (grid, label, f"{snap_ms:.1f}", f"{fig_ms:.1f}", f"{json_ms:.1f}", f"{len(text.encode()):,}")
            print(" ".join(f"{v:>{w}}" for v, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
