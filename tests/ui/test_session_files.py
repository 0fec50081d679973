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


@pytest.fixture
def saves_off(monkeypatch, tmp_path):
    """The operator's GANLAB_SAVES=off (operator_settings' cache cleared before and after); SESSIONS_DIR
    moved to a temporary folder, so a write would show there."""
    from ganlab import operator_settings
    from ganlab.ui import session_files

    monkeypatch.setenv("GANLAB_SAVES", "off")
    monkeypatch.setattr(session_files, "SESSIONS_DIR", tmp_path / "sessions")
    operator_settings.clear_cache()
    yield tmp_path / "sessions"
    operator_settings.clear_cache()


LISTING_SCRIPT = """
import streamlit as st
from ganlab.ui.session_files import SavesOffError, session_folder
st.session_state["listed"] = str(session_folder(create=False))
try:
    session_folder()
except SavesOffError as err:
    st.session_state["refused"] = str(err)
"""


def test_session_folder_refuses_to_create_when_saves_are_off(saves_off):
    app = AppTest.from_string(LISTING_SCRIPT).run()
    assert not app.exception
    assert app.session_state["refused"] == ("The operator of this server turned server saves off "
                                            "(GANLAB_SAVES=off): nothing is written on the server for browser "
                                            "sessions. Downloads still work.")
    assert app.session_state["listed"].startswith(str(saves_off))  # listing (create=False) still works
    assert not saves_off.exists()


def test_the_mnist_lab_offers_the_download_but_no_save_when_saves_are_off(saves_off):
    from pathlib import Path

    page = str(Path(__file__).resolve().parents[2] / "pages" / "mnist_lab.py")
    app = AppTest.from_file(page, default_timeout=180).run()
    assert not app.exception
    assert "Save checkpoint" not in [b.label for b in app.button]
    assert not [t for t in app.text_input if t.key == "mn_save_name"]
    assert any(c.value.startswith("The operator of this server turned server saves off") for c in app.caption)
    download = app.get("download_button")
    assert [d.proto.label for d in download] == ["Download checkpoint"]
    assert not saves_off.exists()
