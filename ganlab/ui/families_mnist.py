"""The GAN, VAE and flow page's MNIST section (no streamlit here): a VAE's samples and reconstructions beside a
DCGAN's samples, with the same LeNet metrics for both, and the VAE's likelihood figures (issue 21).

- The shipped models: checkpoints/mnist_vae.pt, a training checkpoint of a convolutional VAE (read with
  weights_only and checked against its config by ganlab.checkpoint), and checkpoints/mnist_dcgan.pt, a
  generator file (ganlab.generator_file). Both were trained by the CLI on the same 4,000 training digits.
- `vae_report` / `gan_report`: what the section shows of one model (`ModelReport`): the first SHOWN_SAMPLES
  of METRIC_SAMPLES samples drawn at SAMPLE_SEED, the LeNet metrics of all METRIC_SAMPLES of them
  (ganlab.image_eval.evaluate_images, the MNIST Lab's and the CLI's metrics), and for a VAE its
  reconstructions of the first held-out digit of each class and its ELBO, the ELBO's two terms and
  the importance-sampled log-likelihood on METRIC_SAMPLES held-out digits (the offline set's 1,000)
  (ganlab.likelihood.evaluation.ImageEvaluator, k = IMAGE_IMPORTANCE_SAMPLES).
- `FreshVAE`: a VAE of the shipped one's options trained from step 0 for FRESH_STEPS steps in a training worker
  (ganlab.runtime: a group of one run, as the other pages' runs), its samples shown as it trains; Cancel
  stops it; once trained it is scored as the shipped one.
- Scoring takes a core for tens of seconds, so the app scores in a process apart from the server
  (ganlab.runtime.jobs): the shipped models once per server and file version (`shipped_reports_job`), a fresh
  VAE once trained (`score_vae`); the page polls and stays usable meanwhile.

Images are (n, 28, 28) grey levels in [0, 1] for display; the models work in [-1, 1].
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganlab.checkpoint import CheckpointError, load_checkpoint, restore_trainer
from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides
from ganlab.generator_file import CHECKPOINT_DIR, LoadedGenerator, load_generator
from ganlab.image_eval import IMAGE_METRIC_TITLES, evaluate_images
from ganlab.likelihood import make_trainer
from ganlab.likelihood.evaluation import ImageEvaluator
from ganlab.model_card import read_card_file
from ganlab.problems import is_image_run
from ganlab.runtime.group import RunSpec
from ganlab.runtime.jobs import job_runner
from ganlab.runtime.pool import Ticket, WorkerLost, start_or_queue, stop_quietly, take_remote
from ganlab.ui.families_session import LocalGroup
from ganlab.viz.image_grid import tile

SHIPPED_VAE = CHECKPOINT_DIR / "mnist_vae.pt"
SHIPPED_GAN = CHECKPOINT_DIR / "mnist_dcgan.pt"
METRIC_SAMPLES = 1000        # generated digits per model for the LeNet metrics; held-out digits for the ELBO
SHOWN_SAMPLES = 32           # samples shown per model (four rows of eight)
SAMPLE_SEED = 2024           # the latents of every model's samples
FRESH_STEPS = 500            # a fresh VAE's training budget
LIVE_SAMPLES = 16            # samples in each frame of a training fresh VAE
# the shipped VAE's options (its checkpoint's config, checked by a test); a fresh VAE trains with the same
VAE_OPTIONS = {"model": "vae", "data.name": "mnist", **IMAGE_DEFAULTS, "device": "cpu", "seed": "0",
               "vae.arch": "conv", "vae.width": "64", "vae.latent_dim": "8", "vae.decoder": "bernoulli",
               "batch_size": "128", "g_opt.lr": "0.001", "g_opt.beta1": "0.9", "eval_every": "0",
               "d_opt.lr": "0.001", "d_opt.beta1": "0.9"}  # --lr and --beta1 set both; the VAE uses g_opt
LIKELIHOOD_KEYS = ("elbo", "elbo_se", "recon", "kl", "test_log_likelihood", "test_log_likelihood_se",
                   "importance_samples")


def vae_config() -> RunConfig:
    """The validated config of the shipped VAE's run (VAE_OPTIONS)."""
    return with_overrides(RunConfig(), VAE_OPTIONS)


