"""Operator settings: what the person running a ganlab server for a class sets through environment variables.

Each variable is read and checked here, once per process (`current()`); a bad value raises
OperatorSettingsError naming the variable, the value given and what is allowed. Unset, or set to an empty
string, a variable takes its default.

GANLAB_SAVES                   "on" (default) or "off": whether the server writes files on behalf of browser
                               sessions (the MNIST Lab's Save box, the Experiments page's sweeps). Off:
                               nothing is written; downloads still work.
GANLAB_MNIST_MAX_STEPS         steps an MNIST Lab run may train before it pauses itself; default 20000,
                               from 1 to 10000000.
GANLAB_SWEEP_MAX_RUNS          runs of one sweep started from the Experiments page; default and most
                               ganlab.sweep.MAX_RUNS (100).
GANLAB_SWEEP_MAX_TOTAL_STEPS   steps over all runs of one such sweep; default and most
                               ganlab.sweep.MAX_TOTAL_STEPS (1000000). (The command line keeps the
                               library's own limits.)
GANLAB_WORKERS                 worker processes that train live runs; default the CPU count (at least 1),
                               from 1 to 64.
GANLAB_MAX_RUNS                live runs training at once on the server (more Play presses queue); default
                               64, from 1 to 1000.
GANLAB_FRAME_PERCENT           percent of the machine's cores that live frames (the planes' pictures, built by
                               the workers and the server) may use while many sessions play, before each
                               session's frames are spaced further apart (down to about 2 a second, never
                               fewer); default 10, from 1 to 100. Higher: smoother planes in a crowd, fewer
                               training steps. One session alone always gets its 15 frames a second.
GANLAB_FORK_WORKERS            "on" (default) or "off": on Linux, worker and job processes are forked from one
                               that has imported torch already (ganlab.runtime.zygote: milliseconds instead
                               of seconds of a core each); off, or on another system, each starts afresh.
GANLAB_RAY_ADDRESS             the Ray cluster the Experiments page may send sweeps to: auto (the cluster
                               `ray start` runs on the server's machine) or HOST:PORT of a cluster's head.
                               Unset (the default): sweeps run on the server's own processes only. Set, the
                               page offers the choice; a student never types an address. Needs the ray
                               package (pip install ray) where the server runs.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ganlab.sweep import MAX_RUNS as SWEEP_LIBRARY_MAX_RUNS
from ganlab.sweep import MAX_TOTAL_STEPS as SWEEP_LIBRARY_MAX_TOTAL_STEPS
from ganlab.sweep_backends import LOCAL_RAY, check_ray_address

MNIST_MAX_STEPS_DEFAULT = 20_000
MNIST_MAX_STEPS_HIGH = 10_000_000
WORKERS_HIGH = 64
MAX_RUNS_DEFAULT = 64
MAX_RUNS_HIGH = 1000
FRAME_PERCENT_DEFAULT = 10
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")  # digits only; 18 of them stay far inside int() and any limit


def default_workers() -> int:
    """GANLAB_WORKERS when unset: the CPU count, from 1 to WORKERS_HIGH."""
    return max(1, min(os.cpu_count() or 1, WORKERS_HIGH))


class OperatorSettingsError(ValueError):
    """An operator setting (environment variable) with a value that is not allowed."""


@dataclass(frozen=True)
class OperatorSettings:
    """The operator's settings, checked (see the module docstring for each variable)."""

    saves: bool = True
    """GANLAB_SAVES: whether the server writes files for browser sessions."""
    mnist_max_steps: int = MNIST_MAX_STEPS_DEFAULT
    """GANLAB_MNIST_MAX_STEPS: an MNIST Lab run pauses itself at this step."""
    sweep_max_runs: int = SWEEP_LIBRARY_MAX_RUNS
    """GANLAB_SWEEP_MAX_RUNS: runs of one sweep started from the Experiments page."""
    sweep_max_total_steps: int = SWEEP_LIBRARY_MAX_TOTAL_STEPS
    """GANLAB_SWEEP_MAX_TOTAL_STEPS: steps over all runs of one sweep started from the Experiments page."""
    training_workers: int = field(default_factory=default_workers)
    """GANLAB_WORKERS: worker processes that train live runs."""
    max_training_runs: int = MAX_RUNS_DEFAULT
    """GANLAB_MAX_RUNS: live runs training at once (more Play presses queue)."""
    frame_percent: int = FRAME_PERCENT_DEFAULT
    """GANLAB_FRAME_PERCENT: percent of the cores live frames may use while many sessions play."""
    fork_workers: bool = True
    """GANLAB_FORK_WORKERS: whether worker processes are forked from the zygote (Linux)."""
    ray_address: str | None = None
    """GANLAB_RAY_ADDRESS: the Ray cluster the Experiments page may send sweeps to (None: none)."""


