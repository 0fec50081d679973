"""Record what training produces, to show a refactor of the engine leaves it unchanged.

`python benchmarks/behaviour_record.py --out before.json` runs a fixed set of `python -m ganlab train
--json` commands (toy: datasets x losses x tricks, seeds fixed; images: a short DCGAN and a conditional
DCGAN run) and a Toy Lab session stepped by hand (its plane snapshots: fake samples, D's grid), and
writes every number. `--compare before.json` runs them again and prints, per run, each field that
differs and by how much (timing fields are left out). Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TIMING = {"seconds", "steps_per_second", "images_per_second", "device"}
RUNS = {  # name -> `train` arguments (each also gets --json --quiet)
    "ring8-nonsaturating": "--dataset ring8 --loss nonsaturating --steps 300 --seed 0",
    "grid25-wgan-gp": "--dataset grid25 --loss wgan-gp --steps 200 --seed 1",
    "spiral-hinge-ema": "--dataset spiral --loss hinge --steps 200 --seed 2 --ema 0.99",
    "moons-lsgan-feature-matching": "--dataset moons --loss lsgan --steps 200 --seed 3 --feature-matching",
    "ring8-wgan-5d": "--dataset ring8 --loss wgan --steps 200 --seed 4 --d-steps 5 --optimizer rmsprop",
    "circles-fgan-kl-minibatch":
        "--dataset circles --loss fgan-kl --steps 200 --seed 5 --minibatch-discrimination",
    "ring8-minimax-r1-unrolled":
        "--dataset ring8 --loss minimax --steps 100 --seed 6 --reg r1=1 --unrolled-steps 3",
    "checkerboard-ragan-ha-sn":
        "--dataset checkerboard --loss ragan --steps 200 --seed 7 --historical-averaging 0.1 --spectral-norm",
    "gaussian-fgan-js-batchnorm":
        "--dataset gaussian --loss fgan-js --steps 200 --seed 8 --norm batch --g-steps 2",
    "mnist-dcgan": "--dataset mnist --arch dcgan --channels 8 --steps 20 --seed 0 --batch-size 32",
    "mnist-cgan": "--dataset mnist --arch dcgan --conditional --channels 8 --steps 20 --seed 1 --batch-size 32",
}


def train_numbers(args: str) -> dict:
    """The `train --json` summary of one run, without its timing fields."""
    out = subprocess.run([sys.executable, "-m", "ganlab", "train", *args.split(), "--json", "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    summary = json.loads(out.strip().splitlines()[-1])
    return {k: v for k, v in summary.items() if k not in TIMING}


def digest(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(np.asarray(array, dtype=np.float64)).tobytes()).hexdigest()[:16]


def toy_session_numbers(steps: int = 40) -> dict:
    """A Toy Lab session (ring8, defaults) stepped by hand: its snapshot every 10 steps, as digests and sums."""
    from ganlab.config import RunConfig
    from ganlab.toy_snapshot import take_snapshot
    from ganlab.ui.toy_session import ToySession

    session = ToySession(RunConfig())
    frames = {}
    for step in range(1, steps + 1):
        session.step_discriminator()
        session.step_generator()
        if step % 10 == 0:
            snap = take_snapshot(session.trainer)
            frames[str(step)] = {key: {"digest": digest(value), "sum": float(np.sum(value))}
                                 for key, value in sorted(snap.items()) if isinstance(value, np.ndarray)}
    return frames


def record() -> dict:
    numbers = {}
    for name, args in RUNS.items():
        print(f"running {name}: train {args}", flush=True)
        numbers[name] = train_numbers(args)
    print("running the Toy Lab session", flush=True)
    numbers["toy-lab-session"] = toy_session_numbers()
    return numbers


def differences(before, after, path: str = "") -> list[str]:
    """Lines naming each leaf that differs (numbers: with their relative difference)."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines = []
        for key in sorted(set(before) | set(after)):
            if key not in before or key not in after:
                lines.append(f"{path}{key}: only in {'after' if key in after else 'before'}")
            else:
                lines += differences(before[key], after[key], f"{path}{key}.")
        return lines
    if before == after:
        return []
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        scale = max(abs(before), abs(after), 1e-300)
        rel = abs(before - after) / scale if math.isfinite(scale) else math.inf
        return [f"{path[:-1]}: {before!r} -> {after!r} (relative {rel:.2e})"]
    return [f"{path[:-1]}: {before!r} -> {after!r}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="write the numbers here")
    parser.add_argument("--compare", help="a file written by --out: report what differs from it")
    args = parser.parse_args()
    numbers = record()
    if args.out:
        Path(args.out).write_text(json.dumps(numbers, indent=1, sort_keys=True))
        print(f"wrote {args.out}")
    if args.compare:
        before = {name: {k: v for k, v in run.items() if k not in TIMING}
                  for name, run in json.loads(Path(args.compare).read_text()).items()}
        lines = differences(before, numbers)
        for name in numbers:
            own = [ln for ln in lines if ln.startswith(name + ".")]
            print(f"{name}: {'same, bit for bit' if not own else f'{len(own)} fields differ'}")
            for line in own[:20]:
                print("   ", line)
        raise SystemExit(1 if lines else 0)


if __name__ == "__main__":
    main()