def file_key(path: Path) -> tuple[str, int, int]:
    """(path, modification time in ns, size): a cache key that changes when the file does."""
    stat = Path(path).stat()
    return str(path), stat.st_mtime_ns, stat.st_size


def to_display(images: Tensor) -> np.ndarray:
    """(n, 1, 28, 28) in [-1, 1] -> (n, 28, 28) grey levels in [0, 1]."""
    return ((images[:, 0].detach().float().cpu().numpy() + 1.0) / 2.0).clip(0.0, 1.0)


def load_vae(path: Path = SHIPPED_VAE):
    """The shipped VAE's trainer (ganlab.likelihood.trainer.LikelihoodTrainer) on the CPU, from its training
    checkpoint (torch.load with weights_only, every tensor checked against its config). CheckpointError for a
    file that is not a VAE trained on images."""
    loaded = load_checkpoint(path)
    config = loaded["config"]
    if config.model != "vae" or not is_image_run(config):
        raise CheckpointError(f"{Path(path).name} holds a {config.model} run on {config.data.name}, not a VAE "
                              "trained on MNIST")
    return restore_trainer(loaded, device="cpu")


def load_gan(path: Path = SHIPPED_GAN) -> LoadedGenerator:
    """The shipped DCGAN's generator (weights_only, checked: ganlab.generator_file.load_generator)."""
    return load_generator(path)


@dataclass
class ModelReport:
    """What the MNIST section shows of one model (the module docstring says how each is computed)."""

    title: str                        # the column heading: "VAE", "DCGAN", "Fresh VAE"
    kind: str                         # "vae" or "gan"
    source: str                       # which file or run, and its steps
    step: int
    samples: np.ndarray               # (SHOWN_SAMPLES, 28, 28) in [0, 1]
    lenet: dict[str, float]           # IMAGE_METRIC_TITLES' keys, on METRIC_SAMPLES samples
    reference: str                    # the held-out digits the LeNet metrics compare with
    n_samples: int = METRIC_SAMPLES
    likelihood: dict[str, float] | None = None  # LIKELIHOOD_KEYS (a VAE), on n_samples held-out digits
    originals: np.ndarray | None = None         # (10, 28, 28): a held-out digit of each class (a VAE)
    reconstructions: np.ndarray | None = None   # ... and the VAE's reconstruction of each
    test_indices: list[int] | None = None       # which held-out digits those are


def _lenet(images: Tensor, data_dir: str | None) -> tuple[dict[str, float], str]:
    metrics = evaluate_images(images, data_dir)
    return {key: float(metrics[key]) for key in IMAGE_METRIC_TITLES}, metrics["reference"]


def first_of_each_digit(labels: Tensor) -> list[int]:
    """The index of the first example of each digit 0-9 present in `labels` (the held-out set is sorted by digit
    in the offline subset: its first ten are all zeros)."""
    return [int(torch.nonzero(labels == digit)[0]) for digit in range(10) if bool((labels == digit).any())]


@torch.no_grad()
def reconstruct(trainer) -> tuple[list[int], Tensor, Tensor]:
    """(indices, digits, reconstructions): the first held-out digit of each class (first_of_each_digit), and the
    decoder's mean at the encoder's posterior mean E_q[z | x] (no sampling noise) for each; (n, 1, 28, 28) in
    [-1, 1]."""
    model, test = trainer.model, trainer.test_data()
    indices = first_of_each_digit(test.labels)
    digits = test.images[indices].to(trainer.device)
    return indices, digits, model.decoded_mean(model.decoder(model.posterior_mean(digits))).clamp(-1.0, 1.0)


