"""Log axes whose tick labels say which decade they are in.

Plotly labels a log axis that spans a decade or two with bare leading digits ("5, 2, 1, 5, 2"), so the
reader cannot tell 0.5 from 5. `log_axis` gives a log axis explicit ticks instead: one per decade
("10⁻³, 10⁻², 10⁻¹, 1") when the data span several decades, else 1-2-5 steps written in full
("0.2, 0.5, 1, 2, 5"), else every digit ("0.3, 0.4, ..."). Pure functions, no plotting state.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

MAX_TICKS = 8
MIN_TICKS = 3
MANTISSAS = ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(exponent: int) -> str:
    """10^k as text: "1" and "10" for k = 0 and 1, else "10⁻³", "10²" style."""
    return {0: "1", 1: "10"}.get(exponent, "10" + str(exponent).translate(_SUPERSCRIPT))


def step_label(mantissa: int, exponent: int) -> str:
    """m x 10^k as text, in full from 0.001 to 9000 ("0.02", "500"), else "2×10⁻⁵" style."""
    if -3 <= exponent <= 3:
        return f"{mantissa * 10.0 ** exponent:.{max(0, -exponent)}f}"
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa}×{power}"


def log_ticks(low: float, high: float, max_ticks: int = MAX_TICKS) -> tuple[list[float], list[str]]:
    """(tick values, tick labels) for a log axis showing [low, high] (both > 0).

    The coarsest of: decades (thinned to every 2nd, 3rd ... decade past `max_ticks`), 1-2-5 steps, every
    digit, that puts at least MIN_TICKS ticks inside [low, high]. Decades read "10⁻³", "10⁻¹", "1", "10",
    "10²"; 1-2-5 and digit steps are written in full ("0.02", "5"), so the decade is always visible.
    """
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 or high <= 0:
        raise ValueError(f"a log axis needs finite positive limits, got {low!r} and {high!r}")
    low, high = min(low, high), max(low, high)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    tolerance = 1e-9
    chosen: list[tuple[int, int]] = []
    for mantissas in MANTISSAS:
        chosen = [(m, k) for k in range(first, last + 1) for m in mantissas
                  if low * (1 - tolerance) <= m * 10.0 ** k <= high * (1 + tolerance)]
        if len(chosen) >= MIN_TICKS:
            break
    if len(chosen) > max_ticks and all(m == 1 for m, _ in chosen):
        step = math.ceil(len(chosen) / max_ticks)
        chosen = [(m, k) for m, k in chosen if k % step == 0]
    values = [float(f"{m}e{k}") for m, k in chosen]
    decades = all(m == 1 for m, _ in chosen)
    return values, [decade_label(k) if decades else step_label(m, k) for m, k in chosen]


def positive_range(*series: ArrayLike) -> tuple[float, float] | None:
    """(min, max) of the finite positive values of all `series`, or None when there are none."""
    values = np.concatenate([np.asarray(s, dtype=float).ravel() for s in series]) if series else np.empty(0)
    values = values[np.isfinite(values) & (values > 0)]
    return (float(values.min()), float(values.max())) if values.size else None


def log_axis(title: str | None, *series: ArrayLike, limits: tuple[float, float] | None = None,
             **extra) -> dict:
    """A Plotly axis dict: log type, `title` (None: none set), and ticks from `log_ticks` over `limits`
    (data units) or, when None, the positive values of `series`. With nothing positive, Plotly's ticks."""
    axis = {"type": "log", **({} if title is None else {"title": title}), **extra}
    span = limits if limits is not None else positive_range(*series)
    if span is not None:
        values, labels = log_ticks(*span)
        axis.update(tickmode="array", tickvals=values, ticktext=labels)
    return axis
