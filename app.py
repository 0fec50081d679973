"""ganlab: the Streamlit entry point. Run with `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="ganlab — a GAN laboratory", page_icon="🧪", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
]

st.navigation(PAGES).run()
