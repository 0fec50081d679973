"""The half of a Toy Lab run (ToySession) that lends its runs to a training worker while they play
(ganlab.runtime): the hand-off there and back, live frames, refreshes of the local copy, a lost worker.

While a run plays in the app, its group (run A, and B in compare mode) lives in a worker process, which trains
at full speed; the session's own trainers are a copy, brought up to date by `refresh()` (the charts, a save)
and taken back whole by any command (`holding()`: pause, reset, Step, branch, a config change), after which
a still-playing group goes back to a worker. Frames come from the worker (`live_frame()`), so a slow browser
gets fewer frames, not fewer steps.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager

from ganlab.runtime.group import RunSpec
from ganlab.runtime.pool import WorkerLost, start_or_queue, stop_quietly, take_remote
from ganlab.toy_snapshot import take_snapshot

TICK_SECONDS = 0.1        # the speed setting's unit: a run trains at most steps_per_tick per TICK_SECONDS
FRAME_SECONDS = 1 / 15    # a playing plane asks for a new frame this often (ganlab.ui.live_feed): 15 a second
SNAPSHOT_GRID = 64        # D's surface resolution in a live frame (CROWD_GRID in a crowd: ganlab.ui.live_feed)
LIVE_SAMPLES = 128        # fake (and real) points per live frame: each is an SVG element the browser redraws
REFRESH_SECONDS = 0.5     # a playing run's local copy (histories, weights) is updated at most this often

class RunsInWorker:
    """Mixed into ToySession (whose fields it uses: remote, queue_position, lost, shown_step, _ticket,
    _depth, _refreshed, playing, error, lockstep, leader, lock, timeline, ...)."""

    @contextmanager
    def holding(self):
        """Hold the runs at home to change them, under the lock: a playing group is first taken back from
        its worker (its latest states loaded here), and given to a worker again when the outermost hold
        ends and the runs still play."""
        lead = self.leader or self
        with self.lock:
            lead._depth += 1
            try:
                lead._bring_home()
                yield self
            finally:
                lead._depth -= 1
                if lead._depth == 0:
                    lead._resume()

    def _resume(self) -> None:
        """A playing run (A, and B in compare mode) at home goes to a worker, or waits in the queue for a
        training slot (queue_position)."""
        if not (self.background and self.playing and self.error is None and self.remote is None):
            return
        if self.leader is not None:
            return  # run B trains with its leader
        if self.phase == "d":
            self._finish_step()  # Step's G half, before training on
            if self.error is not None:
                return
        runs = self.lockstep.runs()
        payload = {"specs": [RunSpec(run.config, run.trainer.state_dict(), run.timeline[-1]["step"])
                             for run in runs],
                   "timeline_every": self.timeline_every, "max_rate": self.steps_per_tick / TICK_SECONDS,
                   "snapshot_samples": LIVE_SAMPLES, "snapshot_grid": SNAPSHOT_GRID}
        try:
            self.remote, self.queue_position = start_or_queue(self._ticket, payload)
        except WorkerLost as err:
            self._lost(err)
            return
        self.shown_step = self.trainer.step_count

    def _bring_home(self) -> None:
        """Take the group back from its worker: the latest states (and moments) loaded here. Leaves the
        queue when waiting."""
        remote = take_remote(self)
        if remote is None:
            return
        try:
            self._absorb(remote.stop(), states=True)
        except WorkerLost as err:
            self._lost(err)

    def _absorb(self, result: dict, states: bool, light: bool = False) -> None:
        """Load what a worker sent: new timeline moments, the states (`states`; `light`: without the
        optimisers', which stay as they were here), and a divergence or a failure (the group then comes
        home, paused, with the message)."""
        runs = self.lockstep.runs()
        for run, moments in zip(runs, result["moments"], strict=True):
            run.timeline.extend(m for m in moments if m["step"] > run.timeline[-1]["step"])
        if states:
            for run, state in zip(runs, result["states"], strict=True):
                run.trainer.load_state_dict(state)
                if not light:
                    run.trainer.rollback.keep()  # the worker checked it (a light state is no whole one)
        self.shown_step = int(result["step"])
        stopped = result.get("divergence") or result.get("failure")
        if stopped is None:
            return
        if self.remote is not None:  # a frame found it: take the runs home (their good states) first
            remote, self.remote = self.remote, None
            self._absorb(remote.stop(), states=True)
            return
        if result.get("divergence") is not None:
            self.error = self.lockstep.recover(result["divergence"].error())
        else:
            self.lockstep.set_playing(False)
            self.error = f"Training stopped: {result['failure']}. Press Play to try again, or Reset."

    def _lost(self, err: WorkerLost) -> None:
        """The worker died with the runs' live training: paused, with a one-click way back (restart)."""
        self.remote = None
        self.queue_position = None
        self.lockstep.set_playing(False)
        self.lockstep.set_phase("idle")
        self.lost = True
        step = self.lockstep.common_step(math.inf)
        self.lockstep.go_back_to(step)  # what the page shows is where Restart continues from
        self.error = (f"Run lost: {err}. The server and the other sessions go on. The run is back at step {step}, "
                      "the last moment kept: Restart continues from there.")

    def close(self) -> None:
        """The session ended: the runs stop, and their group leaves its worker (its memory goes with it)
        without being loaded here."""
        with self.lock:
            self.lockstep.set_playing(False)
            stop_quietly(take_remote(self))

    def restart(self) -> None:
        """After a lost worker (the runs are back at their last kept moment): play on from there."""
        with self.lock:
            self.lost = False
            self.notice = f"Restarted from step {self.trainer.step_count}."
            self.play()

    def live_frame(self, grid_size: int | None = None) -> dict | None:
        """What a playing run's plane(s) show now: {"step", "snapshots": [A's, B's (compare mode)]}, each
        snapshot at the live size, D's surface on a `grid_size` grid (default SNAPSHOT_GRID); from a worker,
        without the histories and with "cpu_seconds" (the worker's CPU time for them). None when not
        playing (paused, diverged, lost) or waiting for a slot. In the background a worker trains the runs
        and sends the frame; in the foreground this trains a tick first."""
        with self.lock:
            if not self.playing:
                return None
            if not self.background:
                self.tick()
                if not self.playing:
                    return None
                snaps = [take_snapshot(run.trainer, n_samples=LIVE_SAMPLES, grid_size=grid_size or SNAPSHOT_GRID)
                         for run in self.lockstep.runs()]
                self.live_snap = snaps[0]
                return {"step": self.trainer.step_count, "snapshots": snaps}
            if self.remote is None:
                self._resume()  # waiting in the queue: ask again
                if self.remote is None:
                    return None
            try:
                frame = self.remote.frame(grid_size)
            except WorkerLost as err:
                self._lost(err)
                return None
            self._absorb(frame, states=False)
            if self.remote is None:
                return None
            self.live_snap = frame["snapshots"][0]
            return {"step": frame["step"], "snapshots": frame["snapshots"],
                    "cpu_seconds": frame.get("cpu_seconds", 0.0)}

    def refresh(self, full: bool = False) -> None:
        """Bring a playing run's local copy (weights, histories, timeline) up to date with its worker, at
        most every REFRESH_SECONDS (the charts and the alarms read the histories). Without the optimisers'
        states (a third of the bytes with Adam) unless `full` (a checkpoint: then now, however recent the
        last refresh)."""
        lead = self.leader or self
        with self.lock:
            if lead.remote is None or (not full and time.monotonic() - lead._refreshed < REFRESH_SECONDS):
                return
            lead._refreshed = time.monotonic()
            try:
                lead._absorb(lead.remote.states(light=not full), states=True, light=not full)
            except WorkerLost as err:
                lead._lost(err)
