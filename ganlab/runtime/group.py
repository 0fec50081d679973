"""A group of runs a training worker owns: one Toy Lab run, compare mode's A and B, or the GAN, VAE and flow
of the page that compares them, trained in lockstep (one iteration of each in turn, so all are always at the
same step). Pure Python and torch, no processes: the worker (ganlab.runtime.worker) drives it, and the tests
drive it directly. Each run's trainer comes from ganlab.likelihood.make_trainer (the GAN Trainer, or the
LikelihoodTrainer of a VAE or a flow, by the config's `model`), and its frames from `snapshot_of`.

The group trains at full speed, up to `max_rate` iterations per second (the Toy Lab's speed setting), in
slices of `slice_seconds` so that the worker can answer the server between slices. Every CHECK_EVERY
iterations, and before a frame whose picture is not finite, each trainer checks its staged losses and
weights (ganlab.rollback): a divergence stops the group, the trainer back at its last good state, and the
group says which run it was; the other runs go back to the same step (ganlab.rollback.realign), so the runs
stay in lockstep.
Every `timeline_every` iterations, but at most one every `moment_seconds`, it keeps a timeline moment of every
run (the same moment the Toy Lab keeps: ganlab.ui.toy_timeline), which the server collects with the next frame:
at full speed (hundreds of iterations a second) the Toy Lab's 60 moments then span half a minute, not 9 s,
and keeping them (a snapshot and a copy of the state, ~6 ms) costs the run about 1 % instead of 4 %.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from ganlab.config import RunConfig
from ganlab.data.images import ImageDataset, load_mnist
from ganlab.likelihood import LIKELIHOOD_MODELS, make_trainer
from ganlab.likelihood.snapshot import take_likelihood_snapshot
from ganlab.problems import is_image_run
from ganlab.rollback import TrainingDiverged, realign
from ganlab.toy_snapshot import take_snapshot

CHECK_EVERY = 128      # iterations between divergence checks (each copies the good state)
MOMENT_SECONDS = 0.5   # a playing group keeps timeline moments at most this often
PENDING_MOMENTS = 60   # timeline moments kept for the server, per run, while it does not collect them
OPTIMISER_KEYS = ("g_opt", "d_opt", "opt")  # a light state leaves these out (a GAN's two, a VAE's or flow's one)


def is_likelihood_run(trainer) -> bool:
    """Whether `trainer` trains a VAE or a flow (ganlab.likelihood), not a GAN."""
    return getattr(trainer.config, "model", "gan") in LIKELIHOOD_MODELS


def snapshot_of(trainer, n_samples: int = 128, grid_size: int = 64) -> dict:
    """A live frame's picture of one run, without its histories: the GAN's plane (ganlab.toy_snapshot, D's
    surface on a grid_size grid) or a VAE's or flow's (ganlab.likelihood.snapshot, its density on that grid)."""
    if is_likelihood_run(trainer):
        return take_likelihood_snapshot(trainer, n_samples=n_samples, grid_size=grid_size)
    return take_snapshot(trainer, n_samples=n_samples, grid_size=grid_size, histories=False)


def is_finite_snapshot(snapshot: dict) -> bool:
    """Whether every float array of a frame's `snapshot` is finite (nothing NaN or infinite to draw)."""
    return all(np.isfinite(value).all() for value in snapshot.values()
               if isinstance(value, np.ndarray) and value.dtype.kind == "f")


def moment_snapshot(trainer) -> dict:
    """A timeline moment's picture: the Toy Lab's full snapshot of a GAN, a likelihood run's snapshot."""
    return take_likelihood_snapshot(trainer) if is_likelihood_run(trainer) else take_snapshot(trainer)


@dataclass
class RunSpec:
    """What the server hands a worker to continue one run: its config, its full state, and the step of its
    latest timeline moment (the next one is due `timeline_every` steps later)."""

    config: RunConfig
    state: dict
    last_kept: int


