"""Presenter mode on a 1366 x 768 projector screen: the Toy Lab's Play button and plane are on the first
screen, the controls start collapsed, the plane is larger than in normal mode, and the top menu shows every
page (no "N more" overflow)."""

import re

import pytest

from ganlab.ui.navigation import APP_PAGES
from tests.e2e.test_toy_lab import open_page

WIDTH, HEIGHT = 1366, 768


@pytest.fixture
def screen(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    yield page
    context.close()


def plot_area(page) -> dict:
    """The plane's plotting area (Plotly's drag rectangle) inside the live plot's frame."""
    frame = page.frame_locator("iframe[title*=live_plot]").first
    area = frame.locator(".draglayer .nsewdrag").first
    area.wait_for(timeout=60_000)
    return area.bounding_box()


def open_toy_lab(page, app_url: str, query: str) -> None:
    open_page(page, app_url, f"toy-lab{query}")
    page.get_by_role("button", name="Play").wait_for(timeout=60_000)
    plot_area(page)
    page.wait_for_timeout(1500)  # the frame settles to its final height


def test_presenter_mode_puts_the_toy_labs_demo_and_every_page_on_the_first_screen(screen, app_url, artifacts):
    open_toy_lab(screen, app_url, "")
    normal = plot_area(screen)
    open_toy_lab(screen, app_url, "?presenter=1")
    screen.screenshot(path=str(artifacts / "presenter-toy-lab.png"))
    assert screen.evaluate("window.scrollY") == 0 and screen.locator(
        "[data-testid=stMain]").evaluate("e => e.scrollTop") == 0

    play = screen.get_by_role("button", name="Play").bounding_box()
    assert 0 <= play["y"] and play["y"] + play["height"] <= HEIGHT
    plane = screen.locator("iframe[title*=live_plot]").first.bounding_box()
    assert 0 <= plane["y"] < HEIGHT / 2  # its top in the upper half: most of the plane is on screen
    area = plot_area(screen)  # Playwright's boxes are in the page's viewport, frames included
    top = area["y"]
    print(f"presenter 1366x768: Play {play}, plane frame {plane}, plotting area {area}; normal area {normal}")
    visible = (min(top + area["height"], HEIGHT) - top) / area["height"]
    assert visible > 0.5, f"only {visible:.0%} of the plane's plotting area is on the first screen"
    assert area["width"] * area["height"] > 1.1 * normal["width"] * normal["height"]  # a larger plane

    controls = screen.locator("[data-testid=stExpander] details").first
    assert controls.get_attribute("open") is None
    assert controls.locator("summary").first.locator("p").inner_text() == "Controls"

    menu = screen.locator("header [data-testid=stTopNav]")
    assert menu.get_by_text(re.compile(r"^\s*\d+ more\s*$")).count() == 0
    for spec in APP_PAGES:
        link = menu.locator("[data-testid=stTopNavLink]", has_text=spec.title)
        assert link.count() == 1, spec.title
        box = link.bounding_box()
        assert link.is_visible(), spec.title
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH and box["y"] < 100, spec.title


def test_in_presenter_mode_streamlits_stop_sits_beside_leave_presenter_mode_not_under_it(screen, app_url):
    """While a script runs for more than half a second, Streamlit shows "Stop" in the header; it was hidden
    behind our fixed "Leave presenter mode" button. A session's first visit to the MNIST Lab builds its run
    (loads the training digits, builds the networks, draws their first samples and D's outputs): seconds of
    script run (7 to 14 s on a busy 2-core machine; the click's run lasts as long), long enough for Stop to
    show. (MNIST Lab's "Evaluate now" was that action until its scoring became a job: its run is now short.)"""
    open_page(screen, app_url, "?presenter=1")  # the home page; this session has not visited the MNIST Lab yet
    menu = screen.locator("header [data-testid=stTopNav]")
    mnist = menu.locator("[data-testid=stTopNavLink]", has_text="MNIST Lab")
    mnist.wait_for(timeout=60_000)
    screen.get_by_role("button", name="Leave presenter mode").wait_for(timeout=60_000)
    screen.wait_for_timeout(1500)
    leave = screen.get_by_role("button", name="Leave presenter mode").bounding_box()
    links = [menu.locator("[data-testid=stTopNavLink]", has_text=s.title).bounding_box() for s in APP_PAGES]
    status = screen.locator("[data-testid=stStatusWidget]", has_text="Stop")
    mnist.click()
    status.wait_for(timeout=30_000)
    shown = status.bounding_box()
    assert 0 <= shown["x"] and shown["x"] + shown["width"] <= WIDTH and shown["y"] < 100
    for other in [leave, *links]:
        assert not overlap(shown, other), (shown, other)
    screen.get_by_role("button", name="Evaluate now").wait_for(timeout=120_000)  # the lab's run was built


def overlap(a: dict, b: dict) -> bool:
    """Whether two bounding boxes share any area."""
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_presenter_mode_puts_the_dynamics_plane_on_the_first_screen(screen, app_url):
    open_page(screen, app_url, "dynamics?presenter=1")
    plane = screen.locator("[data-testid=stPlotlyChart]").first
    plane.wait_for(timeout=60_000)
    screen.wait_for_timeout(1000)
    box = plane.bounding_box()
    visible = (min(box["y"] + box["height"], HEIGHT) - box["y"]) / box["height"]
    assert box["y"] >= 0 and visible > 0.6, f"the phase plane starts at y = {box['y']:.0f} ({visible:.0%} shown)"
    assert screen.get_by_text("Click anywhere to start there").count() >= 1


def test_presenter_mode_puts_the_divergences_first_figure_and_its_slider_on_the_first_screen(screen, app_url,
                                                                                              artifacts):
    """Before, the convention and section 1's text pushed the first figure to y = 685 of 768."""
    open_page(screen, app_url, "divergences?presenter=1")
    figure = screen.locator("[data-testid=stPlotlyChart]").first
    figure.wait_for(timeout=60_000)
    screen.wait_for_timeout(1000)
    screen.screenshot(path=str(artifacts / "presenter-divergences.png"))
    box = figure.bounding_box()
    visible = (min(box["y"] + box["height"], HEIGHT) - box["y"]) / box["height"]
    assert box["y"] >= 0 and visible > 0.6, f"the first figure starts at y = {box['y']:.0f} ({visible:.0%} shown)"
    slider = screen.locator("[data-testid=stSlider]").first.bounding_box()
    assert 0 <= slider["y"] and slider["y"] + slider["height"] <= HEIGHT
    about = screen.locator("[data-testid=stExpander]", has_text="About this section").first
    assert about.locator("details").get_attribute("open") is None  # the explanation is one click away
    about.locator("summary").click()
    about.get_by_text("Convention used everywhere").wait_for(timeout=10_000)
