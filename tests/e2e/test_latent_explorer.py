"""The Latent Explorer in a real browser: clicking a sample pins it and the panels appear."""

from tests.e2e.test_toy_lab import open_page


def click_cell(page, grid, cell: int) -> None:
    """Click cell `cell` (0-based) of the 8-column sample grid of 88 px cells, once the app is idle.

    It clicks once the previous run is over and the pointer is on the cell (its hover label shows); the
    app root says when its script run is over (the status widget can lag behind a rerun's start).
    """
    page.wait_for_timeout(300)
    page.wait_for_function("() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState"
                           " === 'notRunning'", timeout=60_000)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    row, col = divmod(cell, 8)
    x, y = box["x"] + (col + 0.5) * 88, box["y"] + (row + 0.5) * 88
    page.mouse.move(x, y)
    page.get_by_text(f"#{cell + 1}: LeNet says").wait_for(timeout=30_000)
    page.mouse.click(x, y)


def test_clicking_a_sample_pins_it(page, app_url, artifacts):
    open_page(page, app_url, "latent-explorer")
    page.get_by_text("Click a sample").first.wait_for(timeout=60_000)
    grid = page.locator(".js-plotly-plot").first
    grid.wait_for(timeout=60_000)
    click_cell(page, grid, 2)  # the third cell of the first row
    page.get_by_text("Pinned (1)").first.wait_for(timeout=60_000)
    page.get_by_text("Interpolation").first.wait_for(timeout=60_000)
    from playwright.sync_api import expect

    # the clicked cell is the one pinned (a one-pin panel's selector shows it)
    expect(page.get_by_role("combobox", name="Start from")).to_have_value("z1 (seed 0, #3)", timeout=60_000)
    page.screenshot(path=str(artifacts / "latent_explorer.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def test_pinning_samples_one_by_one_gives_each_panel_different_pins(page, app_url, artifacts):
    open_page(page, app_url, "latent-explorer?checkpoint=mnist_dcgan")
    page.get_by_text("Click a sample").first.wait_for(timeout=60_000)
    grid = page.locator(".js-plotly-plot").first
    grid.wait_for(timeout=60_000)
    for count, cell in enumerate((2, 5, 9, 12), 1):  # cells #3, #6, #10, #13, one click each
        click_cell(page, grid, cell)
        page.get_by_text(f"Pinned ({count})").first.wait_for(timeout=60_000)
        if count == 1:
            page.get_by_text("Pin 1 more sample to interpolate between two of them").wait_for(timeout=30_000)
            page.get_by_text("Pin 3 more samples to fill the four-corner sheet").wait_for(timeout=30_000)
            page.get_by_text("Pin 2 more samples to compute A − B + C").wait_for(timeout=30_000)
    page.get_by_text("Interpolating pin z1 → pin z2.").wait_for(timeout=60_000)
    page.get_by_text("Corners: top-left pin z1, top-right pin z2, bottom-left pin z3, bottom-right pin z4.") \
        .wait_for(timeout=60_000)
    page.get_by_text("Decoding mean(z1) − mean(z2) + mean(z3).").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Four-corner sheet").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "latent_explorer_four_pins.png"))
    assert page.locator("[data-testid='stException']").count() == 0