@torch.no_grad()
def vae_samples(trainer, n: int = METRIC_SAMPLES, seed: int = SAMPLE_SEED) -> Tensor:
    """(n, 1, 28, 28) in [-1, 1]: the decoder's means of n latents z ~ N(0, I) drawn with `seed`."""
    return trainer.sample(n, seed=seed).cpu()


@torch.no_grad()
def gan_samples(loaded: LoadedGenerator, n: int = METRIC_SAMPLES, seed: int = SAMPLE_SEED) -> Tensor:
    """(n, 1, 28, 28) in [-1, 1]: G(z) of n latents z ~ N(0, I) drawn with `seed`."""
    return loaded.generate(loaded.random_z(n, seed))


def vae_likelihood(trainer, n: int = METRIC_SAMPLES) -> dict[str, float]:
    """ELBO (+ se), its two terms, the importance-sampled log-likelihood (+ se) and k, nats per digit, on n
    held-out digits (ImageEvaluator: all of them, or a fixed subset; its own seeded draws, so the same numbers
    every time)."""
    values = ImageEvaluator(trainer, n).evaluate()
    return {key: float(values[key]) for key in LIKELIHOOD_KEYS}


def vae_report(trainer, title: str, source: str, n: int = METRIC_SAMPLES) -> ModelReport:
    """A VAE's report: samples, LeNet metrics, reconstructions and likelihood figures (see the docstring)."""
    samples = vae_samples(trainer, n)
    lenet, reference = _lenet(samples, trainer.config.data.data_dir)
    indices, originals, recon = reconstruct(trainer)
    return ModelReport(title, "vae", source, int(trainer.step_count), to_display(samples[:SHOWN_SAMPLES]), lenet,
                       reference, n, vae_likelihood(trainer, n), to_display(originals), to_display(recon), indices)


def gan_report(loaded: LoadedGenerator, title: str, source: str, n: int = METRIC_SAMPLES) -> ModelReport:
    """A GAN generator's report: samples and LeNet metrics (a GAN has no likelihood, nor an encoder)."""
    samples = gan_samples(loaded, n)
    lenet, reference = _lenet(samples, loaded.config.data.data_dir)
    steps = int(loaded.card.get("steps") or 0)
    return ModelReport(title, "gan", source, steps, to_display(samples[:SHOWN_SAMPLES]), lenet, reference, n)


def _source(path: Path, steps: int) -> str:
    """Which shipped file, its steps and its training time (from its model card)."""
    seconds = (read_card_file(path) or {}).get("seconds")
    source = f"checkpoints/{path.name}, {steps:,} steps"
    if not seconds:
        return source
    took = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
    return f"{source} ({took} on a CPU)"


def shipped_reports() -> list[ModelReport]:
    """The shipped VAE's and DCGAN's reports (tens of seconds: the app runs it as a job, shipped_reports_job)."""
    vae, gan = load_vae(), load_gan()
    return [vae_report(vae, "VAE", _source(SHIPPED_VAE, vae.step_count)),
            gan_report(gan, "DCGAN", _source(SHIPPED_GAN, int(gan.card.get("steps") or 0)))]


def shipped_reports_job() -> Future:
    """shipped_reports() in a process apart from the server, once per version of the two files (file_key: a
    changed file is scored again); OSError now for a missing file. The Future's exception is a WorkerError
    naming the job's own (a damaged file's CheckpointError), or WorkerLost."""
    key = ("shipped_reports", file_key(SHIPPED_VAE), file_key(SHIPPED_GAN))
    return job_runner().cached(key, shipped_reports)


def score_vae(config: RunConfig, state: dict, title: str, source: str) -> ModelReport:
    """vae_report of the VAE of `config` with its trainer's `state` (a job: ganlab.runtime.jobs)."""
    trainer = make_trainer(config)
    trainer.load_state_dict(state)
    return vae_report(trainer, title, source)


# --- what the page shows: images and captions -----------------------------------------------------------

RECONSTRUCTION_CAPTION = ("Top: the first held-out digit of each class, 0 to 9 (never trained on); bottom: the "
                          "VAE's reconstruction of each, the decoder's mean at the encoder's posterior mean "
                          "E_q[z | x].")


