"""The Dynamics page in a real browser: a click anywhere in a phase plane starts every trajectory there."""

import time

from tests.e2e.test_toy_lab import open_page

# page coordinates of the data point (x, y) on the i-th Plotly graph of the page
TO_PAGE = """([i, x, y]) => { const g = document.querySelectorAll('.js-plotly-plot')[i];
  const L = g._fullLayout; const r = g.getBoundingClientRect();
  return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)]; }"""
# the first point of each named line trace of the i-th graph
STARTS = """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i];
  return g._fullData.filter(t => t.mode === 'lines' && t.name !== 'update direction')
                    .map(t => [t.name, t.x[0], t.y[0]]); }"""


# the point under the pointer, as Plotly's hover found it
HOVERED = """(i) => { const g = document.querySelectorAll('.js-plotly-plot')[i];
  return (g._hoverdata || []).map(p => [p.x, p.y]); }"""


def click_data(page, graph: int, x: float, y: float) -> None:
    """Click the plane of graph `graph` at data point (x, y), once the graph has settled (a graph still
    being laid out moves under the pointer) and the hover label names that point."""
    deadline = time.time() + 30
    while True:  # a rerun can replace the graph's element while it is being scrolled to: try again
        try:
            page.locator(".js-plotly-plot").nth(graph).scroll_into_view_if_needed(timeout=10_000)
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.5)
    while True:
        cx, cy = page.evaluate(TO_PAGE, [graph, x, y])
        page.mouse.move(cx - 3, cy)
        page.mouse.move(cx, cy)
        time.sleep(0.3)
        if page.evaluate(HOVERED, graph) == [[x, y]] or time.time() > deadline:
            break
    page.mouse.click(cx, cy)


def wait_for_value(page, name: str, expected: str, seconds: float = 30) -> str:
    box = page.get_by_role("spinbutton", name=name)
    deadline = time.time() + seconds
    while time.time() < deadline and box.input_value() != expected:
        time.sleep(0.2)
    return box.input_value()


def wait_for_starts(page, graph: int, expected: list, seconds: float = 30) -> list:
    deadline = time.time() + seconds
    while time.time() < deadline and page.evaluate(STARTS, graph) != expected:
        time.sleep(0.2)
    return page.evaluate(STARTS, graph)


def test_clicking_anywhere_in_a_phase_plane_starts_the_trajectories_there(page, app_url, artifacts):
    open_page(page, app_url, "dynamics")
    page.get_by_text("The Dirac-GAN").first.wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").nth(5).wait_for(timeout=60_000)
    page.get_by_text("Click anywhere to start there").first.wait_for(timeout=30_000)

    # the bilinear game: a point off every arrow and trajectory (the old plot ignored such clicks)
    click_data(page, 0, -2.3, 1.7)
    assert wait_for_value(page, "Start x", "-2.30") == "-2.30"
    assert wait_for_value(page, "Start y", "1.70") == "1.70"
    expected = [[m, -2.3, 1.7] for m in ("simultaneous", "alternating", "optimistic", "extragradient")]
    assert wait_for_starts(page, 0, expected) == expected
    page.get_by_text("Every method starts at (x, y) = (-2.3, 1.7)").wait_for(timeout=30_000)
    # the equilibrium marker (the only clickable point before, which crashed the page)
    click_data(page, 0, 0.0, 0.0)
    assert wait_for_value(page, "Start x", "0.00") == "0.00"
    assert wait_for_value(page, "Start y", "0.00") == "0.00"
    page.get_by_text("The start is the equilibrium (0, 0)").wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "dynamics_bilinear_click.png"))

    # the Dirac-GAN: a click in one panel (wgan) starts all four there
    click_data(page, 3, -1.2, 0.6)
    assert wait_for_value(page, "Start θ", "-1.20") == "-1.20"
    assert wait_for_value(page, "Start ψ", "0.60") == "0.60"
    for graph in (2, 3, 4, 5):
        assert wait_for_starts(page, graph, [["simultaneous", -1.2, 0.6]]) == [["simultaneous", -1.2, 0.6]]
    page.screenshot(path=str(artifacts / "dynamics_dirac_click.png"))

    assert page.locator(".js-plotly-plot").count() == 6  # nothing below the plane was dropped
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0
