"""One browser session's Toy Lab run: the trainer, play/pause/step/reset, live config changes, and
the divergence handling. Pure Python (no streamlit) so it is unit-tested directly.

In the app (`background`) a playing run trains in a worker process (ganlab.runtime; the hand-off is
ganlab.ui.toy_handoff); in tests and scripts, tick() trains it here.

Compare mode (ComparePair): run A trains run B in lockstep. Every command on A (play, pause, step, reset,
branch) acts on both, A's group in the worker trains both by the same steps, and both keep their
timeline moments at the same steps, so at any moment a reader sees A and B at the same step. The session's
Lockstep holds run B and acts on both runs; each run's kept moments are a Timeline (ganlab.ui.toy_timeline)."""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from ganlab.config import RunConfig, diff
from ganlab.live_config import apply_config
from ganlab.run_cost import check_live_cost
from ganlab.runtime.pool import RemoteGroup, Ticket, WorkerLost
from ganlab.train import Trainer, TrainingDiverged
from ganlab.ui.held_alarms import HeldAlarms
from ganlab.ui.toy_handoff import TICK_SECONDS, RunsInWorker
from ganlab.ui.toy_timeline import Timeline

TRAIN_BUDGET = 0.09       # seconds of training per tick in the foreground (tests, no worker)
MAX_STEPS_PER_TICK = 2000
TIMELINE_LENGTH = 60      # moments kept (snapshot + full state, ~0.2 MB each for the default nets)
DIVERGED_ADVICE = ("Lower the learning rates or change the loss, then press Play to continue from that state, "
                   "or Reset.")  # ends the message a divergence shows


def _command(method):
    """A command that changes the runs (reset, Step, branch, a config change, ...): run inside
    ToySession.holding(), so it acts on the runs at home."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.holding():
            return method(self, *args, **kwargs)
    return wrapper


def _labelled(label: str, action):
    """action(); a divergence it raises says which run of a pair it was in."""
    try:
        return action()
    except TrainingDiverged as err:
        err.run_label = label
        raise


class Lockstep:
    """The runs a session's commands and worker act on, A then B: the session itself (`lead`, run A) and, in
    compare mode, its `partner` (run B). Both get the same work, so they stay at the same step; a divergence
    in either takes both back to the latest step both keep on their timelines. Call holding A's lock."""

    def __init__(self, lead: ToySession):
        self.lead = lead
        self.partner: ToySession | None = None

    def runs(self) -> list[ToySession]:
        """Run A and, in compare mode, run B."""
        return [self.lead] if self.partner is None else [self.lead, self.partner]

    def set_playing(self, playing: bool) -> None:
        for run in self.runs():
            run.playing = playing

    def set_phase(self, phase: str) -> None:
        for run in self.runs():
            run.phase = phase

    def each(self, action) -> None:
        """action(trainer) for each run, A then B (the same work, so both stay at the same step)."""
        for label, run in zip("AB", self.runs(), strict=False):
            _labelled(label, lambda run=run: action(run.trainer))

    def train_for_budget(self) -> None:
        """Train A for up to TRAIN_BUDGET seconds / steps_per_tick steps, then B (if any) by the same steps."""
        lead = self.lead
        done = _labelled("A", lambda: lead.trainer.run(TRAIN_BUDGET, max_steps=lead.steps_per_tick))
        if self.partner is not None:
            _labelled("B", lambda: self.partner.trainer.step(done))

    def common_step(self, at_most: int) -> int | None:
        """The latest step <= at_most that every run keeps on its timeline."""
        kept = set.intersection(*(run.timeline.steps() for run in self.runs()))
        earlier = [step for step in kept if step <= at_most]
        return max(earlier) if earlier else None

    def go_back_to(self, step: int) -> None:
        """Every run back to its timeline moment at `step` (which each must keep), paused; later moments
        dropped."""
        for run in self.runs():
            run.timeline.go_back_to(step, run.trainer)
            run.alarms.clear()  # they were read after that step
            run.playing = False
            run.phase = "idle"

    def recover(self, err: TrainingDiverged) -> str:
        """After a divergence: every run paused; a pair goes back to the latest step both keep (or restarts),
        so A and B stay at the same step. Returns the message that says what happened."""
        self.set_playing(False)
        self.set_phase("idle")
        if self.partner is None:
            return f"{err}. {DIVERGED_ADVICE}"
        step = self.common_step(min(run.trainer.step_count for run in self.runs()))
        if step is None:
            self.lead.reset()
            kept = "both restarted from step 0"
        else:
            self.go_back_to(step)
            kept = f"both went back to step {step}, the latest moment both keep"
        return f"Run {getattr(err, 'run_label', 'A')}: {err}. To stay in step, A and B {kept}. {DIVERGED_ADVICE}"


