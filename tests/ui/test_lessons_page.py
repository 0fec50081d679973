"""The Lessons page through AppTest: every lesson renders; predict, then run; progress; presenter mode."""

import textwrap
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.lessons.catalogue import LESSONS
from ganlab.ui.navigation import PAGE_TITLES
from tests.ui.apptest import open_with_query

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "lessons.py")


def open_lessons(**params: str) -> AppTest:
    return open_with_query(PAGE, 120, **params)


def run_until_answered(app: AppTest, slug: str, seconds: float = 300) -> None:
    """Click the lesson's run button, then rerun the page (the fragment's 1 s timer, which AppTest does not
    run) until the run, in a job's process, has come back."""
    lesson = next(item for item in LESSONS if item.slug == slug)
    next(b for b in app.button if b.label == lesson.question.run_label).click().run()
    progress = app.session_state["lesson_progress"]
    deadline = time.monotonic() + seconds
    while slug in progress.running and time.monotonic() < deadline:
        time.sleep(0.2)
        app.run()


@pytest.mark.parametrize("index", range(len(LESSONS)), ids=[lesson.slug for lesson in LESSONS])
def test_every_lesson_renders_its_text_figure_links_and_question(index):
    lesson = LESSONS[index]
    app = open_lessons(lesson=lesson.slug)
    assert [h.value for h in app.header] == [f"{index + 1}. {lesson.title}"]
    assert any(m.value == textwrap.dedent(lesson.body).strip() for m in app.markdown)
    assert len(app.get("plotly_chart")) == 1
    opens = [b.label for b in app.button if b.label.startswith("Open in ")]
    assert opens == [f"Open in {PAGE_TITLES[link.page]}: {link.label}" for link in lesson.links]
    radio = app.radio(key=f"lesson_prediction_{lesson.slug}")
    assert radio.label == lesson.question.prompt and radio.value is None
    assert list(radio.options) == list(lesson.question.options)
    run = next(b for b in app.button if b.label == lesson.question.run_label)
    assert run.disabled  # no prediction yet
    if lesson.slider is not None:
        assert app.slider(key=f"lesson_slider_{lesson.slug}").value == pytest.approx(lesson.slider.default)


def test_predict_then_run_reveals_the_measured_answer_and_counts_the_lesson_done():
    lesson = LESSONS[0]
    expected = lesson.question.experiment()  # seeded: the page's run measures the same
    wrong = (expected.answer + 1) % len(lesson.question.options)
    app = open_lessons(lesson=lesson.slug)
    assert app.session_state["lesson_progress"].done == set()
    app.radio(key=f"lesson_prediction_{lesson.slug}").set_value(wrong).run()
    next(b for b in app.button if b.label == lesson.question.run_label).click().run()
    assert app.radio(key=f"lesson_prediction_{lesson.slug}").disabled  # locked while it runs
    assert any(i.value.startswith("The experiment is ") and "in a process of its own" in i.value for i in app.info)
    assert not any(b.label == lesson.question.run_label for b in app.button)
    deadline = time.monotonic() + 300
    while lesson.slug in app.session_state["lesson_progress"].running and time.monotonic() < deadline:
        time.sleep(0.2)
        app.run()
    assert not app.exception
    assert [w.value for w in app.warning] == [
        f"You predicted **{lesson.question.options[wrong]}**; the run says "
        f"**{lesson.question.options[expected.answer]}**."]
    assert any(m.value == expected.summary for m in app.markdown)
    assert app.session_state["lesson_progress"].done == {lesson.slug}
    assert app.radio(key=f"lesson_prediction_{lesson.slug}").disabled
    next(b for b in app.button if b.label == "Predict and run again").click().run()
    app.radio(key=f"lesson_prediction_{lesson.slug}").set_value(expected.answer).run()
    run_until_answered(app, lesson.slug)
    assert [s.value for s in app.success] == [
        f"You predicted **{lesson.question.options[expected.answer]}**; the run says "
        f"**{lesson.question.options[expected.answer]}**."]


def test_previous_next_and_the_picker_move_between_lessons():
    app = open_lessons()
    assert app.header[0].value == f"1. {LESSONS[0].title}"
    assert next(b for b in app.button if b.label == "← Previous").disabled
    next(b for b in app.button if b.label == "Next →").click().run()
    assert app.header[0].value == f"2. {LESSONS[1].title}"
    app.selectbox(key="lesson_pick").set_value(len(LESSONS) - 1).run()
    assert app.header[0].value == f"{len(LESSONS)}. {LESSONS[-1].title}"
    assert next(b for b in app.button if b.label == "Next →").disabled


def test_an_unknown_lesson_in_the_address_is_named():
    app = open_lessons(lesson="alchemy")
    assert any("lesson: 'alchemy' is not a lesson" in e.value for e in app.error)
    assert app.header[0].value == f"1. {LESSONS[0].title}"


def test_the_teacher_box_builds_a_link_that_shows_only_the_chosen_controls():
    lesson = next(item for item in LESSONS if item.links[0].page == "toy-lab")
    app = open_lessons(lesson=lesson.slug)
    app.multiselect(key="teacher_show").set_value(["play", "loss"]).run()
    app.checkbox(key="teacher_presenter").check().run()
    url = app.code[0].value
    assert url.startswith("http://localhost:8501/toy-lab?") and "show=play%2Closs" in url and "presenter=1" in url
    for name, _ in lesson.links[0].params:
        assert f"{name}=" in url
    assert app.code[1].value == f"http://localhost:8501/lessons?lesson={lesson.slug}"


def test_presenter_mode_hides_the_sidebar_and_moves_the_navigation_to_the_top():
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    app.query_params["presenter"] = "1"
    app.run()
    assert not app.exception
    assert app.session_state["presenter"] is True
    styles = [h.proto.body for h in app.get("html")]
    assert any('[data-testid="stSidebar"]' in s and "display: none" in s for s in styles)
    assert any(b.label == "Leave presenter mode" for b in app.button)
    next(b for b in app.button if b.label == "Leave presenter mode").click().run()
    assert app.session_state["presenter"] is False and not app.get("html")


def test_a_run_that_fails_in_its_process_is_named_and_can_be_run_again(monkeypatch):
    from ganlab.runtime import jobs
    from ganlab.runtime.pool import WorkerLost

    lesson = LESSONS[0]
    lost: Future = Future()
    lost.set_exception(WorkerLost("the training worker exited (exit code -9)"))

    class Failing:
        def submit(self, function, *args):
            assert function is lesson.question.experiment
            return lost

        def ahead(self, future):
            return 0

    monkeypatch.setattr(jobs, "_RUNNER", Failing())
    app = open_lessons(lesson=lesson.slug)
    app.radio(key=f"lesson_prediction_{lesson.slug}").set_value(0).run()
    next(b for b in app.button if b.label == lesson.question.run_label).click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "The run did not finish: the training worker exited (exit code -9). Run it again."]
    progress = app.session_state["lesson_progress"]
    assert progress.done == set() and lesson.slug not in progress.outcomes
    again = next(b for b in app.button if b.label == lesson.question.run_label)
    assert not again.disabled and app.radio(key=f"lesson_prediction_{lesson.slug}").value == 0
