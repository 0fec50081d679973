"""One browser session's Toy Lab run: the trainer, play/pause/step/reset, live config changes, and
the divergence handling. Pure Python (no streamlit) so it is unit-tested directly."""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field

from ganlab.config import RunConfig, diff, validate
from ganlab.train import Trainer, TrainingDiverged

TICK_SECONDS = 0.1        # a playing plane asks for a new frame this often (ganlab.ui.live_feed)
TRAIN_BUDGET = 0.09       # seconds of training per tick, leaving time to draw
MAX_STEPS_PER_TICK = 2000
TIMELINE_LENGTH = 60      # moments kept (snapshot + full state, ~0.2 MB each for the default nets)
WORKER_CHUNK = 16         # steps the background worker trains per hold of the lock
WORKER_CHECK_EVERY = 128  # steps between the worker's divergence checks (each copies the good state)
WORKER_IDLE_STOP = 10.0   # seconds without a drawn frame (tab closed) after which the worker pauses
SHARED_TRAIN_BUDGET = 0.12  # with several sessions playing, each trains at most this / N seconds per frame

_TRAINING: set[int] = set()  # ids of sessions whose worker is training now (process-wide)
_TRAINING_LOCK = threading.Lock()


def sessions_training() -> int:
    """How many sessions' workers are training in this process (for fair sharing of the CPU)."""
    with _TRAINING_LOCK:
        return len(_TRAINING)