@dataclass
class ToySession(RunsInWorker):
    """The state a Toy Lab page keeps in st.session_state.

    `phase` is "d" after Step has done the discriminator half and the generator half is pending.
    `partner` is run B of a compare pair (trained in lockstep by this run, see Lockstep); `leader` is set
    on run B.
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
    timeline: Timeline = field(default_factory=lambda: Timeline(maxlen=TIMELINE_LENGTH))
    background: bool = False  # train in a worker process while playing (the app); False: in tick() (tests)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    leader: ToySession | None = field(default=None, repr=False, compare=False)
    lockstep: Lockstep = field(init=False, repr=False, compare=False)
    remote: RemoteGroup | None = field(default=None, init=False, repr=False, compare=False)  # training there
    lost: bool = field(default=False, init=False)  # the worker that trained the run died
    queue_position: int | None = field(default=None, init=False)  # waiting for a training slot (1: next)
    shown_step: int = field(default=0, init=False)  # the step of the latest live frame
    live_snap: dict | None = field(default=None, init=False, repr=False, compare=False)  # that frame's A snapshot
    alarms: HeldAlarms = field(default_factory=HeldAlarms, init=False, repr=False, compare=False)  # shown playing
    _ticket: Ticket = field(default_factory=Ticket, init=False, repr=False, compare=False)
    _depth: int = field(default=0, init=False, repr=False)  # commands in progress (see _command)
    _refreshed: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self):
        self.trainer = Trainer(self.config)  # validates the config (a library boundary) and keeps its own copy
        self.lockstep = Lockstep(self)
        self.timeline.keep(self.trainer)

    @property
    def partner(self) -> ToySession | None:
        """Run B of a compare pair (None alone)."""
        return self.lockstep.partner

    @property
    def step(self) -> int:
        """The run's step now: the latest live frame's while a worker trains it."""
        lead = self.leader or self
        return max(lead.shown_step, self.trainer.step_count) if lead.remote else self.trainer.step_count

    @contextmanager
    def reading(self):
        """Hold the runs still to read them (draw a frame, take a snapshot): the session's lock (run B of a
        pair holds its leader's)."""
        with self.lock:
            yield self

    # --- controls ----------------------------------------------------------------------------

    def play(self) -> None:
        with self.lock:
            self.error = None
            self.lost = False
            self.lockstep.set_playing(True)
            self._resume()

    def pause(self) -> None:
        with self.lock:
            self.lockstep.set_playing(False)
            self._bring_home()

    @_command
    def reset(self, notice: str = "Reset: a new run from step 0.") -> None:
        """A fresh run from the current config (step 0); in compare mode both runs."""
        for run in self.lockstep.runs():
            run._fresh_trainer()
        self.notice = notice

    def _fresh_trainer(self) -> None:
        self.trainer = Trainer(self.config)
        self.playing = False
        self.phase = "idle"
        self.error = None
        self.arrow_scale = None
        self.lost = False
        self.timeline.clear()
        self.timeline.keep(self.trainer)
        self.alarms.clear()

    @_command
    def step_discriminator(self) -> None:
        """First half of Step: one D phase (the surface moves, the samples do not); both runs of a pair."""
        self.lockstep.set_playing(False)
        self._guard(lambda: self.lockstep.each(lambda trainer: trainer.d_phase()))
        if self.error is None:
            self.lockstep.set_phase("d")

    @_command
    def step_generator(self) -> None:
        """Second half of Step: one G phase; completes the iteration (the counter rises by one)."""
        if self.phase == "d":
            self._finish_step()

    def _finish_step(self) -> None:
        self._guard(lambda: self.lockstep.each(lambda trainer: (trainer.g_phase(), trainer.check())))
        self.lockstep.set_phase("idle")

    def tick(self) -> int:
        """In the foreground (no worker: tests, scripts): train for up to TRAIN_BUDGET seconds /
        steps_per_tick steps; returns the steps done. In the background the worker trains: 0."""
        if self.background or not self.playing:
            return 0
        if self.phase == "d":
            self.step_generator()
        before = self.trainer.step_count
        self._guard(self.lockstep.train_for_budget)
        if self.error is None and self.timeline.due(self.trainer.step_count, self.timeline_every):
            self.record()
        return max(0, self.trainer.step_count - before)

    # --- compare mode: run B in lockstep ----------------------------------------------------------

    @_command
    def pair_with(self, other: ToySession) -> None:
        """Make `other` run B of a compare pair: trained, stepped, reset and branched with this run, under
        this run's lock (so a reader of either sees both at the same step)."""
        with self.lock:
            other.pause()
            if self.partner is not None and self.partner is not other:
                self.unpair()
            self.lockstep.partner, other.leader, other.lock = other, self, self.lock
            other.playing = self.playing

    @_command
    def unpair(self) -> None:
        """Leave compare mode: run B stops and is no longer trained."""
        with self.lock:
            other = self.partner
            if other is None:
                return
            other.playing = False
            other.leader, other.lock, self.lockstep.partner = None, threading.RLock(), None

    def partner_config(self, overrides: dict[str, str]) -> RunConfig:
        """This run's config with `overrides` (e.g. another loss): same data, networks and seed."""
        from ganlab.config import with_overrides

        config = with_overrides(self.config, overrides)
        check_live_cost(config, "run B: ")  # a `vs=` link meets the same limits as the widgets
        return config

    # --- timeline --------------------------------------------------------------------------------

    @_command
    def record(self) -> None:
        """Keep this moment (of both runs of a pair): its snapshot (to draw) and full state (to branch
        from). Bounded."""
        for run in self.lockstep.runs():
            run.timeline.keep(run.trainer)

    @_command
    def branch(self, index: int) -> None:
        """Go back to timeline moment `index` (weights, optimisers, RNG, histories) and drop later ones;
        in compare mode run B goes back to the same step."""
        step = self.lockstep.common_step(self.timeline[index]["step"])
        if step is None:  # run B does not keep it (cannot happen while both record together)
            self.reset()
            return
        self.lockstep.go_back_to(step)
        self.error = None
        self.notice = f"Branched from step {step}: change a setting and press Play."

    def _guard(self, action) -> None:
        """Run a training action; a divergence pauses (both runs of a pair, which go back to the latest step
        both keep: Lockstep.recover) and says what happened."""
        try:
            action()
        except TrainingDiverged as err:
            self.error = self.lockstep.recover(err)

    # --- config ----------------------------------------------------------------------------------

    def set_config(self, config: RunConfig) -> list[str]:
        """Apply a new config, a validated one (with_overrides, from_dict or validate made it): live where
        possible, else restart. Returns the options that forced a restart. ConfigError, and no change, when
        one iteration would cost more than a live run may (ganlab.run_cost). The same config (every page run
        passes it) changes nothing: a playing run stays in its worker."""
        if not diff(self.config, config):
            return []
        return self._change_config(config)

    @_command
    def _change_config(self, config: RunConfig) -> list[str]:
        if not diff(self.config, config):
            return []
        check_live_cost(config, "run B: " if self.leader is not None else "")
        restart = apply_config(self.trainer, config)
        self.config = config
        if restart:
            playing = self.playing
            self._fresh_trainer()
            self.playing = playing
            self.notice = f"Restarted from step 0: {', '.join(restart)} changed the networks or the data."
        else:
            self.notice = None
        return restart

    def set_speed(self, steps_per_tick: int) -> None:
        """Steps per frame interval (TICK_SECONDS): a worker trains at most steps_per_tick / TICK_SECONDS
        iterations per second."""
        with self.lock:
            self.steps_per_tick = max(1, min(int(steps_per_tick), MAX_STEPS_PER_TICK))
            if self.remote is not None:
                try:
                    self.remote.set_rate(self.steps_per_tick / TICK_SECONDS)
                except WorkerLost as err:
                    self._lost(err)


