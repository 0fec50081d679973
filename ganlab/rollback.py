"""The way back from a diverged run: the trainer's last good state, kept at every check, restored when a
loss or a weight turns non-finite (ganlab.train.Trainer.check).

Runs trained in lockstep (ganlab.runtime.group: compare mode's A and B, the GAN, VAE and flow page) must
stay at one step when one of them diverges: their checks keep the state one after the other, so when a
run's check fails, the runs checked before it have already kept the newer step. Such runs keep the state
before the latest one as well (`keep_previous`), and `realign` brings every run of the group back to the
latest step all of them keep."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import Tensor


class TrainingDiverged(RuntimeError):
    """A loss or weight became non-finite; the trainer has been put back to its last good state."""

    def __init__(self, step: int, quantity: str, value: float, restored_step: int):
        super().__init__(f"training diverged at step {step}: {quantity} became {value} "
                         f"(non-finite); the run was restored to its last good state, step {restored_step}")
        self.step = step
        self.quantity = quantity
        self.value = value
        self.restored_step = restored_step


def copy_into(kept, state):
    """A copy of `state` (nested dicts / lists / tuples of tensors and plain values) that reuses the
    tensors of `kept` (an earlier copy) where shape, dtype and device match, so keeping a state at every
    check allocates nothing once the structure is stable."""
    if isinstance(state, Tensor):
        if isinstance(kept, Tensor) and (kept.shape, kept.dtype, kept.device) == (state.shape, state.dtype,
                                                                                   state.device):
            return kept.copy_(state)
        return state.detach().clone()
    if isinstance(state, dict):
        old = kept if isinstance(kept, dict) else {}
        return {key: copy_into(old.get(key), value) for key, value in state.items()}
    if isinstance(state, list | tuple):
        old = kept if isinstance(kept, type(state)) and len(kept) == len(state) else [None] * len(state)
        return type(state)(copy_into(o, value) for o, value in zip(old, state, strict=True))
    return copy.deepcopy(state)


class Rollback:
    """Keeps `trainer.state_dict(include_history=False)` as the last good state; `verify` restores it and
    raises TrainingDiverged when the losses just staged or any weight are non-finite."""

    def __init__(self, trainer, keep_previous: bool = False):
        self.trainer = trainer
        self.keep_previous = keep_previous  # also keep the state before the latest one (lockstep runs)
        self.state: dict | None = None
        self.previous: dict | None = None
        self.keep()

    @property
    def step(self) -> int:
        return int(self.state["step_count"])

    def kept_steps(self) -> list[int]:
        """The steps this run can go back to: the last good state's, and the one before when kept."""
        return [int(s["step_count"]) for s in (self.state, self.previous) if s is not None]

    def keep(self) -> None:
        if self.keep_previous:  # two buffers in turn: the new state overwrites the older one
            self.previous, self.state = self.state, copy_into(self.previous, self.trainer.state_dict(
                include_history=False))
        else:
            self.state = copy_into(self.state, self.trainer.state_dict(include_history=False))

    def restore(self) -> None:
        # a deep copy: loading may hand the kept tensors to the optimisers, which would then change them
        self.trainer.load_state_dict(copy.deepcopy(self.state))

    def go_back_to(self, step: int) -> None:
        """Load the kept state of `step` (one of kept_steps()), keep it as the last good one, and drop the
        histories' rows after it (a run checked past `step` has recorded them)."""
        kept = next(s for s in (self.state, self.previous) if s is not None and int(s["step_count"]) == step)
        self.trainer.load_state_dict(copy.deepcopy(kept))
        for history in (self.trainer.history, self.trainer.metrics):
            truncate_history(history, step)
        self.state, self.previous = copy_into(None, kept), None

    def verify(self, losses: np.ndarray, first_step: int, names: tuple[str, ...]) -> None:
        """losses (rows, len(names)): one row per iteration from `first_step`; then G's and D's weights."""
        bad = ~np.isfinite(losses)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            self._diverge(first_step + int(row), names[col], float(losses[row, col]))
        t = self.trainer
        for name, params in (("G weights", t.g_params), ("D weights", t.d_params)):
            if not all(torch.isfinite(p).all() for p in params):
                self._diverge(t.step_count, name, float("nan"))

    def _diverge(self, step: int, quantity: str, value: float) -> None:
        restored = self.step
        self.restore()
        raise TrainingDiverged(step, quantity, value, restored)


def truncate_history(history, step: int) -> None:
    """Drop a ganlab.history.History's rows after `step`."""
    state = history.state_dict()
    keep = state["steps"] <= step
    if not keep.all():
        history.load_state_dict({**state, "steps": state["steps"][keep], "values": state["values"][keep]})


def realign(trainers: list) -> int | None:
    """Runs trained in lockstep, one of which just diverged (and went back to its last good state): every
    run back to the latest step all of them keep (Rollback.kept_steps; their rollbacks keep_previous), so
    they are at one step again. Returns that step, or None when they keep no common step (left as they are)."""
    common = set.intersection(*(set(t.rollback.kept_steps()) for t in trainers))
    if not common:
        return None
    step = max(common)
    for trainer in trainers:
        if trainer.step_count != step or trainer.rollback.step != step:
            trainer.rollback.go_back_to(step)
    return step
