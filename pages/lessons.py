"""Lessons: a GAN lecture in eleven steps; each idea, a figure, a prediction, the run that settles it."""

import streamlit as st

from ganlab.lessons.catalogue import LESSONS
from ganlab.links import TOY_CONTROLS
from ganlab.runtime.jobs import job_runner
from ganlab.ui.classroom import PRESENTER, next_open_counter, presenter_on
from ganlab.ui.lesson_progress import LessonProgress, link_params, share_url
from ganlab.ui.navigation import PAGE_FILES, PAGE_TITLES
from ganlab.viz.lesson_figures import FIGURES

BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}
SLUGS = tuple(BY_SLUG)

if st.session_state.get("lesson_progress") is None or st.session_state["lesson_progress"].slugs != SLUGS:
    st.session_state["lesson_progress"] = LessonProgress(SLUGS)
progress: LessonProgress = st.session_state["lesson_progress"]

# ?lesson=<slug> in the address opens that lesson (once per address, so the reader can move on)
wanted = st.query_params.get("lesson")
if wanted and st.session_state.get("lesson_address") != wanted:
    st.session_state["lesson_address"] = wanted
    if not progress.go_to(wanted):
        st.error(f"lesson: {wanted!r} is not a lesson; use one of {', '.join(SLUGS)}")


progress.collect(progress.slug)  # a run that finished since the last look (before the picker marks it done)


def on_pick() -> None:
    progress.go(st.session_state["lesson_pick"])


def on_presenter() -> None:
    st.session_state[PRESENTER] = st.session_state["lesson_presenter"]


st.title("Lessons")
done = len(progress.done)
cols = st.columns([3, 2, 2])
st.session_state["lesson_pick"] = progress.current
cols[0].selectbox("Lesson", range(len(LESSONS)), key="lesson_pick", on_change=on_pick,
                  format_func=lambda i: f"{'✓ ' if SLUGS[i] in progress.done else ''}{i + 1}. {LESSONS[i].title}")
cols[1].progress(progress.fraction_done(), text=f"{done} of {len(LESSONS)} lessons done (this session)")
st.session_state["lesson_presenter"] = presenter_on()
cols[2].toggle("Presenter mode", key="lesson_presenter", on_change=on_presenter,
               help="Larger type, no sidebar (the pages put their controls at the top); for a projector")

lesson = LESSONS[progress.current]
st.header(f"{progress.current + 1}. {lesson.title}")
st.markdown(lesson.body)

# --- the figure (and its one live control) ------------------------------------------------------------
value = None
if lesson.slider is not None:
    s = lesson.slider
    whole = all(float(v).is_integer() for v in (s.low, s.high, s.default, s.step))
    kind = int if whole else float
    value = float(st.slider(s.label, kind(s.low), kind(s.high), kind(s.default), kind(s.step),
                            key=f"lesson_slider_{lesson.slug}"))
st.plotly_chart(FIGURES[lesson.slug](value), key=f"lesson_figure_{lesson.slug}", width="stretch")

# --- open the experiment in the app ---------------------------------------------------------------------
st.subheader("Try it")
for i, link in enumerate(lesson.links):
    if st.button(f"Open in {PAGE_TITLES[link.page]}: {link.label}", key=f"lesson_open_{lesson.slug}_{i}",
                 icon="↗️"):
        st.switch_page(PAGE_FILES[link.page], query_params=link_params(link, next_open_counter(),
                                                                       lesson=lesson.slug))

# --- predict, then run ----------------------------------------------------------------------------------
question = lesson.question
st.subheader("Predict, then run")
outcome = progress.outcomes.get(lesson.slug)
running = lesson.slug in progress.running
prediction = st.radio(question.prompt, range(len(question.options)), index=progress.predictions.get(lesson.slug),
                      format_func=lambda i: question.options[i], key=f"lesson_prediction_{lesson.slug}",
                      disabled=outcome is not None or running)


@st.fragment(run_every=1.0)
def run_in_progress(slug: str) -> None:
    """While the lesson's run goes on in a process of its own: where it stands; the page reruns when it ends."""
    if progress.collect(slug):
        st.rerun()
    place = job_runner().ahead(progress.running[slug][1])
    where = f"number {place} in the queue behind other readers' runs" if place else "running"
    st.info(f"The experiment is {where}, in a process of its own: the page stays usable, and the answer appears "
            "here when it is done.", icon="⏳")


if running:
    run_in_progress(lesson.slug)
elif outcome is None:
    if lesson.slug in progress.failures:
        st.error(f"The run did not finish: {progress.failures[lesson.slug]}. Run it again.")
    if st.button(question.run_label, key=f"lesson_run_{lesson.slug}", type="primary", disabled=prediction is None,
                 help="Pick your prediction first" if prediction is None else None):
        progress.start(lesson.slug, prediction, job_runner().submit(question.experiment))
        st.rerun()
    if prediction is None:
        st.caption("Pick your prediction first; the answer appears after the run.")
else:
    chosen = progress.predictions[lesson.slug]
    said = f"You predicted **{question.options[chosen]}**; the run says **{question.options[outcome.answer]}**."
    (st.success if chosen == outcome.answer else st.warning)(said)
    st.markdown(outcome.summary)
    if lesson.takeaway:
        st.info(lesson.takeaway)
    if st.button("Predict and run again", key=f"lesson_again_{lesson.slug}"):
        progress.outcomes.pop(lesson.slug)
        progress.predictions.pop(lesson.slug)
        st.rerun()

cols = st.columns([1, 1, 4])
if cols[0].button("← Previous", key="lesson_prev", disabled=progress.current == 0):
    progress.go(progress.current - 1)
    st.rerun()
if cols[1].button("Next →", key="lesson_next", disabled=progress.current == len(LESSONS) - 1):
    progress.go(progress.current + 1)
    st.rerun()

# --- teachers: a link for the class ---------------------------------------------------------------------
with st.expander("For teachers: a link for your class"):
    st.caption("The link opens the lesson's preset with only the controls you choose (Toy Lab). Hidden controls "
               "keep the preset's values; a student can still show them all.")
    pick = st.selectbox("Preset", range(len(lesson.links)), key=f"teacher_link_{lesson.slug}",
                        format_func=lambda i: f"{PAGE_TITLES[lesson.links[i].page]}: {lesson.links[i].label}")
    link = lesson.links[pick]
    extra = {}
    if link.page == "toy-lab":
        keep = st.multiselect("Controls the class sees", list(TOY_CONTROLS), default=["play", "loss"],
                              format_func=TOY_CONTROLS.get, key="teacher_show")
        extra["show"] = ",".join(keep) if keep else "play"
    if st.checkbox("Presenter mode", key="teacher_presenter"):
        extra["presenter"] = "1"
    st.code(share_url(st.context.url, link.page, link_params(link, **extra)), language=None)
    st.code(share_url(st.context.url, "lessons", {"lesson": lesson.slug}), language=None)
    st.caption("The second address opens this lesson itself.")
