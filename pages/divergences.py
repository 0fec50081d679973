"""Divergences: why JSD-based GANs stall on disjoint supports while a Wasserstein critic keeps pulling."""

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ganlab.losses import F_DIVERGENCES
from ganlab.runtime.jobs import job_runner
from ganlab.runtime.pool import queued_message
from ganlab.runtime.race_group import MEASURE_EVERY
from ganlab.theory.disjoint import KINDS, fit_discriminators
from ganlab.theory.parallel_lines import parallel_lines, parallel_lines_gradients
from ganlab.ui.classroom import presenter_on, take_preset
from ganlab.ui.race_session import RaceSession
from ganlab.ui.session_resources import session_resources
from ganlab.viz.log_axis import log_axis

RACE_TICK_SECONDS = 0.5  # the race's fragment asks its worker for the new rows this often while playing

st.title("Divergences on disjoint supports")
take_preset("divergences", {"div_theta": 0.5, "div_distance": 3.0})  # kept settings, then a link's preset
# presenter mode: the convention and section 1's explanation fold under its figures, so θ and the two
# supports are on the first screen
PRESENTING = presenter_on()
about: list[str] = []
explain = about.append if PRESENTING else st.markdown
explain("Convention used everywhere: $\\mathrm{JSD}(P\\|Q) = \\tfrac12\\mathrm{KL}(P\\|M) + "
            "\\tfrac12\\mathrm{KL}(Q\\|M)$, $M = \\tfrac12(P+Q)$, in nats, "
            "so $0 \\le \\mathrm{JSD} \\le \\log 2$.")

# --- 1. parallel lines ----------------------------------------------------------------------------------
st.header("1. Parallel lines (Arjovsky et al. 2017, Example 1)")
explain(r"$P_0 = (0, Z)$ and $P_\theta = (\theta, Z)$ with $Z \sim U[0, 1]$. For $\theta \ne 0$ the supports "
            r"are disjoint: $W(P_0, P_\theta) = |\theta|$, $\mathrm{JSD} = \log 2$, "
            r"$\mathrm{KL} = +\infty$ both ways, total variation $= 1$. "
            r"Only $W$ tells $\theta$ which way to move.")
theta = st.slider("θ", -1.0, 1.0, step=0.01, key="div_theta")
values, grads = parallel_lines(theta), parallel_lines_gradients(theta)
left, right = st.columns(2)
with left:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 0], y=[0, 1], mode="lines", name="P0 (data)",
                             line={"width": 4, "color": "#1b7837"}))
    fig.add_trace(go.Scatter(x=[theta, theta], y=[0, 1], mode="lines", name="P_θ (generator)",
                             line={"width": 4, "color": "#762a83"}))
    fig.update_layout(height=320, xaxis={"range": [-1.2, 1.2], "title": "x"}, yaxis={"range": [-0.1, 1.1]},
                      margin={"t": 30, "b": 40}, uirevision="lines")
    st.plotly_chart(fig, key="div_lines", width="stretch")
with right:
    grid = np.linspace(-1, 1, 401)
    curves = go.Figure()
    curves.add_trace(go.Scatter(x=grid, y=np.abs(grid), name="W = |θ|"))
    curves.add_trace(go.Scatter(x=grid, y=np.where(grid == 0, 0, math.log(2)), name="JSD = log 2 (θ ≠ 0)"))
    curves.add_trace(go.Scatter(x=grid, y=np.where(grid == 0, 0, 1.0), name="TV = 1 (θ ≠ 0)"))
    curves.add_trace(go.Scatter(x=[theta], y=[values["w"]], mode="markers", name="now", marker={"size": 10}))
    curves.update_layout(height=320, xaxis_title="θ", yaxis_title="distance (KL = +∞ for θ ≠ 0)",
                         margin={"t": 30, "b": 40}, uirevision="curves")
    st.plotly_chart(curves, key="div_curves", width="stretch")
st.dataframe([{"distance": name, "value at θ": values[key], "d/dθ": grads[key]}
              for key, name in (("w", "Wasserstein-1"), ("jsd", "Jensen-Shannon (nats)"),
                                ("kl", "KL(P_θ ‖ P0)"), ("reverse_kl", "KL(P0 ‖ P_θ)"),
                                ("tv", "total variation"))],
             hide_index=True, width="stretch")
