"""ganlab: run with `streamlit run app.py`.

Serves the Streamlit app (streamlit_app.py: the page menu and the pages) and, beside it, the live-frame
route the Toy Lab's plane pulls frames from while a run plays, and the training runtime's status for the
operator (ganlab.ui.live_feed). Live runs train in worker processes (ganlab.runtime), started here.
"""

# pandas whole, before the server runs any script: Streamlit imports it lazily (a data frame), and plotly's
# validators look it up in sys.modules without waiting for an import in progress, so two sessions' first
# scripts at once (Home and Dynamics on a fresh server) had plotly find it half-imported ("partially
# initialized module 'pandas' has no attribute 'Series'", seen on CI).
import pandas  # noqa: F401
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

import ganlab.ui.toy_live  # noqa: F401  (the heavy imports: torch, scipy, plotly, before the freeze)
from ganlab.operator_settings import current as operator_settings
from ganlab.runtime.memory import fix_malloc_thresholds
from ganlab.runtime.pool import training_pool
from ganlab.ui.live_feed import LIVE_ROUTES
from ganlab.ui.runtime import freeze_imported_objects_once
from ganlab.ui.tcp_nodelay import nodelay_on_listening_sockets

# Freeze what the imports allocated once, here, before any session exists: a freeze in the first session's
# script would also freeze that session's own objects, and they would outlive it (issue 18).
freeze_imported_objects_once()
# Freed heap goes back to the system as sessions end (glibc only; see fix_malloc_thresholds).
fix_malloc_thresholds()
# A bad operator setting (GANLAB_*, README "Running it for a class") stops the server here, naming it.
operator_settings()
# Responses leave at once, not after the client's delayed ACK (about 40 ms a request: ganlab.ui.tcp_nodelay).
# The server's socket is bound before uvicorn imports this file, and it accepts nothing until after.
nodelay_on_listening_sockets()
# The training workers start now (each takes seconds to import torch), so the first Play does not wait.
training_pool().warm()

# The pages are declared with st.navigation (streamlit_app.py), not found in the pages/ folder. Streamlit
# learns that only when a session first calls st.navigation; until then a pages/ folder beside the script
# makes the server's first session run in the old folder mode, where /toy-lab is not a page, and a deep link
# on a fresh server opened with a "Page not found" dialog. Say it from the start, as st.navigation does.
PagesManager.uses_pages_directory = False

app = st.App("streamlit_app.py", routes=LIVE_ROUTES)
