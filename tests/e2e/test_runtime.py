"""The training runtime seen from a real browser (issue 19): a Toy Lab run trains in a worker process, and
closing the tab (a real websocket disconnect, not a call to the release hook) takes its run off the worker."""

import json
import time
import urllib.request

from tests.e2e.test_toy_lab import open_page, toy_heading, toy_step


def runtime(app_url: str) -> dict:
    with urllib.request.urlopen(f"{app_url}/api/ganlab/runtime", timeout=10) as response:
        return json.loads(response.read())


def wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def test_closing_the_tab_takes_its_run_off_the_training_worker(browser, app_url):
    assert wait_for(lambda: runtime(app_url)["groups"] == 0)  # what earlier tests played has gone
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        open_page(page, app_url, "toy-lab")
        toy_heading(page).wait_for(timeout=60_000)
        page.get_by_role("button", name="Play").click()
        assert wait_for(lambda: toy_step(page) > 200)
        state = runtime(app_url)
        assert state["groups"] == 1 and state["queued"] == 0
        assert all(worker["alive"] for worker in state["workers"]) and len(state["workers"]) >= 1
    finally:
        context.close()  # the tab goes: its websocket closes
    assert wait_for(lambda: runtime(app_url)["groups"] == 0, seconds=30)  # released: off its worker
