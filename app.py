"""ganlab: the Streamlit entry point. Run with `streamlit run app.py`."""

import streamlit as st

import ganlab.ui.toy_live  # noqa: F401  (import the heavy modules before freezing the collector)
from ganlab.ui.classroom import (
    apply_presenter_style,
    leave_presenter_mode,
    read_presenter_flag,
)
from ganlab.ui.runtime import configure_torch_for_app, freeze_imported_objects

configure_torch_for_app()
freeze_imported_objects()
st.set_page_config(page_title="ganlab — a GAN laboratory", page_icon="🧪", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/lessons.py", title="Lessons", icon="🎓", url_path="lessons"),
    st.Page("pages/toy_lab.py", title="Toy Lab", icon="🎯", url_path="toy-lab"),
    st.Page("pages/mnist_lab.py", title="MNIST Lab", icon="✍️", url_path="mnist-lab"),
    st.Page("pages/latent_explorer.py", title="Latent Explorer", icon="🧭", url_path="latent-explorer"),
    st.Page("pages/experiments.py", title="Experiments", icon="📊", url_path="experiments"),
    st.Page("pages/divergences.py", title="Divergences", icon="📐", url_path="divergences"),
    st.Page("pages/dynamics.py", title="Dynamics", icon="🌀", url_path="dynamics"),
]

presenting = read_presenter_flag()
page = st.navigation(PAGES, position="top" if presenting else "sidebar")
if presenting:
    apply_presenter_style()
    st.button("Leave presenter mode", key="presenter_off", type="tertiary", on_click=leave_presenter_mode)
page.run()
