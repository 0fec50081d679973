"""The headless command line: python -m ganlab list | train | eval | sweep.

`train --model gan` (the default) trains a GAN; `--model vae` or `--model flow` a likelihood model
(ganlab.likelihood) on the same data, with the same flags for data, batch size, seed, device and
optimiser, the same `--save` / `--resume` checkpoints, and a `--json` summary with its own metrics.

Exit status: 0 success (a diverged run also exits 0 and says so: "diverged": true), 2 bad input
(unknown name, number out of range, unreadable or mismatched checkpoint).
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

from ganlab import cli_flags
from ganlab.catalogue import catalogue
from ganlab.config import (
    IMAGE_DEFAULTS,
    ConfigError,
    RunConfig,
    from_json,
    with_overrides,
)
from ganlab.data.images import IMAGE_DATASETS
from ganlab.evaluation import DIVERGENCE_COLUMNS, MODE_DRAWS, W1_SAMPLES
from ganlab.losses import is_wasserstein
from ganlab.options import OPTIONS
from ganlab.penalties import REGULARIZERS

# metrics reported when they apply (nan ones are left out; infinite ones are null and listed under
# "infinite"): see ganlab.evaluation
SUMMARY_METRICS = ("estimate", "reference", "reference_se", "reference_floor", "modes_covered", "modes_covered_sd",
                   "modes_total", "hq_fraction", "hq_fraction_sd", "mode_kl", "w1", "w1_floor",
                   *DIVERGENCE_COLUMNS, "divergence_bandwidth", "precision", "recall", "d_real", "d_fake")


IMAGE_METRICS = ("fid_lenet", "classifier_score", "class_kl", "precision", "recall", "density", "coverage")

# a VAE's or a flow's summary: its likelihood metrics first, then the toy metrics of its samples (as a GAN's)
LIKELIHOOD_SUMMARY_METRICS = (
    "test_log_likelihood", "test_log_likelihood_se", "importance_samples", "elbo", "elbo_se", "recon", "kl",
    "data_log_likelihood", "forward_kl", "forward_kl_se", "reverse_kl", "reverse_kl_se", "modes_covered",
    "modes_covered_sd", "modes_total", "hq_fraction", "hq_fraction_sd", "mode_kl", "w1", "w1_floor",
    *DIVERGENCE_COLUMNS, "divergence_bandwidth", "precision", "recall")


MAX_CLASSIFIER_EPOCHS = 1000


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


def cmd_list(args: argparse.Namespace) -> int:
    entries_by_section = catalogue(include_tricks=True, include_models=True)
    if args.json:
        print(json.dumps(entries_by_section))
        return 0
    for section, entries in entries_by_section.items():
        print(f"{section}:")
        width = max(map(len, entries))
        for name, text in entries.items():
            print(f"  {name:<{width}}  {text}")
        print()
    return 0


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """Dotted path -> string value for every option given on the command line."""
    out = cli_flags.overrides(args)
    for item in args.reg or []:
        name, _, value = item.partition("=")
        if name not in REGULARIZERS:
            raise UsageError(f"--reg: unknown regulariser {name!r}; valid: {', '.join(REGULARIZERS)}")
        out[f"reg.{name}"] = value if value else str(REGULARIZERS[name].default)
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def _progress(done: int, total: int, started: float, last: dict[str, float]) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.perf_counter() - started, 1e-9)
    losses = "  ".join(f"{k} {v:.4g}" for k, v in last.items())
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} steps  "
                     f"{rate:6.0f} steps/s  {losses}   ")
    sys.stderr.flush()


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def summarize(trainer, steps: int, seconds: float, diverged: str | None) -> dict:
    """The run's summary: names, timing, divergence, last losses and a final evaluation's metrics."""
    cfg = trainer.config
    last = trainer.history.last()
    summary = {
        "model": cfg.model,
        "dataset": cfg.data.name, "loss": cfg.loss.name, "seed": cfg.seed, "device": str(trainer.device),
        "steps": steps, "total_steps": trainer.step_count, "seconds": round(seconds, 3),
        "steps_per_second": round(steps / seconds, 1) if seconds > 0 else None,
        "diverged": diverged is not None,
        "d_loss": _finite_or_none(last.get("d_loss", math.nan)),
        "g_loss": _finite_or_none(last.get("g_loss", math.nan)),
        "divergence": trainer.loss.divergence,
        "divergence_id": trainer.loss.divergence_id,
    }
    if diverged:
        summary["diverged_message"] = diverged
    metrics = final_metrics(trainer)
    summary.update(metric_values(metrics, SUMMARY_METRICS))
    summary.update(gan_kl_values(metrics, cfg.eval_samples))
    return summary


def final_metrics(trainer) -> dict:
    """The run's metrics at its last step: the evaluation already made there, else a new one."""
    recorded = trainer.metrics.as_arrays()
    if len(recorded["step"]) and recorded["step"][-1] == trainer.step_count:
        return trainer.metrics.last()
    return trainer.evaluate()


