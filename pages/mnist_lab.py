"""MNIST Lab: train an image GAN live on MNIST and watch the samples, losses and metrics."""

import numpy as np
import streamlit as st

from ganlab import operator_settings
from ganlab.catalogue import IMAGE_KINDS
from ganlab.config import OPTIMIZERS, ConfigError
from ganlab.device import describe_device, resolve_device
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.penalties import REGULARIZERS
from ganlab.problems.images import sample_grid
from ganlab.run_cost import check_live_cost
from ganlab.runtime.pool import queued_message
from ganlab.ui.classroom import controls_area, mark_address_applied, take_preset
from ganlab.ui.mnist_controls import (
    ARCH,
    KIND,
    PAGE,
    PREFIX,
    apply_link,
    base_config,
    config_from_widgets,
    default_values,
    save_box,
    share_params,
)
from ganlab.ui.mnist_scoring import scoring_note
from ganlab.ui.mnist_session import TICK_SECONDS, MnistSession
from ganlab.ui.option_widgets import option_widget
from ganlab.ui.session_files import SAVES_OFF
from ganlab.ui.session_resources import session_resources
from ganlab.viz.mnist_charts import d_output_histogram
from ganlab.viz.toy_charts import d_means_chart, loss_chart

st.title("MNIST Lab")
preset = take_preset(PAGE, default_values())  # kept settings, then a link's preset (shown in the caption)
if preset:
    apply_link(preset, st.session_state)  # as the Toy Lab's links: the defaults, then what the link sets

with controls_area():  # every config widget's key is "mn." + its dotted path; numbers from ganlab.options
    st.subheader("Model")
    arch = st.selectbox("Architecture", list(IMAGE_ARCHITECTURES), key=ARCH,
                        help="\n".join(f"**{name}**: {text}" for name, text in IMAGE_ARCHITECTURES.items()))
    st.radio("Kind", list(IMAGE_KINDS), key=KIND, format_func=lambda k: IMAGE_KINDS[k].label,
             help="\n".join(f"**{k.label}**: {k.description}" for k in IMAGE_KINDS.values()))
    loss = st.selectbox("Loss", list(LOSSES), key=PREFIX + "loss.name")
    st.caption(LOSSES[loss].description)
    if LOSSES[loss].weight_clip:
        option_widget("loss.clip", key_prefix=PREFIX)
    if LOSSES[loss].gradient_penalty:
        option_widget("loss.gp_lambda", key_prefix=PREFIX)
    for col, net in zip(st.columns(2), ("g", "d"), strict=True):
        with col:
            option_widget(f"{net}.channels", f"{net.upper()} channels", key_prefix=PREFIX,
                          disabled=arch != "dcgan")
    option_widget("latent_dim", key_prefix=PREFIX)
    with st.expander("Regularisers"):
        for reg, spec in REGULARIZERS.items():
            on = st.checkbox(reg, key=f"{PREFIX}on.{reg}", help=spec.description)
            st.number_input(f"{reg}: {spec.meaning}", min_value=float(spec.low), max_value=float(spec.high),
                            format="%.4g", key=f"{PREFIX}reg.{reg}", disabled=not on)
    with st.expander("Training tricks"):
        st.checkbox("Feature matching", key=PREFIX + "tricks.feature_matching",
                    help="G matches the mean of D's last hidden features")
        st.checkbox("Minibatch discrimination", key=PREFIX + "tricks.minibatch_discrimination")
        st.checkbox("Virtual batch norm in G (DCGAN)", key=PREFIX + "tricks.virtual_batch_norm",
                    disabled=arch != "dcgan")
        option_widget("tricks.historical_averaging", key_prefix=PREFIX)
        option_widget("ema", "EMA of G's weights for samples (decay, 0 = off)", key_prefix=PREFIX)
    st.subheader("Optimisation")
    for col, net in zip(st.columns(2), ("g", "d"), strict=True):
        with col:
            st.caption("Generator" if net == "g" else "Discriminator")
            st.selectbox("Optimiser", list(OPTIMIZERS), key=f"{PREFIX}{net}_opt.name",
                          help="adam uses β1 0.5, β2 0.999 (DCGAN); rmsprop α 0.999; sgd no momentum")
            option_widget(f"{net}_opt.lr", key_prefix=PREFIX)
    option_widget("batch_size", key_prefix=PREFIX)
    option_widget("d_steps", key_prefix=PREFIX)

resources = session_resources()
try:
    config = config_from_widgets(st.session_state)
    config.device = resources.device_for(config)  # the GPU while a slot is free, else the CPU (and we say so)
    check_live_cost(config)  # however the settings arrived (widgets, a link), one iteration stays short
except ConfigError as err:  # a combination the options do not allow: name it, keep the last good run
    config, config_error = None, err
if "mnist_session" not in st.session_state:
    st.session_state["mnist_session"] = MnistSession(config or base_config())
session: MnistSession = resources.track("mnist", st.session_state["mnist_session"])
session.background = True  # the app trains in a worker process while playing (ganlab.runtime)
if config is not None:
    session.set_config(config)
else:
    st.error(f"Not applied: {config_error}. The run keeps its last good settings.")
    config = session.trainer.config
if preset and preset.get("mn_autoplay") and not session.playing:
    session.play()

