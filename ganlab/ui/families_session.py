"""One browser session's GAN, VAE and flow page (no streamlit here): three runs on one toy data set, a GAN, a
VAE and a RealNVP flow, trained in lockstep, so all three are always at the same step.

Commands: play / pause / step (one step of each) / reset / set_dataset / apply_preset. While the runs play,
they are ONE run group (ganlab.runtime.group.RunGroup) in a training worker process (ganlab.runtime.pool), which
trains them at full speed; the page's live fragment only asks it for a frame (`live_frame`: the three
snapshots, taken in the worker) and, at most every REFRESH_SECONDS, for the runs' light states (`refresh`: the
weights and histories the key numbers and the KL chart read, without the optimisers). Any command takes the
group back whole first (its full states loaded here). A lost worker pauses the runs with a message, at the
last state this session had. A run that diverges (in the worker, or on Step here) takes all three back to the
latest step all of them keep (ganlab.rollback.realign), so they stay in lockstep, and Play continues all
three. `background` False (the tests) plays in this process instead, through the same RunGroup, one training
slice per frame.

Configs: one base (the data set, seed 0, batch size 256, an evaluation every EVAL_EVERY = 250 steps on 2,500
samples so the KL chart fills in, the CPU: the toy networks are too small to gain from a GPU) and the three
runs on it: the GAN as the Toy Lab's default (RunConfig()), the VAE and the flow with the engine's defaults
(ganlab.config's VAEConfig and FlowConfig). A failure preset (PRESETS) changes the data set and one family's
options, and stops the runs once after its step budget, where the failure shows.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ganlab.config import ConfigError, RunConfig, with_overrides
from ganlab.evaluation import METRIC_COLUMNS as GAN_METRIC_COLUMNS
from ganlab.family_presets import DEFAULT_DATASET, FAMILY_DATASETS, NO_PRESET, PRESETS, FailurePreset
from ganlab.likelihood import make_trainer
from ganlab.likelihood.kl import KL_COLUMNS, kde_kl_columns, kl_method
from ganlab.metrics import grid_centres, kde_grid
from ganlab.rollback import TrainingDiverged, realign
from ganlab.runtime.group import RunGroup, RunSpec, snapshot_of
from ganlab.runtime.pool import RemoteGroup, Ticket, WorkerLost, start_or_queue, stop_quietly, take_remote
from ganlab.viz.families import FAMILIES, FAMILY_TITLES

EVAL_EVERY = 250          # steps between evaluations (the KL chart's points)
BASE_OPTIONS = {"device": "cpu", "seed": "0", "batch_size": "256", "eval_every": str(EVAL_EVERY),
                "eval_samples": "2500"}
LIVE_SAMPLES = 128        # samples (and VAE data points) per panel
SNAPSHOT_GRID = 48        # grid cells per axis of D's surface and of the densities (the VAE's ~10 ms at k 16)
DATA_CONTOUR_GRID = 40    # p_data's contour grid
REFRESH_SECONDS = 1.0     # a playing session's local copy (weights, histories) is updated at most this often
LOCAL_SLICE = 0.2         # seconds of training per frame when the runs play in this process (tests)
DIVERGED_ADVICE = ("Play trains all three on from there (the same steps may diverge again); Reset starts three "
                   "new runs.")


def family_configs(dataset: str = DEFAULT_DATASET, preset: FailurePreset | None = None) -> dict[str, RunConfig]:
    """The three runs' validated configs: the base options on `dataset` (a preset's data and options instead,
    when given)."""
    data = preset.data if preset is not None else {"data.name": dataset}
    models = preset.models if preset is not None else {}
    return {family: with_overrides(RunConfig(), {**BASE_OPTIONS, "model": family, **data,
                                                 **models.get(family, {})}) for family in FAMILIES}


class LocalGroup:
    """A RunGroup in this process behind RemoteGroup's interface (frame / states / stop): what `background`
    False plays with. Each frame trains one LOCAL_SLICE first."""

    def __init__(self, payload: dict):
        self.group = RunGroup(**copy.deepcopy(payload))

    def frame(self) -> dict:
        self.group.train_slice(LOCAL_SLICE)
        return self.group.frame()

    def states(self, light: bool = False) -> dict:
        return self.group.states(light=light)

    def stop(self) -> dict:
        return self.group.states()


def gan_density(snap: dict, bounds, size: int = SNAPSHOT_GRID):
    """(xs, ys, dens): the kernel density estimate of the GAN's samples in `snap` (None with < 2 finite)."""
    fake = np.asarray(snap["fake"], dtype=np.float64)
    fake = fake[np.isfinite(fake).all(axis=1)]
    if len(fake) < 2:
        return None
    dens, _ = kde_grid(fake, bounds, size)
    return (*grid_centres(bounds, size), dens)


