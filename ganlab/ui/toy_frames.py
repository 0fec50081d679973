"""One frame of the Toy Lab's plane, built from a ToySession: the snapshot, the overlays the chosen layers
need, and the figure as JSON. No streamlit here: the live fragment and the live-frame route
(ganlab.ui.live_feed) both build frames with it."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import numpy as np

from ganlab.losses import LOSSES
from ganlab.metrics import covered_modes, grid_centres, kde_grid
from ganlab.theory import optimal_discriminator_grid
from ganlab.toy_snapshot import take_snapshot
from ganlab.ui.toy_handoff import LIVE_SAMPLES, SNAPSHOT_GRID
from ganlab.ui.toy_session import ToySession
from ganlab.viz.spec import figure_spec
from ganlab.viz.toy_plane import auto_arrow_scale, plane_plain

DATA_CONTOUR_GRID = 40  # p_data contours are traced by plotly.js in every frame: a coarser grid is cheaper
_DENSITY_CACHE_SIZE = 16

_densities: OrderedDict = OrderedDict()
_densities_lock = threading.Lock()


def data_density(dataset, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Exact p_data on a DATA_CONTOUR_GRID grid, computed once per dataset configuration `key` (LRU of 16)."""
    if not dataset.has_density:
        return None
    with _densities_lock:
        if key in _densities:
            _densities.move_to_end(key)
            return _densities[key]
    grid = dataset.density_grid(DATA_CONTOUR_GRID)
    with _densities_lock:
        _densities[key] = grid
        while len(_densities) > _DENSITY_CACHE_SIZE:
            _densities.popitem(last=False)
    return grid


def overlays(session: ToySession, snap: dict, layers: set[str] | frozenset[str]) -> dict:
    """The theory / density / mode overlays the chosen layers need, and the run's arrow scale."""
    dataset = session.trainer.dataset
    extras: dict = {}
    frame_scale = auto_arrow_scale(snap["fake_grad"], dataset.bounds)
    if session.arrow_scale is None or snap["step"] == 0:
        session.arrow_scale = frame_scale
    # the scale never grows during a run, so vanishing gradients give visibly shorter arrows; it shrinks
    # when gradients grow, so arrows never cover the plane
    session.arrow_scale = min(session.arrow_scale, frame_scale)
    extras["arrow_scale"] = session.arrow_scale
    if "data_density" in layers:
        extras["data_density"] = data_density(dataset, repr(session.config.data))
    if "d_star" in layers and dataset.has_density:
        extras["d_star"] = optimal_discriminator_grid(dataset.log_density, snap["fake"], dataset.bounds,
                                                      size=SNAPSHOT_GRID)
    if "fake_density" in layers:
        dens, _ = kde_grid(snap["fake"], dataset.bounds, SNAPSHOT_GRID)
        xs, ys = grid_centres(dataset.bounds, SNAPSHOT_GRID)
        extras["fake_density"] = (xs, ys, dens)
    if "modes" in layers and dataset.centers is not None:
        extras["centers"] = dataset.centers
        extras["covered"] = covered_modes(snap["fake"], dataset.centers, dataset.std)
    return extras


def live_snapshot(session: ToySession) -> dict:
    """The run's snapshot now, at the live frame's size (call inside session.reading())."""
    return take_snapshot(session.trainer, n_samples=LIVE_SAMPLES, grid_size=SNAPSHOT_GRID)


def plane_spec(session: ToySession, snap: dict, layers, uirevision: str = "plane") -> str:
    """The plane figure of `snap` with the chosen layers, as the JSON plotly.js reads."""
    layers = frozenset(layers)
    return figure_spec(plane_plain(snap, layers=layers, uirevision=uirevision, **overlays(session, snap, layers)))


# --- what the charts need to know about mid-run changes ----------------------------------------------

_LOSS_CHANGE = re.compile(r"(?:^|, )loss\.name: (\S+?) -> (\S+?)(?=, [\w.]+: |$)")
OUTPUT_LABELS = {"probability": "D(x) as a probability", "score": "D's raw score / critic f(x)"}


def config_changes(trainer) -> list[tuple[int, str]]:
    """The run's mid-run config changes [(step, "option: old -> new, ...")] up to its current step
    (a branch from an earlier moment drops later ones); [] for a trainer that keeps none."""
    changes = getattr(trainer, "config_changes", None) or []
    return [(int(step), str(text)) for step, text in changes if int(step) <= trainer.step_count]


def loss_segments(changes, current_loss: str) -> list[tuple[int | None, str]]:
    """[(after_step, loss name)], oldest first: the run trained with each loss on the steps after
    `after_step` (None: from the start) until the next, read from the config changes' "loss.name: old ->
    new" entries; [(None, current_loss)] when the loss never changed."""
    found = []
    for step, text in changes:
        match = _LOSS_CHANGE.search(text)
        if match:
            found.append((int(step), match.group(1), match.group(2)))
    if not found:
        return [(None, current_loss)]
    return [(None, found[0][1]), *((step, new) for step, _, new in found)]


def divergence_segments(changes, current_loss: str) -> list[tuple[int | None, str, str]]:
    """[(after_step, id of the divergence D estimates, its formula)] of loss_segments (unknown names
    skipped); the charts show each id by its label."""
    segments = [(after, LOSSES[name].divergence_id, LOSSES[name].estimate_formula)
                for after, name in loss_segments(changes, current_loss) if name in LOSSES]
    return segments or [(None, LOSSES[current_loss].divergence_id, LOSSES[current_loss].estimate_formula)]


def output_segments(changes, current_loss: str) -> list[tuple[int | None, str]]:
    """[(after_step, what D outputs)]: "D(x) as a probability" or "D's raw score / critic f(x)"."""
    segments = [(after, OUTPUT_LABELS.get(LOSSES[name].output, LOSSES[name].output))
                for after, name in loss_segments(changes, current_loss) if name in LOSSES]
    return segments or [(None, OUTPUT_LABELS.get(LOSSES[current_loss].output, LOSSES[current_loss].output))]
