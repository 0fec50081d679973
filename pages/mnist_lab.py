"""MNIST Lab: train an image GAN live on MNIST and watch the samples, losses and metrics."""

import numpy as np
import streamlit as st

from ganlab.catalogue import IMAGE_KINDS
from ganlab.config import IMAGE_DEFAULTS, OPTIMIZERS, ConfigError, RunConfig, with_overrides
from ganlab.device import describe_device, resolve_device
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.penalties import REGULARIZERS
from ganlab.problems.images import sample_grid
from ganlab.ui.classroom import controls_area, take_preset
from ganlab.ui.mnist_session import TICK_SECONDS, MnistSession
from ganlab.ui.session_resources import session_resources
from ganlab.viz.mnist_charts import d_output_histogram
from ganlab.viz.toy_charts import d_means_chart, loss_chart

st.title("MNIST Lab")
DEFAULTS = {"mn_loss": "nonsaturating", "mn_clip": 0.01, "mn_gp": 10.0, "mn_channels": 32, "mn_latent": 100,
            "mn_ha": 0.0, "mn_g_lr": 2e-4, "mn_d_lr": 2e-4, "mn_batch": 64, "mn_d_steps": 1, "mn_ema": True,
            **{f"mn_reg_{reg}": float(spec.default) for reg, spec in REGULARIZERS.items()}}
preset = take_preset("mnist-lab", DEFAULTS)  # kept settings, then a link's preset

with controls_area():
    st.subheader("Model")
    arch = st.selectbox("Architecture", list(IMAGE_ARCHITECTURES), key="mn_arch",
                        help="\n".join(f"**{name}**: {text}" for name, text in IMAGE_ARCHITECTURES.items()))
    kind = st.radio("Kind", list(IMAGE_KINDS), key="mn_kind", format_func=lambda k: IMAGE_KINDS[k].label,
                    help="\n".join(f"**{k.label}**: {k.description}" for k in IMAGE_KINDS.values()))
    loss = st.selectbox("Loss", list(LOSSES), key="mn_loss")
    st.caption(LOSSES[loss].description)
    overrides: dict[str, str] = {}
    if LOSSES[loss].weight_clip:
        overrides["loss.clip"] = str(st.number_input("Weight clip c", min_value=0.0001, max_value=10.0,
                                                     format="%.4f", key="mn_clip"))
    if LOSSES[loss].gradient_penalty:
        overrides["loss.gp_lambda"] = str(st.number_input("Gradient penalty λ", min_value=0.01, max_value=1e4,
                                                          key="mn_gp"))
    channels = st.select_slider("DCGAN channels (ngf = ndf)", [8, 16, 32, 64], key="mn_channels",
                                disabled=arch != "dcgan")
    latent = st.select_slider("Latent size", [8, 16, 32, 64, 100, 128], key="mn_latent")
    with st.expander("Regularisers"):
        for reg, spec in REGULARIZERS.items():
            on = st.checkbox(reg, key=f"mn_on_{reg}", help=spec.description)
            strength = st.number_input(f"{reg}: {spec.meaning}", min_value=float(spec.low),
                                       max_value=float(spec.high), format="%.4g",
                                       key=f"mn_reg_{reg}", disabled=not on)
            overrides[f"reg.{reg}"] = str(strength) if on else "off"
    with st.expander("Training tricks"):
        tricks = {
            "tricks.feature_matching": st.checkbox("Feature matching", key="mn_fm",
                                                   help="G matches the mean of D's last hidden features"),
            "tricks.minibatch_discrimination": st.checkbox("Minibatch discrimination", key="mn_mbd"),
            "tricks.virtual_batch_norm": st.checkbox("Virtual batch norm in G (DCGAN)", key="mn_vbn",
                                                     disabled=arch != "dcgan") and arch == "dcgan",
        }
        overrides.update({k: "true" if v else "false" for k, v in tricks.items()})
        overrides["tricks.historical_averaging"] = str(st.number_input(
            "Historical averaging λ (0 = off)", min_value=0.0, max_value=100.0, key="mn_ha"))
    st.subheader("Optimisation")
    for net, name in (("g", "Generator"), ("d", "Discriminator")):
        cols = st.columns(2)
        optimizer = cols[0].selectbox(f"{name} optimiser", list(OPTIMIZERS), key=f"mn_{net}_opt",
                                      help="adam uses β1 0.5, β2 0.999 (DCGAN); rmsprop α 0.999; sgd no momentum")
        lr = cols[1].select_slider(f"{name} learning rate", [5e-5, 1e-4, 2e-4, 4e-4, 5e-4, 1e-3],
                                   key=f"mn_{net}_lr")
        overrides.update({f"{net}_opt.name": optimizer, f"{net}_opt.lr": str(lr)})
    batch = st.select_slider("Batch size", [16, 32, 64, 128], key="mn_batch")
    d_steps = st.slider("D steps per G step", 1, 5, key="mn_d_steps")
    ema = st.checkbox("EMA of G's weights for samples (0.999)", key="mn_ema")