if about:
    with st.expander("About this section (the convention, and what the lines show)", expanded=False):
        for text in about:
            st.markdown(text)

# --- 2. optimal discriminator vs optimal critic ----------------------------------------------------------
st.header("2. Optimal discriminator against optimal critic")
st.markdown("Real samples $\\sim N(0, 0.1^2)$, fake samples $\\sim N(d, 0.1^2)$: each network is trained "
            "to (near) optimality from the same seed. The discriminator saturates and its gradient at the "
            "fakes vanishes; a Wasserstein critic stays nearly linear and keeps pulling.")
distance = st.slider("Distance d between the two", 0.5, 5.0, step=0.5, key="div_distance")
fitting = job_runner().cached(("fit_discriminators", distance), fit_discriminators, distance)  # once per d


@st.fragment(run_every=1.0)
def fitting_note(d: float) -> None:
    """While the networks for `d` train in a process of their own: where that stands; the page reruns once
    done."""
    if fitting.done():
        st.rerun()
    place = job_runner().ahead(fitting)
    where = f", number {place} in the queue" if place else ""
    st.info(f"Training the discriminator and the critics for d = {d:g} in a process of its own{where} (about ten "
            "seconds, once per distance on this server). The rest of the page works meanwhile.", icon="⏳")


def draw_fits(fitted: dict) -> None:
    """The trained networks' outputs over x (left), and their mean gradients at the fakes (right)."""
    left, right = st.columns([3, 2])
    with left:
        fig = go.Figure()
        for kind in KINDS:
            output = fitted[kind]["output"]
            if not kind.startswith("discriminator"):  # critics are defined up to a constant and scale
                spread = float(output.max() - output.min()) or 1.0
                output = (output - output.min()) / spread
            fig.add_trace(go.Scatter(x=fitted["x"], y=output, name=kind))
        fig.add_trace(go.Histogram(x=fitted["real"], name="real", opacity=0.4, histnorm="probability", yaxis="y2"))
        fig.add_trace(go.Histogram(x=fitted["fake"], name="fake", opacity=0.4, histnorm="probability", yaxis="y2"))
        fig.update_layout(height=380, xaxis_title="x",
                          yaxis_title="D(x) (probability) / critic rescaled to [0, 1]",
                          yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "visible": False},
                          margin={"t": 30, "b": 40}, uirevision="disjoint")
        st.plotly_chart(fig, key="div_disjoint", width="stretch")
    with right:
        gradients = [fitted[k]["grad_at_fake"] for k in KINDS]
        bars = go.Figure(go.Bar(x=gradients, y=list(KINDS), orientation="h"))
        bars.update_layout(height=380, xaxis=log_axis("mean |gradient|<br>at the fake samples", gradients),
                           margin={"t": 30, "b": 60, "l": 10}, uirevision="grads")
        st.plotly_chart(bars, key="div_grads", width="stretch")


if not fitting.done():
    fitting_note(distance)
elif fitting.exception() is not None:
    st.error(f"The networks for d = {distance:g} could not be trained: {fitting.exception()}. Move the slider "
             "or reload the page to try again.")
else:
    draw_fits(fitting.result())

# --- 3. the race -----------------------------------------------------------------------------------------
st.header("3. The race")
if not isinstance(st.session_state.get("div_race"), RaceSession):  # (a session older than the race's worker)
    st.session_state["div_race"] = RaceSession()
race: RaceSession = session_resources().track("race", st.session_state["div_race"])  # stops when the session ends
linked = st.session_state.pop("div_race_playing", None)  # a link's race=play / race=pause (ganlab.links), once
if linked is True and not race.playing:
    race.play()
elif linked is False and race.playing:
    race.pause()
st.markdown("Six losses train side by side from the same seed, each generator starting around (4, 0), far from "
            "the data N(0, 0.1²I). The curve is the exact W1 between 256 generated and 256 data points, measured "
            f"every {MEASURE_EVERY} steps; the race ends at step {race.max_steps:,}. The saturating minimax loss "
            "gives almost no gradient while D wins, so it falls behind. The race trains in a worker process of "
            "the server, at its full speed.")
