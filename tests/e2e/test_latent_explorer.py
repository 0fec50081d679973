"""The Latent Explorer in a real browser: clicking a sample pins it and the panels appear."""

from tests.e2e.test_toy_lab import open_page


def test_clicking_a_sample_pins_it(page, app_url, artifacts):
    open_page(page, app_url, "latent-explorer")
    page.get_by_text("Click a sample").first.wait_for(timeout=60_000)
    grid = page.locator(".js-plotly-plot").first
    grid.wait_for(timeout=60_000)
    box = grid.bounding_box()
    # the grid is 8 x 2 cells of 88 px: click the centre of the third cell of the first row
    page.mouse.click(box["x"] + 2.5 * 88, box["y"] + 0.5 * 88)
    page.get_by_text("Pinned (1)").first.wait_for(timeout=60_000)
    page.get_by_text("Interpolation").first.wait_for(timeout=60_000)
    page.get_by_text("z1 (seed 0, #3)").first.wait_for(timeout=30_000)  # the clicked cell is the one pinned
    page.screenshot(path=str(artifacts / "latent_explorer.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0
