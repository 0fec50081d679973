"""One browser session's MNIST Lab run (no streamlit here): the Trainer, play/pause/step/reset,
periodic image metrics, D's outputs on a real and a fake batch, and saving. In the app (`background`) a
playing run trains in a worker process (ganlab.runtime) and each live tick brings the page's copy up to
date (all but the optimisers; a save takes the whole state); any command takes the run back first. A run
trains at most the operator's GANLAB_MNIST_MAX_STEPS steps (ganlab.operator_settings), then pauses itself
and says why.

The image metrics (FID (LeNet), classifier score, precision / recall... of METRIC_SAMPLES digits) are a job
(ganlab.runtime.jobs, ganlab.ui.mnist_scoring): the server copies G's sampling weights and a process of its
own draws and scores the digits; the row comes back with the step the weights were taken at. One scoring
per session at a time: a metrics step crossed while one is pending starts none; the first tick after it
returns starts the next if the run is `metrics_every` steps past the last one's step by then (on a fast
run, rows further apart than `metrics_every`)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ganlab import operator_settings
from ganlab.checkpoint import checkpoint_bytes, save_checkpoint
from ganlab.config import RunConfig, diff
from ganlab.image_eval import IMAGE_METRIC_TITLES
from ganlab.run_cost import check_live_cost
from ganlab.runtime.group import RunSpec
from ganlab.runtime.jobs import job_runner
from ganlab.runtime.pool import RemoteGroup, Ticket, WorkerLost, start_or_queue, stop_quietly, take_remote
from ganlab.train import Trainer, TrainingDiverged
from ganlab.ui.mnist_scoring import METRIC_SAMPLES, sampling_weights, score_generator, scoring_failed

TICK_SECONDS = 0.6
MNIST_DIVERGED_ADVICE = "Lower the learning rates or change the loss, then Play again, or Reset."
TRAIN_BUDGET = 0.4


@contextmanager
def as_in_a_training_step(*modules: torch.nn.Module | None):
    """The modules in training mode (batch norm on each batch's own statistics, as in a training step)
    without moving their state: every buffer (running statistics, power-iteration vectors) is put back."""
    saved = [(m, m.training, [b.clone() for b in m.buffers()]) for m in modules if m is not None]
    for module, _, _ in saved:
        module.train()
    try:
        yield
    finally:
        for module, was_training, buffers in saved:
            for buffer, kept in zip(module.buffers(), buffers, strict=True):
                buffer.copy_(kept)
            module.train(was_training)


@dataclass
class MnistSession:
    """The state the MNIST Lab keeps in st.session_state; any config change starts a new run.

    The page's live fragment trains (tick) while a full rerun of the page may read or replace the run
    (Pause, Step, the checkpoint download, a new config): each of those takes `lock`, and tick takes it
    for each short chunk of steps, so they take turns.
    """

    config: RunConfig
    trainer: Trainer = field(init=False)
    playing: bool = False
    error: str | None = None
    notice: str | None = None
    metrics_every: int = 500
    metrics: list[dict] = field(default_factory=list)
    max_steps: int = field(default_factory=lambda: operator_settings.current().mnist_max_steps)
    """The step at which the run pauses itself (the operator's GANLAB_MNIST_MAX_STEPS)."""
    background: bool = False  # train in a worker process while playing (the app); False: in tick() (tests)
    lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False, compare=False)
    remote: RemoteGroup | None = field(default=None, init=False, repr=False, compare=False)  # training there
    queue_position: int | None = field(default=None, init=False)  # waiting for a training slot (1: next)
    scoring: Future | None = field(default=None, init=False, repr=False, compare=False)  # the pending job
    scoring_step: int | None = field(default=None, init=False)  # the step of the digits it scores
    metrics_mark: int = field(default=0, init=False)  # the step of the last scoring started (the next is due
    # metrics_every steps later)
    metrics_error: str | None = field(default=None, init=False)  # the last scoring's failure, said once
    _ticket: Ticket = field(default_factory=Ticket, init=False, repr=False, compare=False)

    def __post_init__(self):
        self.trainer = Trainer(self.config)  # validates the config (a library boundary)

    def set_config(self, config: RunConfig) -> bool:
        """Start a new run when `config` (a validated one) differs; returns whether it did. ConfigError, and
        no change, when one iteration would cost more than a live run may (ganlab.run_cost)."""
        if not diff(self.config, config):
            return False
        check_live_cost(config)
        self.config = config
        self.reset(notice=f"New run: {', '.join(diff(self.trainer.config, config)) or 'settings'} changed.")
        return True

    def reset(self, notice: str | None = "Reset: a new run from step 0.") -> None:
        with self.lock:
            self.close()  # a run in a worker stops there
            old = self.trainer
            same_data = old.config.data.data_dir == self.config.data.data_dir
            self.trainer = Trainer(self.config, data=old.dataset if same_data else None)
        self.playing = False
        self.error = None
        self.metrics = []  # close() dropped a pending scoring: a score of the run before is not this run's
        self.notice = notice

    def config_changes(self) -> list[tuple[int, str]]:
        """The run's mid-run config changes [(step, "option: old -> new")] for the charts' markers: what
        the trainer keeps."""
        changes = self.trainer.config_changes
        return [(int(step), str(text)) for step, text in changes]

    def _guard(self, action) -> None:
        try:
            with self.lock:
                action()
        except TrainingDiverged as err:
            self.playing = False
            self.error = f"{err}. {MNIST_DIVERGED_ADVICE}"

    def steps_left(self) -> int:
        """Steps the run may still train before it reaches `max_steps`."""
        return max(self.max_steps - self.trainer.step_count, 0)

    def limit_notice(self) -> str:
        return (f"Paused at step {self.max_steps:,}, the most an MNIST Lab run may train on this server (the "
                "operator's limit GANLAB_MNIST_MAX_STEPS). Download a checkpoint to keep the run, or Reset to "
                "start a new one.")

    def _stopped_at_limit(self) -> bool:
        """Whether the run has reached `max_steps`; if so it is paused and the notice says why."""
        if self.steps_left() > 0:
            return False
        self.playing, self.notice = False, self.limit_notice()
        return True

    def play(self) -> None:
        """Train on each live tick (in the app: in a worker, from now on); the last notice (a reset, a new
        run) has been seen and goes. At the step limit the run stays paused and the notice says so."""
        with self.lock:
            self.playing, self.error, self.notice = True, None, None
            if not self._stopped_at_limit():
                self._resume()

    def pause(self) -> None:
        with self.lock:
            self.playing = False
            self._bring_home()

    def step(self) -> None:
        """One iteration (D then G), unless the run is at its step limit (the notice says so); the last
        notice goes."""
        self.playing, self.notice = False, None
        with self.lock:
            self._bring_home()
            if not self._stopped_at_limit():
                self._guard(lambda: self.trainer.step(1))

    def _train_chunk(self) -> None:
        """Up to 4 iterations, never past `max_steps` (called with the lock held)."""
        chunk = min(4, self.steps_left())
        if chunk:
            self.trainer.step(chunk)

    def tick(self) -> int:
        """While playing: in the background, bring the local copy up to date with the worker that trains
        the run; in the foreground, train for about TRAIN_BUDGET seconds. Never past `max_steps` (there the
        run pauses itself and the notice says why); evaluate when a metrics step is crossed. Returns the
        steps the run advanced."""
        if not self.playing:
            return 0
        before, start = self.trainer.step_count, time.perf_counter()
        if self.background:
            self._refresh()
        while self.playing and not self.background and time.perf_counter() - start < TRAIN_BUDGET:
            self._guard(self._train_chunk)
            self._stopped_at_limit()
        self.collect_metrics()
        if self.scoring is None and self.trainer.step_count - self.metrics_mark >= self.metrics_every:
            self.evaluate()
        return self.trainer.step_count - before

    def metrics_table(self) -> list[dict]:
        """The metrics rows with titled columns ("Step", "FID (LeNet)", ...), for a table."""
        return [{"Step": row["step"], **{title: row[key] for key, title in IMAGE_METRIC_TITLES.items()
                                         if key in row}} for row in self.metrics]

    def evaluate(self) -> bool:
        """Score the run as it is now: G's sampling weights (copied, milliseconds) go to a job that draws
        METRIC_SAMPLES digits and computes the image metrics in a process of its own (see the module
        docstring); `collect_metrics` appends the row when it is back. Returns False, starting nothing, while
        a scoring is pending."""
        with self.lock:
            if self.scoring is not None:
                return False
            step, (config, state) = self.trainer.step_count, sampling_weights(self.trainer)
            self.scoring = job_runner().submit(score_generator, config, state, METRIC_SAMPLES)
            self.scoring_step, self.metrics_mark, self.metrics_error = step, step, None
            return True

    def collect_metrics(self) -> bool:
        """When the pending scoring is done: its row {"step": the step its digits were drawn at, metric: value},
        appended, or its failure in `metrics_error` (the job's own text). Returns whether one came back."""
        with self.lock:
            future, step = self.scoring, self.scoring_step
            if future is None or not future.done():
                return False
            self.scoring, self.scoring_step = None, None
            try:
                self.metrics.append({"step": step, **future.result()})
            except Exception as err:  # noqa: BLE001 - WorkerError (the job's own error), WorkerLost: said, not raised
                self.metrics_error = scoring_failed(step, err)
            return True

    def scoring_ahead(self) -> int:
        """The pending scoring's place in the job queue (0: running, done, or none pending)."""
        future = self.scoring
        return job_runner().ahead(future) if future is not None else 0

    def _drop_scoring(self) -> None:
        """Forget the pending scoring (a job still queued is cancelled; one running finishes unseen)."""
        if self.scoring is not None:
            self.scoring.cancel()
        self.scoring, self.scoring_step, self.metrics_mark, self.metrics_error = None, None, 0, None

    @torch.no_grad()
    def d_outputs(self, n: int = 256) -> dict[str, np.ndarray]:
        """D's outputs (probabilities for logistic losses, else raw) on a fixed random batch of real digits
        and a batch G makes from fixed noise, as a D step sees them: G and D in training mode (batch norm
        on each batch's own statistics), so they agree with the chart of mean D(real) and D(fake). Leaves
        the run as it was (in turn with training: it moves batch-norm state and puts it back)."""
        with self.lock:
            return self._d_outputs(n)

    def _d_outputs(self, n: int) -> dict[str, np.ndarray]:
        t, problem = self.trainer, self.trainer.problem
        draw = torch.Generator(device=t.device).manual_seed(t.config.seed + 3)  # the same batches every time
        # a random subset, so every class is in it (the data is sorted by label)
        index = torch.randperm(len(problem.labels), generator=draw, device=t.device)[:n]
        real, labels = problem.images[index], problem.labels[index]
        z = torch.randn(len(index), t.config.latent_dim, generator=draw, device=t.device)
        codes = None
        if t.config.conditional:
            codes = labels
        elif t.config.info_codes:
            codes = torch.arange(len(index), device=t.device) % t.config.info_codes
        cond = labels if t.config.conditional else None
        with as_in_a_training_step(t.G, t.D, problem.D_embedding):
            fake = t.G(z, codes)
            real_out, fake_out = problem.discriminate(real, cond), problem.discriminate(fake, cond)
        if t.loss.output == "probability":
            real_out, fake_out = torch.sigmoid(real_out), torch.sigmoid(fake_out)
        return {"real": real_out.cpu().numpy(), "fake": fake_out.cpu().numpy()}

    def file_name(self) -> str:
        """The name a checkpoint of the run now gets unless the user gives one, e.g.
        "mnist-dcgan-nonsaturating-step1200.pt"."""
        return f"mnist-{self.config.g.arch}-{self.config.loss.name}-step{self.trainer.step_count}.pt"

    # --- training in a worker process (the app): ganlab.runtime -----------------------------------------

    def _resume(self) -> None:
        """A playing run goes to a worker, or waits in the queue for a training slot (queue_position)."""
        if not (self.background and self.playing and self.remote is None):
            return
        payload = {"specs": [RunSpec(self.trainer.config, self.trainer.state_dict(), 0)],
                   "timeline_every": 2**62, "max_rate": 1e9, "max_steps": self.max_steps}
        try:
            self.remote, self.queue_position = start_or_queue(self._ticket, payload)
        except WorkerLost as err:
            self._lost(err)

    def _refresh(self, light: bool = True) -> None:
        """The local copy up to date with the worker (`light`: all but the optimisers); starts the run when
        it waited in the queue."""
        with self.lock:
            if self.remote is None:
                self._resume()
                return
            try:
                self._absorb(self.remote.states(light=light), full=not light)
            except WorkerLost as err:
                self._lost(err)

    def _bring_home(self) -> None:
        """The run back from its worker (its whole state loaded here); leaves the queue when waiting."""
        remote = take_remote(self)
        if remote is not None:
            try:
                self._absorb(remote.stop(), full=True)
            except WorkerLost as err:
                self._lost(err)

    def _absorb(self, result: dict, full: bool) -> None:
        """Load a worker's state; a divergence, a failure or the step limit there pause the run, home."""
        self.trainer.load_state_dict(result["states"][0])
        if full:
            self.trainer.rollback.keep()  # the worker checked it
        if not (result["divergence"] or result["failure"] or result["finished"]):
            return
        if self.remote is not None:
            remote, self.remote = self.remote, None
            self.trainer.load_state_dict(remote.stop()["states"][0])
            self.trainer.rollback.keep()
        self.playing = False
        if result["divergence"] is not None:
            self.error = f"{result['divergence'].error()}. {MNIST_DIVERGED_ADVICE}"
        elif result["failure"] is not None:
            self.error = f"Training stopped: {result['failure']}. Press Play to try again, or Reset."
        else:
            self._stopped_at_limit()

    def _lost(self, err: WorkerLost) -> None:
        self.remote, self.queue_position, self.playing = None, None, False
        self.error = (f"Run lost: {err}. The server and the other sessions go on. Press Play to continue from "
                      f"step {self.trainer.step_count}, the last state this page had.")

    def close(self) -> None:
        """The session ended (or a new run starts): the run stops in its worker, without being loaded here;
        a pending scoring is dropped."""
        with self.lock:
            self.playing = False
            stop_quietly(take_remote(self))
            self._drop_scoring()

    def save(self, path: str | Path) -> Path:
        """Write the run's checkpoint to the new file `path` (the caller chose its folder and checked its
        name). An existing file is never overwritten: FileExistsError, and nothing is written."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path.name!r} is already there")
        self._refresh(light=False)  # a playing run's whole state, optimisers included
        with self.lock:
            save_checkpoint(self.trainer, path, {"source": "MNIST Lab"})
        return path

    def checkpoint_bytes(self) -> bytes:
        self._refresh(light=False)  # a playing run's whole state, optimisers included
        with self.lock:
            return checkpoint_bytes(self.trainer, {"source": "MNIST Lab"})
