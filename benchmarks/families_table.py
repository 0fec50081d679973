"""A GAN, a VAE and a RealNVP flow side by side on ring8 and grid25: modes, sharpness, both KLs, W1, time.

    python benchmarks/families_table.py [--steps 10000] [--seeds 5] [--workers 2] [--datasets ring8,grid25]

Each family keeps ganlab's defaults and trains the same number of steps (--steps, batch 256, on the CPU):
the GAN is the Toy Lab's default run (RunConfig(): the non-saturating loss, G and D MLPs of 3 x 64, Adam),
the VAE and the flow the engine's defaults (ganlab.config's VAEConfig and FlowConfig). Every run is built
by ganlab.likelihood.make_trainer, trained with `step`, and evaluated once at the end with `evaluate()` on
2,500 samples (ganlab.evaluation / ganlab.likelihood.evaluation); the runs go to a local process pool of
--workers "spawn" processes with one torch thread each (seeds 0 .. --seeds - 1).

Printed: per (data set, family), the mean ± standard error over the seeds of modes covered, high-quality
fraction, forward KL(p_data || p_model), reverse KL(p_model || p_data) (nats), W1 (beside its floor) and the
run's wall time (training and evaluation); then a paragraph reading the table. The flow's KLs use its exact
density, the VAE's its importance-weighted estimate (k = 256, a lower bound: forward KL a little high,
reverse a little low), the GAN's are kernel density estimates between the two smoothed distributions
(ganlab.likelihood.kl.kde_kl_columns): compare them with the others in kind, not to the digit.

The default --steps keeps the whole table (2 data sets x 3 families x 5 seeds = 30 runs) within about a
quarter of an hour on 2 cores: `--seeds 2 --steps 1000` took 61 s on 2 cores shared with other work (load
about 5), which scales to about 11 minutes for the default table; an idle machine takes about half that. The
"wall s" column is each run's own time (training and evaluation), so it grows with the machine's load.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.config import RunConfig, with_overrides  # noqa: E402

DEFAULT_STEPS = 10_000
FAMILIES = ("gan", "vae", "flow")
TITLES = {"gan": "GAN (non-saturating)", "vae": "VAE", "flow": "flow (RealNVP)"}
DATASETS = ("ring8", "grid25")
COLUMNS = ("modes", "hq", "forward_kl", "reverse_kl", "w1", "seconds")


def run_config(dataset: str, family: str, seed: int) -> RunConfig:
    """The run's config: RunConfig()'s defaults, on the CPU, model `family`, no periodic evaluation."""
    return with_overrides(RunConfig(), {"device": "cpu", "seed": str(seed), "eval_every": "0", "model": family,
                                        "data.name": dataset})


def run_family(job: tuple[str, str, int, int]) -> dict:
    """Train one (dataset, family, seed) run for `steps` steps and evaluate it once: the table's row."""
    from ganlab.likelihood import make_trainer
    from ganlab.likelihood.kl import KL_COLUMNS, kde_kl_columns
    from ganlab.rollback import TrainingDiverged

    dataset, family, seed, steps = job
    torch.set_num_threads(1)
    started = time.perf_counter()
    trainer = make_trainer(run_config(dataset, family, seed))
    diverged_at = None
    try:
        trainer.step(steps)
    except TrainingDiverged as err:  # evaluated from its last good state, and said so
        diverged_at = int(err.step)
    metrics = trainer.evaluate()
    kls = kde_kl_columns(metrics) if family == "gan" else {name: float(metrics[name]) for name in KL_COLUMNS}
    return {"dataset": dataset, "family": family, "seed": seed, "steps": trainer.step_count,
            "diverged_at": diverged_at, "modes": float(metrics["modes_covered"]),
            "modes_total": float(metrics["modes_total"]), "hq": float(metrics["hq_fraction"]),
            "forward_kl": kls["forward_kl"], "reverse_kl": kls["reverse_kl"], "w1": float(metrics["w1"]),
            "w1_floor": float(metrics["w1_floor"]), "seconds": time.perf_counter() - started}


def _init_worker(parent: int) -> None:
    from ganlab.parent_watch import end_with_parent

    torch.set_num_threads(1)
    end_with_parent(parent)  # a worker never outlives the table's process