def _given(environ: Mapping[str, str], name: str) -> str | None:
    """The variable's text without surrounding spaces, or None when it is unset or empty."""
    text = environ.get(name, "").strip()
    return text or None


def _shown(environ: Mapping[str, str], name: str) -> str:
    """NAME='value' as a message shows it (a long value cut to 40 characters)."""
    value = environ[name]
    shown = value if len(value) <= 40 else value[:40] + "…"
    return f"{name}={shown!r}"


def switch(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """An "on" / "off" variable (any case) as a bool; `default` when unset."""
    text = _given(environ, name)
    if text is None:
        return default
    if text.lower() not in ("on", "off"):
        raise OperatorSettingsError(f"{_shown(environ, name)}: expected on or off")
    return text.lower() == "on"


def whole_number(environ: Mapping[str, str], name: str, default: int, high: int, why: str = "") -> int:
    """A whole-number variable in [1, high]; `default` when unset. `why` explains the upper bound."""
    text = _given(environ, name)
    if text is None:
        return default
    value = int(text) if _WHOLE_NUMBER.fullmatch(text) else 0
    if not 1 <= value <= high:
        raise OperatorSettingsError(f"{_shown(environ, name)}: expected a whole number from 1 to {high}{why}")
    return value


def ray_address(environ: Mapping[str, str], name: str) -> str | None:
    """A Ray cluster's address, auto or HOST:PORT (not local: a sweep's private instance is no cluster the
    operator runs); None when unset."""
    text = _given(environ, name)
    if text is None:
        return None
    try:
        if check_ray_address(text, name) != LOCAL_RAY:
            return text
    except ValueError:
        pass
    raise OperatorSettingsError(f"{_shown(environ, name)}: expected auto (the cluster `ray start` runs on this "
                                "machine) or HOST:PORT of a Ray cluster's head (port 1 to 65535)")


def operator_settings(environ: Mapping[str, str] = os.environ) -> OperatorSettings:
    """Every operator setting read from `environ` and checked; OperatorSettingsError for the first bad one."""
    library = " (the library's own limit, ganlab.sweep.{})"
    return OperatorSettings(
        saves=switch(environ, "GANLAB_SAVES", True),
        mnist_max_steps=whole_number(environ, "GANLAB_MNIST_MAX_STEPS", MNIST_MAX_STEPS_DEFAULT,
                                     MNIST_MAX_STEPS_HIGH),
        sweep_max_runs=whole_number(environ, "GANLAB_SWEEP_MAX_RUNS", SWEEP_LIBRARY_MAX_RUNS,
                                    SWEEP_LIBRARY_MAX_RUNS, library.format("MAX_RUNS")),
        sweep_max_total_steps=whole_number(environ, "GANLAB_SWEEP_MAX_TOTAL_STEPS", SWEEP_LIBRARY_MAX_TOTAL_STEPS,
                                           SWEEP_LIBRARY_MAX_TOTAL_STEPS, library.format("MAX_TOTAL_STEPS")),
        training_workers=whole_number(environ, "GANLAB_WORKERS", default_workers(), WORKERS_HIGH),
        max_training_runs=whole_number(environ, "GANLAB_MAX_RUNS", MAX_RUNS_DEFAULT, MAX_RUNS_HIGH),
        frame_percent=whole_number(environ, "GANLAB_FRAME_PERCENT", FRAME_PERCENT_DEFAULT, 100),
        fork_workers=switch(environ, "GANLAB_FORK_WORKERS", True),
        ray_address=ray_address(environ, "GANLAB_RAY_ADDRESS"),
    )


@functools.cache
def current() -> OperatorSettings:
    """This process's operator settings, read from os.environ on the first call and kept (a bad value
    raises OperatorSettingsError on every call until the cache is cleared)."""
    return operator_settings(os.environ)


def clear_cache() -> None:
    """Forget the settings `current()` read, so its next call reads os.environ again (tests)."""
    current.cache_clear()


def training_workers() -> int:
    """GANLAB_WORKERS: worker processes that train live runs."""
    return current().training_workers


def max_training_runs() -> int:
    """GANLAB_MAX_RUNS: live runs training at once on the server."""
    return current().max_training_runs


def frame_share() -> float:
    """GANLAB_FRAME_PERCENT as a fraction of the machine's cores (ganlab.ui.live_feed.FramePacer)."""
    return current().frame_percent / 100
