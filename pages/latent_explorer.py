"""Latent Explorer: browse what a trained MNIST generator learned, with no training."""

import numpy as np
import streamlit as st
import torch

from ganlab.checkpoint import CheckpointError
from ganlab.file_checks import FileError
from ganlab.image_eval import IMAGE_METRIC_TITLES
from ganlab.latent import ATTRIBUTES
from ganlab.model_card import card_metrics_caption, command_caption, metric_text, steps_text
from ganlab.runtime.jobs import job_runner
from ganlab.ui.classroom import controls_area, take_preset
from ganlab.ui.latent_session import (
    CORNERS,
    GRID_SAMPLES,
    MAX_IMAGE_PIXELS,
    LatentSession,
    Pin,
    as_plain_markdown,
    checkpoint_label,
    default_groups,
    default_pins,
    image_checkpoints,
    keep_choice,
    pins_missing,
    predict,
    read_digit_image,
    session_checkpoints,
    short_name,
    test_images,
    to_display,
    toy_checkpoints,
)
from ganlab.ui.session_files import session_folder
from ganlab.viz.image_grid import clickable_grid

st.title("Latent Explorer")
st.caption("Pick a trained generator and explore its latent space: samples, interpolation, the four-corner "
           "sheet, latent arithmetic, attribute directions, label sweeps, nearest training digits and "
           "inversion. Every image is captioned with the prediction of ganlab's own LeNet.")

UPLOAD = "Upload a checkpoint…"
toys = toy_checkpoints()
shipped = {**image_checkpoints(), **toys}  # shipped first: the default is a shipped generator
yours = session_checkpoints(session_folder(create=False))  # this session's own saves only
take_preset("latent-explorer", checkpoints=list(shipped))  # kept settings, then a link's preset


def show(images: torch.Tensor, captions: list[str] | None = None, width: int = 64,
         predictions: bool = True) -> None:
    """A row of digits, each captioned (by default with the classifier's prediction)."""
    if captions is None:
        captions = [""] * len(images)
    if predictions:
        digits, confidence = predict(images)
        captions = [f"{c}{' · ' if c else ''}{d} ({p:.0%})" for c, d, p in
                    zip(captions, digits, confidence, strict=True)]
    st.image(list(to_display(images)), caption=captions, width=width)


