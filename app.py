"""ganlab: run with `streamlit run app.py`.

Serves the Streamlit app (streamlit_app.py: the page menu and the pages) and, beside it, the live-frame
route the Toy Lab's plane pulls frames from while a run plays (ganlab.ui.live_feed).
"""

import streamlit as st

from ganlab.ui.live_feed import LIVE_ROUTES

app = st.App("streamlit_app.py", routes=LIVE_ROUTES)
