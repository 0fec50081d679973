"""Home: what ganlab is, where it trains, what is in the engine."""

import streamlit as st

from ganlab.ui.home import catalogue_rows, device_summary

st.title("ganlab — a laboratory for generative adversarial networks")
st.markdown(
    "Pick a loss and an architecture, train a GAN on 2-D toy data, and see what the discriminator "
    "and the generator do to each other. Everything the app does also runs headless: "
    "`python -m ganlab list` prints the catalogue below and `python -m ganlab train --dataset ring8 "
    "--loss wgan-gp --steps 3000 --seed 0` trains from a terminal, a notebook or a script."
)

st.page_link("pages/lessons.py", label="**Lessons** — a GAN lecture in eleven steps: each idea, a figure, a "
             "prediction, the run that settles it, and a button that opens the experiment; presenter mode",
             icon="🎓")
st.page_link("pages/toy_lab.py", label="**Toy Lab** — train a GAN live on 2-D data and watch D and G move",
             icon="🎯")
st.page_link("pages/mnist_lab.py", label="**MNIST Lab** — train DCGAN / conditional / InfoGAN on digits live, "
             "with FID (LeNet) and the classifier score", icon="✍️")
st.page_link("pages/latent_explorer.py", label="**Latent Explorer** — no training needed: interpolate, do latent "
             "arithmetic and walk attribute directions on shipped generators", icon="🧭")
st.page_link("pages/experiments.py", label="**Experiments** — sweep datasets × losses × seeds, compare with "
             "error bars (PacGAN's Table 1 protocol included)", icon="📊")
st.page_link("pages/divergences.py", label="**Divergences** — JSD against Wasserstein on disjoint supports, "
             "the optimal D against the optimal critic, the derivations", icon="📐")
st.page_link("pages/dynamics.py", label="**Dynamics** — why gradient play circles: the bilinear game and the "
             "Dirac-GAN, with eigenvalues per method", icon="🌀")

device = device_summary()
st.info(f"**Training device:** {device['description']}  \n{device['note']}", icon="🖥️")

st.subheader("What the engine offers")
st.caption("Every name below works in the CLI (`--dataset`, `--loss`, `--reg NAME=VALUE`) and in share links.")
for section, rows in catalogue_rows().items():
    with st.expander(f"{section} ({len(rows)})", expanded=section == "Losses"):
        st.dataframe(rows, hide_index=True, width="stretch")

st.subheader("Conventions")
st.markdown(
    r"""
- Discriminators output raw scores (logits or critic values); probabilities are $\sigma(\text{logit})$.
- $\mathrm{JSD}(P\,\|\,Q) = \tfrac12 \mathrm{KL}(P\,\|\,M) + \tfrac12 \mathrm{KL}(Q\,\|\,M)$ with
  $M = \tfrac12(P+Q)$, in nats, so $0 \le \mathrm{JSD} \le \log 2$, and
  $\max_D V(G, D) = 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_g) - \log 4$ (Goodfellow et al. 2014).
- The same seed gives the same run on the CPU; every random draw goes through the run's own generator.
"""
)
