"""The GAN, VAE and flow page in a real browser: Play trains the three runs in lockstep (the panels' steps rise
together and the pictures follow, never blank), Pause stops them, and nothing on the page fails."""

import re
import time

from tests.e2e.test_toy_lab import open_page

HEADING = re.compile(r"^(GAN|VAE|Flow) · step (\d+)$")
# one live plot's graph: its samples' x (JSON), and whether it is drawn and visible
PLOT = """g => {
    const samples = g.data ? g.data.find(t => t.legendgroup === 'samples') : null;
    return [samples ? JSON.stringify(samples.x) : null,
            !!g.querySelector('.main-svg') && getComputedStyle(g).visibility === 'visible'];
}"""
LIVE_PLOTS = "iframe[title*=live_plot]"


def panels(page) -> dict[str, tuple[int, str, bool]]:
    """family -> (the step in its heading, its samples' x as JSON, drawn and visible), from the live plots."""
    found = {}
    for index in range(page.locator(LIVE_PLOTS).count()):
        frame = page.frame_locator(LIVE_PLOTS).nth(index)
        try:
            header = frame.locator("#header").inner_text(timeout=2_000)
            samples, shown = frame.locator("#plot").evaluate(PLOT, timeout=2_000)
        except Exception:  # noqa: BLE001 - a frame not drawn yet: read it next time
            continue
        match = HEADING.match(header.strip())
        if match:
            found[match.group(1)] = (int(match.group(2)), samples, shown)
    return found


def all_panels(page, seconds: float = 20) -> dict[str, tuple[int, str, bool]]:
    """`panels` read again until it holds all three (on a slow machine one frame may not answer in 2 s)."""
    deadline = time.time() + seconds
    found = panels(page)
    while len(found) < 3 and time.time() < deadline:
        time.sleep(0.25)
        found = panels(page)
    return found


def steps(page) -> dict[str, int]:
    return {family: step for family, (step, _, _) in all_panels(page).items()}


def wait_for_steps(page, done, seconds: float) -> dict[str, int]:
    deadline = time.time() + seconds
    found = steps(page)
    while not (len(found) == 3 and done(found)) and time.time() < deadline:
        time.sleep(0.25)
        found = steps(page)
    return found


def test_play_trains_the_three_panels_in_lockstep_then_pause(page, app_url, artifacts):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1400, "height": 1800})  # the whole page in the screenshot
    open_page(page, app_url, "gan-vae-flow")
    assert wait_for_steps(page, lambda s: True, 120) == {"GAN": 0, "VAE": 0, "Flow": 0}
    before = {family: samples for family, (_, samples, _) in all_panels(page).items()}

    page.get_by_role("button", name="Play", exact=True).click()
    first = wait_for_steps(page, lambda s: min(s.values()) > 0 and len(set(s.values())) == 1, 60)
    assert min(first.values()) > 0 and len(set(first.values())) == 1, first  # lockstep: one step for all
    looks, hidden = 0, 0
    deadline = time.time() + 45
    while time.time() < deadline:  # until the KL chart has the evaluations at steps 250 and 500
        now = panels(page)
        looks += 1
        hidden += not all(shown for _, _, shown in now.values())
        if len(now) == 3 and min(step for step, _, _ in now.values()) >= max(first["GAN"] + 1, 520):
            break
        time.sleep(0.1)
    # the three iframes are read one after the other, so a read may straddle a frame: read until they agree
    later = wait_for_steps(page, lambda s: len(set(s.values())) == 1, 10)
    assert min(later.values()) > first["GAN"] and len(set(later.values())) == 1, (first, later)
    assert hidden == 0, f"a panel was blank in {hidden} of {looks} looks"
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts / "families.png"))
    after = {family: samples for family, (_, samples, _) in all_panels(page).items()}
    assert sorted(before) == sorted(after) == ["Flow", "GAN", "VAE"]
    assert all(after[family] != before[family] for family in before)  # every panel's samples moved

    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).and_(page.locator(":enabled")).wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    paused = steps(page)
    page.wait_for_timeout(1500)
    assert steps(page) == paused and len(set(paused.values())) == 1  # stopped, still in lockstep
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0 and errors == []
