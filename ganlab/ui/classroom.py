"""Classroom glue: presets arriving in a page's address, presenter mode, and where a page puts its controls."""

import re
from collections.abc import Iterable
from typing import Any

import streamlit as st

from ganlab.lessons.catalogue import LESSONS
from ganlab.links import COMMON, PAGE_FIELDS, parse_link_partial

APPLIED = "link_applied:"     # session key prefix: the address a page last applied, per page
ERRORS = "link_errors:"       # session key prefix: what was wrong with that address
FROM_LESSON = "link_lesson:"  # session key prefix: the lesson whose button opened the page (or None)
APPLIED_TEXT = "link_text:"   # session key prefix: the parameters of that address that were applied
PRESENTER = "presenter"       # session key: presenter mode on or off
OPEN_COUNTER = "link_opened"  # session key: how many presets the Lessons page has opened
SAVED = "settings:"  # session key prefix: a page's widget values, as of its last run

# the widget keys that hold a page's settings, beyond its link parameters (PAGE_FIELDS)
SETTINGS_KEYS: dict[str, tuple[str, ...]] = {
    "toy-lab": ("toy_layers", "toy_speed", "toy_compare", "toy_compare_loss"),
}
SETTINGS_PREFIXES: dict[str, tuple[str, ...]] = {"toy-lab": ("cfg:",), "mnist-lab": ("mn.",)}
NOT_WIDGETS = ("toy_autoplay", "mn_autoplay", "toy_show", "div_race_playing")
ONE_SHOT = ("toy_autoplay", "mn_autoplay")  # preset entries the page acts on once, never widget values
LESSON_TITLES = {lesson.slug: (number, lesson.title) for number, lesson in enumerate(LESSONS, 1)}

PRESENTER_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"] {display: none !important;}
html, .stApp {font-size: 22px;}
.stApp .stMarkdown p, .stApp .stMarkdown li, .stApp label p {font-size: 1.25rem !important; line-height: 1.5;}
.stApp h1 {font-size: 3rem !important;} .stApp h2 {font-size: 2.3rem !important;}
.stApp h3 {font-size: 1.8rem !important;}
.stApp .katex {font-size: 1.3em !important;}
.stApp button p {font-size: 1.2rem !important;}
.stMainBlockContainer {padding-top: 4.2rem !important;}
.stApp .stMainBlockContainer h1 {padding-top: 0.25rem; padding-bottom: 0.5rem;}
div[data-testid="stAppDeployButton"] {display: none !important;}
header [data-testid="stTopNav"] a, header [data-testid="stTopNav"] a *, header [data-testid="stTopNav"] button,
header [data-testid="stTopNav"] button * {font-size: 13px !important;}
header [data-testid="stTopNavLink"] {padding: 4px 5px !important;}
.st-key-presenter_off {position: fixed; top: 14px; right: 56px; z-index: 999991; width: auto !important;}
.st-key-presenter_off button p {font-size: 15px !important;}
div[data-testid="stStatusWidget"] {margin-right: 160px !important;}
</style>
"""


def _address() -> dict[str, str]:
    return {name: st.query_params[name] for name in st.query_params}


def read_presenter_flag() -> bool:
    """Presenter mode: `presenter=1` / `presenter=0` in the address switches it (once per address value,
    so the reader can leave it); it stays as set for the session."""
    flag = st.query_params.get("presenter")
    if flag != st.session_state.get(PRESENTER + ":address"):
        st.session_state[PRESENTER + ":address"] = flag
        if flag in ("1", "true"):
            st.session_state[PRESENTER] = True
        elif flag in ("0", "false"):
            st.session_state[PRESENTER] = False
    return bool(st.session_state.get(PRESENTER))


def leave_presenter_mode() -> None:
    """A button callback: presenter mode off, and out of the address."""
    st.session_state[PRESENTER] = False
    if "presenter" in st.query_params:
        del st.query_params["presenter"]


def presenter_on() -> bool:
    return bool(st.session_state.get(PRESENTER))


def apply_presenter_style() -> None:
    """Larger type everywhere and no sidebar (the pages then put their controls in the main area); the top
    page menu keeps its normal size, so every page fits in it without a "N more" overflow, and the Leave
    button sits at the top right, in the menu's bar."""
    st.html(PRESENTER_CSS)


def controls_area(few: bool = False):
    """Where a page's controls go: the sidebar, or a "Controls" expander at the top in presenter mode,
    closed so the demo itself is on the first screen; open when `few` (a teacher's link that shows only
    the controls the class should use)."""
    if presenter_on():
        return st.expander("Controls", expanded=few)
    return st.sidebar