@dataclass
class ComparePair:
    """Two Toy Lab runs trained in lockstep on the same data, seed and fixed noise; they differ by
    `overrides`. Run A (`main`) drives: its commands and its worker act on both (ToySession.pair_with), so
    A and B are at the same step at every frame. A run already under way restarts from step 0 with B."""

    main: ToySession
    overrides: dict[str, str]
    other: ToySession = field(init=False)

    def __post_init__(self):
        other = ToySession(self.main.partner_config(self.overrides), background=self.main.background)
        with self.main.holding():
            self.main.pair_with(other)
            self.other = other
            if self.main.trainer.step_count or self.main.phase != "idle":
                self.main.reset(notice="Compare mode: A and B start together from step 0 (same seed, same "
                                "fixed noise) and advance in step.")

    def set_config(self, config: RunConfig) -> list[str]:
        """Apply `config` to A and (with the overrides) to B; returns the options that restarted A. Raises
        ConfigError, changing neither run, when either config is invalid."""
        from ganlab.config import with_overrides

        check_live_cost(with_overrides(config, self.overrides), "run B: ")  # raises before either run changes
        if not diff(self.main.config, config):
            return []  # nothing changes (B's follows A's): a playing pair stays in its worker
        with self.main.holding():
            restart = self.main.set_config(config)
            self.sync(restart)
            return restart

    def sync(self, restarted: list[str] | tuple = ()) -> None:
        """Follow the main run's config (keeping the differing options). When only one of the two had to
        restart (say an option B pins changed A's networks), both restart, so they stay in step."""
        with self.main.holding():
            restart = self.other.set_config(self.main.partner_config(self.overrides))
            self.other.playing = self.main.playing and self.main.error is None
            if self.other.trainer.step_count != self.main.trainer.step_count:
                changed = ", ".join(dict.fromkeys([*restarted, *restart])) or "a change"
                self.main.reset(notice=f"Restarted A and B from step 0: {changed} changed the networks or the "
                                "data (both restart, so they stay in step).")

    def tick(self) -> None:
        """One live frame of A, which trains both."""
        self.main.tick()

    def reset(self) -> None:
        self.main.reset()
