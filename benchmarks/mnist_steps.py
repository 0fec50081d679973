"""Training speed of ganlab's DCGAN on MNIST against a plain DCGAN loop, the cost of FID, and quality over time.

Measures, on the CPU (and on CUDA when available, with the same code):
- images/s and steps/s of ganlab's Trainer (DCGAN, ngf = ndf = 32, non-saturating loss, EMA as by
  default) and of a plain textbook DCGAN loop of the same size written here (Adam 2e-4, betas (0.5, 0.999),
  real batch by random index, D step on real + detached fake, G step on fresh z, no EMA); one step is one
  D update and one G update. After a warm-up, each is timed over --steps steps, three rounds alternating
  ganlab and plain; the median is reported with the ratio ganlab / plain (goal: >= 1.0; for scale, the
  issue's plain loop does about 19 steps/s, 1,240 images/s at batch 64 on a 2-core CPU);
- seconds to sample 5,000 digits and compute FID (LeNet) and the other image metrics on them, twice
  (the first call also loads the LeNet and fills the cache of real-data statistics);
- with --quality: ganlab's DCGAN (batch 64, seed 0) trained on the CPU for 1, 2 and 5 minutes of wall
  clock (--minutes to change the marks), with steps done, FID (LeNet), classifier score and class KL of
  5,000 samples at each mark (evaluation time is not counted as training time).

    python benchmarks/mnist_steps.py [--batches 64 128] [--steps 100] [--warmup 20]
                                     [--device auto|cpu|cuda] [--quality [--minutes 1 2 5]] [--json]

The default run (no --quality) takes about 2 to 3 minutes on a 2-core CPU; --quality adds the sum of the
marks' training time plus one evaluation per mark.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides  # noqa: E402
from ganlab.data.images import ImageDataset, load_mnist  # noqa: E402
from ganlab.device import describe_device  # noqa: E402
from ganlab.image_eval import evaluate_images  # noqa: E402
from ganlab.train import Trainer  # noqa: E402

LATENT, CHANNELS = 100, 32
ROUNDS = 3
EVAL_SAMPLES = 5000
QUALITY_CHUNK = 25  # training steps between looks at the clock in --quality


# --- the plain reference loop ----------------------------------------------------------------------


def _dcgan_init(m: nn.Module) -> None:
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def plain_generator(ngf: int = CHANNELS) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(LATENT, 4 * ngf * 7 * 7, bias=False), nn.BatchNorm1d(4 * ngf * 7 * 7), nn.ReLU(inplace=True),
        nn.Unflatten(1, (4 * ngf, 7, 7)),
        nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ngf), nn.ReLU(inplace=True),
        nn.ConvTranspose2d(2 * ngf, 1, 4, 2, 1), nn.Tanh())


def plain_discriminator(ndf: int = CHANNELS) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2, inplace=True),
        nn.Flatten(), nn.Linear(2 * ndf * 7 * 7, 1))


class PlainDCGAN:
    """The textbook DCGAN loop: fp32, default Adam, BCE with logits, one D then one G update per step."""

    def __init__(self, images: torch.Tensor, batch: int, device: torch.device, seed: int = 0):
        torch.manual_seed(seed)
        self.images, self.batch, self.device = images.to(device), batch, device
        self.G = plain_generator().to(device)
        self.D = plain_discriminator().to(device)
        self.G.apply(_dcgan_init)
        self.D.apply(_dcgan_init)
        self.g_opt = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.ones = torch.ones(batch, 1, device=device)
        self.zeros = torch.zeros(batch, 1, device=device)

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            real = self.images[torch.randint(len(self.images), (self.batch,), device=self.device)]
            fake = self.G(torch.randn(self.batch, LATENT, device=self.device))
            d_loss = (F.binary_cross_entropy_with_logits(self.D(real), self.ones)
                      + F.binary_cross_entropy_with_logits(self.D(fake.detach()), self.zeros))
            self.d_opt.zero_grad()
            d_loss.backward()
            self.d_opt.step()

            fake = self.G(torch.randn(self.batch, LATENT, device=self.device))
            g_loss = F.binary_cross_entropy_with_logits(self.D(fake), self.ones)
            self.g_opt.zero_grad()
            g_loss.backward()
            self.g_opt.step()


# --- ganlab ----------------------------------------------------------------------------------------


def ganlab_trainer(data: ImageDataset, batch: int, device: str, seed: int = 0) -> Trainer:
    cfg = with_overrides(RunConfig(), {
        "data.name": "mnist", **IMAGE_DEFAULTS, "batch_size": str(batch), "device": device,
        "g.channels": str(CHANNELS), "d.channels": str(CHANNELS), "loss.name": "nonsaturating", "seed": str(seed)})
    return Trainer(cfg, data=data)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds of fn(), with the device synchronised on both sides."""
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def speed(data: ImageDataset, device: torch.device, batch: int, steps: int, warmup: int) -> dict:
    """Median steps/s over ROUNDS alternating rounds of ganlab's trainer and the plain loop."""
    trainer = ganlab_trainer(data, batch, device.type)
    plain = PlainDCGAN(data.images, batch, device)

    def run_ganlab(n: int) -> None:
        trainer.step(n)
        trainer.check()

    run_ganlab(warmup)
    plain.step(warmup)
    ganlab_rates, plain_rates = [], []
    for _ in range(ROUNDS):
        ganlab_rates.append(steps / timed(lambda: run_ganlab(steps), device))
        plain_rates.append(steps / timed(lambda: plain.step(steps), device))
    g_rate, p_rate = statistics.median(ganlab_rates), statistics.median(plain_rates)
    return {"device": device.type, "batch": batch, "steps": steps, "rounds": ROUNDS,
            "mixed_precision": str(trainer.problem.mixed_precision) if trainer.problem.mixed_precision else None,
            "ganlab_steps_per_s": g_rate, "ganlab_images_per_s": g_rate * batch,
            "plain_steps_per_s": p_rate, "plain_images_per_s": p_rate * batch,
            "ratio": g_rate / p_rate, "ganlab_rounds_steps_per_s": ganlab_rates,
            "plain_rounds_steps_per_s": plain_rates, "_trainer": trainer}


