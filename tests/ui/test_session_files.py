"""Each browser session's own folder and the file names a user may type (issue 18: never a path)."""

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.ui.session_files import checked_file_name

REFUSED = ("File name {!r} is not allowed: give a name only, no folder or path: up to 61 letters, digits, '_', "
           "'.' or '-', starting with a letter or digit, without '..' (.pt is added when missing)")


@pytest.mark.parametrize(("text", "name"), [
    ("run1", "run1.pt"), ("run1.pt", "run1.pt"), ("  my-run_2  ", "my-run_2.pt"), ("a.b", "a.b.pt"),
    ("x" * 61, "x" * 61 + ".pt")])
def test_a_plain_name_is_kept_and_gets_the_suffix(text, name):
    assert checked_file_name(text, ".pt") == name


@pytest.mark.parametrize("text", ["../x", "a/b.pt", "/etc/passwd", "..", "a\\b", ".hidden", "", "   ", "a..b",
                                  "C:x", "x" * 62, "nul\x00.pt", "ü.pt", "a b"])
def test_a_path_or_odd_name_is_refused_naming_the_field_and_what_is_allowed(text):
    with pytest.raises(ValueError) as err:
        checked_file_name(text, ".pt")
    shown = text if len(text) <= 40 else text[:40] + "…"
    assert str(err.value) == REFUSED.format(shown)


SCRIPT = """
import streamlit as st
from pathlib import Path
from ganlab.ui.session_files import session_folder
root = Path(st.session_state["root"])
st.session_state["first"] = str(session_folder(root))
st.session_state["again"] = str(session_folder(root))
"""


def test_each_session_gets_its_own_folder_and_keeps_it(tmp_path):
    folders = []
    for _ in range(2):
        app = AppTest.from_string(SCRIPT)
        app.session_state["root"] = str(tmp_path)
        app.run()
        assert not app.exception
        assert app.session_state["first"] == app.session_state["again"]
        folders.append(app.session_state["first"])
    assert folders[0] != folders[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.rsplit("/", 1)[1] for f in folders)
    assert all(len(p.name) == 16 and p.is_dir() for p in tmp_path.iterdir())