def show_toy(name: str) -> None:
    """A shipped toy generator: its samples on the plane and where two latent paths land."""
    from ganlab.generator_file import load_generator
    from ganlab.latent import lerp, slerp
    from ganlab.metrics import grid_centres
    from ganlab.problems.toy import build_dataset
    from ganlab.viz.toy_generator import toy_generator_figure

    try:
        loaded = load_generator(shipped[name])
    except CheckpointError as err:
        st.error(as_plain_markdown(str(err)))
        return
    dataset = build_dataset(loaded.config)
    st.markdown(f"**{name}**: a toy generator ({loaded.config.data.name}, loss {loaded.config.loss.name}, "
                f"latent size {loaded.latent_dim}, {steps_text(loaded.card) or 'steps not given'}). "
                f"Card: `{loaded.card.get('command', '?')}`")
    m = loaded.card.get("metrics", {})
    if m:
        st.caption(f"Modes covered {m.get('modes_covered')}/{m.get('modes_total')}, high-quality fraction "
                   f"{metric_text(m.get('hq_fraction'))}, W1 {metric_text(m.get('w1'))} (2,500 samples)")
    cols = st.columns(2)
    seed = cols[0].number_input("Seed", 0, 10**6, 0, key="lx_toy_seed")
    steps = cols[1].slider("Path steps", 3, 40, 20, key="lx_toy_steps")
    ends = loaded.random_z(2, int(seed) + 1)
    xs, ys = grid_centres(dataset.bounds, 80)
    gx, gy = np.meshgrid(xs, ys)
    density = (dataset.density(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(80, 80)
               if dataset.has_density else None)
    samples = loaded.generate(loaded.random_z(2000, int(seed))).numpy()
    fig = toy_generator_figure(xs, ys, density, samples, dataset.centers,
                               loaded.generate(lerp(ends[0], ends[1], steps)).numpy(),
                               loaded.generate(slerp(ends[0], ends[1], steps)).numpy())
    st.plotly_chart(fig, key="lx_toy_plot")
    st.caption("The two paths join the same pair of latents: linearly and spherically. Where G has split its "
               "mass between modes, the path jumps across the gap in a few steps: G is continuous, so "
               "it must put some samples in between (the points off the modes).")


def open_session(source, name: str) -> None:
    try:
        st.session_state["latent_session"] = LatentSession.open(source, name)
        st.session_state["latent_source"] = name
        st.session_state.pop("latent_error", None)
    except CheckpointError as err:
        st.session_state["latent_error"] = str(err)


choices = [*shipped, *yours, UPLOAD]
if st.session_state.get("lx_choice") not in (None, *choices):  # a save that is gone
    del st.session_state["lx_choice"]
with controls_area():
    st.subheader("Generator")
    choice = st.selectbox("Checkpoint", choices, key="lx_choice", format_func=checkpoint_label,
                          help="The shipped checkpoints, then the ones you saved in this session (MNIST Lab), "
                               "or upload one")
    if choice == UPLOAD:
        upload = st.file_uploader("A ganlab generator file or training checkpoint (.pt, at most 64 MiB)",
                                  type=["pt"], key="lx_upload")
        if upload is not None and st.session_state.get("latent_tried") != upload.file_id:
            st.session_state["latent_tried"] = upload.file_id  # each upload is read once
            open_session(upload.getvalue(), f"upload:{upload.name}")
    else:
        st.session_state.pop("latent_tried", None)
        if choice not in toys and st.session_state.get("latent_source") != choice:
            open_session({**shipped, **yours}[choice], checkpoint_label(choice))
            st.session_state["latent_source"] = choice  # tried once, loaded or not

if choice in toys:
    show_toy(choice)
    st.stop()
if "latent_error" in st.session_state:
    kept = "The generator you had open is still loaded." if "latent_session" in st.session_state else ""
    st.error(as_plain_markdown(st.session_state["latent_error"], kept))
if "latent_session" not in st.session_state:
    st.info("No generator is loaded: pick a shipped checkpoint or upload one.")
    st.stop()

session: LatentSession = st.session_state["latent_session"]
gen = session.generator
card = gen.card  # checked against the model card's schema when it was loaded (ganlab.model_card)
facts = [f"**{session.name.removeprefix('upload:')}** ({gen.source})", f"{gen.config.g.arch} G",
         f"loss {gen.config.loss.name}", f"latent size {gen.latent_dim}"]
if gen.label_kind:
    facts.append("conditional on the digit" if gen.label_kind == "digit" else f"InfoGAN, {gen.n_labels}-way code")
if card.get("steps") and steps_text(card):
    facts.append(steps_text(card))
st.markdown(" · ".join(facts))
for line in (card_metrics_caption(card, IMAGE_METRIC_TITLES), command_caption(card)):
    if line:
        st.caption(line)

# --- samples and pins -------------------------------------------------------------------------------
st.header("Samples")
cols = st.columns([1, 1, 2, 3])
if cols[0].button("New samples", key="lx_new"):
    session.seed += 1
    st.session_state["lx_seed"] = session.seed
st.session_state.setdefault("lx_seed", session.seed)
seed = cols[1].number_input("Seed", 0, 10**6, key="lx_seed")
session.seed = int(seed)
if gen.n_labels:
    names = ["mixed"] + [str(k) for k in range(gen.n_labels)]
    what = "Digit" if gen.label_kind == "digit" else "Code"
    picked = cols[2].selectbox(f"{what} for the samples", names, key="lx_sample_label")
    session.sample_label = None if picked == "mixed" else int(picked)
z, labels, images = session.samples()
digits, confidence = predict(images)
captions = [f"#{i + 1}: LeNet says {d} ({p:.0%})" for i, (d, p) in enumerate(zip(digits, confidence, strict=True))]
event = st.plotly_chart(clickable_grid(to_display(images), 8, captions), key="lx_grid", on_select="rerun",
                        selection_mode="points", config={"displayModeBar": False}, width="content")
selected = [p["point_index"] for p in (event.selection.points if event and event.selection else [])
            if p.get("curve_number", 1) == 1]
if selected and st.session_state.get("lx_last_pick") != (session.seed, selected[-1]):
    st.session_state["lx_last_pick"] = (session.seed, selected[-1])
    session.pin(int(selected[-1]))
cols = st.columns([3, 1, 1])
pick = cols[0].selectbox("…or pin a sample by number", list(range(1, GRID_SAMPLES + 1)), key="lx_pick_number")
if cols[1].button("Pin", key="lx_pin"):
    session.pin(pick - 1)
if cols[2].button("Clear pins", key="lx_clear", disabled=not session.pins):
    session.pins = []
    st.session_state.pop("lx_last_pick", None)

if not session.pins:
    st.info("Click a sample (or use Pin) to pin its z: the panels below work on pinned latents.")
    st.stop()
st.subheader(f"Pinned ({len(session.pins)})")
show(torch.cat([session.render(p.z[None], p.label) for p in session.pins]),
     [short_name(p.name) for p in session.pins])
pin_names = [p.name for p in session.pins]
PANEL_DEFAULT = "lx_panel_default:"  # session key prefix: the pins a panel's selectors last got by default


def choose_pins(panel: str, keys: list[str], default: list) -> None:
    """Before a panel's pin selectors are drawn: keep the user's choice, or give them `default` (which
    follows the pins as more are pinned until the user picks; see keep_choice)."""
    current = [st.session_state.get(key) for key in keys]
    values = keep_choice(current, st.session_state.get(PANEL_DEFAULT + panel), default, pin_names)
    for key, value in zip(keys, values, strict=True):
        st.session_state[key] = value
    st.session_state[PANEL_DEFAULT + panel] = list(default)


def named(pins: list[Pin]) -> str:
    return ", ".join(short_name(p.name) for p in pins)


def label_note(pin: Pin, what: str) -> str:
    """For a conditional generator, which pin's label a panel draws with (", every image with pin z1's
    digit 2"); empty for an unconditional one."""
    return "" if pin.label is None else f", {what} with pin {short_name(pin.name)}'s {gen.label_kind} {pin.label}"


@st.fragment
def panel_interpolation() -> None:
    """Interpolation (a fragment: its widgets rerun only this panel)."""
    st.header("Interpolation")
    missing = pins_missing("interpolation", len(pin_names))
    if missing:
        st.info(missing)
        return
    choose_pins("interpolation", ["lx_from", "lx_to"], default_pins(pin_names, 2))
    cols = st.columns(3)
    a = session.pin_named(cols[0].selectbox("From", pin_names, key="lx_from"))
    b = session.pin_named(cols[1].selectbox("To", pin_names, key="lx_to"))
    steps = cols[2].slider("Steps", 3, 12, 8, key="lx_steps")
    st.caption(f"Interpolating pin {short_name(a.name)} → pin {short_name(b.name)}{label_note(a, 'every step')}.")
    if a is b:
        st.warning(f"From and To are both pin {short_name(a.name)}: every step is the same image. Pick two "
                   "different pins.")
    linear, spherical = session.interpolations(a, b, steps)
    st.markdown("**Linear** (the midpoint of two Gaussian latents has a smaller norm than either: "
                "washed-out digits)")
    show(linear)
    st.markdown("**Spherical** (slerp: angle and norm interpolated, so the norm stays typical)")
    show(spherical)


@st.fragment
def panel_four_corners() -> None:
    """Four corners (a fragment: its widgets rerun only this panel)."""
    st.header("Four-corner sheet")
    st.latex(r"z(a, b) = \cos a\,(\cos b\, z_0 + \sin b\, z_1) + \sin a\,(\cos b\, z_2 + \sin b\, z_3),"
             r"\quad a, b \in [0, \pi/2]")
    missing = pins_missing("four corners", len(pin_names))
    if missing:
        st.info(missing)
        return
    keys = [f"lx_corner{k}" for k in range(4)]
    choose_pins("four corners", keys, default_pins(pin_names, 4))
    cols = st.columns(5)
    corners = [session.pin_named(col.selectbox(f"{where.capitalize()} (z{k})", pin_names, key=key))
               for k, (col, where, key) in enumerate(zip(cols[:4], CORNERS, keys, strict=True))]
    size = cols[4].slider("Grid", 3, 8, 5, key="lx_corner_size")
    st.caption("Corners: " + ", ".join(f"{where} pin {short_name(p.name)}"
                                       for where, p in zip(CORNERS, corners, strict=True))
               + label_note(corners[0], "every image") + ".")
    if len({id(p) for p in corners}) < 4:
        st.warning("Some corners are the same pin, so parts of the sheet repeat: pick four different pins.")
    sheet = session.four_corners(corners, size)
    for r in range(size):
        show(sheet[r * size:(r + 1) * size], width=56, predictions=False)


@st.fragment
def panel_arithmetic() -> None:
    """Arithmetic (a fragment: its widgets rerun only this panel)."""
    st.header("Latent arithmetic")
    st.caption("As in DCGAN (Radford et al. 2016): average each group's z, then decode mean A − mean B + "
               "mean C. By default the groups take the pins in order: one each from 3 pins, two each from 6, "
               "three each from 9.")
    missing = pins_missing("arithmetic", len(pin_names))
    if missing:
        st.info(missing)
        return
    keys = [f"lx_group_{name}" for name in "ABC"]
    defaults = default_groups(pin_names)
    choose_pins("arithmetic", keys, [defaults[name] for name in "ABC"])
    cols = st.columns(3)
    groups = {name: [session.pin_named(n) for n in col.multiselect(f"Group {name}", pin_names, key=key)]
              for col, name, key in zip(cols, "ABC", keys, strict=True)}
    if all(groups.values()):
        st.caption(f"Decoding mean({named(groups['A'])}) − mean({named(groups['B'])}) + "
                   f"mean({named(groups['C'])}){label_note(groups['C'][0], 'every image')}.")
        result = session.arithmetic(groups["A"], groups["B"], groups["C"])
        show(torch.cat(list(result.values())), list(result), width=80)
    else:
        st.warning("Each group needs at least one pinned latent.")


@st.fragment
def panel_attribute_directions() -> None:
    """Attribute directions (a fragment: its widgets rerun only this panel)."""
    st.header("Attribute directions")
    cols = st.columns(3)
    attribute = cols[0].selectbox("Attribute", list(ATTRIBUTES), key="lx_attribute", help="; ".join(
        f"{k}: {v}" for k, v in ATTRIBUTES.items()))
    digit = int(cols[1].selectbox("Digit (class probability)", list(range(10)), key="lx_attr_digit",
                                  disabled=attribute != "class probability"))
    origin = session.pin_named(cols[2].selectbox("Start from", pin_names, key="lx_attr_pin"))
    st.caption(f"{ATTRIBUTES[attribute]} The direction is a ridge regression of the attribute on z over 512 "
               "generated digits.")
    alphas = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    walk_images, values = session.attribute_walk(origin, attribute, alphas, digit)
    show(walk_images, [f"α={a:+.0f} · {attribute.split()[0]} {v:.3f}" for a, v in zip(alphas, values.tolist(),
                                                                                        strict=True)], width=80)
    alpha = st.slider("Walk along the direction (α)", -4.0, 4.0, 0.0, 0.25, key="lx_alpha")
    one, value = session.attribute_walk(origin, attribute, [alpha], digit)
    show(one, [f"α={alpha:+.2f} · {attribute} {float(value[0]):.3f}"], width=112)


@st.fragment
def panel_per_dimension_sliders() -> None:
    """Per-dimension sliders (a fragment: its widgets rerun only this panel)."""
    st.header("Per-dimension sliders")
    base = session.pin_named(st.selectbox("Pinned latent", pin_names, key="lx_dims_pin"))
    cols = st.columns(6)
    edited = base.z.clone()
    for d, col in enumerate(cols):
        edited[d] = col.slider(f"z[{d}]", -3.0, 3.0, float(round(base.z[d].item(), 2)), 0.05,
                               key=f"lx_dim{d}_{base.name}")
    show(torch.cat([session.render(base.z[None], base.label), session.render(edited[None], base.label)]),
         ["pinned", "edited"], width=112)


@st.fragment
def panel_label_sweep() -> None:
    """Label sweep (a fragment: its widgets rerun only this panel)."""
    if gen.n_labels:
        st.header("Digit sweep" if gen.label_kind == "digit" else "Code sweep")
        st.caption("The same z with every label: the style is kept while the digit changes."
                   if gen.label_kind == "digit"
                   else "The same z with each value of InfoGAN's categorical code (learned without labels).")
        sweep_pin = session.pin_named(st.selectbox("Pinned latent", pin_names, key="lx_sweep_pin"))
        show(session.label_sweep(sweep_pin), [f"{gen.label_kind} {k}" for k in range(gen.n_labels)])


@st.fragment
def panel_nearest_neighbours() -> None:
    """Nearest neighbours (a fragment: its widgets rerun only this panel)."""
    st.header("Nearest training digits")
    nn_pin = session.pin_named(st.selectbox("Pinned latent", pin_names, key="lx_nn_pin"))
    query = session.render(nn_pin.z[None], nn_pin.label)
    found, distances, source = session.neighbours(query)
    st.caption(f"Pixel-space Euclidean distance to the 5 closest of the training digits ({source}). If these "
               "were near copies (distance ≈ 0), G would be memorising.")
    show(torch.cat([query, found]), ["generated"] + [f"d = {d:.2f}" for d in distances], width=80)


INVERSION_JOB = "lx_inversion_job"  # the pending "Find z": its Future, target, label, steps and generator


def inversion_pending() -> bool:
    job = st.session_state.get(INVERSION_JOB)
    return job is not None and not job["future"].done()


@st.fragment(run_every=1.0 if inversion_pending() else None)
def panel_inversion() -> None:
    """Inversion (a fragment: its widgets rerun only this panel). "Find z" runs as a job, in a process apart
    from the server; while it runs the panel looks at it each second."""
    st.header("Inversion")
    cols = st.columns(3)
    source_kind = cols[0].radio("Target", ["a held-out test digit", "an uploaded image"], key="lx_inv_kind")
    target = None
    if source_kind == "a held-out test digit":
        test, _ = test_images(gen.config.data.data_dir)
        index = cols[1].number_input(f"Index (0–{len(test) - 1})", 0, len(test) - 1, 0, key="lx_inv_index")
        target = test[int(index)][None]
    else:
        picture = cols[1].file_uploader(f"A digit image (PNG or JPEG, at most {MAX_IMAGE_PIXELS / 1e6:.1f} "
                                        "megapixels; light on dark or dark on light)",
                                        type=["png", "jpg", "jpeg"], key="lx_inv_upload")
        if picture is not None:
            try:
                target = read_digit_image(picture.getvalue(), picture.name)
            except FileError as err:
                st.error(as_plain_markdown(f"Inversion target: {err}"))
    inv_steps = cols[2].slider("Optimisation steps", 50, 400, 150, 50, key="lx_inv_steps")
    inv_label = None
    if gen.n_labels:
        inv_label = int(st.selectbox(f"{gen.label_kind.capitalize()} for the inversion", list(range(gen.n_labels)),
                                     key="lx_inv_label"))
    running = inversion_pending()
    if target is not None and st.button("Find z", key="lx_invert", disabled=running):
        st.session_state[INVERSION_JOB] = {"future": session.start_inversion(target, inv_label, inv_steps),
                                           "target": target, "label": inv_label, "steps": inv_steps,
                                           "source": session.name}
        st.session_state.pop("lx_inversion_error", None)
        st.rerun()  # the whole page, so that this panel looks at the job each second until it is back
    job = st.session_state.get(INVERSION_JOB)
    if job is not None and running:
        ahead = job_runner().ahead(job["future"])
        place = f" It waits for {ahead - 1} computation(s) ahead of it." if ahead > 1 else (
            " It waits for its turn." if ahead == 1 else "")
        st.info(as_plain_markdown(f"Finding z for {job['source']}: {job['steps']} Adam steps from 4 "
                                  f"starts, in a process of its own.{place}"))
    elif job is not None:  # back: keep its result (or its failure) and stop looking
        del st.session_state[INVERSION_JOB]
        error = job["future"].exception()
        if error is not None:
            st.session_state["lx_inversion_error"] = (job["source"], f"{error}")
        else:
            st.session_state["lx_inversion"] = (job["target"], job["future"].result(), job["label"],
                                                job["source"])
        st.rerun()
    failed = st.session_state.get("lx_inversion_error")
    if failed is not None and failed[0] == session.name:
        st.error(as_plain_markdown(f"The inversion did not finish: {failed[1]}. Press Find z to try again."))
    shown = st.session_state.get("lx_inversion")
    if shown is not None and shown[3] == session.name:  # found with this generator: its z means something here
        target, found, inv_label, _ = shown
        st.caption(f"Pixel MSE: {found.initial_error:.4f} at the best start → {found.final_error:.4f} after "
                   f"{len(found.errors) - 1} steps.")
        show(torch.cat([target, found.image]), ["target", "G(z found)"], width=112)
        st.line_chart({"best pixel MSE": found.errors}, height=160)
        if st.button("Pin the found z (then interpolate from it above)", key="lx_pin_found"):
            session.pin_z(found.z, inv_label, "inverted")
            st.rerun()


panel_interpolation()
panel_four_corners()
panel_arithmetic()
panel_attribute_directions()
panel_per_dimension_sliders()
panel_label_sweep()
panel_nearest_neighbours()
panel_inversion()
