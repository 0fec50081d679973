"""One browser session's race on the Divergences page (no streamlit here): the race trains in a worker process
(ganlab.runtime.race_group, through the pool's queue like the Toy Lab's and MNIST Lab's runs); the page only
asks it for frames (the new (step, W1) rows) and draws them. Pause brings the race home (every runner's
state and the histories), so Play continues from there; a playing race's state also comes home every
HOME_SECONDS (about 1.3 MB), so a lost worker leaves the page at most that far behind, and Play continues
from there.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ganlab.runtime.pool import (
    RemoteGroup,
    Ticket,
    WorkerError,
    WorkerLost,
    start_or_queue,
    stop_quietly,
    take_remote,
)
from ganlab.theory.race import RACE_LOSSES, RACE_STEPS, Race

HOME_SECONDS = 10.0  # a playing race's whole state comes home this often (what a lost worker leaves the page)
RACE_SETTINGS = {"losses": list(RACE_LOSSES), "seed": 0, "offset": 4.0, "lr": 1e-3, "max_steps": RACE_STEPS}


@functools.lru_cache(maxsize=4)
def _starting_rows(key: tuple) -> dict[str, np.ndarray]:
    settings = dict(key)
    settings["losses"] = list(settings["losses"])
    return Race(**settings).distances()  # builds the runners and measures once; trains nothing


def starting_rows(settings: dict) -> dict[str, np.ndarray]:
    """A fresh race's first measurement (step 0) per loss, computed once per server and settings."""
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in settings.items()))
    return {loss: rows.copy() for loss, rows in _starting_rows(key).items()}


@dataclass
class RaceSession:
    """The race the Divergences page keeps in st.session_state. `home`: the race's state last brought home
    (Race.state(); None: a fresh race); `rows`, `stopped`, `step`, `finished`: what the page draws."""

    settings: dict = field(default_factory=lambda: copy.deepcopy(RACE_SETTINGS))
    home: dict | None = None
    rows: dict[str, np.ndarray] = field(init=False)
    stopped: dict[str, str] = field(default_factory=dict)
    step: int = 0
    finished: bool = False
    playing: bool = False
    error: str | None = None
    home_every: float = HOME_SECONDS  # seconds between two copies of a playing race's state brought home
    lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False, compare=False)
    remote: RemoteGroup | None = field(default=None, init=False, repr=False, compare=False)  # training there
    queue_position: int | None = field(default=None, init=False)  # waiting for a training slot (1: next)
    _ticket: Ticket = field(default_factory=Ticket, init=False, repr=False, compare=False)
    _homed: float = field(default=0.0, init=False, repr=False)  # when the state last came home

    def __post_init__(self):
        self._show_home()

    @property
    def max_steps(self) -> int:
        return int(self.settings["max_steps"])

    def _show_home(self) -> None:
        """Draw the state last brought home (a fresh race: its first measurement)."""
        if self.home is None:
            self.rows, self.stopped, self.step = starting_rows(self.settings), {}, 0
        else:
            self.rows = {loss: np.array(rows, dtype=float).reshape(-1, 2) for loss, rows in
                         self.home["history"].items()}
            self.stopped, self.step = dict(self.home["stopped"]), int(self.home["measured"])
        self.finished = self.step >= self.max_steps or len(self.stopped) == len(self.rows)

    def play(self) -> None:
        """The race trains in a worker from now on (or waits its turn in the queue); a finished race stays."""
        with self.lock:
            self.error = None
            if self.finished:
                self.playing = False
                return
            self.playing = True
            self._resume()

    def pause(self) -> None:
        with self.lock:
            self.playing = False
            self._bring_home()

    def reset(self) -> None:
        """A fresh race from step 0 (one in a worker stops there)."""
        with self.lock:
            self.close()
            self.home, self.error = None, None
            self._show_home()

    def tick(self) -> bool:
        """While playing: the worker's new rows (or, when queued, a try for a training slot). Returns whether
        the page must be drawn whole again (the race started, stopped, finished or was lost)."""
        with self.lock:
            if not self.playing:
                return False
            if self.remote is None:
                waiting = self.queue_position is not None
                self._resume()
                return not self.playing or (waiting and self.remote is not None)
            try:
                frame = self.remote.frame({loss: len(rows) for loss, rows in self.rows.items()})
                if time.monotonic() - self._homed >= self.home_every:  # a copy, kept in case the worker is lost
                    self.home, self._homed = self.remote.states()["race"], time.monotonic()
            except (WorkerLost, WorkerError) as err:
                self._lost(err)
                return True
            self._absorb_frame(frame)
            if frame["finished"] or frame["failure"]:
                self.playing = False
                self._bring_home()  # says a failure (the group's, which its stop returns too)
                return True
            return False

    def _absorb_frame(self, frame: dict) -> None:
        for loss, new in frame["rows"].items():
            if len(new):
                self.rows[loss] = np.vstack([self.rows[loss], new])
        self.stopped, self.step = dict(frame["stopped"]), int(frame["step"])

    # --- the worker: ganlab.runtime -------------------------------------------------------------------

    def _resume(self) -> None:
        """A playing race goes to a worker, or waits in the queue for a training slot (queue_position)."""
        if not (self.playing and self.remote is None):
            return
        payload = {"kind": "race", "settings": self.settings, "state": self.home}
        try:
            self.remote, self.queue_position = start_or_queue(self._ticket, payload)
            self._homed = time.monotonic()
        except WorkerLost as err:
            self._lost(err)
        except WorkerError as err:
            self.playing, self.queue_position = False, None
            self.error = f"The race could not start: {err}. Press Play to try again, or Reset."

    def _bring_home(self) -> None:
        """The race back from its worker (every runner's state and the histories); leaves the queue."""
        remote = take_remote(self)
        if remote is None:
            return
        try:
            result = remote.stop()
        except WorkerLost as err:
            self._lost(err)
            return
        self.home = result["race"]
        self._show_home()
        if result["failure"]:
            self.error = f"The race stopped: {result['failure']}. Press Play to try again, or Reset."

    def _lost(self, err: WorkerLost | WorkerError) -> None:
        stop_quietly(take_remote(self))  # gone with its worker already (or refused: then it stops there)
        self.remote, self.queue_position, self.playing = None, None, False
        self._show_home()  # back at the last state this page had
        self.error = (f"Race lost: {err}. The server and the other sessions go on. Press Play to continue from "
                      f"step {self.step}, the last state this page had.")

    def close(self) -> None:
        """The session ended (or the race is reset): the race stops in its worker, without being loaded here."""
        with self.lock:
            self.playing = False
            stop_quietly(take_remote(self))
