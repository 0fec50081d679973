"""A page's widget for a numeric option, drawn from its one declaration (ganlab.options): the widget's
limits are the config's bounds, so any value a share link or preset may set is one the widget can show."""

from __future__ import annotations

import streamlit as st

from ganlab.options import OPTIONS
from ganlab.ui.toy_controls import PREFIX


def option_widget(path: str, label: str | None = None, help: str | None = None, key_prefix: str = PREFIX,
                  disabled: bool = False):
    """Draw the widget of the numeric option `path` (key `key_prefix + path`) and return its value.

    `label` and `help` replace the declared ones (a page may word them for its context); `disabled` greys
    the widget out (it keeps its value), e.g. an option the chosen architecture does not use."""
    option = OPTIONS[path]
    key, label, help = key_prefix + path, label or option.label, help or option.help or None
    if option.integer:
        low, high = int(option.low), int(option.high)
        if option.widget == "slider":
            return st.slider(label, low, high, key=key, help=help, disabled=disabled)
        return st.number_input(label, min_value=low, max_value=high, step=int(option.step or 1), key=key,
                               help=help, disabled=disabled)
    return st.number_input(label, min_value=float(option.low), max_value=float(option.high), step=option.step,
                           format=option.fmt, key=key, help=help, disabled=disabled)