device = resolve_device(config.device)
if resources.device_note:
    st.info(resources.device_note)
st.caption(f"Device: {describe_device(device)} · Data: {session.trainer.dataset.source} · Metrics use ganlab's "
           "own LeNet: FID (LeNet) is not comparable with Inception FID.")

cols = st.columns([1, 1, 1, 1, 1, 3])
if cols[0].button("Play", type="primary", key="mn_play", disabled=session.playing):
    session.play()
    st.rerun()
if cols[1].button("Pause", key="mn_pause", disabled=not session.playing):
    session.pause()
    st.rerun()
if cols[2].button("Step", key="mn_step"):
    session.step()
if cols[3].button("Reset", key="mn_reset"):
    session.reset()
    st.rerun()
if cols[4].button("Share", key="mn_share", help="Put these settings in the page's address"):
    address = share_params(st.session_state)
    st.query_params.from_dict(address)
    mark_address_applied(PAGE, address)
    cols[5].caption("The address bar now holds these settings: copy it to share.")
if session.notice:
    st.info(session.notice)
if session.error:
    st.error(session.error)
if session.queue_position is not None:
    st.info(queued_message(session.queue_position), icon="⏳")

# Streamlit fades every element of a run in progress that the run has not redrawn yet (after 0.5 s). The
# live view therefore draws first and trains after: each of its reruns redraws everything within a few
# milliseconds of starting and then trains for TRAIN_BUDGET seconds with nothing on the page stale.
PAGE_RUN = "mn_page_run"  # set by a run of the whole page: the view only draws (the fragment's reruns train)
st.session_state[PAGE_RUN] = True


@st.fragment(run_every=1.0)
def scoring_in_progress() -> None:
    """While a paused run's digits are scored in a job's process: where that stands; the page reruns when it is
    back (a playing run's live view reruns anyway, and shows the note itself)."""
    if session.collect_metrics():
        st.rerun()
    st.info(scoring_note(session.scoring_step, session.scoring_ahead()), icon="⏳")


@st.fragment(run_every=TICK_SECONDS if session.playing else None)
def live() -> None:
    page_run = st.session_state.pop(PAGE_RUN, False)
    # everything shown is computed first, in turn with training (a full page run may read beside the
    # fragment's), then drawn in one go
    session.collect_metrics()  # a scoring job that is back: its row (or its failure) is shown below
    with session.lock:
        trainer = session.trainer
        history = trainer.history.as_arrays()
        changes = session.config_changes()  # none while every change starts a new run; marked if kept
        grid = sample_grid(trainer, per_row=8)
        outputs = session.d_outputs()
        step, source = trainer.step_count, trainer.sample_source()
    last = session.metrics_mark  # the step of the last scoring started
    every = session.metrics_every
    done = min(step - last, every)
    rows, per_row = grid.shape[:2]
    sheet = grid.transpose(0, 2, 1, 3).reshape(rows * 28, per_row * 28)

    st.markdown(f"### Step {step}")
    st.progress(done / every, text=f"Next metrics (FID (LeNet), score, precision / recall on 1,000 digits) at "
                f"step {last + every}: {done}/{every}")
    left, right = st.columns([2, 3])
    with left:
        caption = "one row per digit" if rows == 10 else "fixed noise"
        st.image((sheet * 255).astype(np.uint8), caption=f"Samples ({caption}) from {source}",
                 width=360)
    with right:
        st.plotly_chart(loss_chart(history, uirevision="mn-losses", changes=changes), key="mn_losses",
                        width="stretch")
        st.plotly_chart(d_means_chart(history["step"], history["d_real"], history["d_fake"], uirevision="mn-d",
                                      changes=changes), key="mn_dmeans", width="stretch")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(d_output_histogram(outputs, probability=trainer.loss.output == "probability",
                                           step=step), key="mn_hist", width="stretch")
    with right:
        st.caption(f"Metrics on 1,000 generated digits, every {every} steps while playing, scored in a process "
                   "of its own.")
        scoring = session.scoring_step  # None unless a scoring is pending
        st.button("Evaluate now", key="mn_eval", on_click=session.evaluate, disabled=scoring is not None,
                  help=f"Scoring step {scoring:,}…" if scoring is not None else
                  "Generate 1,000 digits now and score them with the LeNet, in a process of its own")
        if session.metrics_error:
            st.error(session.metrics_error)
        if scoring is not None and session.playing:
            st.info(scoring_note(scoring, session.scoring_ahead()), icon="⏳")
        elif scoring is not None:
            scoring_in_progress()
        if session.metrics:
            st.dataframe(session.metrics_table(), hide_index=True, width="stretch", key="mn_metrics")

    if session.playing and not page_run:
        waiting = session.queue_position is not None
        session.tick()  # drawn above; the next rerun shows what this trained (in the app: what its worker did)
        if not session.playing or (waiting and session.queue_position is None):
            st.rerun()  # it stopped (diverged, lost, at the limit) or its turn came: the whole page says so


live()

with st.expander("Save"):
    if operator_settings.current().saves:
        save_box(session)
    else:  # the operator turned server saves off (GANLAB_SAVES=off): the download only
        st.caption(SAVES_OFF)
        st.download_button("Download checkpoint", session.checkpoint_bytes(), session.file_name(),
                           "application/octet-stream", key="mn_download")