overrides = {"data.name": "mnist", **IMAGE_DEFAULTS, **overrides, "g.arch": arch, "d.arch": arch,
             "loss.name": loss, "g.channels": str(channels), "d.channels": str(channels),
             "latent_dim": str(latent), "batch_size": str(batch), "d_steps": str(d_steps),
             "ema": "0.999" if ema else "0", **IMAGE_KINDS[kind].overrides}
resources = session_resources()
try:
    config = with_overrides(RunConfig(), overrides)
    config.device = resources.device_for(config)  # the GPU while a slot is free, else the CPU (and we say so)
except ConfigError as err:  # a combination the options do not allow: name it, keep the last good run
    config, config_error = None, err
if "mnist_session" not in st.session_state:
    first = config or with_overrides(RunConfig(), {"data.name": "mnist", **IMAGE_DEFAULTS})
    st.session_state["mnist_session"] = MnistSession(first)
session: MnistSession = resources.track("mnist", st.session_state["mnist_session"])
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

cols = st.columns([1, 1, 1, 1, 4])
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
if session.notice:
    st.info(session.notice)
if session.error:
    st.error(session.error)

# Streamlit fades every element of a run in progress that the run has not redrawn yet (after 0.5 s). The
# live view therefore draws first and trains after: each of its reruns redraws everything within a few
# milliseconds of starting and then trains for TRAIN_BUDGET seconds with nothing on the page stale.
PAGE_RUN = "mn_page_run"  # set by a run of the whole page: the view only draws (the fragment's reruns train)
st.session_state[PAGE_RUN] = True


@st.fragment(run_every=TICK_SECONDS if session.playing else None)
def live() -> None:
    page_run = st.session_state.pop(PAGE_RUN, False)
    # everything shown is computed first, in turn with training (a full page run may read beside the
    # fragment's), then drawn in one go
    with session.lock:
        trainer = session.trainer
        history = trainer.history.as_arrays()
        changes = session.config_changes()  # none while every change starts a new run; marked if kept
        grid = sample_grid(trainer, per_row=8)
        outputs = session.d_outputs()
        step, source = trainer.step_count, trainer.sample_source()
    last = session.metrics[-1]["step"] if session.metrics else 0
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
        st.caption(f"Metrics on 1,000 generated digits, every {every} steps while playing.")
        if st.button("Evaluate now", key="mn_eval"):
            with st.spinner("Generating 1,000 digits and scoring them with the LeNet…"):
                session.evaluate()
        if session.metrics:
            st.dataframe(session.metrics_table(), hide_index=True, width="stretch", key="mn_metrics")

    if session.playing and not page_run:
        session.tick()  # drawn above; the next rerun shows what this trained
        if not session.playing:  # it stopped (diverged): the whole page says why and stops the timer
            st.rerun()


live()

with st.expander("Save"):
    folder = st.text_input("Folder", "checkpoints", key="mn_folder")
    if st.button("Save checkpoint", key="mn_save"):
        try:
            st.success(f"Saved {session.save(folder)} (open it in the Latent Explorer or with "
                       "`python -m ganlab eval --checkpoint`).")
        except OSError as err:
            st.error(f"Could not write to {folder!r}: {err.strerror}. Nothing was lost; pick another folder.")
    st.download_button("Download checkpoint", session.checkpoint_bytes(),
                       f"mnist-{config.g.arch}-step{session.trainer.step_count}.pt", "application/octet-stream",
                       key="mn_download")