@dataclass
class Divergence:
    """A divergence, as it crosses processes: which run ("A" / "B"), and TrainingDiverged's fields."""

    label: str
    step: int
    quantity: str
    value: float
    restored_step: int

    @classmethod
    def of(cls, label: str, err: TrainingDiverged) -> Divergence:
        return cls(label, err.step, err.quantity, err.value, err.restored_step)

    def error(self) -> TrainingDiverged:
        err = TrainingDiverged(self.step, self.quantity, self.value, self.restored_step)
        err.run_label = self.label
        return err


@dataclass
class RunGroup:
    """Trainers of one session's runs (A, and B in compare mode; or GAN, VAE and flow), trained in lockstep.
    `labels` name the runs in a divergence's message (default "A", "B", "C", ...)."""

    specs: list[RunSpec]
    timeline_every: int = 100
    moment_seconds: float = MOMENT_SECONDS  # and at most one moment this often (0: every timeline_every)
    max_rate: float = 5000.0          # iterations per second at most
    snapshot_samples: int = 128       # points per live frame
    snapshot_grid: int = 64           # D's surface resolution per live frame
    max_steps: int | None = None      # the group stops here (the operator's MNIST limit), None: never
    labels: list[str] | None = None   # each run's name in a divergence (default "A", "B", ...)
    trainers: list = field(init=False)  # ganlab.train.Trainer or ganlab.likelihood's LikelihoodTrainer
    last_kept: list[int] = field(init=False)
    moments: list[list[dict]] = field(init=False)  # per run: moments kept since the server last collected
    divergence: Divergence | None = None
    failure: str | None = None        # an error other than a divergence stopped the group (its text)
    last_frame: float = field(default_factory=lambda: time.monotonic())
    _unchecked: int = 0
    _allowance: float = 1.0           # iterations the rate limit allows now
    _refilled: float = field(default_factory=lambda: time.monotonic())
    _moment_at: float = field(default_factory=lambda: time.monotonic())  # when the latest moment was kept

    def __post_init__(self):
        self.trainers = []
        for spec in self.specs:
            trainer = make_trainer(spec.config, data=image_data(spec.config))
            trainer.load_state_dict(spec.state)
            trainer.rollback.keep()  # the state the server handed over is the last good one
            trainer.rollback.keep_previous = len(self.specs) > 1  # lockstep: a divergence realigns the runs
            self.trainers.append(trainer)
        self.last_kept = [spec.last_kept for spec in self.specs]
        self.moments = [[] for _ in self.specs]
        if self.labels is None or len(self.labels) != len(self.trainers):
            self.labels = [chr(ord("A") + index) for index in range(len(self.trainers))]
        self.specs = []  # the states now live in the trainers

    @property
    def step(self) -> int:
        return self.trainers[0].step_count

    @property
    def finished(self) -> bool:
        """At max_steps: the group trains no further."""
        return self.max_steps is not None and self.step >= self.max_steps

    @property
    def trainable(self) -> bool:
        return self.divergence is None and self.failure is None and not self.finished

    def _refill(self) -> None:
        now = time.monotonic()
        burst = max(1.0, self.max_rate * 0.2)  # at most 0.2 s of iterations saved up
        self._allowance = min(burst, self._allowance + (now - self._refilled) * self.max_rate)
        self._refilled = now

    def train_slice(self, seconds: float) -> int:
        """Iterations of every run, one each at a time, for about `seconds` (at least one when the rate
        allows); then the checks and timeline moments that fell due (a check at the last step of `max_steps`
        too, so a finished run's histories are complete). Returns the iterations done."""
        if not self.trainable:
            return 0
        self._refill()
        start, done = time.perf_counter(), 0
        while (self._allowance >= 1 and not self.finished
               and (done == 0 or time.perf_counter() - start < seconds)):
            for index, trainer in enumerate(self.trainers):
                try:
                    trainer.step(1, check=False)  # a trainer checks by itself every so often
                except TrainingDiverged as err:
                    self._diverged(index, err)
                    return done
            done += 1
            self._allowance -= 1
        self._unchecked += done
        if done:
            due = (self.step - self.last_kept[0] >= self.timeline_every
                   and time.monotonic() - self._moment_at >= self.moment_seconds)
            if due or self._unchecked >= CHECK_EVERY or self.finished:  # a run home at its budget is checked
                self.check()
            if due and self.trainable:
                self.keep_moment()
        return done

    def check(self) -> bool:
        """Check every run's steps since the last check; a divergence stops the group. Returns whether all
        are healthy."""
        for index, trainer in enumerate(self.trainers):
            try:
                trainer.check()
            except TrainingDiverged as err:
                self._diverged(index, err)
                return False
        self._unchecked = 0
        return True

    def _diverged(self, index: int, err: TrainingDiverged) -> None:
        """Run `index` diverged (and went back to its last good state): the group stops, every run back at
        one step (ganlab.rollback.realign: the latest step all keep)."""
        self.divergence = Divergence.of(self.labels[index], err)
        if len(self.trainers) > 1:
            realign(self.trainers)

    def keep_moment(self) -> None:
        """A timeline moment of every run now (its snapshot to draw, its full state to branch from)."""
        for index, trainer in enumerate(self.trainers):
            pending = self.moments[index]
            pending.append({"step": trainer.step_count, "snapshot": moment_snapshot(trainer),
                            "state": copy.deepcopy(trainer.state_dict())})
            del pending[:-PENDING_MOMENTS]
            self.last_kept[index] = trainer.step_count
        self._moment_at = time.monotonic()

    def take_moments(self) -> list[list[dict]]:
        """The moments kept since the last call, per run (oldest first)."""
        moments, self.moments = self.moments, [[] for _ in self.trainers]
        return moments

    def frame(self, grid_size: int | None = None) -> dict:
        """What a live frame shows, D's surface (or a likelihood run's density) on a `grid_size` grid (default
        the group's snapshot_grid) (a snapshot with a NaN or an infinity checks the runs first, and a
        divergence found shows their last good states instead): {"step", "snapshots" (one per
        run, the plane's arrays without the histories: the page's charts read those from `states`),
        "moments" (new, per run), "cpu_seconds" (the snapshots' and any check's CPU time here, for the
        server's frame pacing), "divergence" (a Divergence or None)}. Healthy runs are checked every
        CHECK_EVERY iterations in `train_slice`, not at each frame (a check copies every run's state)."""
        self.last_frame = time.monotonic()
        started = time.thread_time()  # a check is the frame's work too (it copies every run's good state)
        snapshots = self._snapshots(grid_size)
        if self.trainable and not all(map(is_finite_snapshot, snapshots)) and not self.check():
            snapshots = self._snapshots(grid_size)  # diverged: the runs' last good states
        return {"step": self.step, "snapshots": snapshots, "moments": self.take_moments(),
                "cpu_seconds": time.thread_time() - started, **self._status()}

    def _snapshots(self, grid_size: int | None = None) -> list[dict]:
        return [snapshot_of(t, n_samples=self.snapshot_samples, grid_size=grid_size or self.snapshot_grid)
                for t in self.trainers]

    def states(self, light: bool = False) -> dict:
        """Every run's full state now (checked), with the new moments: what the server loads to read the
        histories, or to take the runs back. `light`: without the optimisers' states (a refresh of what a
        page shows: a third of the bytes for Adam; OPTIMISER_KEYS)."""
        if self.divergence is None and self.failure is None:
            self.check()
        states = [t.state_dict() for t in self.trainers]
        if light:
            states = [{k: v for k, v in state.items() if k not in OPTIMISER_KEYS} for state in states]
        return {"step": self.step, "states": states, "moments": self.take_moments(), **self._status()}

    def _status(self) -> dict:
        return {"divergence": self.divergence, "failure": self.failure, "finished": self.finished}


_IMAGE_DATA: dict[str | None, ImageDataset] = {}  # MNIST per data folder, loaded once per worker


def image_data(config: RunConfig) -> ImageDataset | None:
    """The image data set an image run trains on, loaded once per worker process (seconds for MNIST);
    None for a toy run (its data set is built with the run)."""
    if not is_image_run(config):
        return None
    folder = config.data.data_dir
    if folder not in _IMAGE_DATA:
        _IMAGE_DATA[folder] = load_mnist(folder, train=True)
    return _IMAGE_DATA[folder]
