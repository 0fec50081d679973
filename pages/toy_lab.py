"""Toy Lab: train a GAN live on 2-D data; watch D's surface, p_g, the arrows and the manifold move."""

from urllib.parse import parse_qsl

import streamlit as st

from ganlab.config import NOISES, OPTIMIZERS, ConfigError, RunConfig, to_query
from ganlab.data import DATASETS
from ganlab.data.toy import dataset_parameters
from ganlab.links import TOY_CONTROLS
from ganlab.losses import LOSSES
from ganlab.nets.mlp import ACTIVATIONS
from ganlab.penalties import REGULARIZERS
from ganlab.run_cost import check_live_cost
from ganlab.runtime.pool import queued_message
from ganlab.ui.classroom import (
    apply_widget_values,
    arriving_preset,
    controls_area,
    mark_address_applied,
    presenter_on,
    remember_settings,
    set_defaults,
    show_link_notes,
)
from ganlab.ui.option_widgets import option_widget
from ganlab.ui.session_resources import session_resources
from ganlab.ui.toy_controls import (
    PREFIX,
    add_selected_points,
    config_from_widgets,
    config_or_guidance,
    parse_points_csv,
    widget_values,
)
from ganlab.ui.toy_live import DEFAULT_LAYERS, controls_facts, layer_pills, render_live
from ganlab.ui.toy_presets import PRESETS
from ganlab.ui.toy_session import MAX_STEPS_PER_TICK, ComparePair, ToySession
from ganlab.viz.draw_canvas import canvas_figure

st.title("Toy Lab")


def describe_overrides(overrides: dict[str, str]) -> str:
    return ", ".join(f"{path} = {value}" for path, value in overrides.items())


def shown(control: str) -> bool:
    """Whether a control group is visible (a teacher's link may show only some; see ganlab.links)."""
    chosen = st.session_state.get("toy_show")
    return chosen is None or control in chosen

# --- a preset in the address (share link, lesson, teacher link): validated like any input ---------------
remember_settings("toy-lab")  # kept while another page is shown or a teacher's link hides the controls
set_defaults({"toy_layers": list(DEFAULT_LAYERS), "toy_speed": 500, "toy_compare": False,
              "toy_compare_loss": "wgan-gp",
              "toy_vs": None})
preset = arriving_preset("toy-lab")
if preset is not None:
    st.session_state.update(widget_values(preset["config"]))
    st.session_state["toy_points"] = preset["config"].data.points
    apply_widget_values(preset)
    st.session_state["toy_show"] = preset.get("toy_show")  # a link without `show` shows every control
    st.session_state["toy_vs"] = preset.get("vs")
    st.session_state["toy_compare"] = "vs" in preset
    st.session_state["toy_preset_note"] = None
if "toy_session" not in st.session_state:
    if preset is None:
        st.session_state.update(widget_values(RunConfig()))
        st.session_state["toy_points"] = None
    initial = config_from_widgets(st.session_state, st.session_state["toy_points"])  # std shown = std used
    initial.device = session_resources().device_for(initial)
    try:
        check_live_cost(initial)
    except ConfigError:  # a link asked for more than a live run may do: start from the defaults (the
        initial = RunConfig(device=initial.device)  # config step below names the field and keeps them)
    st.session_state["toy_session"] = ToySession(initial)
session: ToySession = st.session_state["toy_session"]
session.background = True  # the app trains in a worker process while playing (ganlab.runtime)
resources = session_resources()
resources.track("toy", session)  # paused and dropped when the browser session ends
if resources.device_note:
    st.info(resources.device_note)
show_link_notes("toy-lab")
hidden = [TOY_CONTROLS[c] for c in TOY_CONTROLS if not shown(c)]
if hidden:
    cols = st.columns([3, 1])
    cols[0].caption("This link shows only some controls; hidden (kept as the link set them): "
                    + ", ".join(hidden) + ".")
    if cols[1].button("Show all controls", key="toy_show_all", type="tertiary"):
        st.session_state["toy_show"] = None
        st.rerun()


def apply_preset() -> None:
    """Set the controls to the chosen preset; clearing the box (no preset) keeps them and drops its note."""
    name = st.session_state["toy_preset"]
    if name is None:
        st.session_state["toy_preset_note"] = None
        return
    preset = PRESETS[name]
    st.session_state.update(widget_values(preset.config()))
    st.session_state["toy_preset_note"] = preset.watch


def reset_std() -> None:
    from ganlab.data.toy import DEFAULT_STD

    st.session_state[PREFIX + "data.std"] = DEFAULT_STD.get(st.session_state[PREFIX + "data.name"]) or 0.05


