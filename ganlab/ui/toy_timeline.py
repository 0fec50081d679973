"""A Toy Lab run's timeline: the moments kept while it trains, to scrub back through and to branch from."""

from __future__ import annotations

import copy
from collections import deque

from ganlab.toy_snapshot import take_snapshot


class Timeline(deque):
    """The kept moments of one run, oldest first (a deque: give it a maxlen to bound it). Each moment is a
    dict: its "step", its "snapshot" (to draw) and its full "state" (to branch from)."""

    def keep(self, trainer) -> None:
        """Keep the trainer's moment now, unless the latest kept moment is already at its step."""
        if self and self[-1]["step"] == trainer.step_count:
            return
        self.append({"step": trainer.step_count, "snapshot": take_snapshot(trainer),
                     "state": copy.deepcopy(trainer.state_dict())})

    def due(self, step: int, every: int) -> bool:
        """Whether `step` is at least `every` steps past the latest kept moment."""
        return step - self[-1]["step"] >= every

    def moment_at(self, step: int) -> int | None:
        """The index of the moment kept at `step`, or None."""
        return next((i for i, m in enumerate(self) if m["step"] == step), None)

    def steps(self) -> set[int]:
        """The steps of the kept moments."""
        return {m["step"] for m in self}

    def go_back_to(self, step: int, trainer) -> None:
        """Load the moment kept at `step` (which must be kept) into `trainer`: weights, optimisers, RNG and
        histories; the later moments are dropped."""
        index = self.moment_at(step)
        trainer.load_state_dict(copy.deepcopy(self[index]["state"]))
        while len(self) > index + 1:
            self.pop()
