"""Experiments: run a grid of toy GANs (datasets x losses x seeds) and compare them with error bars."""

from pathlib import Path

import streamlit as st

from ganlab.config import ConfigError
from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.sweep import SweepSpec, list_presets, load_preset, parse_seeds, summarize
from ganlab.ui.experiments import SweepJob, load_rows, new_csv_path, saved_sweeps
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
if preset != "(none)":
    spec, paper, description = load_preset(preset)
    st.caption(description)
else:
    spec = SweepSpec(["ring8"], ["nonsaturating", "wgan-gp"], [0, 1, 2], 2000)

with st.form("sweep"):
    datasets = st.multiselect("Datasets", list(DATASETS), default=spec.datasets)
    losses = st.multiselect("Losses", list(LOSSES), default=spec.losses)
    seeds_text = st.text_input("Seeds (0,1,2 or a range 0-4)", ",".join(map(str, spec.seeds)))
    steps = st.number_input("Steps per run", min_value=1, max_value=1_000_000, value=spec.steps)
    workers = st.slider("Parallel processes", 1, 8, value=spec.workers)
    start = st.form_submit_button("Run sweep", type="primary")

job: SweepJob | None = st.session_state.get("exp_job")
if start:
    try:
        if not datasets or not losses:
            raise ValueError("pick at least one dataset and one loss")
        spec.datasets, spec.losses, spec.seeds = datasets, losses, parse_seeds(seeds_text)
        spec.steps, spec.workers = int(steps), int(workers)
        job = SweepJob(spec, new_csv_path(), preset=None if preset == "(none)" else preset)
        job.start()
        st.session_state["exp_job"] = job
        st.session_state["exp_paper"] = paper
        st.session_state["exp_show"] = str(job.out_csv)
    except (ConfigError, ValueError) as err:
        st.error(f"Sweep not started: {err}")


@st.fragment(run_every=1.0 if job is not None and not job.finished() else None)
def progress() -> None:
    current: SweepJob | None = st.session_state.get("exp_job")
    if current is None:
        return
    done = current.done_runs()
    st.progress(min(done / current.total, 1.0), text=f"{done} / {current.total} runs — {current.out_csv}")
    if current.failed():
        st.error(f"The sweep stopped with an error:\n\n```\n{current.failed()}\n```")
    elif not current.finished():
        if st.button("Cancel sweep"):
            current.cancel()
    elif st.session_state.get("exp_finished") != str(current.out_csv):
        st.session_state["exp_finished"] = str(current.out_csv)
        st.rerun(scope="app")


progress()

st.subheader("Results")
files = saved_sweeps()
if not files:
    st.caption("No sweep yet: run one above (results are saved in runs/*.csv).")
else:
    names = [str(p) for p in files]
    shown = st.session_state.get("exp_show")
    chosen = st.selectbox("Sweep", names, index=names.index(shown) if shown in names else 0)
    rows = load_rows(Path(chosen))
    if not rows:
        st.caption("This sweep has no finished run yet.")
    else:
        summary = summarize(rows)
        shown_paper = st.session_state.get("exp_paper") if chosen == shown else None
        if "pacgan" in Path(chosen).name and shown_paper is None:
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
        st.download_button("Download CSV", Path(chosen).read_bytes(), Path(chosen).name, "text/csv")