def gan_kl_values(metrics: dict, n_samples: int) -> dict:
    """The GAN's forward and reverse KL beside a likelihood model's (ganlab.likelihood.kl.kde_kl_columns:
    the sample estimates kl_data_fake and kl_fake_data, p_g by its KDE) and how they were estimated."""
    from ganlab.likelihood.kl import kde_kl_columns, kl_method

    out = metric_values(kde_kl_columns(metrics), KL_SUMMARY)
    if "infinite" in out:
        out["infinite_kl"] = out.pop("infinite")
    if out:
        out["kl_method"] = kl_method("gan", n_samples, bandwidth=metrics.get("divergence_bandwidth"))
    return out


KL_SUMMARY = ("forward_kl", "forward_kl_se", "reverse_kl", "reverse_kl_se")


def summarize_likelihood(trainer, steps: int, seconds: float, diverged: str | None) -> dict:
    """A VAE's or a flow's summary: names, timing, divergence, the last training values (train_*: the loss
    and, for a VAE, the batch's ELBO and its terms) and a final evaluation's metrics (toy runs: the
    likelihood metrics and the toy metrics of its samples; image runs: also FID (LeNet) and the score)."""
    cfg = trainer.config
    summary = {
        "model": cfg.model, "dataset": cfg.data.name, "seed": cfg.seed, "device": str(trainer.device),
        "steps": steps, "total_steps": trainer.step_count, "seconds": round(seconds, 3),
        "steps_per_second": round(steps / seconds, 1) if seconds > 0 else None,
        "diverged": diverged is not None,
        **{f"train_{key}": _finite_or_none(value) for key, value in trainer.history.last().items()},
    }
    if diverged:
        summary["diverged_message"] = diverged
    metrics = final_metrics(trainer)
    summary.update(metric_values(metrics, LIKELIHOOD_SUMMARY_METRICS))
    if "forward_kl" in summary or "forward_kl" in summary.get("infinite", ()):
        from ganlab.likelihood.kl import kl_method

        summary["kl_method"] = kl_method(cfg.model, cfg.eval_samples, k=metrics.get("importance_samples"))
    if trainer.images:
        summary.update(_image_sample_metrics(trainer))
    return summary


def _image_sample_metrics(trainer) -> dict:
    """FID (LeNet), classifier score and class KL of an image model's eval_samples samples (as a GAN's)."""
    from ganlab.image_eval import evaluate_images

    images = trainer.sample(trainer.config.eval_samples)
    if not torch_isfinite(images):
        return {}
    metrics = evaluate_images(images, trainer.config.data.data_dir)
    return {"data": trainer.dataset.source, **{k: metrics[k] for k in IMAGE_METRICS},
            "metrics_reference": metrics["reference"]}


def metric_values(metrics: dict, keys) -> dict:
    """The JSON-safe metrics among `keys`: NaN (does not apply) left out, an infinite one as null
    with its name listed under "infinite" (KL(p_data || p_g) when the generator drops data)."""
    out, infinite = {}, []
    for key in keys:
        value = metrics.get(key, math.nan)
        if isinstance(value, str) or math.isfinite(value):
            out[key] = int(value) if key == "modes_total" else value
        elif math.isinf(value):
            out[key] = None
            infinite.append(key)
    if infinite:
        out["infinite"] = infinite
    return out