def grid_image(images: np.ndarray, cols: int) -> np.ndarray:
    """(n, 28, 28) in [0, 1] -> one uint8 sheet, `cols` digits a row (ganlab.viz.image_grid.tile)."""
    return (tile(images, cols) * 255).round().astype(np.uint8)


def reconstruction_image(report: ModelReport) -> np.ndarray:
    """The held-out digits in the first row, each one's reconstruction below it (uint8)."""
    both = np.concatenate([report.originals, report.reconstructions])
    return grid_image(both, len(report.originals))


def sample_caption(report: ModelReport) -> str:
    """What a model's sample grid shows."""
    what = ("the decoder's means E[x | z] = 2σ(logits) − 1" if report.kind == "vae" else
            "the generator's (EMA) digits G(z)")
    return (f"{len(report.samples)} of the {report.n_samples:,} samples scored below: {what}, z ~ N(0, I) "
            f"(seed {SAMPLE_SEED})")


def fresh_status(fresh: FreshVAE) -> str:
    """One line on where the fresh VAE stands."""
    if fresh.status == "idle":
        return ("Not trained yet. Train starts a VAE from scratch in a training worker process; the rest of "
                "the page stays usable, and Cancel stops it.")
    if fresh.status == "queued":
        return (f"Waiting for a training slot (number {fresh.queue_position} in the queue, GANLAB_MAX_RUNS): "
                "it starts by itself.")
    if fresh.status == "training":
        elbo = "" if not math.isfinite(fresh.train_elbo) else \
            f"; ELBO of the latest training batch {fresh.train_elbo:.1f} nats per digit"
        return f"Training: step {fresh.step:,} of {fresh.steps:,}{elbo}."
    if fresh.status in ("trained", "scoring"):
        return (f"Trained: scoring it on {METRIC_SAMPLES:,} digits in a process of its own (half a minute on one "
                "core); the rest of the page stays usable.")
    if fresh.status == "done":
        return (f"Trained here for {fresh.step:,} steps, then scored as the shipped ones (the table's last "
                "column). Train again for another from scratch.")
    return fresh.message or fresh.status


def table_caption(reports: list[ModelReport]) -> str:
    """How the table's numbers were computed."""
    n, reference = reports[0].n_samples, reports[0].reference
    return (f"LeNet metrics (ganlab.image_eval, ganlab's own LeNet, not Inception: not comparable with published "
            f"FIDs) of {n:,} samples of each model against the {reference}; the model cards in checkpoints/ give "
            f"them on 5,000 samples, so they differ a little. The VAE's rows are per digit, in nats, on "
            f"{n:,} held-out digits (± standard error); log p(x) by importance sampling (Burda et al. "
            "2016: a lower bound in expectation, tighter than the ELBO). The decoder is a Bernoulli on grey "
            "levels, a cross-entropy rather than a normalised density, so these are not comparable with "
            "binarised-MNIST figures. A GAN has no density: —.")


# --- the table ----------------------------------------------------------------------------------------

LENET_NOTES = {  # what each LeNet metric measures (ganlab.image_eval, ganlab.metrics.manifold), on LeNet features
    "fid_lenet": "lower is better", "classifier_score": "confident, varied digits score high",
    "class_kl": "0: every digit as often", "precision": "samples among real digits (k = 3)",
    "recall": "real digits among samples (k = 3)", "density": "about 1 for real digits (k = 5)",
    "coverage": "real digits near a sample (k = 5)"}
# (key, row title, note): LaTeX with \mid and \Vert, since a "|" would split a markdown table's cell
LIKELIHOOD_ROWS = (("elbo", r"ELBO $=$ recon $-$ KL", r"a lower bound on $\log p(x)$"),
                   ("recon", r"recon $= \mathbb{E}_{q}[\log p(x \mid z)]$", r"one draw of $z \sim q(z \mid x)$"),
                   ("kl", r"KL $= \mathrm{KL}(q(z \mid x) \Vert p(z))$", "closed form"),
                   ("test_log_likelihood", r"$\log p(x)$, importance sampled",
                    r"$k$ draws of $q(z \mid x)$ per digit"))


