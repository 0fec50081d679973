"""Start the real app (`streamlit run app.py`) on a free local port and drive it with Playwright in
Debian's headless Chromium. Skips, saying how to install, when Chromium or Playwright is missing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, ROOT, serve_app

ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"


@pytest.fixture(scope="session")
def app_url():
    with serve_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is missing: pip install -r requirements-dev.txt")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip("Chromium is missing: run `apt-get install chromium` (Debian) to run the browser tests")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
        # Leaving the block stops Playwright's driver (a node process) by closing its stdin, then waits for
        # it to exit. A full run once hung here: a test had left a copy of that pipe open in this process
        # (the descriptor leak ganlab.ui.tcp_nodelay had, tests/ui/test_tcp_nodelay.py). Should anything do
        # that again, the driver is killed DRIVER_STOP_SECONDS later and the run ends, saying so.
        watchdog = threading.Timer(DRIVER_STOP_SECONDS, kill_driver, args=(driver_pid(p),))
        watchdog.daemon = True
        watchdog.start()
    watchdog.cancel()


DRIVER_STOP_SECONDS = 30.0


def driver_pid(playwright) -> int | None:
    """The pid of Playwright's driver process: its `stop` is the context manager's __exit__, whose client
    holds the pipe to the driver (private attributes of playwright 1.65; None if they moved)."""
    manager = getattr(getattr(playwright, "stop", None), "__self__", None)
    proc = getattr(getattr(getattr(manager, "_client", None), "_transport", None), "_proc", None)
    return getattr(proc, "pid", None)


def kill_driver(pid: int | None) -> None:
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return  # it had exited
    print(f"Playwright's driver (pid {pid}) had not exited {DRIVER_STOP_SECONDS:.0f} s after the browser "
          "closed: killed", file=sys.__stderr__)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report says what the page showed and what the machine was busy with, and
    leaves a screenshot in tests/e2e/artifacts (a failure on CI can only be read from its log)."""
    report = yield
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        report.sections.append(("what the page showed", page_state(page, item.name)))
        report.sections.append(("the busiest processes", busiest_processes()))
    return report


def page_state(page, test_name: str) -> str:
    try:
        shot = ARTIFACTS / f"failed-{re.sub(r'[^A-Za-z0-9_.-]+', '_', test_name)[:80]}.png"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), timeout=10_000)
        text = page.evaluate("() => document.body.innerText")
        return f"url {page.url}\nscreenshot {shot}\n" + re.sub(r"\n\s*\n+", "\n", text)[:2500]
    except Exception as err:  # noqa: BLE001 - a report of a failure must not fail itself
        return f"(could not read the page: {type(err).__name__}: {err})"


def busiest_processes(count: int = 12) -> str:
    try:
        lines = subprocess.run(["ps", "-eo", "pid,ppid,pcpu,rss,etimes,args", "--sort=-pcpu"], capture_output=True,
                               text=True, timeout=10).stdout.splitlines()
        return "\n".join(line[:200] for line in lines[: count + 1])
    except (OSError, subprocess.SubprocessError) as err:
        return f"(ps failed: {err})"
