"""Dynamics: the GAN game is not a minimisation. The bilinear game and the Dirac-GAN."""

from functools import partial

import numpy as np
import streamlit as st

from ganlab.theory.bilinear import METHODS as GAME_METHODS
from ganlab.theory.bilinear import bilinear_field, bilinear_trajectory
from ganlab.theory.dirac_gan import METHODS as DIRAC_METHODS
from ganlab.theory.dirac_gan import dirac_field, dirac_trajectory, eigenvalues, r1_eigenvalues
from ganlab.ui.classroom import presenter_on, take_preset
from ganlab.ui.phase_click import start_from_click
from ganlab.viz.dynamics import distance_figure, phase_figure

st.title("Dynamics of the GAN game")
DEFAULTS = {"dyn_h": 0.2, "dyn_steps": 100, "dyn_x0": 1.0, "dyn_y0": 0.5, "dyn_methods": list(GAME_METHODS),
            "dyn_dirac_methods": ["standard", "nonsaturating", "wgan", "r1"], "dyn_gamma": 1.0, "dyn_sigma": 0.5,
            "dyn_lambda": 1.0, "dyn_scheme": "simultaneous", "dyn_dirac_h": 0.1, "dyn_dirac_steps": 300,
            "dyn_theta0": 1.0, "dyn_psi0": 1.0}
GAME_BOUNDS = (-3.0, 3.0, -3.0, 3.0)  # the plane shown, and the start widgets' limits
DIRAC_BOUNDS = (-2.0, 2.0, -2.0, 2.0)
CLICK_STEP = 0.1  # a click starts at the nearest point of this lattice (the start widgets' step)
take_preset("dynamics", DEFAULTS)  # kept settings, then a link's preset
# presenter mode: the explanations and the first game's controls fold away, so its plane is on the first screen
PRESENTING = presenter_on()
about: list[str] = []  # in presenter mode the explanations go under the first figure, folded
explain = about.append if PRESENTING else st.markdown
explain(
    "A GAN is a two-player game, not a minimisation: following each player's gradient at once can circle "
    "or spiral away from the equilibrium. Two small games show it exactly."
)

# --- the bilinear game ---------------------------------------------------------------------------
st.header("1. The bilinear game J(x, y) = x·y")
explain(
    r"The only equilibrium is $(0, 0)$. With $x$ minimising and $y$ maximising, simultaneous gradient "
    r"descent-ascent multiplies the distance to it by $\sqrt{1 + h^2}$ every step (it spirals out); "
    r"alternating updates circle; optimistic gradient and extragradient converge (extragradient shrinks the "
    r"distance by $\sqrt{1 - h^2 + h^4}$ per step for $h < 1$)."
)
game_controls = st.expander("Controls", expanded=False) if PRESENTING else st.container()
cols = game_controls.columns(4)
x_role = cols[0].radio("x", ["minimises J", "maximises J"], key="dyn_x_role")
y_role = cols[1].radio("y", ["maximises J", "minimises J"], key="dyn_y_role")
h = cols[2].slider("Step size h", 0.01, 1.0, step=0.01, key="dyn_h")
steps = cols[3].slider("Steps", 10, 500, key="dyn_steps")
cols = game_controls.columns(3)
x0 = cols[0].number_input("Start x", GAME_BOUNDS[0], GAME_BOUNDS[1], step=CLICK_STEP, key="dyn_x0",
                          help="Or click the plane below")
y0 = cols[1].number_input("Start y", GAME_BOUNDS[2], GAME_BOUNDS[3], step=CLICK_STEP, key="dyn_y0",
                          help="Or click the plane below")
methods = cols[2].multiselect("Methods", list(GAME_METHODS), key="dyn_methods")
x_sign = -1.0 if x_role == "minimises J" else 1.0
y_sign = 1.0 if y_role == "maximises J" else -1.0
paths = {m: bilinear_trajectory(m, (x0, y0), h, steps, x_sign, y_sign) for m in methods}
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(phase_figure(lambda x, y: bilinear_field(x, y, x_sign, y_sign), GAME_BOUNDS, paths,
                                 x_title="x", y_title="y", title="Click anywhere to start there",
                                 uirevision="bilinear", click_step=CLICK_STEP),
                    key="dyn_bilinear", width="stretch", selection_mode="points",
                    on_select=partial(start_from_click, "dyn_bilinear", "dyn_x0", "dyn_y0", GAME_BOUNDS))
    st.caption(f"Every method starts at (x, y) = ({x0:g}, {y0:g}): click the plane (it snaps to the nearest "
               f"{CLICK_STEP:g}) or type the start above.")