# --- controls (sidebar; a closed expander in presenter mode, which also takes the layer toggles) -------
presenting = presenter_on()
with controls_area(few=st.session_state.get("toy_show") is not None):
    if presenting and shown("layers"):
        layer_pills()
    if shown("preset"):
        st.selectbox("Preset", list(PRESETS), index=None, key="toy_preset", on_change=apply_preset,
                     placeholder="Choose a preset…")
        if st.session_state.get("toy_preset_note"):
            st.caption(st.session_state["toy_preset_note"])

    if shown("data"):
        st.subheader("Data")
        name = st.selectbox("Dataset", list(DATASETS), key=PREFIX + "data.name", on_change=reset_std,
                            format_func=lambda n: n, help="\n".join(f"**{k}**: {v}" for k, v in DATASETS.items()))
        st.caption(DATASETS[name])
        for parameter in sorted(dataset_parameters(name), key=lambda p: p != "std"):  # its own, std first
            if parameter != "points":  # the custom dataset's points are drawn or uploaded below
                option_widget(f"data.{parameter}")
        if name == "custom":
            upload = st.file_uploader("Points (CSV of x,y rows)", type=["csv", "txt"], key="toy_csv")
            if upload is not None and st.session_state.get("toy_csv_id") != upload.file_id:
                try:
                    st.session_state["toy_points"] = parse_points_csv(upload.getvalue())
                    st.session_state["toy_csv_id"] = upload.file_id
                    st.session_state.pop("toy_csv_error", None)
                except ValueError as err:
                    st.session_state["toy_csv_error"] = f"{upload.name}: {err}"
            if st.session_state.get("toy_csv_error"):
                st.error(st.session_state["toy_csv_error"] + " — the previous points are kept.")
            points = st.session_state.get("toy_points")
            st.caption(f"{len(points)} points loaded." if points else "No points yet: draw them on the canvas "
                       "above the plot, or upload a CSV.")

    if shown("loss"):
        st.subheader("Loss")
        loss = st.selectbox("Loss", list(LOSSES), key=PREFIX + "loss.name")
        st.caption(f"{LOSSES[loss].description}. D estimates {LOSSES[loss].divergence} as "
                   f"{LOSSES[loss].estimate_formula}.")
        if LOSSES[loss].weight_clip:
            option_widget("loss.clip")
        if LOSSES[loss].gradient_penalty:
            option_widget("loss.gp_lambda")
    if shown("regularisers"):
        with st.expander("Regularisers"):
            for reg, spec in REGULARIZERS.items():
                on = st.checkbox(reg, key=f"{PREFIX}on.{reg}", help=spec.description)
                if on:
                    st.number_input(f"{reg}: {spec.meaning}", min_value=float(spec.low),
                                    max_value=float(spec.high), key=f"{PREFIX}reg.{reg}", format="%.4g")

    if shown("tricks"):
        with st.expander("Training tricks"):
            st.checkbox("Feature matching (G matches D's mean features)", key=PREFIX + "tricks.feature_matching",
                        help="G's loss becomes ||mean f(x) − mean f(G(z))||², f = D's last hidden layer "
                        "(Salimans et al. 2016)")
            st.checkbox("Minibatch discrimination", key=PREFIX + "tricks.minibatch_discrimination",
                        help="D sees how close each sample is to the others in its batch (Salimans et al. 2016); "
                        "restarts the run")
            option_widget("tricks.historical_averaging")
            option_widget("tricks.unrolled_steps")
            option_widget("ema")

    if shown("networks"):
        st.subheader("Networks")
        cols = st.columns(2)
        for col, net in zip(cols, ("g", "d"), strict=True):
            with col:
                st.caption("Generator" if net == "g" else "Discriminator")
                option_widget(f"{net}.depth")
                option_widget(f"{net}.width")
                st.selectbox("Activation", list(ACTIVATIONS), key=f"{PREFIX}{net}.activation")
                st.checkbox("Spectral norm", key=f"{PREFIX}{net}.spectral_norm")
        option_widget("latent_dim")
        st.selectbox("Noise", list(NOISES), key=PREFIX + "noise", format_func=lambda n: f"{n}: {NOISES[n]}")

    if shown("optimisation"):
        st.subheader("Optimisation")
        cols = st.columns(2)
        for col, net in zip(cols, ("g", "d"), strict=True):
            with col:
                st.caption("Generator" if net == "g" else "Discriminator")
                st.selectbox("Optimiser", list(OPTIMIZERS), key=f"{PREFIX}{net}_opt.name")
                option_widget(f"{net}_opt.lr")
        option_widget("batch_size")
        option_widget("d_steps")
        option_widget("g_steps")
    if shown("speed"):
        st.slider("Speed (steps per tick)", 1, MAX_STEPS_PER_TICK, key="toy_speed",
                  help="At most this many steps per frame; a frame also stops training after 0.09 s")

    if shown("compare"):
        st.subheader("Compare")
        vs = st.session_state.get("toy_vs")
        st.checkbox("Compare mode: a second run with another loss, same data and seed" if not vs else
                    "Compare mode: a second run, same data and seed, with " + describe_overrides(vs),
                    key="toy_compare")
        if st.session_state["toy_compare"] and vs:
            if st.button("Compare another loss instead", key="toy_vs_clear"):
                st.session_state["toy_vs"] = None
                st.rerun()
        elif st.session_state["toy_compare"]:
            st.selectbox("Second run's loss", list(LOSSES), key="toy_compare_loss")
