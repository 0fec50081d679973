"""The way back from a diverged run: the trainer's last good state, kept at every check, restored when a
loss or a weight turns non-finite (ganlab.train.Trainer.check)."""

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

    def __init__(self, trainer):
        self.trainer = trainer
        self.state: dict | None = None
        self.keep()

    @property
    def step(self) -> int:
        return int(self.state["step_count"])

    def keep(self) -> None:
        self.state = copy_into(self.state, self.trainer.state_dict(include_history=False))

    def restore(self) -> None:
        # a deep copy: loading may hand the kept tensors to the optimisers, which would then change them
        self.trainer.load_state_dict(copy.deepcopy(self.state))

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