with right:
    st.plotly_chart(distance_figure(paths, title="Distance to (0, 0)", uirevision="bilinear-distance"),
                    key="dyn_bilinear_distance", width="stretch")
    if x0 == 0 and y0 == 0:
        st.caption("The start is the equilibrium (0, 0): every method stays there, so there is no distance to "
                   "plot on the log scale. Click anywhere else in the plane.")
    elif "simultaneous" in paths and x_sign != y_sign:
        ratio = np.hypot(*paths["simultaneous"][1]) / np.hypot(*paths["simultaneous"][0])
        st.caption(f"Simultaneous GDA, first step: distance × {ratio:.4f}; √(1 + h²) = {np.sqrt(1 + h * h):.4f}.")

if about:
    with st.expander("About this page", expanded=False):
        for text in about:
            st.markdown(text)

# --- the Dirac-GAN -----------------------------------------------------------------------------------
st.header("2. The Dirac-GAN (Mescheder et al. 2018)")
st.markdown(
    r"Data is a point mass at 0, the generator a point mass at $\theta$, the discriminator "
    r"$D(x) = \psi x$, and $L(\theta, \psi) = f(\psi\theta) + f(0)$ with $f(t) = -\log(1 + e^{-t})$ for "
    r"the standard GAN ($f'(0) = \tfrac12$). At the equilibrium $(0, 0)$ the Jacobian of the unregularised "
    r"field has eigenvalues $\pm i f'(0)$: gradient play circles. R1 (and R2) with weight $\gamma$ give "
    r"$-\gamma/2 \pm \sqrt{\gamma^2/4 - f'(0)^2}$, negative real parts: it converges."
)
cols = st.columns(4)
chosen = cols[0].multiselect("Methods", list(DIRAC_METHODS), key="dyn_dirac_methods",
                             help="\n".join(f"**{k}**: {v}" for k, v in DIRAC_METHODS.items()))
gamma = cols[1].slider("γ (R1 / R2)", 0.0, 3.0, step=0.05, key="dyn_gamma")
sigma = cols[2].slider("σ (instance noise)", 0.0, 2.0, step=0.05, key="dyn_sigma")
gp_lambda = cols[3].slider("λ (WGAN-GP)", 0.0, 5.0, step=0.1, key="dyn_lambda")
cols = st.columns(5)
scheme = cols[0].radio("Updates", ["simultaneous", "alternating"], key="dyn_scheme")
dh = cols[1].slider("Step size", 0.01, 1.0, step=0.01, key="dyn_dirac_h")
dsteps = cols[2].slider("Steps", 10, 1000, key="dyn_dirac_steps")
theta0 = cols[3].number_input("Start θ", DIRAC_BOUNDS[0], DIRAC_BOUNDS[1], step=CLICK_STEP, key="dyn_theta0",
                              help="Or click any of the planes below")
psi0 = cols[4].number_input("Start ψ", DIRAC_BOUNDS[2], DIRAC_BOUNDS[3], step=CLICK_STEP, key="dyn_psi0",
                            help="Or click any of the planes below")
params = {"gamma": gamma, "sigma": sigma, "gp_lambda": gp_lambda}
if chosen:
    st.caption(f"Every panel starts at (θ, ψ) = ({theta0:g}, {psi0:g}): click anywhere in a panel to start all "
               f"of them there (it snaps to the nearest {CLICK_STEP:g}).")
rows = []
panels = st.columns(2)
for i, method in enumerate(chosen):
    path = dirac_trajectory(method, (theta0, psi0), dh, dsteps, alternating=scheme == "alternating", **params)
    with panels[i % 2]:
        st.plotly_chart(phase_figure(lambda t, p, m=method: dirac_field(m, t, p, **params), DIRAC_BOUNDS,
                                     {scheme: path}, x_title="θ (generator)", y_title="ψ (discriminator)",
                                     title=f"{method} (click to start there)", uirevision=f"dirac-{method}",
                                     click_step=CLICK_STEP),
                        key=f"dyn_dirac_{method}", width="stretch", selection_mode="points",
                        on_select=partial(start_from_click, f"dyn_dirac_{method}", "dyn_theta0", "dyn_psi0",
                                          DIRAC_BOUNDS))
    values = eigenvalues(method, **params)
    rows.append({"method": method, "eigenvalue 1": f"{values[0]:.4f}", "eigenvalue 2": f"{values[1]:.4f}",
                 "max real part": round(float(values.real.max()), 4),
                 "locally": "converges" if values.real.max() < -1e-9 else "does not converge",
                 "distance after the run": round(float(np.hypot(*path[-1])), 4)})
if rows:
    st.subheader("Eigenvalues of the Jacobian at the equilibrium")
    st.dataframe(rows, hide_index=True, width="stretch")
    closed = r1_eigenvalues(gamma)
    st.caption(f"R1 closed form at γ = {gamma:g}: {closed[0]:.4f}, {closed[1]:.4f}. WGAN-GP's field is not "
               "differentiable at ψ = 0 (|ψ|): its row uses the one-sided Jacobian at ψ = 0⁺.")
