"""Steps per second of the default toy run: ganlab's Trainer against a plain eager PyTorch loop.

The reference loop is what a tutorial writes: unfused Adam, new tensors every step, separate D
forwards for real and fake, D's weight gradients computed (and thrown away) in G's step.

    python benchmarks/toy_steps.py [--seconds 5] [--device cpu]

Prints steps/s for: the plain loop, the trainer, and the trainer while it also takes a snapshot
ten times a second; and the ratios to the plain loop (goals: >= 1.25x and >= 1.1x).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.config import RunConfig  # noqa: E402
from ganlab.toy_snapshot import take_snapshot  # noqa: E402
from ganlab.train import Trainer  # noqa: E402

BATCH, WIDTH, LATENT = 256, 64, 2


def plain_mlp(in_dim: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(),
                         nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, out_dim))


def plain_loop(seconds: float, device: torch.device) -> float:
    """A straightforward ring8 GAN loop; returns steps per second."""
    torch.manual_seed(0)
    g, d = plain_mlp(LATENT, 2).to(device), plain_mlp(2, 1).to(device)
    g_opt = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999), foreach=False)
    d_opt = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999), foreach=False)
    angles = torch.arange(8, device=device) * (2 * math.pi / 8)
    centres = torch.stack([angles.cos(), angles.sin()], dim=1)

    def one_step() -> None:
        real = centres[torch.randint(0, 8, (BATCH,), device=device)] + 0.01 * torch.randn(BATCH, 2, device=device)
        fake = g(torch.randn(BATCH, LATENT, device=device)).detach()
        d_loss = F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        g_loss = F.softplus(-d(g(torch.randn(BATCH, LATENT, device=device)))).mean()
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()

    return _rate(one_step, seconds, device)


def _rate(one_step, seconds: float, device: torch.device) -> float:
    for _ in range(50):
        one_step()
    _sync(device)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        one_step()
        steps += 1
    _sync(device)
    return steps / (time.perf_counter() - start)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def trainer_rate(seconds: float, device: torch.device, snapshots_per_second: float = 0.0) -> float:
    """Default toy run through the Trainer; optionally snapshot at the given rate (as the UI does)."""
    trainer = Trainer(RunConfig(device=device.type, eval_every=0))  # evaluation: benchmarks/eval_overhead.py
    trainer.step(50)
    steps, start, next_snap = 0, time.perf_counter(), 0.0
    while (now := time.perf_counter() - start) < seconds:
        if snapshots_per_second and now >= next_snap:
            take_snapshot(trainer)
            next_snap = now + 1.0 / snapshots_per_second
        trainer.d_phase()
        trainer.g_phase()
        steps += 1
    trainer.check()
    _sync(device)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of (plain, Trainer, Trainer + snapshots), interleaved so a busy moment of a "
                             "shared machine hits all three; the medians are printed")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"MLP 3x{WIDTH}, batch {BATCH}, {args.rounds} rounds of {args.seconds:g} s")
    rounds = [(plain_loop(args.seconds, device), trainer_rate(args.seconds, device),
               trainer_rate(args.seconds, device, snapshots_per_second=10.0)) for _ in range(args.rounds)]
    plain, ours, live = (float(np.median(column)) for column in zip(*rounds, strict=True))
    ratio, live_ratio = (float(np.median([r[i] / r[0] for r in rounds])) for i in (1, 2))
    print(f"plain eager loop          {plain:8.1f} steps/s")
    print(f"ganlab Trainer            {ours:8.1f} steps/s  ({ratio:.2f}x plain, median of rounds; goal >= 1.3x)")
    print(f"Trainer + 10 snapshots/s  {live:8.1f} steps/s  ({live_ratio:.2f}x plain; goal >= 1.10x)")
    print("per round (x plain): " + ", ".join(f"{r[1] / r[0]:.2f}" for r in rounds))


if __name__ == "__main__":
    main()