def _gan_kl_names() -> dict[str, str]:
    """KL column -> the GAN metrics column it is read from, as ganlab.likelihood.kl.kde_kl_columns maps them
    (found by asking it once, so the mapping is kept in one place)."""
    found = kde_kl_columns({name: float(index) for index, name in enumerate(GAN_METRIC_COLUMNS)})
    return {column: GAN_METRIC_COLUMNS[int(index)] for column, index in found.items() if math.isfinite(index)}


GAN_KL_NAMES = _gan_kl_names()


def kl_series(family: str, metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{"step", forward_kl, forward_kl_se, reverse_kl, reverse_kl_se} of a run's metrics history arrays (the
    GAN's from its sample estimates, GAN_KL_NAMES)."""
    n = len(metrics.get("step", []))
    names = GAN_KL_NAMES if family == "gan" else {column: column for column in KL_COLUMNS}
    return {"step": np.asarray(metrics.get("step", np.zeros(0)), dtype=np.int64),
            **{column: np.asarray(metrics.get(source, np.full(n, np.nan)), dtype=np.float64)
               for column, source in names.items()}}


def _number(value: float, digits: str = ".3g") -> str:
    return "+∞" if value == math.inf else "n/a" if not math.isfinite(value) else format(value, digits)


def key_numbers(family: str, last: dict[str, float]) -> list[str]:
    """A panel's key numbers from its latest evaluation (ganlab.evaluation / ganlab.likelihood.evaluation)."""
    def get(name: str) -> float:
        return float(last.get(name, math.nan))

    shown = []
    if math.isfinite(get("modes_total")):
        shown.append(f"modes covered {get('modes_covered'):.1f}/{get('modes_total'):.0f}")
        shown.append(f"high-quality {100 * get('hq_fraction'):.0f} %")
    shown.append(f"W1 {_number(get('w1'))} (floor {_number(get('w1_floor'))})")
    if family == "vae":
        shown.append(f"ELBO {_number(get('elbo'), '.2f')} nats")
        shown.append(f"test log-likelihood {_number(get('test_log_likelihood'), '.2f')} nats (importance "
                     f"sampling, k = {_number(get('importance_samples'), '.0f')})")
    elif family == "flow":
        shown.append(f"test log-likelihood {_number(get('test_log_likelihood'), '.2f')} nats (exact)")
    names = GAN_KL_NAMES if family == "gan" else {column: column for column in KL_COLUMNS}
    shown.append(f"KL fwd {_number(get(names['forward_kl']))}, rev {_number(get(names['reverse_kl']))} nats")
    return shown


@dataclass
class FamilySession:
    """The state the page keeps in st.session_state (see the module docstring)."""

    dataset: str = DEFAULT_DATASET
    preset: str | None = None
    background: bool = False   # play in a worker process (the app); False: in this process (tests)
    playing: bool = False
    error: str | None = None
    notice: str | None = None
    max_steps: int | None = None  # the preset's step budget, until reached once
    configs: dict[str, RunConfig] = field(init=False)
    trainers: dict = field(init=False)
    lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False, compare=False)
    remote: RemoteGroup | LocalGroup | None = field(default=None, init=False, repr=False, compare=False)
    queue_position: int | None = field(default=None, init=False)
    _ticket: Ticket = field(default_factory=Ticket, init=False, repr=False, compare=False)
    _refreshed: float = field(default=0.0, init=False, repr=False)
    _frame: dict | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.dataset not in FAMILY_DATASETS:
            raise ConfigError("dataset", f"{self.dataset!r} is not one of {', '.join(FAMILY_DATASETS)}")
        self._build()

    def _build(self) -> None:
        preset = PRESETS.get(self.preset) if self.preset else None
        self.configs = family_configs(self.dataset, preset)
        self.trainers = {family: make_trainer(config) for family, config in self.configs.items()}
        for trainer in self.trainers.values():
            trainer.rollback.keep_previous = True  # a divergence takes all three back to one step (realign)
        self.max_steps = preset.steps if preset is not None else None
        self._frame = None

    @property
    def step_count(self) -> int:
        """The runs' step (the same for all three: they train in lockstep)."""
        return self.trainers[FAMILIES[0]].step_count

    # --- commands -------------------------------------------------------------------------------------

    def play(self) -> None:
        with self.lock:
            self.playing, self.error, self.notice = True, None, None
            self._resume()

    def pause(self) -> None:
        with self.lock:
            self.playing = False
            self._bring_home()

    def step(self) -> None:
        """One step of each run (the notice goes)."""
        with self.lock:
            self.playing, self.notice = False, None
            self._bring_home()
            for family, trainer in self.trainers.items():
                try:
                    trainer.step(1)
                except TrainingDiverged as err:
                    realign(list(self.trainers.values()))  # the runs stepped before it go back too
                    self._diverged(FAMILY_TITLES[family], err)
                    return

    def reset(self, notice: str | None = "Reset: three new runs from step 0.") -> None:
        with self.lock:
            self.close()
            self._build()
            self.error, self.notice = None, notice

    def set_dataset(self, name: str) -> None:
        """New runs on data set `name` (one of FAMILY_DATASETS), without a preset; ConfigError otherwise."""
        if name not in FAMILY_DATASETS:
            raise ConfigError("dataset", f"{name!r} is not one of {', '.join(FAMILY_DATASETS)}")
        self.dataset, self.preset = name, None
        self.reset(notice=f"New runs on {name}.")

    def apply_preset(self, key: str) -> None:
        """New runs with the failure preset `key` (one of PRESETS); ConfigError otherwise."""
        if key not in PRESETS:
            raise ConfigError("preset", f"{key!r} is not one of {', '.join(PRESETS)}")
        preset = PRESETS[key]
        self.dataset, self.preset = preset.dataset, key
        self.reset(notice=f"Preset {preset.name}: press Play; the runs stop at step {preset.steps:,}, where "
                          "the failure shows.")

    def close(self) -> None:
        """The session ended (or new runs start): the group stops in its worker, without being loaded here."""
        with self.lock:
            self.playing = False
            stop_quietly(take_remote(self))

    # --- the group in a worker --------------------------------------------------------------------------

    def _payload(self) -> dict:
        return {"specs": [RunSpec(self.configs[f], self.trainers[f].state_dict(), 0) for f in FAMILIES],
                "timeline_every": 2**62, "max_rate": 1e9, "snapshot_samples": LIVE_SAMPLES,
                "snapshot_grid": SNAPSHOT_GRID, "max_steps": self.max_steps,
                "labels": [FAMILY_TITLES[f] for f in FAMILIES]}

    def _resume(self) -> None:
        """Playing runs at home go to a worker (or wait in its queue), or to a LocalGroup here."""
        if not self.playing or self.remote is not None:
            return
        if not self.background:
            self.remote = LocalGroup(self._payload())
            return
        try:
            self.remote, self.queue_position = start_or_queue(self._ticket, self._payload())
        except WorkerLost as err:
            self._lost(err)

    def _bring_home(self) -> None:
        """The group back from its worker, its full states loaded here; leaves the queue when waiting."""
        remote = take_remote(self)
        if remote is None:
            return
        try:
            self._load(remote.stop()["states"], full=True)
        except WorkerLost as err:
            self._lost(err)

    def _load(self, states: list[dict], full: bool) -> None:
        for family, state in zip(FAMILIES, states, strict=True):
            self.trainers[family].load_state_dict(state)
            if full:
                self.trainers[family].rollback.keep()  # the worker checked it

    def _stopped(self, result: dict) -> bool:
        """A divergence, a failure or the preset's budget in a worker's reply: the runs come home, paused,
        with the message. Returns whether it did."""
        if not (result["divergence"] or result["failure"] or result["finished"]):
            return False
        self.playing = False
        self._bring_home()
        if result["divergence"] is not None:
            err = result["divergence"].error()
            self._diverged(err.run_label, err)  # the worker took the three back to one step
        elif result["failure"] is not None:
            self.error = f"Training stopped: {result['failure']}. Press Play to try again, or Reset."
        else:
            preset = PRESETS.get(self.preset)
            self.notice = (f"Stopped at step {self.step_count:,}, the preset's budget"
                           + (f" ({preset.name}): {preset.explanation}" if preset else ".") + " Play trains on.")
            self.max_steps = None
        return True

    def _diverged(self, label: str, err: TrainingDiverged) -> None:
        """The message of a divergence of run `label`, once the three runs are back at one step (ganlab.rollback
        .realign; should they not be, they start again, so that they never leave lockstep)."""
        steps = {t.step_count for t in self.trainers.values()}
        if len(steps) == 1:
            self.error = (f"The {label} run: {err}. To stay in lockstep, all three runs are back at step "
                          f"{self.step_count:,}. {DIVERGED_ADVICE}")
            return
        self.reset(notice=None)
        self.error = (f"The {label} run: {err}. The three runs kept no common step to go back to, so they "
                      "started again from step 0.")

    def _lost(self, err: WorkerLost) -> None:
        self.remote, self.queue_position, self.playing = None, None, False
        self.error = (f"Runs lost: {err}. The server and the other sessions go on. The three runs are at step "
                      f"{self.step_count:,}, the last state this page had: Play continues from there.")

    # --- what the page shows -----------------------------------------------------------------------------

    def live_frame(self) -> dict:
        """{"step", "snapshots": {family: snapshot}}: from the worker while playing (the runs' step there),
        else taken here (cached until the runs move)."""
        with self.lock:
            if self.playing:
                self._resume()
                if self.remote is not None:
                    try:
                        result = self.remote.frame()
                    except WorkerLost as err:
                        self._lost(err)
                    else:
                        if not self._stopped(result):
                            self._frame = {"step": int(result["step"]),
                                           "snapshots": dict(zip(FAMILIES, result["snapshots"], strict=True))}
                            return self._frame
            steps = tuple(t.step_count for t in self.trainers.values())
            if self._frame is None or self._frame.get("local") != steps:
                self._frame = {"step": self.step_count, "local": steps,
                               "snapshots": {f: snapshot_of(t, LIVE_SAMPLES, SNAPSHOT_GRID)
                                             for f, t in self.trainers.items()}}
            return self._frame

    def refresh(self, force: bool = False) -> None:
        """A playing session's local copy (weights and histories, not the optimisers) up to date with its
        worker, at most every REFRESH_SECONDS (unless `force`)."""
        with self.lock:
            if self.remote is None or (not force and time.monotonic() - self._refreshed < REFRESH_SECONDS):
                return
            self._refreshed = time.monotonic()
            try:
                result = self.remote.states(light=True)
            except WorkerLost as err:
                self._lost(err)
                return
            self._load(result["states"], full=False)
            self._stopped(result)

    def panel_inputs(self, frame: dict) -> dict[str, dict]:
        """family -> the keyword arguments of ganlab.viz.families.panel_figure beside the snapshot: p_data's
        exact density (contours), and the GAN's kernel density estimate of p_g."""
        dataset = self.trainers[FAMILIES[0]].dataset
        data = dataset.density_grid(DATA_CONTOUR_GRID)
        inputs = {family: {"data_density": data} for family in FAMILIES}
        inputs["gan"]["fake_density"] = gan_density(frame["snapshots"]["gan"], dataset.bounds)
        return inputs

    def kl_histories(self) -> dict[str, dict[str, np.ndarray]]:
        """family -> its forward and reverse KL over the evaluations so far (kl_series)."""
        return {family: kl_series(family, t.metrics.as_arrays()) for family, t in self.trainers.items()}

    def kl_methods(self) -> dict[str, str]:
        """family -> how its KLs are estimated (ganlab.likelihood.kl.kl_method), from its latest evaluation."""
        methods = {}
        for family, trainer in self.trainers.items():
            last = trainer.metrics.last()
            methods[family] = kl_method(family, trainer.config.eval_samples, k=last.get("importance_samples"),
                                        bandwidth=last.get("divergence_bandwidth"))
        return methods

    def numbers(self, family: str) -> tuple[int | None, list[str]]:
        """(the step of the family's latest evaluation or None, its key numbers)."""
        metrics = self.trainers[family].metrics
        if not len(metrics):
            return None, []
        return int(metrics.as_arrays()["step"][-1]), key_numbers(family, metrics.last())


__all__ = ["BASE_OPTIONS", "EVAL_EVERY", "FAMILY_DATASETS", "NO_PRESET", "PRESETS", "FailurePreset",
           "FamilySession", "LocalGroup", "family_configs", "gan_density", "key_numbers", "kl_series"]
