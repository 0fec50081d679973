"""The MNIST Lab in a real browser: a link sets a declared value the old controls could not show, and the
Save box takes a file name only (a path is refused and writes nothing) into this session's folder."""

import re

from tests.e2e.server import ROOT
from tests.e2e.test_toy_lab import STEP, open_page

SESSIONS = ROOT / "runs" / "sessions"


def saved_files() -> set:
    return set(SESSIONS.rglob("*.pt")) if SESSIONS.exists() else set()


def test_a_link_sets_d_steps_10_and_the_save_box_refuses_a_path(browser, app_url, artifacts):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        open_page(page, app_url, "mnist-lab?d_steps=10&g.channels=8&d.channels=8")
        page.get_by_text(STEP).first.wait_for(timeout=120_000)
        sidebar = page.locator("[data-testid=stSidebar]")
        assert sidebar.get_by_text("D steps per G step").count() == 1
        assert page.get_by_text("Opened with: d_steps = 10, g.channels = 8, d.channels = 8").count() == 1
        page.screenshot(path=str(artifacts / "mnist_lab_1366.png"))

        before = saved_files()
        page.get_by_text("Save", exact=True).click()
        name_box = page.get_by_role("textbox", name="File name")
        name_box.fill("../x")
        name_box.press("Enter")
        page.get_by_role("button", name="Save checkpoint").click()
        error = page.locator("[data-testid=stAlertContentError]").filter(has_text="File name '../x'")
        error.wait_for(timeout=30_000)
        assert "give a name only, no folder or path" in error.inner_text()
        assert name_box.input_value() == "../x" and saved_files() == before
        page.screenshot(path=str(artifacts / "mnist_lab_save_refused.png"), full_page=True)

        name_box.fill("e2e-good")
        name_box.press("Enter")
        page.get_by_role("button", name="Save checkpoint").click()
        success = page.locator("[data-testid=stAlertContentSuccess]")
        success.wait_for(timeout=60_000)
        new = saved_files() - before
        assert [p.name for p in new] == ["e2e-good.pt"]
        path = new.pop()
        assert re.fullmatch(r"[0-9a-f]{16}", path.parent.name)
        assert success.inner_text().startswith(f"Saved e2e-good.pt in this browser session's own folder "
                                               f"({path.parent.relative_to(ROOT)})")
        page.screenshot(path=str(artifacts / "mnist_lab_saved.png"), full_page=True)
        path.unlink()
        path.parent.rmdir()
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()
