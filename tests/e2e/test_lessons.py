"""Lessons in headless Chromium: "Open in ..." lands on each page a lesson links to, with the preset applied;
presenter mode hides the sidebar; a teacher's link hides the controls it leaves out."""

import pytest

from ganlab.lessons.catalogue import LESSONS
from ganlab.ui.navigation import PAGE_TITLES
from tests.e2e.test_toy_lab import open_page, toy_heading


def lessons_reaching_every_page() -> list[tuple[int, object]]:
    """The fewest lessons, taken greedily by how many new pages they open, whose links reach every page
    a lesson links to (today 4 of the 11 lessons, 9 of the 34 links). Every link's parameters are checked against
    its page's parser in tests/lessons/test_catalogue.py, and the landing is one code path per page, so
    the browser walks each page's landing once rather than all 34 links (that took 250 s of CI)."""
    numbered = [(number, lesson) for number, lesson in enumerate(LESSONS, 1) if lesson.links]
    unreached = {link.page for _, lesson in numbered for link in lesson.links}
    chosen = []
    while unreached:
        number, lesson = max(numbered, key=lambda item: (len(unreached & {k.page for k in item[1].links}),
                                                          -len(item[1].links)))
        chosen.append((number, lesson))
        unreached -= {link.page for link in lesson.links}
    return sorted(chosen, key=lambda item: item[0])


WITH_LINKS = lessons_reaching_every_page()


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0


@pytest.mark.parametrize("number, lesson", WITH_LINKS, ids=[lesson.slug for _, lesson in WITH_LINKS])
def test_open_in_lands_on_each_page_with_the_preset_and_back_returns_to_the_lesson(page, app_url, number, lesson):
    """Each of the lesson's links in turn, as a student follows them: Open in, the page with the preset
    applied, Back to the lesson (one browser visit per lesson: opening the app afresh per link cost 5 s)."""
    open_page(page, app_url, f"lessons?lesson={lesson.slug}")
    heading = page.get_by_role("heading", name=f"{number}. {lesson.title}")
    for link in lesson.links:
        heading.wait_for(timeout=60_000)
        page.get_by_role("button", name=f"Open in {PAGE_TITLES[link.page]}: {link.label}").click()
        page.wait_for_url(f"**/{link.page}?**", timeout=60_000)
        applied = page.get_by_text("Opened with:").first
        applied.wait_for(timeout=120_000)
        text = applied.inner_text()
        for name, value in link.params:
            assert f"{name} = {value}" in text, (link.label, name, value, text)
        assert page.get_by_text("were not used").count() == 0
        no_exception(page)
        page.get_by_text(f"Back to lesson {number}: {lesson.title}").first.click(timeout=120_000)
        page.wait_for_url("**/lessons?lesson=*", timeout=60_000)
    heading.wait_for(timeout=60_000)
    no_exception(page)


def test_presenter_mode_hides_the_sidebar_and_enlarges_the_type(page, app_url):
    open_page(page, app_url, "lessons")
    heading = page.get_by_role("heading", name="Lessons").first
    heading.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stSidebar']").is_visible()
    normal = page.locator(".stMarkdown p").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    # the toggle itself: the teachers' expander below holds a checkbox of the same name, hidden while closed
    switch = page.get_by_role("switch", name="Presenter mode")
    page.get_by_test_id("stCheckbox").filter(has=switch).click()  # its label: the input lies under it
    page.get_by_role("button", name="Leave presenter mode").wait_for(timeout=60_000)
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    # the larger type comes with the rerun's style element: wait for it (a slow machine draws it later)
    page.wait_for_function("n => parseFloat(getComputedStyle(document.querySelector('.stMarkdown p')).fontSize)"
                           " >= 1.2 * n", arg=normal, timeout=30_000)
    large = page.locator(".stMarkdown p").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert large >= 1.2 * normal
    page.get_by_role("button", name="Leave presenter mode").click()
    page.locator("[data-testid='stSidebar']").wait_for(state="visible", timeout=60_000)
    no_exception(page)


def test_a_teacher_link_shows_only_the_chosen_controls(page, app_url):
    open_page(page, app_url, "toy-lab?loss.name=minimax&show=play,loss&presenter=1")
    toy_heading(page).get_by_text("Step 0").wait_for(timeout=60_000)
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)
    for hidden in ("Step", "Reset", "Share"):
        assert page.get_by_role("button", name=hidden, exact=True).count() == 0
    assert page.get_by_text("Dataset", exact=True).count() == 0
    assert page.get_by_text("Loss", exact=True).first.is_visible()
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    no_exception(page)
