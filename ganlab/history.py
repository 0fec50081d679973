"""A bounded history of scalar series: a run of a million steps keeps as many points as one of ten
thousand, by keeping every `stride`-th record and doubling the stride whenever the buffer fills."""

from __future__ import annotations

import numpy as np


class History:
    """Named float series indexed by step, holding at most `capacity` rows.

    Rows are kept at a stride that doubles (dropping every other kept row) when full, so the whole
    run stays visible at decreasing resolution. Memory is fixed at construction: capacity x columns.
    """

    def __init__(self, columns: tuple[str, ...], capacity: int = 2000):
        if capacity < 2:
            raise ValueError("history capacity must be at least 2")
        self.columns = tuple(columns)
        self.capacity = capacity
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._values = np.full((capacity, len(columns)), np.nan, dtype=np.float64)
        self._size = 0
        self.stride = 1

    def __len__(self) -> int:
        return self._size

    def extend(self, steps: np.ndarray, values: np.ndarray) -> None:
        """Add rows: steps (n,) increasing, values (n, len(columns)); keeps those on the stride."""
        steps = np.asarray(steps, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64).reshape(len(steps), len(self.columns))
        for step, row in zip(steps, values, strict=True):
            if step % self.stride:
                continue
            if self._size == self.capacity:
                self._compact()
                if step % self.stride:
                    continue
            self._steps[self._size] = step
            self._values[self._size] = row
            self._size += 1

    def _compact(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self._steps[: self._size] % self.stride == 0)
        self._steps[: len(keep)] = self._steps[keep]
        self._values[: len(keep)] = self._values[keep]
        self._size = len(keep)

    def as_arrays(self) -> dict[str, np.ndarray]:
        """{"step": (n,), column: (n,) ...} copies of the kept rows."""
        out = {"step": self._steps[: self._size].copy()}
        for i, name in enumerate(self.columns):
            out[name] = self._values[: self._size, i].copy()
        return out

    def last(self) -> dict[str, float]:
        """The most recent kept row ({} when empty)."""
        if not self._size:
            return {}
        return {name: float(self._values[self._size - 1, i]) for i, name in enumerate(self.columns)}

    def state_dict(self) -> dict:
        return {"steps": self._steps[: self._size].copy(), "values": self._values[: self._size].copy(),
                "stride": self.stride, "capacity": self.capacity, "columns": list(self.columns)}

    def load_state_dict(self, state: dict) -> None:
        """Restore `state_dict()`; columns are matched by name (a column the state lacks is NaN, one
        this history lacks is dropped), so a run saved before a metric was added still loads."""
        saved = [str(name) for name in state["columns"]]
        steps, values = np.asarray(state["steps"]), np.asarray(state["values"])
        if saved != list(self.columns):
            by_name = {name: values[:, i] for i, name in enumerate(saved)}
            values = np.stack([by_name.get(name, np.full(len(steps), np.nan)) for name in self.columns], axis=1) \
                if len(self.columns) else np.empty((len(steps), 0))
        self.capacity = int(state["capacity"])
        self._steps = np.zeros(self.capacity, dtype=np.int64)
        self._values = np.full((self.capacity, len(self.columns)), np.nan)
        self._size = len(steps)
        self._steps[: self._size] = steps
        self._values[: self._size] = values
        self.stride = int(state["stride"])

    def tensor_state(self) -> dict:
        """state_dict() with the arrays as torch tensors (what torch.load(weights_only=True) accepts)."""
        import torch

        hist = self.state_dict()
        return {**hist, "steps": torch.from_numpy(hist["steps"]), "values": torch.from_numpy(hist["values"])}

    def load_tensor_state(self, state: dict) -> None:
        """Inverse of tensor_state()."""
        self.load_state_dict({**state, "steps": state["steps"].numpy(), "values": state["values"].numpy()})