def arriving_preset(page: str, checkpoints: Iterable[str] | None = None) -> dict[str, Any] | None:
    """The preset in the address, validated, when this session has not applied that address yet.

    Returns None when the address holds nothing new. What is wrong is kept for `show_link_notes`; the
    valid parameters are still returned.
    """
    params = _address()
    if set(params) <= {"presenter"}:
        return None
    signature = tuple(sorted(params.items()))
    if st.session_state.get(APPLIED + page) == signature:
        return None
    st.session_state[APPLIED + page] = signature
    values, errors = parse_link_partial(page, params, checkpoints)
    st.session_state[ERRORS + page] = [str(e) for e in errors]
    st.session_state[FROM_LESSON + page] = params.get("lesson")
    wrong = {e.field for e in errors}
    own = {*PAGE_FIELDS[page], "vs"}  # on the Toy Lab the rest are RunConfig options: applied all or none
    config_failed = page == "toy-lab" and bool(wrong - own)
    st.session_state[APPLIED_TEXT + page] = ", ".join(
        f"{name} = {value}" for name, value in params.items()
        if name not in COMMON and name not in wrong and not (config_failed and name not in own))
    return values


def mark_address_applied(page: str, params: dict[str, str]) -> None:
    """Record an address the page wrote itself (the Share button), so it is not applied back."""
    st.session_state[APPLIED + page] = tuple(sorted(params.items()))


def show_link_notes(page: str) -> None:
    """The way back to the lesson that opened the page, what its link applied (a caption), and what it
    could not (an error naming each parameter)."""
    applied = st.session_state.get(APPLIED_TEXT + page)
    slug = st.session_state.get(FROM_LESSON + page)
    if slug in LESSON_TITLES:
        number, title = LESSON_TITLES[slug]
        st.page_link("pages/lessons.py", label=f"Back to lesson {number}: {title}", icon="↩️",
                     query_params={"lesson": slug})
    if applied:
        st.caption(f"Opened with: {as_plain_text(applied)}")
    errors = st.session_state.get(ERRORS + page)
    if errors:
        st.error("Some of the link's options were not used: " + as_plain_text("; ".join(errors))
                 + ". The others were applied.")


MARKDOWN_SPECIALS = re.compile(r"([\\`*<>$~|])")


def as_plain_text(text: str) -> str:
    """`text` with the Markdown (and LaTeX `$`) characters that could format it escaped, and web addresses
    kept from turning into links, so a link's words show as typed: a parameter named "[click](http://x)"
    stays text. ("_" inside words formats nothing, so field names such as d_steps read as they are.)"""
    return MARKDOWN_SPECIALS.sub(r"\\\1", text).replace("](", r"\](").replace("://", r"\:\/\/")


def remember_settings(page: str) -> None:
    """Call first thing on a page: put back the settings Streamlit dropped while another page was shown
    (or while a teacher's link hid their controls), then note the current ones for next time."""
    saved = st.session_state.get(SAVED + page, {})
    for key, value in saved.items():
        if key not in st.session_state:
            st.session_state[key] = value
    keys = {f.key for f in PAGE_FIELDS[page].values()} | set(SETTINGS_KEYS.get(page, ()))
    prefixes = SETTINGS_PREFIXES.get(page, ())
    st.session_state[SAVED + page] = {
        k: st.session_state[k] for k in st.session_state
        if isinstance(k, str) and k not in NOT_WIDGETS and (k in keys or (prefixes and k.startswith(prefixes)))}


def set_defaults(defaults: dict[str, Any]) -> None:
    """Widget defaults through the session state, so a preset can set the same keys without a warning."""
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)


def apply_widget_values(values: dict[str, Any]) -> None:
    """Set widgets from a parsed preset (non-widget entries such as "config" are left to the page)."""
    for key, value in values.items():
        if key not in ("config", "vs", *ONE_SHOT):
            st.session_state[key] = value


def take_preset(page: str, defaults: dict[str, Any] | None = None,
                checkpoints: Iterable[str] | None = None) -> dict[str, Any] | None:
    """First thing on a page: its kept settings, its widget defaults, then a new preset from the address
    applied to the widgets (with the notes on what was applied). Returns the preset, or None."""
    remember_settings(page)
    set_defaults(defaults or {})
    preset = arriving_preset(page, checkpoints)
    if preset:
        apply_widget_values(preset)
    show_link_notes(page)
    return preset


def next_open_counter() -> str:
    st.session_state[OPEN_COUNTER] = st.session_state.get(OPEN_COUNTER, 0) + 1
    return str(st.session_state[OPEN_COUNTER])