speed = st.session_state["toy_speed"]
compare = st.session_state["toy_compare"]
if compare:
    other = st.session_state.get("toy_vs") or {"loss.name": st.session_state["toy_compare_loss"]}

# --- drawing a custom distribution -------------------------------------------------------------------
if st.session_state[PREFIX + "data.name"] == "custom":
    with st.expander("Draw the custom distribution", expanded=not st.session_state.get("toy_points")):
        event = st.plotly_chart(canvas_figure(st.session_state.get("toy_points")), key="toy_canvas",
                                on_select="rerun", selection_mode=("points", "box", "lasso"))
        chosen = event.selection.points if event and event.selection else []
        if chosen and st.session_state.get("toy_canvas_seen") != chosen:
            st.session_state["toy_canvas_seen"] = chosen
            st.session_state["toy_points"] = add_selected_points(st.session_state.get("toy_points"), chosen)
            st.rerun()
        if st.button("Clear points", disabled=not st.session_state.get("toy_points")):
            st.session_state["toy_points"] = None
            st.rerun()

# --- compare mode: run B, trained in lockstep with this run (A) -----------------------------------------
pair = None
if compare:
    pair = st.session_state.get("toy_pair")
    if pair is None or pair.main is not session or pair.overrides != other or session.partner is not pair.other:
        try:
            pair = ComparePair(session, other)  # A restarts from step 0 with B when it was under way
        except ConfigError as err:
            st.error(f"Compare mode: {err}")
            session.unpair()
            pair = None
        st.session_state["toy_pair"] = pair
        if pair is not None:
            resources.track("toy_pair", pair)
elif session.partner is not None:  # compare mode switched off: run B stops, A goes on alone
    session.unpair()
    st.session_state["toy_pair"] = None

# --- config: validated; a bad value keeps the last good run ----------------------------------------
try:
    wanted, guidance = config_or_guidance(st.session_state, st.session_state.get("toy_points"))
    if guidance:  # the custom dataset waits for its points: say how to give them
        st.info(guidance, icon="✏️")
    else:
        wanted.device = resources.device_for(wanted)
        restart = (pair or session).set_config(wanted)
except ConfigError as err:
    st.error(f"Not applied: {err}. The run keeps its last good settings.")
session.set_speed(speed)

# --- transport controls -----------------------------------------------------------------------------
if preset is not None and preset.get("toy_autoplay") and not session.error:
    session.play()
controls = controls_facts(session)  # what the controls below show: the live part redraws the page when it changes
cols = st.columns([1, 1, 1, 1, 2, 3])
if shown("play") and cols[0].button("Play", type="primary", disabled=session.playing):
    session.notice = None  # a notice (reset, restart, branch) stays until the next Play or Step
    session.play()
    st.rerun()
if shown("play") and cols[1].button("Pause", disabled=not session.playing):
    session.pause()
    st.rerun()
step_help = "One D update, shown, then one G update" + (" (runs A and B)" if pair is not None else "")
if shown("step") and cols[2].button("Step", help=step_help):
    session.notice = None
    session.step_discriminator()  # in compare mode both runs (ComparePair)
if shown("reset") and cols[3].button("Reset"):
    session.reset()  # in compare mode both runs
    st.rerun()
if shown("share") and cols[4].button("Share", help="Put every option in the page's address"):
    address = dict(parse_qsl(to_query(session.config)))
    st.query_params.from_dict(address)
    mark_address_applied("toy-lab", address)
    cols[5].caption("The address bar now holds this configuration: copy it to share.")

if session.notice:
    if session.playing:  # a restart while the run plays: say it once, the run moves on
        st.toast(session.notice, icon="🔄", duration="long")
        session.notice = None
    else:
        st.info(session.notice)
if session.error:
    st.error(session.error)
if session.lost and st.button("Restart from the last moment kept", type="primary", key="toy_restart"):
    session.restart()
    st.rerun()
if session.queue_position is not None:
    st.info(queued_message(session.queue_position), icon="⏳")

render_live(session, controls, pair, show_layers=shown("layers") and not presenting)
