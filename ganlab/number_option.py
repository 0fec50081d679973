"""NumberOption: how one numeric option is declared (bounds, label, widget, help).

Its own module so that whoever declares options (ganlab.options, and each toy data set beside its
sampler) can import it without importing the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberOption:
    """A numeric option: `low` <= value <= `high` (an integer when `integer`).

    label: what a page calls it; widget: "number" (a box) or "slider"; step, fmt: the widget's step and
    printf format (None: Streamlit's default); help: one line for the widget's tooltip and the docs.
    """

    label: str
    low: float
    high: float
    integer: bool = False
    widget: str = "number"
    step: float | None = None
    fmt: str | None = None
    help: str = ""

    def allows(self, value: object) -> bool:
        """Whether `value` is a finite number (not a bool) in [low, high], whole when `integer`."""
        if isinstance(value, bool) or not hasattr(value, "__float__"):
            return False
        number = float(value)
        return math.isfinite(number) and self.low <= number <= self.high and (
            not self.integer or number.is_integer())

    def describe(self) -> str:
        """The allowed values in words, e.g. "an integer in [1, 20]"."""
        if self.integer:
            return f"an integer in [{int(self.low)}, {int(self.high)}]"
        return f"a number in [{self.low:g}, {self.high:g}]"