def run_all(datasets: tuple[str, ...], seeds: int, steps: int, workers: int) -> list[dict]:
    """Every (dataset, family, seed) run through a pool of `workers` processes (the slowest family first)."""
    jobs = [(dataset, family, seed, steps) for family in ("flow", "gan", "vae") for dataset in datasets
            for seed in range(seeds)]
    rows = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(run_family, job) for job in jobs]
        for done, future in enumerate(as_completed(futures), 1):
            row = future.result()
            rows.append(row)
            print(f"  [{done}/{len(jobs)}] {row['dataset']} {row['family']} seed {row['seed']}: "
                  f"{row['seconds']:.1f} s", file=sys.stderr, flush=True)
    return rows


# --- the table ------------------------------------------------------------------------------------------

def mean_se(values) -> tuple[float, float]:
    """(mean, standard error sd / sqrt(n), ddof 1; nan for one value) of finite values."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return math.nan, math.nan
    se = float(array.std(ddof=1) / math.sqrt(array.size)) if array.size > 1 else math.nan
    return float(array.mean()), se


def cell(values, digits: str = ".3g", scale: float = 1.0) -> str:
    """'mean ± se' of the values; '+∞ in k/n' first when some are infinite (the finite ones after it)."""
    array = np.asarray(values, dtype=np.float64) * scale
    infinite = int(np.isposinf(array).sum())
    finite = array[np.isfinite(array)]
    if not finite.size:
        return f"+∞ in {infinite}/{array.size}" if infinite else "n/a"
    mean, se = mean_se(finite)
    text = f"{mean:{digits}}" + (f" ± {se:.2g}" if math.isfinite(se) else "")
    return f"+∞ in {infinite}/{array.size}; others {text}" if infinite else text


def group(rows: list[dict]) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """(dataset, family) -> column -> the seeds' values."""
    out: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    keys = {(r["dataset"], r["family"]) for r in rows}
    for key in sorted(keys, key=lambda k: (DATASETS.index(k[0]), FAMILIES.index(k[1]))):
        chosen = sorted((r for r in rows if (r["dataset"], r["family"]) == key), key=lambda r: r["seed"])
        out[key] = {name: np.array([r[name] for r in chosen], dtype=np.float64)
                    for name in (*COLUMNS, "modes_total", "w1_floor")}
        out[key]["diverged"] = np.array([r["diverged_at"] is not None for r in chosen])
    return out


def table(groups: dict[tuple[str, str], dict[str, np.ndarray]]) -> str:
    header = ("| data | family | modes covered | high-quality | KL(p_data‖p_model) | KL(p_model‖p_data) | W1 "
              "(floor) | wall s |")
    lines = [header, "|" + "---|" * 8]
    for (dataset, family), g in groups.items():
        total = int(g["modes_total"][0])
        w1_floor = float(np.mean(g["w1_floor"]))
        diverged = f" ({int(g['diverged'].sum())} diverged)" if g["diverged"].any() else ""
        lines.append(f"| {dataset} | {TITLES[family]}{diverged} | {cell(g['modes'])} / {total} | "
                     f"{cell(g['hq'], '.0f', 100)} % | {cell(g['forward_kl'])} | {cell(g['reverse_kl'])} | "
                     f"{cell(g['w1'])} ({w1_floor:.3f}) | {cell(g['seconds'], '.1f')} |")
    return "\n".join(lines)


def _mean(g: dict[str, np.ndarray], name: str) -> float:
    """The mean over seeds (+inf when any seed is infinite)."""
    values = g[name]
    return math.inf if np.isposinf(values).any() else float(np.mean(values))


def _best(groups, dataset: str, name: str, highest: bool) -> str:
    means = {family: _mean(groups[(dataset, family)], name) for family in FAMILIES if (dataset, family) in groups}
    pick = max(means, key=means.get) if highest else min(means, key=means.get)
    return TITLES[pick].split(" (")[0]


def _coverage(modes: dict[str, float]) -> str:
    """How the GAN's mean modes covered compare with the VAE's and the flow's (0.05 apart counts as equal)."""
    def side(f: str) -> str:
        gap = modes["gan"] - modes[f]
        return "as many as" if abs(gap) <= 0.05 else "fewer than" if gap < 0 else "more than"

    vae, flow = side("vae"), side("flow")
    if vae == flow:
        both = "the VAE and the flow" if vae == "as many as" else "both likelihood models"
        return f"the GAN covers {vae} {both}"
    return f"the GAN covers {vae} the VAE but {flow} the flow"


def _sharpness(hq: dict[str, float]) -> str:
    best = max(hq, key=hq.get)
    return "its samples are the sharpest" if best == "gan" else f"the {TITLES[best].split(' (')[0]}'s are sharper"