cols = st.columns([1, 1, 1, 5])
if cols[0].button("Play", key="race_play", disabled=race.playing or race.finished):
    race.play()
    st.rerun()
if cols[1].button("Pause", key="race_pause", disabled=not race.playing):
    race.pause()
    st.rerun()
if cols[2].button("Reset", key="race_reset"):
    race.reset()
    st.rerun()


@st.fragment(run_every=RACE_TICK_SECONDS if race.playing else None)
def race_view() -> None:
    """The worker's new rows, drawn (the page is drawn whole again when the race starts, stops or is lost)."""
    if race.tick():
        st.rerun()
    if race.queue_position is not None:
        st.info(queued_message(race.queue_position), icon="⏳")
    if race.error:
        st.error(race.error)
    if race.finished:
        st.info(f"The race ended at step {race.step:,}. Reset to run it again.")
    fig = go.Figure()
    for loss, rows in race.rows.items():
        fig.add_trace(go.Scatter(x=rows[:, 0], y=rows[:, 1], mode="lines+markers", name=loss))
    fig.update_layout(height=360, title=f"step {race.step}", xaxis_title="step",
                      yaxis=log_axis("W1 to the data", *(rows[:, 1] for rows in race.rows.values())),
                      margin={"t": 40, "b": 40},
                      uirevision="race")
    st.plotly_chart(fig, key="div_race_chart", width="stretch")
    for loss, message in race.stopped.items():
        st.warning(f"{loss}: {message}")


race_view()

# --- 4. the derivations ---------------------------------------------------------------------------------
st.header("4. The derivations")
st.markdown(r"**Optimal discriminator.** For a fixed $G$,")
st.latex(r"V(G, D) = \int p_\text{data}(x) \log D(x) + p_g(x) \log\bigl(1 - D(x)\bigr)\,dx .")
st.markdown(r"Pointwise, $a \log y + b \log(1 - y)$ is maximised at $y = a / (a + b)$, so")
st.latex(r"D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)} .")
st.markdown(r"**The value at the optimum.** With $M = \tfrac12(p_\text{data} + p_g)$,")
st.latex(r"V(G, D^*) = \mathbb{E}_{p_\text{data}}\Bigl[\log \frac{p_\text{data}}{2M}\Bigr]"
         r" + \mathbb{E}_{p_g}\Bigl[\log \frac{p_g}{2M}\Bigr]"
         r" = \mathrm{KL}(p_\text{data}\|M) + \mathrm{KL}(p_g\|M) - \log 4"
         r" = 2\,\mathrm{JSD}(p_\text{data}\|p_g) - \log 4 .")
st.markdown(r"**Kantorovich–Rubinstein duality.**")
st.latex(r"W_1(P, Q) = \sup_{\|f\|_L \le 1} \mathbb{E}_P[f] - \mathbb{E}_Q[f] .")
st.markdown(r"The critic estimates $W_1$ when it is 1-Lipschitz. Weight clipping bounds the Lipschitz constant "
            r"by some unknown $K$, so it estimates $K \cdot W_1$; the gradient penalty pushes $\|\nabla f\|$ "
            r"towards 1.")
st.markdown(r"**f-divergences through Fenchel conjugates** (Nowozin et al. 2016).")
st.latex(r"D_f(P\|Q) = \int q\, f\Bigl(\frac{p}{q}\Bigr) \ge \sup_T\; \mathbb{E}_P[T(x)]"
         r" - \mathbb{E}_Q[f^*(T(x))], \qquad f^*(t) = \sup_u \{ut - f(u)\}.")
st.markdown(r"The discriminator outputs $v$; $T = g_f(v)$ keeps $T$ in the domain of $f^*$. The f-GAN losses "
            r"of the engine:")
st.dataframe([{"divergence": div.name, "f(u)": div.f, "f*(t)": div.conjugate_formula,
               "output activation g_f(v)": div.activation_formula} for div in F_DIVERGENCES.values()],
             hide_index=True, width="stretch")