def _cell(value: float | None, digits: int, se: float | None = None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    shown = f"{value:,.{digits}f}" + (f" ± {se:.{digits}f}" if se is not None and math.isfinite(se) else "")
    return shown.replace(" ", "\u00a0")  # one line: "-119.0 ± 1.2" is not wrapped


def metrics_table(reports: list[ModelReport]) -> str:
    """A markdown table: one column per model, the LeNet metrics, then the VAE's likelihood figures ("—" for a
    model that has none: a GAN has no density)."""
    lines = ["| metric | " + " | ".join(r.title for r in reports) + " | note |",
             "|---|" + "---:|" * len(reports) + "---|"]
    for key, title in IMAGE_METRIC_TITLES.items():
        digits = 1 if key == "fid_lenet" else 3
        lines.append(f"| {title} | " + " | ".join(_cell(r.lenet.get(key), digits) for r in reports)
                     + f" | {LENET_NOTES[key]} |")
    for key, title, note in LIKELIHOOD_ROWS:
        if key == "test_log_likelihood":
            ks = {int(r.likelihood["importance_samples"]) for r in reports if r.likelihood}
            note = note.replace("$k$", f"$k = {', '.join(map(str, sorted(ks)))}$" if ks else "$k$")
        se = {"elbo": "elbo_se", "test_log_likelihood": "test_log_likelihood_se"}.get(key)
        lines.append(f"| {title} | " + " | ".join(
            _cell(r.likelihood.get(key), 1, r.likelihood.get(se) if se else None) if r.likelihood else "—"
            for r in reports) + f" | nats per digit: {note} |")
    return "\n".join(lines)


# --- a fresh VAE, trained in a worker ---------------------------------------------------------------------

@dataclass
class FreshVAE:
    """A VAE with the shipped one's options trained from step 0 for `steps` steps (see the module docstring).

    `status`: "idle", "queued" (waiting for a training slot), "training", "trained" (its weights home, to be
    scored: the next `poll` scores it), "scoring" (in a job's process), "done" (`report` set), "cancelled" or
    "failed" (`message` says why). `background` False (the tests) trains in this process, through the same run
    group, a slice per `poll`, and scores here.
    """

    steps: int = FRESH_STEPS
    background: bool = False
    status: str = "idle"
    step: int = 0
    images: np.ndarray | None = None  # the latest frame's samples (LIVE_SAMPLES, 28, 28)
    train_elbo: float = math.nan      # the latest checked training batch's ELBO
    message: str | None = None
    report: ModelReport | None = None
    trainer: object = field(default=None, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    remote: object = field(default=None, repr=False, compare=False)
    queue_position: int | None = None
    _ticket: Ticket = field(default_factory=Ticket, repr=False, compare=False)
    _scoring: Future | None = field(default=None, repr=False, compare=False)

    @property
    def running(self) -> bool:
        """Training, waiting to, or being scored: the page polls, and Train waits."""
        return self.status in ("queued", "training", "trained", "scoring")

    def start(self) -> None:
        """A new VAE from step 0 (the one before, if any, is stopped and dropped)."""
        with self.lock:
            self.close()
            self.trainer = make_trainer(vae_config())
            self.status, self.step, self.images, self.report, self.message = "queued", 0, None, None, None
            self.train_elbo = math.nan
            self._launch()

    def _payload(self) -> dict:
        return {"specs": [RunSpec(self.trainer.config, self.trainer.state_dict(), 0)], "timeline_every": 2**62,
                "max_rate": 1e9, "snapshot_samples": LIVE_SAMPLES, "max_steps": self.steps, "labels": ["VAE"]}

    def _launch(self) -> None:
        if not self.background:
            self.remote, self.status = LocalGroup(self._payload()), "training"
            return
        try:
            self.remote, self.queue_position = start_or_queue(self._ticket, self._payload())
        except WorkerLost as err:
            self._fail(f"the training worker was lost ({err})")
            return
        self.status = "training" if self.remote is not None else "queued"

    def poll(self) -> None:
        """While training: the latest frame (step, samples); home once at `steps` (status "trained"). Once
        trained: scored (in the background, a job: "scoring", then "done" when it is back)."""
        with self.lock:
            if self.status == "trained":
                self._start_scoring()
            if self.status == "scoring":
                self._take_score()
            if self.status == "queued":
                self._launch()
            if self.status != "training":
                return
            try:
                frame = self.remote.frame()
            except WorkerLost as err:
                self._fail(f"the training worker was lost ({err})")
                return
            snap = frame["snapshots"][0]
            self.step, self.images, self.train_elbo = int(frame["step"]), snap["images"], snap["train_elbo"]
            if frame["divergence"] is not None or frame["failure"] is not None:
                stop_quietly(take_remote(self))
                reason = frame["divergence"].error() if frame["divergence"] is not None else frame["failure"]
                self._fail(f"training stopped: {reason}")
            elif frame["finished"]:
                self._bring_home()

    def _bring_home(self) -> None:
        remote = take_remote(self)
        try:
            states = remote.stop()["states"]
        except WorkerLost as err:
            self._fail(f"the training worker was lost ({err})")
            return
        self.trainer.load_state_dict(states[0])
        self.step, self.status = self.trainer.step_count, "trained"

    def score(self) -> ModelReport:
        """The trained VAE's report (tens of seconds), as the shipped one's, scored in this process; status
        "done"."""
        with self.lock:
            if self.status != "trained":
                raise RuntimeError(f"nothing to score: the fresh VAE is {self.status}")
            self.report = vae_report(self.trainer, *self._titles())
            self.status = "done"
            return self.report

    def _titles(self) -> tuple[str, str]:
        return "Fresh VAE", f"trained here, {self.step:,} steps"

    def _start_scoring(self) -> None:
        if not self.background:
            self.score()
            return
        self._scoring = job_runner().submit(score_vae, self.trainer.config, self.trainer.state_dict(),
                                            *self._titles())
        self.status = "scoring"

    def _take_score(self) -> None:
        future = self._scoring
        if future is None or not future.done():
            return
        self._scoring = None
        try:
            self.report, self.status = future.result(), "done"
        except Exception as err:  # noqa: BLE001 - WorkerError (the job's own error) or WorkerLost: said, not raised
            self._fail(f"scoring failed ({err})")

    def cancel(self) -> None:
        """Stop training (or scoring); the run is dropped (status "cancelled", at the step it had reached)."""
        with self.lock:
            if self.running:
                self.close()
                self._scoring = None  # a score still coming is not shown
                self.status, self.message = "cancelled", f"Cancelled at step {self.step:,} of {self.steps:,}."

    def close(self) -> None:
        """The session ended (or a new VAE starts): the group stops in its worker, nothing is brought home."""
        with self.lock:
            stop_quietly(take_remote(self))

    def _fail(self, reason: str) -> None:
        self.remote, self.queue_position = None, None
        self.status, self.message = "failed", f"The fresh VAE: {reason}. Train again to start over."


__all__ = ["FRESH_STEPS", "METRIC_SAMPLES", "RECONSTRUCTION_CAPTION", "SAMPLE_SEED", "SHIPPED_GAN", "SHIPPED_VAE",
           "SHOWN_SAMPLES", "VAE_OPTIONS", "FreshVAE", "ModelReport", "file_key", "first_of_each_digit",
           "fresh_status", "gan_report", "grid_image", "load_gan", "load_vae", "metrics_table", "reconstruct",
           "reconstruction_image", "sample_caption", "score_vae", "shipped_reports", "shipped_reports_job",
           "table_caption", "to_display",
           "vae_config", "vae_likelihood", "vae_report"]
