"""A Plotly chart that live frames update in place, fed by the server while a run plays.

`st.plotly_chart` hashes the figure into the element's identity, so every new frame of the Toy Lab's plane
mounts a new chart (Plotly.newPlot into a new element, after tearing the old one down): the browser redraws
from scratch, and a zoom drag or a hover in progress is cut off at each frame. This component keeps one
graph for a key and calls Plotly.react with each new figure, so `uirevision` keeps zoom and legend state.
While a run plays it also pulls frames itself from the run's live feed (ganlab.ui.live_feed), so frames
do not each cost a Streamlit rerun.

The browser side is live_plot_frontend/index.html and fast_frames.js (ganlab's own code: a frame that only
moves data is patched onto the drawn graph instead of redrawn, see fast_frames.js); it loads the plotly.js
bundle that plotly.py ships, copied next to it in a cache folder the first time it is needed (no network).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components

FRONTEND = Path(__file__).with_name("live_plot_frontend")


def plotly_bundle() -> Path:
    """The plotly.js bundle plotly.py ships (used offline, as for the HTML export)."""
    return Path(plotly.__file__).with_name("package_data") / "plotly.min.js"


FRONTEND_FILES = ("index.html", "fast_frames.js")


def frontend_dir(cache_root: Path | None = None) -> Path:
    """A folder holding FRONTEND_FILES and plotly.min.js, made once per version of them all (atomic)."""
    files = {name: (FRONTEND / name).read_bytes() for name in FRONTEND_FILES}
    tag = hashlib.sha256(b"".join(files.values()) + plotly.__version__.encode()).hexdigest()[:12]
    root = Path(cache_root or tempfile.gettempdir())
    target = root / f"ganlab-live-plot-{tag}"
    if all((target / name).is_file() for name in (*FRONTEND_FILES, "plotly.min.js")):
        return target
    staging = Path(tempfile.mkdtemp(prefix="ganlab-live-plot-", dir=root))
    shutil.copyfile(plotly_bundle(), staging / "plotly.min.js")
    for name, content in files.items():
        (staging / name).write_bytes(content)
    try:
        os.replace(staging, target)  # another process may have made it first: then keep theirs
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@st.cache_resource(show_spinner=False)
def _component():
    return components.declare_component("ganlab_live_plot", path=str(frontend_dir()))


def live_plot(*, key: str, spec: str | None, feed: str | None = None, period: float = 0.1,
              header: str | None = None, header_scale: float = 1.0, height: int | None = None,
              page: str | None = None) -> None:
    """The live plot `key`: the first call mounts it, later calls update it in place.

    Args:
        spec: a figure as JSON (ganlab.viz.spec.figure_spec) to draw now; None keeps what is on screen.
        feed: while a run plays, the path of its frames (ganlab.ui.live_feed): the plot fetches a frame,
            draws it, and asks for the next one `period` seconds after it asked for the last. None stops it.
        header: a heading above the plot, e.g. "Step 12"; while fed, its step follows each frame drawn.
        header_scale: the heading's size relative to a Streamlit h3 (presenter mode enlarges it).
        height: the plot's height in px, over the one every figure (and live frame) names; None keeps theirs.
        page: with a watched feed (ganlab.ui.live_feed.PlaneFeed.watch), the version of the page around the
            plot that this run draws: when the feed names another, the plot asks for a rerun (once per
            version; the script then runs again from the enclosing fragment, or the whole page).
    """
    _component()(spec=spec, feed=feed, period_ms=int(1000 * period), header=header, page=page,
                 header_scale=header_scale, plot_height=height, key=key, default=None)