def summarize_images(trainer, steps: int, seconds: float, diverged: str | None) -> dict:
    """An image run's summary: names, timing, the data set used, last losses, FID (LeNet), score, class KL."""
    from ganlab.image_eval import evaluate_images

    cfg = trainer.config
    last = trainer.history.last()
    summary = {
        "model": cfg.model,
        "dataset": cfg.data.name, "data": trainer.dataset.source, "arch": cfg.g.arch, "loss": cfg.loss.name,
        "conditional": cfg.conditional, "info_codes": cfg.info_codes, "seed": cfg.seed,
        "device": str(trainer.device), "steps": steps, "total_steps": trainer.step_count,
        "seconds": round(seconds, 3), "steps_per_second": round(steps / seconds, 2) if seconds > 0 else None,
        "images_per_second": round(steps * cfg.batch_size / seconds, 1) if seconds > 0 else None,
        "diverged": diverged is not None,
        "d_loss": _finite_or_none(last.get("d_loss", math.nan)),
        "g_loss": _finite_or_none(last.get("g_loss", math.nan)),
    }
    if diverged:
        summary["diverged_message"] = diverged
    images = trainer.sample(cfg.eval_samples)
    if torch_isfinite(images):
        metrics = evaluate_images(images, cfg.data.data_dir)
        summary.update({k: metrics[k] for k in IMAGE_METRICS}, metrics_reference=metrics["reference"])
    return summary


def torch_isfinite(tensor) -> bool:
    return bool(tensor.isfinite().all())


def _check_output_path(flag: str, path: str | None) -> None:
    """Refuse, before any training, an output path a save would refuse (ganlab.checkpoint.check_save_target:
    empty, a symlink, an existing non-regular file such as a device node) or in a folder that does not exist."""
    from ganlab.checkpoint import check_save_target

    if path is None:
        return
    try:
        target = check_save_target(path)
    except OSError as err:
        raise UsageError(f"{flag}: cannot write {path!r}: {err.strerror}") from None
    if not target.parent.is_dir():
        raise UsageError(f"{flag}: the folder {str(target.parent)!r} does not exist")


def _train_summary(trainer, done: int, seconds: float, diverged: str | None) -> dict:
    from ganlab.runs import is_image_run

    if trainer.config.model != "gan":
        return summarize_likelihood(trainer, done, seconds, diverged)
    if is_image_run(trainer.config):
        return summarize_images(trainer, done, seconds, diverged)
    return summarize(trainer, done, seconds, diverged)


def cmd_train(args: argparse.Namespace) -> int:
    from ganlab.checkpoint import load_checkpoint, restore_trainer, save_checkpoint
    from ganlab.likelihood import make_trainer
    from ganlab.train import TrainingDiverged

    overrides = _overrides(args)
    for flag in ("save", "export"):
        _check_output_path(f"--{flag}", getattr(args, flag))
    if args.resume:
        loaded = load_checkpoint(args.resume)
        wanted = with_overrides(loaded["config"], overrides)
        trainer = restore_trainer(loaded, config=wanted, device=overrides.get("device"))
    else:
        base = RunConfig()
        if args.config:
            try:
                base = from_json(Path(args.config).read_text())
            except OSError as err:
                raise UsageError(f"--config: cannot read {args.config!r}: {err.strerror}") from None
        elif overrides.get("data.name") in IMAGE_DATASETS:
            base = with_overrides(base, {"data.name": overrides["data.name"], **IMAGE_DEFAULTS})
        trainer = make_trainer(with_overrides(base, overrides))
    if args.export is not None and trainer.config.model != "gan":
        raise UsageError(f"--export writes a GAN's generator file; model {trainer.config.model!r} has none "
                         "(save the whole run with --save)")

    show_progress = not args.quiet and not args.json
    diverged = None
    first_step, done, started = trainer.step_count, 0, time.perf_counter()
    try:
        while done < args.steps:
            chunk = min(trainer.check_every, args.steps - done)
            trainer.step(chunk)
            done += chunk
            if show_progress:
                _progress(done, args.steps, started, trainer.history.last())
    except TrainingDiverged as err:
        diverged = str(err)
        done = trainer.step_count - first_step  # steps kept: the run is back at its last good state
    seconds = time.perf_counter() - started
    if show_progress:
        sys.stderr.write("\n")
    summary = _train_summary(trainer, done, seconds, diverged)
    if args.save is not None:
        try:
            save_checkpoint(trainer, args.save, {"command": args.command_line, "steps_run": done})
        except OSError as err:
            raise UsageError(f"--save: cannot write {args.save!r}: {err.strerror}") from None
        summary["checkpoint"] = str(args.save)
    if args.export is not None:
        summary["generator_file"] = _export(trainer, args.export, summary, args.command_line)
    if args.json:
        print(json.dumps(summary))
    else:
        print(_format_summary(summary) if trainer.config.model == "gan" else _format_likelihood_summary(summary))
    return 0


