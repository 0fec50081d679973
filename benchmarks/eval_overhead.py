"""Cost of the periodic evaluation: the default toy run with eval_every=500 against eval_every=0.

    python benchmarks/eval_overhead.py [--steps 5000] [--dataset ring8]

Prints steps/s of both, the evaluation's share of training time (goal: under 10 %), and the mean
milliseconds of one evaluation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.config import RunConfig, with_overrides  # noqa: E402
from ganlab.train import Trainer  # noqa: E402


def timed_run(dataset: str, steps: int, eval_every: int) -> tuple[float, Trainer]:
    trainer = Trainer(with_overrides(RunConfig(device="cpu"), {"data.name": dataset,
                                                              "eval_every": str(eval_every)}))
    trainer.step(20)
    start = time.perf_counter()
    trainer.step(steps)
    return time.perf_counter() - start, trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--dataset", default="ring8")
    args = parser.parse_args()
    plain_s, _ = timed_run(args.dataset, args.steps, 0)
    eval_s, trainer = timed_run(args.dataset, args.steps, 500)
    n_evals = len(trainer.metrics)
    from ganlab.evaluation import Evaluator

    start = time.perf_counter()
    Evaluator(trainer, trainer.config.eval_samples)
    setup_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    for _ in range(5):
        trainer.evaluate()
    one_eval_ms = (time.perf_counter() - start) / 5 * 1000
    print(f"dataset {args.dataset}, {args.steps} steps, evaluation every 500 steps ({n_evals} evaluations)")
    print(f"without evaluation  {args.steps / plain_s:8.1f} steps/s")
    print(f"with evaluation     {args.steps / eval_s:8.1f} steps/s")
    print(f"evaluation share    {100 * (eval_s - plain_s) / plain_s:8.1f} % of training time (goal < 10 %)")
    print(f"one evaluation      {one_eval_ms:8.1f} ms (modes on 4 draws of 2,500, W1 500x500 exact, the seven "
          "divergence estimates with errors, D estimate on 2,500 + 2,500)")
    print(f"evaluator set-up    {setup_ms:8.1f} ms once per run (kernel width, real side, the floors)")


if __name__ == "__main__":
    main()
