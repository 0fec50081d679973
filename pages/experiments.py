"""Experiments: run a grid of toy GANs (datasets x losses x seeds) and compare them with error bars."""

import os
from pathlib import Path

import streamlit as st

from ganlab import operator_settings
from ganlab.config import ConfigError
from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.sweep import MAX_WORKERS, SweepSpec, list_presets, load_preset, summarize
from ganlab.ui.experiments import (
    LOCAL,
    RAY,
    SweepJob,
    backend_caption,
    backend_labels,
    limits_caption,
    load_rows,
    max_steps_per_run,
    new_csv_path,
    saved_sweeps,
    spec_from_form,
    sweeps_refused,
)
from ganlab.ui.session_files import session_folder
from ganlab.ui.session_resources import session_resources
from ganlab.viz.sweep_charts import METRIC_TITLES, metric_chart, summary_rows
from ganlab.viz.toy_charts import JSD_NOTE

st.title("Experiments")
st.markdown("Train every combination of datasets, losses and seeds, then compare the runs: mean ± standard "
            "error over seeds of modes covered, the high-quality share of samples (in %), mode KL, W1 (exact, "
            f"beside its floor: two real samples) and the JSD (a sample estimate; {JSD_NOTE}). The table and "
            "the charts use the same units and titles. Sweeps run in a separate process, so the page stays "
            "responsive.")

preset = st.selectbox("Preset", ["(none)", *list_presets()], key="exp_preset")
paper, description = None, ""
spec = SweepSpec(["ring8"], ["nonsaturating", "wgan-gp"], [0, 1, 2], 2000)
if preset != "(none)":
    try:
        spec, paper, description = load_preset(preset)
        st.caption(description)
    except ValueError as err:  # a broken preset file: say which and why; the form keeps its defaults
        st.error(f"Preset not loaded: {err}")

# this browser session's own folder (ganlab.ui.session_files), made when it starts its first sweep
folder: Path | None = st.session_state.get("exp_folder")
max_workers = max(2, min(MAX_WORKERS, os.cpu_count() or 1))
settings = operator_settings.current()  # this server's limits (GANLAB_SWEEP_*) and whether it writes files
refused = sweeps_refused(settings)
if refused:
    st.info(refused)
max_steps = max_steps_per_run(settings)
backends = backend_labels(settings)  # a choice only when the operator named a Ray cluster (GANLAB_RAY_ADDRESS)
backend = LOCAL
if len(backends) > 1:  # outside the form, so its caption follows the choice at once
    backend = st.radio("Where to run", list(backends), format_func=backends.get, key="exp_backend",
                       horizontal=True)
    st.caption(backend_caption(backend, settings))
with st.form("sweep"):
    datasets = st.multiselect("Datasets", list(DATASETS), default=spec.datasets)
    losses = st.multiselect("Losses", list(LOSSES), default=spec.losses)
    seeds_text = st.text_input("Seeds (0,1,2 or a range 0-4)", ",".join(map(str, spec.seeds)), max_chars=400)
    steps = st.number_input("Steps per run", min_value=1, max_value=max_steps, value=min(spec.steps, max_steps))
    workers = st.slider("Parallel processes", 1, max_workers, value=min(spec.workers, max_workers))
    st.caption(limits_caption(settings))
    start = st.form_submit_button("Run sweep", type="primary", disabled=refused is not None)

job: SweepJob | None = st.session_state.get("exp_job")
if start:
    try:
        if job is not None and not job.finished():
            raise ValueError("a sweep of this session is still running: cancel it or wait for it to finish")
        spec = spec_from_form(spec, datasets, losses, seeds_text, steps, workers, settings)
        folder = st.session_state["exp_folder"] = session_folder()
        address = settings.ray_address if backend == RAY else None  # the operator's, never typed on the page
        job = SweepJob(spec, new_csv_path(folder, None if preset == "(none)" else preset), backend, address)
        job.start()
        session_resources().track("experiments", job)  # stopped (with its workers) when the session ends
        st.session_state["exp_job"] = job
        st.session_state["exp_paper"] = paper
        st.session_state["exp_show"] = job.out_csv.name
    except (ConfigError, ValueError) as err:
        st.error(f"Sweep not started: {err}")


@st.fragment(run_every=1.0 if job is not None and not job.finished() else None)
def progress() -> None:
    current: SweepJob | None = st.session_state.get("exp_job")
    if current is None:
        return
    done = current.done_runs()
    st.progress(min(done / current.total, 1.0), text=f"{done} / {current.total} runs — {current.out_csv.name}")
    st.caption(current.where(), help="Where this sweep trains and what that has. The sweep keeps running while "
               "you visit other pages of this session; come back here to see its progress.")
    if current.failed():
        st.error(f"The sweep stopped with an error:\n\n```\n{current.failed()}\n```")
    elif current.cancelled:
        st.warning(f"Sweep cancelled after {done} of {current.total} runs (it and its workers are stopped).")
    elif not current.finished():
        if st.button("Cancel sweep", key="exp_cancel"):
            current.cancel()
            st.rerun(scope="app")
    elif st.session_state.get("exp_finished") != str(current.out_csv):
        st.session_state["exp_finished"] = str(current.out_csv)
        st.rerun(scope="app")


progress()

st.subheader("Results")
files = saved_sweeps(folder) if folder is not None else []
if not files:
    running = job is not None and not job.finished()
    if running:
        st.caption("No sweep yet: the running sweep's results appear here when it finishes.")
    else:
        st.caption("No sweep yet: " + ("this server runs none from this page (see above)." if refused else
                                       "run one above (this session's sweeps are listed here)."))
else:
    names = [p.name for p in files]
    shown = st.session_state.get("exp_show")
    chosen = folder / st.selectbox("Sweep", names, index=names.index(shown) if shown in names else 0)
    try:
        rows, unreadable = load_rows(chosen), None
    except ValueError as err:  # a damaged CSV: named, the page goes on
        rows, unreadable = [], err
    if unreadable is not None:
        st.error(f"This sweep's results cannot be read: {unreadable}")
    elif not rows:
        st.caption("This sweep has no finished run yet.")
    else:
        summary = summarize(rows)
        shown_paper = st.session_state.get("exp_paper") if chosen.name == shown else None
        if chosen.name.startswith("sweep-pacgan-") and shown_paper is None:
            shown_paper = load_preset("pacgan")[1]
        divergences = {name: loss.divergence_id for name, loss in LOSSES.items()}  # labels only shown
        st.dataframe(summary_rows(summary, shown_paper, divergences), hide_index=True, width="stretch",
                     key="exp_table")
        metrics = [m for m in METRIC_TITLES if any(s.get(f"{m}_mean") is not None for s in summary)]
        cols = st.columns(2)
        for i, metric in enumerate(metrics):
            with cols[i % 2]:
                st.plotly_chart(metric_chart(summary, metric, shown_paper, divergences), key=f"exp_{metric}",
                                width="stretch")
        st.download_button("Download CSV", chosen.read_bytes(), chosen.name, "text/csv")