def _locked(method):
    """Run a ToySession method holding the session's lock (the worker trains under the same lock)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)
    return wrapper


@dataclass
class ToySession:
    """The state a Toy Lab page keeps in st.session_state.

    `phase` is "d" after Step has done the discriminator half and the generator half is pending.
    """

    config: RunConfig
    trainer: Trainer = field(init=False)
    playing: bool = False
    steps_per_tick: int = 500
    phase: str = "idle"
    notice: str | None = None
    error: str | None = None
    timeline_every: int = 100
    arrow_scale: float | None = None  # the plane's arrow scale, fixed per run (None: set at the next frame)
    timeline: deque = field(default_factory=lambda: deque(maxlen=TIMELINE_LENGTH))
    background: bool = False  # train in a worker thread while playing (the app); False: in tick() (tests)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _worker: threading.Thread | None = field(default=None, init=False, repr=False, compare=False)
    _since_frame: int = field(default=0, init=False, repr=False)
    _checked: int = field(default=0, init=False, repr=False)  # the step of the worker's last divergence check
    _last_frame: float = field(default=0.0, init=False, repr=False)
    _frame_event: threading.Event = field(default_factory=threading.Event, init=False, repr=False, compare=False)
    _may_train: threading.Event = field(default_factory=threading.Event, init=False, repr=False, compare=False)
    _readers: int = field(default=0, init=False, repr=False)
    _readers_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self):
        self.config = validate(self.config)
        self.trainer = Trainer(self.config)
        self._may_train.set()
        self.record()

    @contextmanager
    def reading(self):
        """Hold the run still to read it (draw a frame, take a snapshot): the worker finishes its current
        chunk and waits until every reader is done. Python's locks are not fair, so without this the
        worker, which retakes the lock right after each chunk, can keep a frame waiting for several."""
        with self._readers_lock:
            self._readers += 1
            self._may_train.clear()
        try:
            with self.lock:
                yield self
        finally:
            with self._readers_lock:
                self._readers -= 1
                if self._readers == 0:
                    self._may_train.set()

    # --- controls ----------------------------------------------------------------------------

    def play(self) -> None:
        self.error = None
        self.playing = True

    def pause(self) -> None:
        self.playing = False
        self.join_worker()

    @_locked
    def reset(self) -> None:
        """A fresh run from the current config (step 0)."""
        self.trainer = Trainer(self.config)
        self.playing = False
        self.phase = "idle"
        self.error = None
        self.notice = "Reset: a new run from step 0."
        self.arrow_scale = None
        self.timeline.clear()
        self.record()

    @_locked
    def step_discriminator(self) -> None:
        """First half of Step: one D phase (the surface moves, the samples do not)."""
        self.playing = False
        self._guard(self.trainer.d_phase)
        if self.error is None:
            self.phase = "d"

    @_locked
    def step_generator(self) -> None:
        """Second half of Step: one G phase; completes the iteration (the counter rises by one)."""
        if self.phase != "d":
            return
        self._guard(lambda: (self.trainer.g_phase(), self.trainer.check()))
        self.phase = "idle"

    def tick(self) -> int:
        """One live frame. In the foreground: train for up to TRAIN_BUDGET seconds / steps_per_tick
        steps. In the background: make sure the worker runs and let it train the next steps_per_tick.
        Returns the steps done since the previous frame."""
        if self.background:
            return self._frame_taken()
        if not self.playing:
            return 0
        if self.phase == "d":
            self.step_generator()
        before = self.trainer.step_count
        self._guard(lambda: self.trainer.run(TRAIN_BUDGET, max_steps=self.steps_per_tick))
        if self.trainer.step_count - self.timeline[-1]["step"] >= self.timeline_every:
            self.record()
        return self.trainer.step_count - before

    # --- timeline --------------------------------------------------------------------------------

    @_locked
    def record(self) -> None:
        """Keep this moment: its snapshot (to draw) and full state (to branch from). Bounded."""
        if self.timeline and self.timeline[-1]["step"] == self.trainer.step_count:
            return
        self.timeline.append({"step": self.trainer.step_count, "snapshot": self.trainer.snapshot(),
                              "state": copy.deepcopy(self.trainer.state_dict())})

    @_locked
    def branch(self, index: int) -> None:
        """Go back to timeline moment `index` (weights, optimisers, RNG, histories) and drop later ones."""
        moment = self.timeline[index]
        self.trainer.load_state_dict(copy.deepcopy(moment["state"]))
        while len(self.timeline) > index + 1:
            self.timeline.pop()
        self.playing = False
        self.phase = "idle"
        self.error = None
        self.notice = f"Branched from step {moment['step']}: change a setting and press Play."

    # --- background worker (never calls streamlit) ------------------------------------------------

    def _check(self) -> None:
        """Divergence check of the steps the worker trained since the last one (call holding the lock)."""
        self._guard(self.trainer.check)
        self._checked = self.trainer.step_count

    def _frame_taken(self) -> int:
        with self.reading():
            self._check()  # a frame never shows unchecked (possibly non-finite) weights
            done, self._since_frame = self._since_frame, 0
            self._last_frame = time.monotonic()
            if self.playing and (self._worker is None or not self._worker.is_alive()):
                self._worker = threading.Thread(target=self._work, name="ganlab-toy-trainer", daemon=True)
                self._worker.start()
        self._frame_event.set()
        return done

    def _work(self) -> None:
        with _TRAINING_LOCK:
            _TRAINING.add(id(self))
        try:
            self._train_while_playing()
        finally:
            with self.lock:
                self._check()  # the last steps before a pause
            with _TRAINING_LOCK:
                _TRAINING.discard(id(self))

    def _train_while_playing(self) -> None:
        """Train up to steps_per_tick steps per drawn frame. When N > 1 sessions play at once, each also
        stops after SHARED_TRAIN_BUDGET / N seconds past its last frame, so every page keeps drawing
        (fewer steps per frame) instead of stalling behind the others' training."""
        while True:
            self._may_train.wait(0.5)  # a frame being drawn goes first
            with self.lock:
                if not self.playing or self.error:
                    return
                since = time.monotonic() - self._last_frame
                if since > WORKER_IDLE_STOP:
                    self.playing = False  # nobody is watching: pause rather than burn the CPU
                    return
                room = self.steps_per_tick - self._since_frame
                sharing = sessions_training()
                if sharing > 1 and since > SHARED_TRAIN_BUDGET / sharing:
                    room = 0
                if room > 0:
                    if self.phase == "d":
                        self.step_generator()
                    before = self.trainer.step_count
                    chunk = min(WORKER_CHUNK, room)
                    self.trainer.step(chunk, check=False)
                    self._since_frame += self.trainer.step_count - before
                    unchecked = self.trainer.step_count - self._checked
                    keep = self.trainer.step_count - self.timeline[-1]["step"] >= self.timeline_every
                    if keep or not 0 <= unchecked < WORKER_CHECK_EVERY:
                        self._check()
                    if keep and self.error is None:
                        self.record()
            if room <= 0:
                self._frame_event.wait(0.1)
                self._frame_event.clear()
            else:
                time.sleep(0)  # let the drawing thread take the lock between chunks

    def join_worker(self, timeout: float = 5.0) -> None:
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    def _guard(self, action) -> None:
        try:
            action()
        except TrainingDiverged as err:
            self.playing = False
            self.phase = "idle"
            self.error = (f"{err} Lower the learning rates or change the loss, then press Play to continue "
                          "from that state, or Reset.")

    # --- config ----------------------------------------------------------------------------------

    @_locked
    def set_config(self, config: RunConfig) -> list[str]:
        """Apply a new config: live where possible, else restart. Returns the options that forced a restart."""
        config = validate(config)
        if not diff(self.config, config):
            return []
        restart = self.trainer.apply_config(config)
        self.config = config
        if restart:
            self.trainer = Trainer(config)
            self.phase = "idle"
            self.error = None
            self.timeline.clear()
            self.record()
            self.notice = f"Restarted from step 0: {', '.join(restart)} changed the networks or the data."
            self.arrow_scale = None
        else:
            self.notice = None
        return restart

    def set_speed(self, steps_per_tick: int) -> None:
        self.steps_per_tick = max(1, min(int(steps_per_tick), MAX_STEPS_PER_TICK))

    # --- compare mode -----------------------------------------------------------------------------

    def partner_config(self, overrides: dict[str, str]) -> RunConfig:
        """This run's config with `overrides` (e.g. another loss): same data, networks and seed."""
        from ganlab.config import with_overrides

        return with_overrides(self.config, overrides)


@dataclass
class ComparePair:
    """Two Toy Lab runs trained side by side on the same data and seed; they differ by `overrides`."""

    main: ToySession
    overrides: dict[str, str]
    other: ToySession = field(init=False)

    def __post_init__(self):
        self.other = ToySession(self.main.partner_config(self.overrides), background=self.main.background)

    def sync(self) -> None:
        """Follow the main run's config (keeping the differing options) and its play state and speed."""
        self.other.set_config(self.main.partner_config(self.overrides))
        self.other.playing = self.main.playing
        self.other.steps_per_tick = self.main.steps_per_tick

    def tick(self) -> None:
        self.sync()
        self.main.tick()
        self.other.tick()

    def reset(self) -> None:
        self.main.reset()
        self.other.reset()