# summary keys copied into an exported generator's model card
CARD_KEYS = ("dataset", "data", "arch", "loss", "conditional", "info_codes", "seed", "device", "steps",
             "seconds", "steps_per_second", "images_per_second", "diverged")
# metrics of the generator alone (no D): the toy ones that need no discriminator, then the image ones
_D_METRICS = ("estimate", "reference", "reference_se", "reference_floor", "d_real", "d_fake")
GENERATOR_METRICS = (*(k for k in SUMMARY_METRICS if k not in _D_METRICS),
                     *(k for k in IMAGE_METRICS if k not in SUMMARY_METRICS), "metrics_reference")


def _export(trainer, path: str, summary: dict, command: str) -> str:
    """Write the generator-only file and its model card (command, data, steps, time, device, metrics)."""
    from ganlab.generator_file import export_generator

    card = {"command": command,
            **{k: summary[k] for k in CARD_KEYS if k in summary},
            "eval_samples": trainer.config.eval_samples,
            "metrics": {k: summary[k] for k in GENERATOR_METRICS if k in summary}}
    try:
        export_generator(trainer, path, card)
    except OSError as err:
        raise UsageError(f"--export: cannot write {path!r}: {err.strerror}") from None
    return str(path)


def _number(summary: dict, key: str, digits: int) -> str:
    """A summary value for text: "inf" for an infinite one (null in the JSON)."""
    value = summary.get(key)
    return "inf" if value is None else f"{value:.{digits}f}"


def _with_error(summary: dict, key: str) -> str:
    value = summary.get(key)
    if value is None:
        return "inf"
    se = summary.get(f"{key}_se")
    return f"{value:.4f} ± {se:.4f}" if se is not None else f"{value:.4f}"


def _estimate_lines(summary: dict) -> list[str]:
    """D's own estimate beside the sample estimate of the same divergence, and why a critic's can be < 0."""
    line = f"  D's estimate of {summary['divergence']}: {summary['estimate']:.4f}"
    if "reference" in summary or "reference" in summary.get("infinite", ()):
        floor = summary.get("reference_floor")
        floor_text = f"; a perfect generator reads {floor:.4f}" if floor is not None else ""
        what = "exact W1" if is_wasserstein(summary["divergence_id"]) else "sample estimate"
        line += f" ({what} {_with_error(summary, 'reference')}{floor_text})"
    lines = [line]
    if is_wasserstein(summary["divergence_id"]) and summary["estimate"] < 0:
        lines.append("    (negative: E f(real) - E f(fake) is a lower bound on W1 only for the best 1-Lipschitz "
                     "critic f; an untrained or lagging critic can score the fakes higher)")
    return lines


