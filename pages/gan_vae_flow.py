"""GAN, VAE and flow: three model families train live side by side on one toy data set (issue 21)."""

import streamlit as st

from ganlab.data import DATASETS
from ganlab.runtime.pool import WorkerError, WorkerLost, queued_message
from ganlab.ui.classroom import controls_area, presenter_on, take_preset
from ganlab.ui.families_mnist import (
    METRIC_SAMPLES,
    RECONSTRUCTION_CAPTION,
    FreshVAE,
    ModelReport,
    fresh_status,
    grid_image,
    metrics_table,
    reconstruction_image,
    sample_caption,
    shipped_reports_job,
    table_caption,
)
from ganlab.ui.families_session import (
    DEFAULT_DATASET,
    EVAL_EVERY,
    FAMILY_DATASETS,
    LIVE_SAMPLES,
    NO_PRESET,
    PRESETS,
    FamilySession,
)
from ganlab.ui.live_plot import live_plot
from ganlab.ui.session_resources import session_resources
from ganlab.viz.families import FAMILIES, FAMILY_TITLES, LOG_DENSITY_SPAN, kl_chart, panel_figure
from ganlab.viz.spec import figure_spec

PAGE = "gan-vae-flow"
FRAME_SECONDS = 0.5  # a playing page asks the worker for a frame this often
HEADER_SCALE = 0.75  # a panel's "GAN · step N" heading, relative to an h3 (presenter mode: larger)
DATASET, PRESET = "fam_dataset", "fam_preset"

st.title("GAN, VAE and flow")
take_preset(PAGE, {DATASET: DEFAULT_DATASET, PRESET: NO_PRESET})  # kept settings, then a link's preset

INTRO = (r"Three ways to learn $p_\mathrm{data}$ from its samples, trained side by side on the same data, in "
         r"lockstep. **Forward KL** "
         r"$= \mathbb{E}_{p_\mathrm{data}}[\log p_\mathrm{data} - \log p_\mathrm{model}]$ is what maximum "
         r"likelihood minimises; it is large where the model misses data: **mode covering**. **Reverse KL** "
         r"$= \mathbb{E}_{p_\mathrm{model}}[\log p_\mathrm{model} - \log p_\mathrm{data}]$ is large where the "
         r"model puts mass where there is no data: **mode seeking**. The VAE maximises the "
         r"$\mathrm{ELBO} \le \log p(x)$, the flow $\log p(x)$ itself; the GAN has no density. "
         r"All values in nats.")
MORE = r"""
- **VAE** (Kingma & Welling 2014):
  $\log p(x) \ge \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z)) = \mathrm{ELBO}(x)$; its
  $\log p(x)$ is estimated by importance sampling (Burda et al. 2016), a lower bound in expectation, so its
  forward KL reads high and its reverse KL low by the gap.
- **Flow** (RealNVP, Dinh et al. 2017):
  $\log p(x) = \log \mathcal{N}(f(x); 0, I) + \log|\det \partial f/\partial x|$, exactly; samples are
  $f^{-1}(z)$, $z \sim \mathcal{N}(0, I)$.
- **GAN**: maximum likelihood minimises the forward KL, since the mean log-likelihood is
  $-H(p_\mathrm{data}) -$ forward KL. With the optimal $D$ the non-saturating generator instead follows
  $\mathrm{KL}(p_g\|p_\mathrm{data}) - 2\,\mathrm{JSD}$ (Arjovsky & Bottou 2017), closer to the reverse
  direction; $\mathrm{JSD}(P\|Q) = \tfrac12\mathrm{KL}(P\|M) + \tfrac12\mathrm{KL}(Q\|M)$, $M = \tfrac12(P+Q)$,
  $0 \le \mathrm{JSD} \le \log 2$. The GAN has no density, so its KLs are between kernel-smoothed densities.
- Metrics and both KLs are evaluated every """ + f"{EVAL_EVERY} steps on 2,500 samples of each side."

if presenter_on():  # the panels on the first screen; the maths one click away
    with st.expander("The maths on this page"):
        st.markdown(INTRO)
        st.markdown(MORE)
else:
    st.markdown(INTRO)
    with st.expander("More on the maths"):
        st.markdown(MORE)

resources = session_resources()
if "families_session" not in st.session_state:
    st.session_state["families_session"] = FamilySession()
session: FamilySession = resources.track("families", st.session_state["families_session"])
session.background = True  # the app trains in a worker process while playing (ganlab.runtime)

# the widgets' values (a link, the reader) against the runs, before the widgets are drawn: a preset brings its
# data set; another data set, or "none", leaves the preset
wanted_preset = st.session_state.get(PRESET, NO_PRESET)
if wanted_preset != NO_PRESET and wanted_preset != session.preset:
    session.apply_preset(wanted_preset)
    st.session_state[DATASET] = session.dataset
