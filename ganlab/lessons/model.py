"""What a lesson is made of: text, a figure (optionally driven by one slider), links with presets, a question.

No Streamlit and no Plotly here: the Lessons page renders these, `ganlab.viz.lesson_figures` draws them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

PAGES = ("toy-lab", "mnist-lab", "gan-vae-flow", "latent-explorer", "divergences", "dynamics")


@dataclass(frozen=True)
class Link:
    """An "Open in ..." button: the page (its url path, one of PAGES) and the preset as query parameters."""

    label: str
    page: str
    params: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        if self.page not in PAGES:
            raise ValueError(f"Link page must be one of {', '.join(PAGES)}, not {self.page!r}")


@dataclass(frozen=True)
class Slider:
    """The one live control a lesson's figure may have: its value is passed to the figure builder."""

    label: str
    low: float
    high: float
    default: float
    step: float


@dataclass(frozen=True)
class Outcome:
    """What a lesson's experiment measured: the option the measurement supports, and the figures."""

    answer: int                       # index into Question.options
    summary: str                      # markdown: what was run and what it gave
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    """A "predict, then run" question: the reader picks an option, runs the experiment, sees the outcome."""

    prompt: str
    options: tuple[str, ...]
    run_label: str                    # the button's text, says what will run ("Train 1,500 steps on ring8")
    experiment: Callable[[], Outcome]  # seeded and fast (a few seconds on a 2-core CPU)


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    body: str                          # markdown with LaTeX ($...$ inline, $$...$$ display)
    question: Question
    links: tuple[Link, ...]
    slider: Slider | None = None       # when set, the figure is redrawn as the reader moves it
    takeaway: str = ""                 # one sentence shown after the outcome
