"""ganlab's Streamlit script: the page menu and presenter mode. `streamlit run app.py` serves it (app.py)."""

import streamlit as st

import ganlab.ui.toy_live  # noqa: F401  (import the heavy modules before freezing the collector)
from ganlab.ui.classroom import (
    apply_presenter_style,
    leave_presenter_mode,
    read_presenter_flag,
)
from ganlab.ui.navigation import APP_PAGES
from ganlab.ui.runtime import configure_torch_for_app, freeze_imported_objects_once

configure_torch_for_app()
freeze_imported_objects_once()  # at start-up only (a rerun's freeze kept closed sessions alive)
st.set_page_config(page_title="ganlab — a GAN laboratory", page_icon="🧪", layout="wide")

PAGES = [st.Page(p.file, title=p.title, icon=p.icon,
                 **({"url_path": p.url_path} if p.url_path else {"default": True})) for p in APP_PAGES]

presenting = read_presenter_flag()
page = st.navigation(PAGES, position="top" if presenting else "sidebar")
if presenting:
    apply_presenter_style()
    st.button("Leave presenter mode", key="presenter_off", type="tertiary", on_click=leave_presenter_mode)
page.run()