elif st.session_state.get(DATASET, DEFAULT_DATASET) != session.dataset or (
        wanted_preset == NO_PRESET and session.preset is not None):
    session.set_dataset(st.session_state.get(DATASET, DEFAULT_DATASET))
    st.session_state[PRESET] = NO_PRESET

with controls_area():
    st.subheader("Data and presets")
    st.selectbox("Data set", FAMILY_DATASETS, key=DATASET,
                 help="\n".join(f"**{name}**: {DATASETS[name]}" for name in FAMILY_DATASETS))
    st.selectbox("Failure preset", [NO_PRESET, *PRESETS], key=PRESET,
                 format_func=lambda key: "none" if key == NO_PRESET else PRESETS[key].name,
                 help="Each preset shows one family's typical failure; the runs stop once at its step budget.")
    st.caption("Changing either starts three new runs from step 0.")

cols = st.columns([1, 1, 1, 1, 4])
if cols[0].button("Play", type="primary", key="fam_play", disabled=session.playing):
    session.play()
    st.rerun()
if cols[1].button("Pause", key="fam_pause", disabled=not session.playing):
    session.pause()
    st.rerun()
if cols[2].button("Step", key="fam_step", help="One step of each of the three runs"):
    session.step()
if cols[3].button("Reset", key="fam_reset"):
    session.reset()
    st.rerun()
if session.notice:
    st.info(session.notice)
if session.error:
    st.error(session.error)
if session.queue_position is not None:
    st.info(queued_message(session.queue_position, runs=3), icon="⏳")

PANEL_NOTES = {
    "gan": f"heatmap: D on the plane; dotted: a kernel density estimate of p_g from the {LIVE_SAMPLES} samples "
           "shown.",
    "vae": "circles: data points, coloured by their angle; below the plane, where the encoder puts them.",
    "flow": "grey mesh: f⁻¹ of a regular latent grid over [-2.5, 2.5]², where the flow stretches N(0, I).",
}
PLANE_PX, PRESENTER_PLANE_PX = 250, 330  # the planes' height in pixels (presenter mode: wider columns)


def panel(family: str, snap: dict, extras: dict) -> None:
    """One family's column: the panel under its "GAN · step N" heading, and its key numbers. The panels are
    live plots (ganlab.ui.live_plot), which each frame updates in place: st.plotly_chart mounts a new chart
    for every new figure, and a panel was blank for a moment at each frame."""
    figure = panel_figure(family, snap, title="", plane_px=PRESENTER_PLANE_PX if presenter_on() else PLANE_PX,
                          **extras)
    live_plot(key=f"fam_panel_{family}", spec=figure_spec(figure),
              header=f"{FAMILY_TITLES[family]} · step {int(snap['step'])}",
              header_scale=HEADER_SCALE * (1.4 if presenter_on() else 1.0))
    evaluated, numbers = session.numbers(family)
    if evaluated is None:
        st.caption(f"Metrics every {EVAL_EVERY} steps: the first at step {EVAL_EVERY}.")
    else:
        st.caption(f"At step {evaluated:,}: " + " · ".join(numbers))


def reading_notes(frame: dict) -> str:
    """How to read the three panels: what each heatmap is, and the overlays."""
    lines = ["Green contours: p_data (exact), in every panel; dots: each model's samples at fixed noise."]
    for family in FAMILIES:
        snap = frame["snapshots"][family]
        density = "" if family == "gan" else \
            f"heatmap: {snap['density_method']}, its top {LOG_DENSITY_SPAN:g} nats; "
        lines.append(f"**{FAMILY_TITLES[family]}**: {density}{PANEL_NOTES[family]}")
    return "\n".join(f"- {line}" for line in lines)


@st.fragment(run_every=FRAME_SECONDS if session.playing else None)
def live() -> None:
    playing = session.playing
    frame = session.live_frame()  # from the worker while playing: this server never trains
    session.refresh()  # weights and histories, at most once a second
    if playing and not session.playing:
        st.rerun()  # stopped (the preset's budget, a divergence, a lost worker): the whole page says why
    extras = session.panel_inputs(frame)
    for column, family in zip(st.columns(3), FAMILIES, strict=True):
        with column:
            panel(family, frame["snapshots"][family], extras[family])
    if presenter_on():
        with st.expander("How to read the panels"):
            st.markdown(reading_notes(frame))
    else:
        st.caption(reading_notes(frame))
    st.markdown("#### Forward and reverse KL over training")
    live_plot(key="fam_kl", spec=figure_spec(kl_chart(session.kl_histories())))
    methods = session.kl_methods()
    st.caption("How each is estimated: " + "; ".join(f"**{FAMILY_TITLES[f]}**: {methods[f]}" for f in FAMILIES)
               + ". ▲: +∞ (drawn at the top); ▼: at or below 10⁻³ (a Monte Carlo estimate can dip below 0).")


live()


