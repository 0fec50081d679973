"""The MNIST Lab in a real browser while it trains: nothing on screen fades, and D's output histogram
follows the run (it kept its page-load values, and the view was faded about half the time)."""

import json
import re
import time

from tests.e2e.test_toy_lab import STEP, open_page, step_count

# per element of the main area that is shown (a retained, hidden copy of a redrawn chart is skipped):
# its opacity (Streamlit fades an element the run in progress has not redrawn yet, after 0.5 s)
OPACITIES = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stElementContainer]')]
    .filter(e => e.getClientRects().length > 0).map(e => parseFloat(getComputedStyle(e).opacity))"""
HISTOGRAM = """() => {
    const graph = [...document.querySelectorAll('.js-plotly-plot')].find(
        g => g.getClientRects().length > 0 && g.layout && String(g.layout.title.text).includes("D's outputs"));
    return graph ? [graph.layout.title.text, JSON.stringify(graph.data.map(t => t.x))] : null;
}"""
HISTOGRAM_STEP = re.compile(r"\(step (\d+)\)")


def histogram(page) -> tuple[int, str]:
    """(the step in the histogram's title, its data as JSON)."""
    deadline = time.time() + 30
    while (found := page.evaluate(HISTOGRAM)) is None and time.time() < deadline:
        time.sleep(0.2)
    assert found is not None, "no histogram of D's outputs on the page"
    title, data = found
    return int(HISTOGRAM_STEP.search(title).group(1)), data


def test_mnist_lab_plays_without_fading_the_histogram_follows_it_trains_past_idle_and_pause_stops(page, app_url,
                                                                                                   artifacts):
    """One played run for what was two tests: Play makes the step rise; the view does not fade and D's
    histogram follows the run; the run still trains after the worker's idle time; Pause stops it."""
    open_page(page, app_url, "mnist-lab")
    page.get_by_text(STEP).first.wait_for(timeout=120_000)
    step_at_load, data_at_load = histogram(page)
    assert step_at_load == 0
    page.get_by_role("button", name="Play").click()
    started_play = time.time()
    deadline = time.time() + 60
    while time.time() < deadline and step_count(page) < 8:
        time.sleep(0.2)
    assert step_count(page) >= 5
    deadline = time.time() + 30  # the histogram is redrawn with the next frame after the heading's step
    while (early := histogram(page))[0] == step_at_load and time.time() < deadline:
        time.sleep(0.2)
    step_early, data_early = early
    samples, faded = 0, 0
    started = time.time()
    # 10 s and at least 50 looks (a look waits for the browser's main thread, which a busy machine delays)
    while (time.time() - started < 10.0 or samples < 50) and time.time() - started < 40.0:
        opacities = page.evaluate(OPACITIES)
        samples += 1
        faded += any(o < 0.9 for o in opacities)
        time.sleep(0.05)
    page.screenshot(path=str(artifacts / "mnist_lab_training.png"))
    step_late, data_late = histogram(page)
    # past the worker's IDLE_SECONDS (10 s): the page's refreshes keep its run training (they once did not, and
    # the run stopped 10 s after Play)
    time.sleep(max(0.0, started_play + 12 - time.time()))
    later = step_count(page)
    deadline = time.time() + 30
    while time.time() < deadline and step_count(page) <= later:
        time.sleep(0.5)
    assert step_count(page) > later, f"the run stopped training at step {later}"
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play", exact=True).and_(page.locator(":enabled")).wait_for(timeout=60_000)
    time.sleep(2.0)  # the paused page drawn (a tick in flight can still add its steps after Play is enabled)
    deadline = time.time() + 30  # the page's run after Pause draws the last state once the tick in flight ends
    while (step_paused := histogram(page)[0]) != step_count(page) and time.time() < deadline:
        time.sleep(0.5)
    step_paused, data_paused = histogram(page)
    paused = step_count(page)
    time.sleep(2.0)
    assert step_count(page) == paused  # stopped: nothing moves for 2 s
    page.screenshot(path=str(artifacts / "mnist_lab.png"))

    assert samples >= 50
    # was about 0.56 before; a slow CI machine saw 0.14 (a page run now and then over Streamlit's 0.5 s)
    assert faded / samples < 0.25, f"faded in {faded} of {samples} looks"
    assert step_early > step_at_load and data_early != data_at_load
    assert step_late > step_early and data_late != data_early  # it follows the run while it plays
    assert step_paused >= step_late and step_paused == paused, (step_paused, paused)
    assert len(json.loads(data_paused)) == 2  # real and generated
    assert page.locator("[data-testid='stException']").count() == 0
