"""Every page in headless Chromium: it opens, its main control is exercised once, and there is no
Streamlit exception box and no browser console error. Two browser sessions train apart."""

import re
import time

import pytest

from tests.e2e.test_toy_lab import open_page, toy_heading, toy_step


def press(name: str):
    def action(page):
        page.get_by_role("button", name=name, exact=True).first.click()
    return action


def click_first_sample(page):
    grid = page.locator(".js-plotly-plot").first
    grid.wait_for(timeout=60_000)
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 0.5 * 88, box["y"] + 0.5 * 88)
    page.get_by_text("Pinned (1)").first.wait_for(timeout=60_000)


PAGES = [  # (url path, text that shows the page is drawn, main control, text after it acted)
    ("", "laboratory for generative adversarial networks", None, None),
    ("lessons", "Predict, then run", press("Next →"), "2. "),
    ("toy-lab", lambda page: toy_heading(page).get_by_text("Step 0").wait_for(timeout=120_000), press("Step"),
     lambda page: toy_heading(page).get_by_text("Step 1").wait_for(timeout=120_000)),
    ("mnist-lab", "Step 0", press("Step"), "Step 1"),
    ("latent-explorer", "Click a sample", click_first_sample, "Interpolation"),
    ("experiments", "Experiments", press("Run sweep"), "Cancel sweep"),
    ("divergences", lambda page: plots_drawn(page, "The derivations", 4), press("Play"), None),
    ("dynamics", lambda page: plots_drawn(page, "The Dirac-GAN", 6), None, None),
]


def plots_drawn(page, text: str, count: int) -> None:
    """Wait for `text`, then for the page's first `count` Plotly figures."""
    page.get_by_text(text).first.wait_for(timeout=120_000)
    page.locator(".js-plotly-plot").nth(count - 1).wait_for(timeout=120_000)


def wait_for(page, shown) -> None:
    """Wait until `shown` (a text on the page, or a function that waits for something) is there."""
    if callable(shown):
        shown(page)
    else:
        page.get_by_text(shown).first.wait_for(timeout=120_000)


# Chromium reports these for reasons outside the app (no network, the headless sandbox)
IGNORED_CONSOLE = re.compile(r"favicon|net::ERR_|Failed to load resource|WebGL|GPU stall", re.I)


@pytest.mark.parametrize("path, ready, action, after", PAGES, ids=[p[0] or "home" for p in PAGES])
def test_page_opens_acts_and_logs_no_error(page, app_url, path, ready, action, after):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    if path:
        open_page(page, app_url, path)
    else:
        page.goto(app_url)
    wait_for(page, ready)
    if action is not None:
        action(page)
        if after:
            wait_for(page, after)
        time.sleep(1.0)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0
    real = [e for e in errors if not IGNORED_CONSOLE.search(e)]
    assert real == [], real


def test_two_sessions_train_apart(browser, app_url):
    first, second = browser.new_context(), browser.new_context()
    try:
        a, b = first.new_page(), second.new_page()
        open_page(a, app_url, "toy-lab?loss.name=wgan-gp")
        open_page(b, app_url, "toy-lab?loss.name=hinge")
        for p in (a, b):
            toy_heading(p).wait_for(timeout=60_000)
        for p, times in ((a, 3), (b, 1)):
            for _ in range(times):
                before = toy_step(p)
                p.get_by_role("button", name="Step", exact=True).click()
                deadline = time.time() + 15
                while time.time() < deadline and toy_step(p) == before:
                    time.sleep(0.2)
        time.sleep(1.0)
        assert (toy_step(a), toy_step(b)) == (3, 1)
        losses = [p.locator("[data-testid='stSelectbox']").filter(has_text="Loss").first.inner_html()
                  for p in (a, b)]  # the selectbox's shown value
        assert "wgan-gp" in losses[0] and "hinge" in losses[1]
    finally:
        first.close()
        second.close()
