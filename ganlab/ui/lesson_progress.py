"""The Lessons page's state: where the reader is, what they predicted, what the runs measured; link building."""

from concurrent.futures import Future
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from ganlab.lessons.model import Link, Outcome


@dataclass
class LessonProgress:
    """Kept in st.session_state for the browser session: nothing is stored on disk."""

    slugs: tuple[str, ...]
    current: int = 0
    predictions: dict[str, int] = field(default_factory=dict)   # slug -> option index chosen before the run
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # slug -> what the run measured
    done: set[str] = field(default_factory=set)
    # slug -> (the prediction, the run's Future): runs in a job's process (ganlab.runtime.jobs), not the server's
    running: dict[str, tuple[int, Future]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # slug -> why its last run did not finish

    def start(self, slug: str, prediction: int, future: Future) -> None:
        """A "predict, then run" started: `future` will hold its Outcome."""
        self.failures.pop(slug, None)
        self.running[slug] = (prediction, future)

    def collect(self, slug: str) -> bool:
        """When `slug`'s run has finished: its outcome recorded (or its failure's text kept, in `failures`), and
        True; False while it runs or when none does."""
        prediction, future = self.running.get(slug, (None, None))
        if future is None or not future.done():
            return False
        del self.running[slug]
        try:
            self.record(slug, prediction, future.result())
        except Exception as err:  # noqa: BLE001 - the job's error (WorkerError, WorkerLost): said, not raised
            self.failures[slug] = str(err) or type(err).__name__
        return True

    def go(self, index: int) -> None:
        self.current = max(0, min(len(self.slugs) - 1, index))

    def go_to(self, slug: str) -> bool:
        """Open the lesson named `slug`; False (and no move) when there is none."""
        if slug not in self.slugs:
            return False
        self.current = self.slugs.index(slug)
        return True

    @property
    def slug(self) -> str:
        return self.slugs[self.current]

    def record(self, slug: str, prediction: int, outcome: Outcome) -> None:
        """A finished "predict, then run": the lesson counts as done."""
        self.predictions[slug] = prediction
        self.outcomes[slug] = outcome
        self.done.add(slug)

    def fraction_done(self) -> float:
        return len(self.done & set(self.slugs)) / len(self.slugs)


def link_params(link: Link, counter: str | None = None, **extra: str) -> dict[str, str]:
    """The query parameters an "Open in ..." button sends (`open` makes a second click apply again)."""
    params = dict(link.params)
    if counter is not None:
        params["open"] = counter
    params.update(extra)
    return params


def share_url(current_url: str, page: str, params: dict[str, str]) -> str:
    """An absolute address of `page` with `params`, on the server the reader is using."""
    parts = urlsplit(current_url or "http://localhost:8501/")
    prefix = parts.path.rstrip("/").removesuffix("/lessons")  # keeps a server.baseUrlPath
    base = f"{parts.scheme or 'http'}://{parts.netloc or 'localhost:8501'}{prefix}"
    query = urlencode(params)
    return f"{base}/{page}" + (f"?{query}" if query else "")
