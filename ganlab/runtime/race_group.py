"""The Divergences page's race (ganlab.theory.race.Race) as a worker's group: its six runners train at full
speed in a worker process (ganlab.runtime.worker), round-robin with the worker's other groups, one runner
iteration at a time, and W1 to the data is measured every MEASURE_EVERY steps, so the curve does not depend
on the machine's speed. A runner that diverges stops alone with its message and the others go on (a RunGroup
stops the whole group, so the race has a group of its own). The race ends at its `max_steps`
(ganlab.theory.race.RACE_STEPS): its histories hold at most max_steps / MEASURE_EVERY + 1 rows per loss.

The duck interface WorkerState needs: trainable, last_frame, failure, max_rate, train_slice(seconds),
frame(payload), states(light).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ganlab.theory.race import Race

MEASURE_EVERY = 25  # steps between two measurements of W1 (the resolution of the page's curve)


class RaceGroup:
    """A race a worker trains. `settings`: Race's keyword arguments (Race.settings()); `state`: a
    Race.state() to continue from (None: a fresh race)."""

    def __init__(self, settings: dict, state: dict | None = None, measure_every: int = MEASURE_EVERY):
        self.race = Race(**settings, state=state)
        self.measure_every = max(1, int(measure_every))
        self.failure: str | None = None  # an error other than a runner's divergence stopped the race (its text)
        self.max_rate = math.inf  # the worker's "rate": a race always trains at full speed
        self.last_frame = time.monotonic()
        self._turn = 0

    @property
    def step(self) -> int:
        return self.race.measured

    @property
    def trainable(self) -> bool:
        return self.failure is None and not self.race.finished

    @property
    def until(self) -> int:
        """The step of the next measurement."""
        return min(self.race.measured + self.measure_every, self.race.max_steps)

    def train_slice(self, seconds: float) -> int:
        """Runner iterations, one runner at a time in turn, for about `seconds` (at least one piece of
        work); a measurement when every running runner has reached the next one's step. Returns the pieces
        of work done (iterations and measurements)."""
        if not self.trainable:
            return 0
        race, start, done = self.race, time.perf_counter(), 0
        while self.trainable and (done == 0 or time.perf_counter() - start < seconds):
            until = self.until
            behind = [loss for loss in race.running if race.trainers[loss].step_count < until]
            if behind:
                self._turn = (self._turn + 1) % len(behind)
                race.advance(behind[self._turn], 1, until)
            else:
                race.measure()
            done += 1
        return done

    def frame(self, have: dict[str, int] | None = None) -> dict:
        """What the page draws: {"step" (the latest measurement's), "rows" (per loss, a (k, 2) array of the
        (step, W1) rows after the first `have[loss]` the page has: only what is new), "stopped" (loss ->
        message), "finished", "failure", "max_steps"}."""
        self.last_frame = time.monotonic()
        have = have or {}
        rows = {loss: np.array(history[have.get(loss, 0):], dtype=float).reshape(-1, 2)
                for loss, history in self.race.history.items()}
        return {"step": self.race.measured, "rows": rows, **self._status()}

    def states(self, light: bool = False) -> dict:
        """The race's whole state (Race.state(), every runner's unchecked steps checked first), to continue
        elsewhere, with the status of `frame` ({"step", "race", "stopped", "finished", ...}). `light` is
        ignored: a race's state is always whole (about 1.3 MB)."""
        if self.failure is None:
            self.race.check()
        return {"step": self.race.measured, "race": self.race.state(), **self._status()}

    def _status(self) -> dict:
        return {"stopped": dict(self.race.stopped), "finished": self.race.finished, "failure": self.failure,
                "max_steps": self.race.max_steps}
