"""Health alarms as a playing Toy Lab shows them: each stays up HOLD_SECONDS after its condition last held.

An alarm read off each live frame flickers: G's gradient norms near their limit are over it in one frame and
under it in the next, and the number in its text changes every frame. A page that followed each of those
changes would be drawn again about once a second while the run plays (each time the whole page, in the server
and in the browser: measured in the Toy Lab, 13 new page versions in 15 s of the default run). So the page
follows the kinds of alarm up (ganlab.diagnostics.ALARM_KINDS), and a kind stays up until its condition has
not held for HOLD_SECONDS; its text is the latest reading's. Paused, none goes down: a student who pauses to
read an alarm still sees it.
"""

from __future__ import annotations

import threading
import time

from ganlab.diagnostics import ALARM_KINDS

HOLD_SECONDS = 5.0


class HeldAlarms:
    """The alarms a playing page shows (thread-safe: the page and its charts' feeds update it)."""

    def __init__(self, hold: float = HOLD_SECONDS, clock=time.monotonic):
        self.hold, self.clock = hold, clock
        self._latest: dict[str, tuple[float, str]] = {}  # kind -> (when its condition last held, its text)
        self._lock = threading.Lock()

    def update(self, items: list[tuple[str, str]], expire: bool = True) -> tuple[tuple[str, str], ...]:
        """Record a frame's alarms `items` ((kind, text), ganlab.diagnostics.alarm_items); returns those up now,
        as (kind, text) in ALARM_KINDS order. Without `expire` (the run paused) none goes down."""
        now = self.clock()
        with self._lock:
            for kind, text in items:
                self._latest[kind] = (now, text)
            if expire:
                self._latest = {kind: seen for kind, seen in self._latest.items() if now - seen[0] <= self.hold}
            return tuple((kind, self._latest[kind][1]) for kind in ALARM_KINDS if kind in self._latest)

    def clear(self) -> None:
        with self._lock:
            self._latest = {}


def kinds(shown: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The kinds of the alarms `shown` (HeldAlarms.update): what the page's version follows."""
    return tuple(kind for kind, _ in shown)