def reading(groups: dict[tuple[str, str], dict[str, np.ndarray]]) -> str:
    """One paragraph that reads the table: per data set, coverage and sharpness of each family, where each KL
    is lowest, and what the GAN traded; the estimators' caveat."""
    sentences = []
    for dataset in dict.fromkeys(d for d, _ in groups):
        g = {f: groups[(dataset, f)] for f in FAMILIES if (dataset, f) in groups}
        if set(g) != set(FAMILIES):
            continue
        total = int(g["gan"]["modes_total"][0])
        modes = {f: float(np.mean(g[f]["modes"])) for f in FAMILIES}
        hq = {f: 100 * float(np.mean(g[f]["hq"])) for f in FAMILIES}
        text = (f"On {dataset} the GAN covers {modes['gan']:.1f} of {total} modes, the VAE {modes['vae']:.1f} and "
                f"the flow {modes['flow']:.1f}, with {hq['gan']:.0f} %, {hq['vae']:.0f} % and {hq['flow']:.0f} % "
                f"high-quality samples")
        text += f": {_coverage(modes)}, and {_sharpness(hq)}"
        if modes["gan"] < min(modes["vae"], modes["flow"]) and hq["gan"] > max(hq["vae"], hq["flow"]):
            text += " (mode seeking beside two mode-covering models)"
        text += (f". The lowest forward KL is the {_best(groups, dataset, 'forward_kl', False)}'s, the lowest "
                 f"reverse KL the {_best(groups, dataset, 'reverse_kl', False)}'s and the lowest W1 the "
                 f"{_best(groups, dataset, 'w1', False)}'s.")
        sentences.append(text)
    sentences.append("Maximum likelihood (the VAE's bound, the flow's exact likelihood) minimises the forward KL, "
                     "which punishes missed data; the reverse KL punishes mass off the data, which blurry samples "
                     "between modes put there. The flow's KLs are exact Monte Carlo means, the VAE's use "
                     "an importance-weighted lower bound on its likelihood, and the GAN's are kernel density "
                     "estimates of both smoothed distributions (+∞ when data lies where the GAN's smoothed "
                     "density underflows): compare the GAN's KL columns with the others in kind, not to the "
                     "digit.")
    return " ".join(sentences)


def describe_defaults() -> str:
    cfg = RunConfig()
    return (f"GAN: loss {cfg.loss.name}, G and D MLPs {cfg.g.depth} x {cfg.g.width}, {cfg.g_opt.name} lr "
            f"{cfg.g_opt.lr:g} (beta1 {cfg.g_opt.beta1:g}); VAE: latent {cfg.vae.latent_dim}, MLPs "
            f"{cfg.vae.depth} x {cfg.vae.width}, decoder std {'learnt' if cfg.vae.learn_variance else 'fixed'} "
            f"from {cfg.vae.decoder_std:g}, beta {cfg.vae.beta:g}; flow: {cfg.flow.depth} affine couplings, MLPs "
            f"{cfg.flow.hidden_layers} x {cfg.flow.width}; batch {cfg.batch_size}, {cfg.eval_samples:,} "
            "evaluation samples")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="training steps of every run")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 per (data set, family)")
    parser.add_argument("--workers", type=int, default=2, help="processes in the pool (one torch thread each)")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated: ring8, grid25")
    args = parser.parse_args(argv)
    datasets = tuple(name.strip() for name in args.datasets.split(",") if name.strip())
    if not datasets or any(name not in DATASETS for name in datasets):
        parser.error(f"--datasets: expected a comma-separated subset of {', '.join(DATASETS)}")
    if args.steps < 1 or args.seeds < 1 or args.workers < 1:
        parser.error("--steps, --seeds and --workers must be at least 1")
    started = time.perf_counter()
    rows = run_all(datasets, args.seeds, args.steps, args.workers)
    wall = time.perf_counter() - started
    groups = group(rows)
    print(f"Three families, {args.steps:,} steps each, seeds 0-{args.seeds - 1}, {len(rows)} runs on "
          f"{args.workers} worker processes (one torch thread each, CPU): {wall:.0f} s in all.")
    print(f"Defaults: {describe_defaults()}.")
    print("Mean ± standard error over the seeds; KLs in nats; high-quality: within 3 std of the nearest mode.\n")
    print(table(groups))
    print()
    print(reading(groups))


if __name__ == "__main__":
    main()