def preset_row(preset) -> str:
    data = ", ".join([preset.dataset, *(f"{k.removeprefix('data.')} {v}" for k, v in preset.data.items()
                                        if k != "data.name")])
    options = ", ".join(f"{k} = {v}" for options in preset.models.values() for k, v in options.items())
    return f"| {preset.name} | {data} | {options} | step {preset.steps:,} | {preset.explanation} |"


st.markdown("#### The failure presets")
st.markdown("| preset | data | option | stops at | what it shows |\n|---|---|---|---|---|\n"
            + "\n".join(preset_row(p) for p in PRESETS.values()))


# --- On MNIST: a VAE beside a DCGAN (ganlab.ui.families_mnist) ------------------------------------------------

SAMPLE_COLUMNS, IMAGE_PX = 8, 300  # the sample grids: digits a row, width in pixels
MNIST_INTRO = (r"The same comparison on digits, where no density can be drawn: a convolutional VAE (an "
               r"8-dimensional $z$, a Bernoulli decoder on the grey levels), the DCGAN of the Latent Explorer, "
               r"and a VAE you can train here, all trained on the same 4,000 digits of the offline MNIST subset. "
               r"The VAE maximises a lower bound of $\log p(x)$, so it must give every training digit "
               r"probability (forward KL: mode covering); its samples are the decoder's means, averages over "
               r"what it is unsure of, so they blur. The GAN's samples are sharper, and it has no likelihood to "
               r"report. The same LeNet metrics score both. Values in nats.")
st.markdown("#### On MNIST")
st.markdown(MNIST_INTRO)
if "families_fresh_vae" not in st.session_state:
    st.session_state["families_fresh_vae"] = FreshVAE(background=True)
fresh: FreshVAE = resources.track("families_fresh_vae", st.session_state["families_fresh_vae"])
shipped: list[ModelReport] = []
scoring = None  # the shipped models' scoring while it runs (a process apart from this server)
try:
    scoring = shipped_reports_job()
    if scoring.done():
        shipped, scoring = scoring.result(), None
except (OSError, WorkerError, WorkerLost) as err:  # a missing or damaged file: say which, the page goes on
    scoring = None
    st.error(f"The shipped MNIST models could not be scored: {err}")


@st.fragment(run_every=1.0)
def shipped_scoring() -> None:
    """Where the shipped models' columns will be: a note while they are scored; the page reruns when done."""
    if scoring.done():
        st.rerun()
    st.info(f"Scoring the shipped VAE and DCGAN on {METRIC_SAMPLES:,} digits each, in a process of its own (once "
            "per server, under a minute on one core). The rest of the page works meanwhile.", icon="⏳")


def show_report(report: ModelReport, heading: bool = True) -> None:
    """One model's column: its heading, samples and (a VAE) reconstructions, each captioned."""
    if heading:
        st.markdown(f"**{report.title}** · {report.source}")
    st.image(grid_image(report.samples, SAMPLE_COLUMNS), width=IMAGE_PX,
             caption=sample_caption(report))
    if report.originals is not None:
        st.image(reconstruction_image(report), width=IMAGE_PX, caption=RECONSTRUCTION_CAPTION)


@st.fragment(run_every=1.0 if fresh.running else None)
def fresh_panel() -> None:
    """The fresh VAE's column: Train / Cancel, its progress and live samples, then its report."""
    was_running = fresh.running
    fresh.poll()
    st.markdown(f"**Fresh VAE** · the shipped VAE's options, {fresh.steps:,} steps from scratch, here")
    left, right = st.columns([3, 2])
    if left.button(f"Train {fresh.steps:,} steps", key="fam_fresh_train", disabled=fresh.running,
                   help="A new VAE from step 0, trained in a worker process (about half a minute on one CPU "
                        "core); the page stays usable"):
        fresh.start()
        st.rerun()
    if right.button("Cancel", key="fam_fresh_cancel", disabled=not fresh.running):
        fresh.cancel()
        st.rerun()
    st.caption(fresh_status(fresh))
    if fresh.running:
        st.progress(fresh.step / fresh.steps, text=f"step {fresh.step:,} of {fresh.steps:,}")
    if fresh.report is not None:
        show_report(fresh.report, heading=False)  # the column's heading says what it is
    elif fresh.images is not None:
        st.image(grid_image(fresh.images, SAMPLE_COLUMNS), width=IMAGE_PX,
                 caption=f"Decoder means of {len(fresh.images)} fixed z ~ N(0, I) at step {fresh.step:,}")
    if was_running and not fresh.running:
        st.rerun()  # trained, cancelled or stopped: the whole page (the table, the polling) follows


columns = st.columns(3)
for column, report in zip(columns, shipped, strict=False):
    with column:
        show_report(report)
if scoring is not None:
    with columns[0]:
        shipped_scoring()
with columns[2]:
    fresh_panel()
reports = [*shipped, *([fresh.report] if fresh.report is not None else [])]
if reports:
    st.markdown(metrics_table(reports))
    st.caption(table_caption(reports))
