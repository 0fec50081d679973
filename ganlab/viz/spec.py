"""A figure as the JSON plotly.js reads, for pages that hand it to plotly.js themselves."""

from __future__ import annotations

import plotly.io as pio


def figure_spec(fig) -> str:
    """`fig` as JSON: {"data": [...], "layout": {...}}, numpy arrays as base64 typed arrays.

    Drops the default template plotly.py adds: once streamlit is imported that is Streamlit's own, whose
    placeholder colours only Streamlit's chart element replaces.
    """
    spec = fig.to_dict()
    spec["layout"].pop("template", None)
    return pio.json.to_json_plotly(spec)
