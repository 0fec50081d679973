"""Start the real app (`streamlit run app.py`) on a free local port and drive it with Playwright in
Debian's headless Chromium. Skips, saying how to install, when Chromium or Playwright is missing."""

from __future__ import annotations

import shutil
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