def _sample_lines(summary: dict) -> list[str]:
    """The text lines of the metrics of a model's samples (modes, W1, divergences, FID, precision) and of
    the files written, for a GAN's summary and a likelihood model's alike."""
    lines = []
    if "modes_covered" in summary:
        spread = summary.get("modes_covered_sd", 0.0)
        lines.append(f"  modes covered {summary['modes_covered']:.2f} ± {spread:.2f} "
                     f"of {summary['modes_total']}, high quality {100 * summary['hq_fraction']:.1f} "
                     f"± {100 * summary.get('hq_fraction_sd', 0.0):.1f} %, "
                     f"mode KL {_number(summary, 'mode_kl', 3)} "
                     f"(mean ± sd over {MODE_DRAWS} draws of the evaluation size)")
    if "w1" in summary:
        floor = f"; two real samples: {summary['w1_floor']:.4f}" if "w1_floor" in summary else ""
        lines.append(f"  W1 to the data {summary['w1']:.4f} (exact, {W1_SAMPLES} vs {W1_SAMPLES} samples{floor})")
    if "jsd" in summary:
        lines.append(f"  JSD {_with_error(summary, 'jsd')} nats (in [0, log 2]), TV {_with_error(summary, 'tv')}: "
                     f"sample estimates at kernel width h = {summary['divergence_bandwidth']:.3g}; "
                     f"a perfect generator reads {summary['jsd_floor']:.4f} and {summary['tv_floor']:.4f}")
    if "fid_lenet" in summary:
        lines.append(f"  data: {summary['data']}")
        lines.append(f"  FID (LeNet) {summary['fid_lenet']:.2f}, "
                     f"classifier score {summary['classifier_score']:.2f} (of 10), "
                     f"class KL {summary['class_kl']:.3f} (vs {summary['metrics_reference']})")
    if "precision" in summary:
        space = "LeNet features" if "fid_lenet" in summary else "the plane"
        lines.append(f"  precision {summary['precision']:.3f}, recall {summary['recall']:.3f} "
                     f"(k-NN, k=3, 1,000 points, in {space})")
    if "checkpoint" in summary:
        lines.append(f"  saved {summary['checkpoint']}")
    if "generator_file" in summary:
        lines.append(f"  exported the generator to {summary['generator_file']} (model card beside it)")
    return lines


def _format_likelihood_summary(summary: dict) -> str:
    """A VAE's or a flow's summary as text."""
    lines = [f"ganlab train: {summary['dataset']} / {summary['model']} (seed {summary['seed']}, "
             f"{summary['device']})",
             f"  steps {summary['steps']} (total {summary['total_steps']}) in {summary['seconds']:.1f} s, "
             f"{summary['steps_per_second']} steps/s"]
    if summary["diverged"]:
        lines.append(f"  DIVERGED: {summary['diverged_message']}")
    what = "negative log-likelihood" if summary["model"] == "flow" else "-(recon - beta KL)"
    unit = "nats per image" if summary["dataset"] in IMAGE_DATASETS else "nats per point"
    if summary.get("train_loss") is not None:
        lines.append(f"  training loss {summary['train_loss']:.4f} ({what} of the last batch, {unit})")
    if "test_log_likelihood" in summary:
        k = summary.get("importance_samples")
        how = "exact" if k is None else f"importance sampling, k = {k:,.0f}"
        own = summary.get("data_log_likelihood")
        own_text = f"; the data's own: {own:.4f}" if own is not None else ""
        lines.append(f"  test log-likelihood {_with_error(summary, 'test_log_likelihood')} {unit} "
                     f"({how}{own_text})")
    if "elbo" in summary:
        lines.append(f"  ELBO {_with_error(summary, 'elbo')} = recon {summary['recon']:.4f} "
                     f"- KL {summary['kl']:.4f} "
                     "(beta = 1: a lower bound on the log-likelihood)")
    if "kl_method" in summary:
        lines.append(f"  KL(p_data || p_model) {_with_error(summary, 'forward_kl')}, KL(p_model || p_data) "
                     f"{_with_error(summary, 'reverse_kl')} nats ({summary['kl_method']})")
    lines.extend(_sample_lines(summary))
    return "\n".join(lines)


