"""Steps per second of the VAE and the flow on ring8 (batch 256): ganlab's LikelihoodTrainer against a plain
eager loop of the same model, beside the GAN Trainer.

The plain loop is what a tutorial writes for the same network: torch.optim.Adam (its default, unfused
step), zero_grad / backward / step, a fresh ring8 batch every step. The LikelihoodTrainer step is the one a
run takes (the fused Adam of ganlab.optim, a host check every 64 steps with its rollback copy, no periodic
evaluation). Every runner is measured in each round, interleaved, so a busy moment of a shared machine
hits all of them; medians of the rounds are printed.

    python benchmarks/likelihood_steps.py [--seconds 2] [--rounds 3] [--threads 1] [--device cpu]

Goals (issue 21): trainer / plain >= 1.0 for the VAE and the flow; the VAE and a flow of the GAN's size at
least as fast per step as the GAN Trainer (G and D 3 x 64: one D and one G update per step).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.config import RunConfig, with_overrides  # noqa: E402
from ganlab.likelihood.models import build_model, objective  # noqa: E402
from ganlab.likelihood.trainer import LikelihoodTrainer  # noqa: E402
from ganlab.problems.toy import build_dataset  # noqa: E402
from ganlab.train import Trainer  # noqa: E402

CHUNK = 64  # trainer steps per call: one host check each, as a run does

RUNS = {  # name -> config overrides (model and size)
    "flow (8 couplings, 2x64)": {"model": "flow"},
    "flow (4 couplings, 2x64)": {"model": "flow", "flow.depth": "4"},
    "vae (2x64, latent 2)": {"model": "vae"},
}


def config(device: str, overrides: dict[str, str]) -> RunConfig:
    return with_overrides(RunConfig(device=device, eval_every=0), overrides)


def parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def plain_step(cfg: RunConfig) -> Callable[[], int]:
    """One eager step of the same model (seeded the same) with torch.optim.Adam; returns steps done (1)."""
    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.g_opt.lr, betas=(cfg.g_opt.beta1, cfg.g_opt.beta2))
    data, loss_of = build_dataset(cfg), objective(cfg)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)

    def step() -> int:
        loss, _ = loss_of(model, data.sample(cfg.batch_size, gen), gen)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        return 1

    return step


def trainer_step(trainer) -> Callable[[], int]:
    def step() -> int:
        trainer.step(CHUNK)
        return CHUNK

    return step


def rate(step: Callable[[], int], seconds: float, device: str) -> float:
    """Steps per second of `step` over about `seconds` (after a warm-up call)."""
    step()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += step()
    if device == "cuda":
        torch.cuda.synchronize()
    return done / (time.perf_counter() - start)


def runners(device: str) -> dict[str, tuple[Callable[[], int], int]]:
    """Name -> (one call of steps, parameter count) for every measured loop."""
    out = {}
    for name, overrides in RUNS.items():
        cfg = config(device, overrides)
        trainer = LikelihoodTrainer(cfg)
        out[f"{name}: trainer"] = (trainer_step(trainer), parameters(trainer.model))
        out[f"{name}: plain"] = (plain_step(cfg), parameters(trainer.model))
    gan = Trainer(config(device, {}))
    out["gan (G, D 3x64): trainer"] = (trainer_step(gan), parameters(gan.G) + parameters(gan.D))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are printed")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: the networks are tiny, a second thread mostly waits)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"device {args.device}, torch {torch.__version__}, threads {torch.get_num_threads()}, ring8, batch 256, "
          f"{args.rounds} rounds of {args.seconds:g} s per loop")
    loops = runners(args.device)
    measured = {name: [] for name in loops}
    for _ in range(args.rounds):
        for name, (step, _) in loops.items():
            measured[name].append(rate(step, args.seconds, args.device))
    median = {name: float(np.median(values)) for name, values in measured.items()}
    gan = median["gan (G, D 3x64): trainer"]
    for name, (_, count) in loops.items():
        line = f"{name:<36} {count:>7,} params {median[name]:8.1f} steps/s"
        if name.endswith(": trainer") and not name.startswith("gan"):
            plains = measured[name.replace("trainer", "plain")]
            plain = [t / p for t, p in zip(measured[name], plains, strict=True)]
            line += f"  {np.median(plain):.2f}x plain (goal >= 1.0)  {median[name] / gan:.2f}x the GAN"
        print(line)


if __name__ == "__main__":
    main()
