"""The Toy Lab in a real browser: Play makes the step counter rise and the plot change; Pause stops it."""

import re
import time

STEP = re.compile(r"Step (\d+)")


def open_page(page, app_url: str, path: str) -> None:
    """Home first (the server's first session registers the pages with st.navigation), then `path`."""
    page.goto(app_url)
    page.get_by_text("laboratory for generative adversarial networks").wait_for(timeout=60_000)
    page.goto(f"{app_url}/{path}")


def step_count(page) -> int:
    text = page.get_by_text(STEP).first.inner_text(timeout=30_000)
    return int(STEP.search(text).group(1))


def test_home_page_says_what_ganlab_is(page, app_url):
    page.goto(app_url)
    page.get_by_text("laboratory for generative adversarial networks").wait_for(timeout=60_000)
    assert page.get_by_text("Training device:").count() >= 1


def test_play_then_pause(page, app_url, artifacts):
    open_page(page, app_url, "toy-lab")
    page.get_by_text(STEP).first.wait_for(timeout=60_000)
    assert step_count(page) == 0
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for(timeout=30_000)
    before_plot = plot.inner_html()

    page.get_by_role("button", name="Play").click()
    deadline = time.time() + 30
    while time.time() < deadline and step_count(page) < 50:
        time.sleep(0.5)
    running = step_count(page)
    assert running >= 50
    assert plot.inner_html() != before_plot
    page.screenshot(path=str(artifacts / "toy_lab_playing.png"))

    page.get_by_role("button", name="Pause").click()
    time.sleep(2.0)
    paused = step_count(page)
    time.sleep(2.0)
    assert step_count(page) == paused >= running
    page.screenshot(path=str(artifacts / "toy_lab_paused.png"))


def test_step_shows_d_then_g(page, app_url):
    open_page(page, app_url, "toy-lab")
    page.get_by_text(STEP).first.wait_for(timeout=60_000)
    start = step_count(page)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("after D's update").wait_for(timeout=15_000)  # D's half is shown on its own
    deadline = time.time() + 15
    while time.time() < deadline and step_count(page) == start:
        time.sleep(0.2)
    assert step_count(page) == start + 1


def test_dynamics_page_opens_without_errors(page, app_url):
    open_page(page, app_url, "dynamics")
    page.get_by_text("The Dirac-GAN").first.wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").nth(5).wait_for(timeout=60_000)
    assert page.get_by_text("Traceback").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0


def test_divergences_page_opens_without_errors(page, app_url):
    open_page(page, app_url, "divergences")
    page.get_by_text("The derivations").first.wait_for(timeout=120_000)
    page.locator(".js-plotly-plot").nth(3).wait_for(timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0


def test_mnist_lab_plays_and_pauses(page, app_url, artifacts):
    open_page(page, app_url, "mnist-lab")
    page.get_by_text(STEP).first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Play").click()
    deadline = time.time() + 60
    while time.time() < deadline and step_count(page) < 5:
        time.sleep(0.5)
    assert step_count(page) >= 5
    page.get_by_role("button", name="Pause").click()
    time.sleep(2.0)
    paused = step_count(page)
    time.sleep(2.0)
    assert step_count(page) == paused
    page.screenshot(path=str(artifacts / "mnist_lab.png"))
    assert page.locator("[data-testid='stException']").count() == 0
