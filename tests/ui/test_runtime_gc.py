"""Issue 18: a closed session's objects are collected. The app froze the garbage collector (gc.freeze) on
every rerun, which moved open sessions' reference cycles into the permanent generation, so after the
sessions had ended their Toy Lab and MNIST Lab runs stayed alive. ganlab.ui.runtime now freezes once, at
start-up. Each probe runs in its own interpreter, so this test process is never frozen."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent("""
    import gc, json, sys, weakref
    from streamlit.runtime.caching.cache_resource_api import _resource_caches
    from streamlit.testing.v1 import AppTest
    import ganlab.ui.runtime as runtime
    import ganlab.ui.toy_live  # noqa: F401  (the app's heavy modules, as streamlit_app.py imports them)

    if sys.argv[1] == "freeze-on-every-rerun":  # the control: the rerun path before issue 18
        def freeze_on_every_run():
            gc.collect()
            gc.freeze()
            return True
        runtime.freeze_imported_objects_once = freeze_on_every_run
    first = runtime.freeze_imported_objects_once()  # server start-up, before any session
    app = AppTest.from_file(sys.argv[2], default_timeout=180).run()
    refs = {}
    for page, key in (("pages/toy_lab.py", "toy_session"), ("pages/mnist_lab.py", "mnist_session")):
        app.switch_page(page).run()  # the session's objects, made the way the page makes them
        assert not app.exception, app.exception
        refs[key] = weakref.ref(app.session_state[key])
    frozen = gc.get_freeze_count()
    app.run()  # a rerun while the session is open: streamlit_app.py's gc-freeze call runs again
    grew = gc.get_freeze_count() - frozen
    _resource_caches.clear_all()  # the session ends: Streamlit releases its SessionResources
    del app
    gc.collect()
    print(json.dumps({"first": first, "again": runtime.freeze_imported_objects_once(), "grew": grew,
                      "alive": sorted(k for k, ref in refs.items() if ref() is not None)}))
""")


MODES = ("as-the-app-does", "freeze-on-every-rerun")


@pytest.fixture(scope="module")
def probes():
    """Both probes started at once, each in its own interpreter (seconds of imports each: they overlap on a
    machine with two cores); a test reads its own with probe(). Those not read are stopped after the module."""
    started = {mode: subprocess.Popen([sys.executable, "-c", PROBE, mode, str(ROOT / "streamlit_app.py")],
                                      cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for mode in MODES}
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


def probe(probes: dict, mode: str) -> dict:
    try:
        out, err = probes[mode].communicate(timeout=400)
    except subprocess.TimeoutExpired:
        probes[mode].kill()
        raise
    assert probes[mode].returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_a_closed_sessions_toy_and_mnist_runs_are_collected(probes):
    assert probe(probes, "as-the-app-does") == {"first": True, "again": False, "grew": 0, "alive": []}


def test_control_freezing_on_every_rerun_kept_the_closed_session_alive(probes):
    """The same probe with the old rerun path fails the check above: the test can fail."""
    old = probe(probes, "freeze-on-every-rerun")
    assert old["grew"] > 0
    assert old["alive"] == ["mnist_session", "toy_session"]


def test_collect_garbage_frees_cycles_and_the_malloc_thresholds_are_fixed_on_glibc():
    import gc
    import platform
    import weakref

    from ganlab.runtime.memory import collect_garbage, fix_malloc_thresholds

    class Node:
        pass

    node = Node()
    node.self = node  # a reference cycle: only the collector frees it
    alive = weakref.ref(node)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del node
        assert alive() is not None
        collect_garbage()
        assert alive() is None
    finally:
        if was_enabled:
            gc.enable()
    assert fix_malloc_thresholds() is (platform.libc_ver()[0] == "glibc")