def _format_summary(summary: dict) -> str:
    lines = [f"ganlab train: {summary['dataset']} / {summary['loss']} (seed {summary['seed']}, "
             f"{summary['device']})",
             f"  steps {summary['steps']} (total {summary['total_steps']}) in {summary['seconds']:.1f} s, "
             f"{summary['steps_per_second']} steps/s"]
    if summary["diverged"]:
        lines.append(f"  DIVERGED: {summary['diverged_message']}")
    for key in ("d_loss", "g_loss"):
        if summary.get(key) is not None:
            lines.append(f"  {key} {summary[key]:.4f}")
    if summary.get("estimate") is not None:
        lines.extend(_estimate_lines(summary))
    lines.extend(_sample_lines(summary))
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate a saved run or generator file: toy metrics, or FID (LeNet), score and class KL for images.

    A generator file has no trained discriminator, so only generator metrics are reported for it.
    """
    from ganlab.checkpoint import parse_payload, read_payload, restore_trainer
    from ganlab.generator_file import generator_from_payload, is_generator_payload, trainer_with_generator
    from ganlab.runs import is_image_run

    samples = OPTIONS["eval_samples"]
    if args.samples is not None and not samples.allows(args.samples):
        raise UsageError(f"--samples must be {samples.describe()}, got {args.samples}")
    payload = read_payload(args.checkpoint)
    generator_only = is_generator_payload(payload)
    if generator_only:
        trainer = trainer_with_generator(generator_from_payload(payload, repr(args.checkpoint)))
    else:
        trainer = restore_trainer(parse_payload(payload, repr(args.checkpoint)))
    del payload
    cfg = trainer.config
    if cfg.model != "gan":
        return _eval_likelihood(args, trainer)
    out = {"checkpoint": args.checkpoint, "dataset": cfg.data.name, "loss": cfg.loss.name,
           "steps": trainer.step_count, "device": str(trainer.device)}
    if is_image_run(cfg):
        from ganlab.image_eval import evaluate_images

        out["data"] = trainer.dataset.source
        values = evaluate_images(trainer.sample(args.samples or cfg.eval_samples), cfg.data.data_dir)
        values["metrics_reference"] = values.pop("reference")
    else:
        if args.samples:
            cfg.eval_samples = args.samples
        values = trainer.evaluate()
    keys = GENERATOR_METRICS if generator_only else (*values.keys(),)
    out.update(metric_values(values, keys))
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


def _eval_likelihood(args: argparse.Namespace, trainer) -> int:
    """`eval` of a VAE's or a flow's checkpoint: its likelihood metrics and the metrics of its samples."""
    cfg = trainer.config
    if args.samples:
        cfg.eval_samples = args.samples
    out = {"checkpoint": args.checkpoint, "model": cfg.model, "dataset": cfg.data.name,
           "steps": trainer.step_count, "device": str(trainer.device)}
    values = trainer.evaluate()
    out.update(metric_values(values, LIKELIHOOD_SUMMARY_METRICS))
    if "forward_kl" in out or "forward_kl" in out.get("infinite", ()):
        from ganlab.likelihood.kl import kl_method

        out["kl_method"] = kl_method(cfg.model, cfg.eval_samples, k=values.get("importance_samples"))
    if trainer.images:
        out.update(_image_sample_metrics(trainer))
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


def cmd_train_classifier(args: argparse.Namespace) -> int:
    from ganlab.classifier import CLASSIFIER_PATH, save_classifier, train_classifier

    if not 1 <= args.epochs <= MAX_CLASSIFIER_EPOCHS:
        raise UsageError(f"--epochs must be an integer in [1, {MAX_CLASSIFIER_EPOCHS}], got {args.epochs}")
    out = Path(args.out) if args.out is not None else CLASSIFIER_PATH
    _check_output_path("--out", str(out))
    model, card = train_classifier(epochs=args.epochs, seed=args.seed, data_dir=args.data_dir)
    card["command"] = args.command_line
    try:
        save_classifier(model, card, out)
    except OSError as err:
        raise UsageError(f"--out: cannot write {str(out)!r}: {err.strerror}") from None
    print(json.dumps({**card, "path": str(out)}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ganlab",
                                     description="ganlab: a GAN laboratory, headless.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_list_parser(sub)
    _add_train_parser(sub)
    _add_eval_parser(sub)
    _add_classifier_parser(sub)
    _add_sweep_parser(sub)
    return parser


def _add_list_parser(sub: argparse._SubParsersAction) -> None:
    """The `list` subcommand: every registered name."""
    p_list = sub.add_parser("list", help="print every model, dataset, loss, regulariser, trick, architecture and "
                            "optimiser")
    p_list.add_argument("--json", action="store_true", help="one JSON object instead of text")
    p_list.set_defaults(func=cmd_list)


def _add_train_parser(sub: argparse._SubParsersAction) -> None:
    """The `train` subcommand: run, network and trick options, then config input and outputs."""
    p = sub.add_parser("train", help="train a GAN (or, with --model vae or flow, a likelihood model) headless",
                       description="Train a GAN, a VAE or a RealNVP flow (--model) on a toy data set or MNIST.")
    p.add_argument("--steps", type=int, default=3000, help="iterations to run (default 3000)")
    cli_flags.add_option_flags(p)
    _add_train_io_arguments(p)
    p.set_defaults(func=cmd_train)


def _add_train_io_arguments(p: argparse.ArgumentParser) -> None:
    """`train` options of regularisers and config overrides, checkpoints and exports, and the output."""
    p.add_argument("--reg", action="append", metavar="NAME[=VALUE]",
                   help=f"add a regulariser ({', '.join(REGULARIZERS)}); repeatable")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="set any option by dotted path, e.g. data.radius=2 or g_opt.lr=1e-4")
    p.add_argument("--config", help="start from a JSON config file")
    p.add_argument("--save", help="write a checkpoint here at the end")
    p.add_argument("--resume", help="continue from this checkpoint (options given must match it)")
    p.add_argument("--export", help="write a generator-only file (for the Latent Explorer) and its model card "
                   "(PATH with .json) here at the end")
    p.add_argument("--json", action="store_true", help="print one JSON summary line last")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_eval_parser(sub: argparse._SubParsersAction) -> None:
    """The `eval` subcommand: score a saved checkpoint or generator file."""
    p_eval = sub.add_parser("eval", help="evaluate a saved checkpoint or generator file "
                            "(toy metrics, or FID (LeNet) for images; a VAE's or a flow's likelihood metrics)")
    p_eval.add_argument("--checkpoint", required=True)
    p_eval.add_argument("--samples", type=int,
                        help="generated samples to evaluate (default: the run's eval_samples)")
    p_eval.add_argument("--json", action="store_true")
    p_eval.set_defaults(func=cmd_eval)


def _add_classifier_parser(sub: argparse._SubParsersAction) -> None:
    """The `train-classifier` subcommand: the MNIST LeNet behind FID (LeNet)."""
    p_cls = sub.add_parser("train-classifier", help="train the MNIST LeNet behind FID (LeNet) and the score; "
                           "writes checkpoints/mnist_classifier.pt and its model card")
    p_cls.add_argument("--epochs", type=int, default=30)
    p_cls.add_argument("--seed", type=int, default=0)
    p_cls.add_argument("--data-dir", dest="data_dir",
                       help="folder with torchvision's MNIST (else the offline subset)")
    p_cls.add_argument("--out", help="where to write the weights (default checkpoints/mnist_classifier.pt)")
    p_cls.set_defaults(func=cmd_train_classifier)


def _add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    """The `sweep` subcommand: its arguments come from ganlab.sweep."""
    from ganlab import sweep

    p_sweep = sub.add_parser("sweep", help="train every combination of datasets, losses, seeds (and variants); "
                             "print mean ± standard error per (dataset, loss), write a CSV")
    sweep.add_arguments(p_sweep)
    p_sweep.set_defaults(func=sweep.run_from_args)


def main(argv: list[str] | None = None) -> int:
    from ganlab.checkpoint import CheckpointError

    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = "python -m ganlab " + shlex.join(sys.argv[1:] if argv is None else argv)
    if getattr(args, "steps", 1) is not None and getattr(args, "steps", 1) < 0:
        parser.exit(2, f"{parser.prog}: error: --steps must be >= 0, got {args.steps}\n")
    try:
        return args.func(args)
    except (ConfigError, CheckpointError, UsageError, ValueError) as err:
        parser.exit(2, f"{parser.prog} {args.command}: error: {err}\n")
    return 0