def evaluate(trainer: Trainer) -> tuple[dict, float, float]:
    """(metrics of EVAL_SAMPLES samples, seconds to sample, seconds to evaluate)."""
    start = time.perf_counter()
    images = trainer.sample(EVAL_SAMPLES)
    _sync(trainer.device)
    sampled = time.perf_counter()
    metrics = evaluate_images(images)
    return metrics, sampled - start, time.perf_counter() - sampled


def fid_timing(trainer: Trainer, first_in_process: bool) -> dict:
    calls = []
    for _ in range(2):
        metrics, sample_s, eval_s = evaluate(trainer)
        calls.append({"sample_s": sample_s, "evaluate_s": eval_s, "total_s": sample_s + eval_s})
    return {"device": trainer.device.type, "samples": EVAL_SAMPLES, "first": calls[0], "second": calls[1],
            "first_fills_cache": first_in_process, "reference": metrics.get("reference"),
            "fid_lenet": metrics["fid_lenet"]}


def quality(data: ImageDataset, minutes: list[float]) -> list[dict]:
    """Train ganlab's DCGAN (batch 64, seed 0, CPU) and evaluate it at each wall-clock mark."""
    trainer = ganlab_trainer(data, 64, "cpu")
    rows, trained_s = [], 0.0
    for mark in sorted(minutes):
        while trained_s < mark * 60:
            start = time.perf_counter()
            trainer.step(QUALITY_CHUNK)
            trained_s += time.perf_counter() - start
        metrics, sample_s, eval_s = evaluate(trainer)
        row = {"minutes": mark, "trained_s": trained_s, "steps": trainer.step_count,
               "fid_lenet": metrics["fid_lenet"], "classifier_score": metrics["classifier_score"],
               "class_kl": metrics["class_kl"], "eval_s": sample_s + eval_s}
        rows.append(row)
        print(f"  {mark:6.2f} min  {trainer.step_count:7d} steps  FID(LeNet) {row['fid_lenet']:8.2f}  "
              f"classifier score {row['classifier_score']:5.2f}  class KL {row['class_kl']:6.3f}  "
              f"(eval {row['eval_s']:.1f} s)", flush=True)
    return rows


