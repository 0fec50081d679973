"""Each browser session's own folder for the files it saves, under a generated name.

On a shared server a student never types a server path: the MNIST Lab writes into this folder, the
Experiments page writes its sweeps here, and the Latent Explorer lists the shipped checkpoints plus this
folder's files only (another session's saves are not shown). When the operator turns server saves off
(GANLAB_SAVES=off, ganlab.operator_settings) no page writes here, and `session_folder(create=True)` refuses.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import streamlit as st

from ganlab import operator_settings

SESSIONS_DIR = Path("runs") / "sessions"
_KEY = "session_folder_name"
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A name a user may give a saved file: letters, digits, '_', '.', '-', starting with a letter or digit,
at most 64 characters (so no folder, no '..', no hidden file)."""
SAVES_OFF = ("The operator of this server turned server saves off (GANLAB_SAVES=off): nothing is written on the "
             "server for browser sessions. Downloads still work.")


class SavesOffError(RuntimeError):
    """A page asked for a folder to write into while the operator has turned server saves off."""


def session_folder(root: Path | None = None, create: bool = True) -> Path:
    """This session's folder: root (default SESSIONS_DIR) / <16 random hex digits>, the name kept in
    st.session_state so every page of the session writes to the same place. Created when `create` (a page
    about to write); a page that only lists the folder passes create=False (it may not exist yet).
    SavesOffError when `create` and the operator turned server saves off (a page checks first; this is the
    safety net)."""
    if create and not operator_settings.current().saves:
        raise SavesOffError(SAVES_OFF)
    root = SESSIONS_DIR if root is None else root
    name = st.session_state.get(_KEY)
    if not isinstance(name, str) or not re.fullmatch(r"[0-9a-f]{16}", name):
        name = st.session_state[_KEY] = secrets.token_hex(8)
    folder = root / name
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def checked_file_name(text: str, suffix: str) -> str:
    """`text` as a file name ending in `suffix` (added when missing), else ValueError naming the field
    "File name" and what is allowed. Never a path: '/', '\\\\' and '..' are refused."""
    name = text.strip()
    if name and not name.endswith(suffix):
        name += suffix
    if not FILE_NAME.fullmatch(name) or ".." in name:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"File name {shown!r} is not allowed: give a name only, no folder or path: up to "
                         f"{64 - len(suffix)} letters, digits, '_', '.' or '-', starting with a letter or digit, "
                         f"without '..' ({suffix} is added when missing)")
    return name
