"""The limits of a sweep: a page's student and the command line get the same ones.

A sweep shares the server's cores with everyone else's runs, so every field of a SweepSpec
(ganlab.sweep) is bounded; `check_limits` checks them before anything is expanded or trained (and before
a seed range is turned into a list). ganlab.sweep re-exports every name here.
"""

from __future__ import annotations

import math
from typing import Any

MAX_RUNS = 100
"""Runs per sweep (datasets x losses x variants x seeds): the PacGAN preset is 20."""
MAX_SEEDS = 50
"""Seeds per sweep: ten times the PacGAN protocol's 5 (the issue's 0-29999 is refused at once)."""
MAX_STEPS = 100_000
"""Iterations per run: four times the PacGAN protocol's full length (25,000)."""
MAX_TOTAL_STEPS = 1_000_000
"""Iterations over all runs (runs x steps): twice the PacGAN preset with --full (20 x 25,000)."""
MAX_WORKERS = 8
"""Parallel processes of one sweep (the page offers at most the server's core count)."""
MAX_NAMES = 32
"""Entries of datasets, losses and dataset_overrides."""
MAX_VARIANTS = 16
"""Variants of one sweep."""
MAX_OVERRIDES = 64
"""Options set by one mapping of overrides (base, a variant's, a dataset's)."""
MAX_TEXT = 200
"""Characters of a name, an option path or an option's value."""
MAX_SPEC_BYTES = 64 * 1024
"""Size of a sweep specification file (--spec)."""


def _bounded_int(name: str, value: Any, high: int, what: str) -> int:
    """`value` as an integer in [1, high], else ValueError naming the field and the limit."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if value > high:
        raise ValueError(f"{name}: at most {high:,} {what}, got {value:,}")
    return value


def check_limits(spec: Any) -> int:
    """Check the sizes of `spec` (a ganlab.sweep.SweepSpec) against the limits above, in time independent
    of how big it is; returns the number of runs. Raises ValueError naming the field and its limit (entries
    themselves are checked by `expand`)."""
    sizes = {}
    for name, limit in (("datasets", MAX_NAMES), ("losses", MAX_NAMES), ("seeds", MAX_SEEDS),
                        ("variants", MAX_VARIANTS)):
        values = getattr(spec, name)
        if name == "variants" and not values:
            sizes[name] = 1
            continue
        if isinstance(values, str | bytes) or not isinstance(values, list | tuple) or not values:
            raise ValueError(f"{name}: give a non-empty list, got {short(values)}")
        if len(values) > limit:
            raise ValueError(f"{name}: at most {limit} per sweep, got {len(values):,}")
        sizes[name] = len(values)
    steps = _bounded_int("steps", spec.steps, MAX_STEPS, "iterations per run")
    _bounded_int("workers", spec.workers, MAX_WORKERS, "parallel processes")
    runs = math.prod(sizes.values())
    if runs > MAX_RUNS:
        raise ValueError(f"runs: at most {MAX_RUNS} per sweep, got {runs:,} "
                         f"({' x '.join(f'{n} {k}' for k, n in sizes.items())})")
    if runs * steps > MAX_TOTAL_STEPS:
        raise ValueError(f"steps: at most {MAX_TOTAL_STEPS:,} iterations in all (runs x steps), got "
                         f"{runs} x {steps:,} = {runs * steps:,}")
    return runs


def short(value: Any) -> str:
    """repr(value), cut to 60 characters for a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"