def devices_for(choice: str) -> list[torch.device]:
    if choice == "cpu":
        return [torch.device("cpu")]
    if choice == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device is available")
        return [torch.device("cuda")]
    return [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--steps", type=int, default=100, help="timed steps per round (3 rounds each)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps before the rounds")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help="auto (default): the CPU, plus CUDA when available")
    parser.add_argument("--quality", action="store_true", help="also train for wall-clock minutes and evaluate")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 2.0, 5.0],
                        help="cumulative training marks for --quality")
    parser.add_argument("--json", action="store_true", help="also print one JSON object with every figure")
    args = parser.parse_args()

    torch.set_num_threads(os.cpu_count() or 1)
    data = load_mnist(None, train=True)
    devices = devices_for(args.device)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()} (cpu_count {os.cpu_count()})")
    print(f"data: {data.source}, {len(data.labels):,} images")
    print(f"DCGAN ngf = ndf = {CHANNELS}, latent {LATENT}, non-saturating loss; {args.warmup} warm-up steps, "
          f"median of {ROUNDS} rounds of {args.steps} steps")
    report: dict = {"torch": torch.__version__, "threads": torch.get_num_threads(), "data": data.source,
                    "steps": args.steps, "warmup": args.warmup, "rounds": ROUNDS, "devices": {}, "speed": [],
                    "fid_timing": [], "quality": None}

    for i, device in enumerate(devices):
        name = describe_device(device)
        report["devices"][device.type] = name
        print(f"\n{name}")
        print(f"  {'batch':>5}  {'ganlab steps/s':>14}  {'images/s':>9}  {'plain steps/s':>13}  {'images/s':>9}  "
              f"{'ganlab/plain':>12}")
        trainer = None
        for batch in args.batches:
            row = speed(data, device, batch, args.steps, args.warmup)
            trainer = row["_trainer"] if trainer is None else trainer
            del row["_trainer"]
            report["speed"].append(row)
            print(f"  {batch:5d}  {row['ganlab_steps_per_s']:14.1f}  {row['ganlab_images_per_s']:9.0f}  "
                  f"{row['plain_steps_per_s']:13.1f}  {row['plain_images_per_s']:9.0f}  "
                  f"{row['ratio']:11.2f}x", flush=True)
        if row["mixed_precision"]:
            print(f"  (ganlab runs its forward passes in {row['mixed_precision']} autocast here; "
                  f"the plain loop in float32)")
        fid = fid_timing(trainer, first_in_process=i == 0)
        report["fid_timing"].append(fid)
        first, second = fid["first"], fid["second"]
        note = "loads LeNet, fills the real-data cache" if fid["first_fills_cache"] else "cache already filled"
        print(f"  FID (LeNet) of {EVAL_SAMPLES:,} samples (batch {args.batches[0]} G): "
              f"second call {second['total_s']:.2f} s (sample {second['sample_s']:.2f} + metrics "
              f"{second['evaluate_s']:.2f}); first call {first['total_s']:.2f} s ({note})")
        print(f"  reference: {fid['reference']}", flush=True)

    if args.quality:
        print(f"\nquality: ganlab DCGAN, batch 64, seed 0, CPU, {EVAL_SAMPLES:,} samples per evaluation "
              f"(marks in training minutes, evaluation excluded)")
        report["quality"] = quality(data, args.minutes)

    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
