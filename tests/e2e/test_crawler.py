"""The crawler (tests/e2e/crawler.py) over every page in the app's menu, then every page in presenter mode:
it operates the controls it finds on each page and fails on an exception box, a console error, a
"Page not found" dialog or a page that lost its main figure. It prints the controls it touched per page.

GANLAB_CRAWL_SEED picks the order (a failure prints its seed and its trail of actions to reproduce it);
GANLAB_CRAWL_SECONDS is the time for the whole crawl, shared by the pages (0: every action on every page).
"""

import json
import os
import time

from tests.e2e.crawler import MAIN_FIGURE, Crawler
from tests.e2e.server import ROOT, serve_app

SEED = int(os.environ.get("GANLAB_CRAWL_SEED", "20261130"))
SECONDS = float(os.environ.get("GANLAB_CRAWL_SECONDS", "100"))  # CI well under 30 minutes: 150 took 170-200 s
PRESENTER_SHARE = 0.25
CHECKPOINTS = ROOT / "checkpoints"  # of the time, for the pass in presenter mode


def test_crawl_every_page_finds_nothing(browser, artifacts, capsys):
    # Its own server, not the suite's: runs the crawl leaves going (a lesson's autoplay it left by Back)
    # end with it and cannot slow the browser tests after it.
    lines: list[str] = []
    with serve_app() as app_url:
        reports = _crawl(browser, app_url, artifacts, capsys, lines)
    found = sum(len(r.found) for r in reports if "?" not in r.path)  # on arrival alone the pages show ~200
    assert found >= 100, f"the crawler found only {found} controls on the pages: it no longer reads them"
    assert all(r.touched for r in reports), [r.path for r in reports if not r.touched]
    failures = [f"/{r.path}: {problems}\n  after: " + " → ".join(trail[-12:])
                for r in reports for trail, problems in r.failures]
    assert not failures, f"seed {SEED}:\n" + "\n".join(failures + lines)


def _crawl(browser, app_url: str, artifacts, capsys, lines: list[str]) -> list:
    """Every page in the menu, then every page in presenter mode; returns one report per page and pass."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    saved_before = set(CHECKPOINTS.glob("*.pt"))  # the crawler presses the MNIST Lab's Save: undo it after
    crawler = Crawler(page, app_url, SEED, log=lines.append, shots=artifacts)
    paths = crawler.page_paths()
    assert sorted(paths) == sorted(MAIN_FIGURE), "the menu is ganlab.ui.navigation.APP_PAGES"
    reports = []
    try:
        for query, share in (("", 1 - PRESENTER_SHARE), ("presenter=1", PRESENTER_SHARE)):
            left = SECONDS * share
            for i, path in enumerate(paths):  # a page that finishes early leaves its time to the next ones
                began = time.time()
                report = crawler.crawl(path, max(left / (len(paths) - i), 1.0) if SECONDS else 0, query)
                left -= time.time() - began
                reports.append(report)
                with capsys.disabled():
                    print("\ncrawl " + report.summary(), flush=True)
    finally:
        context.close()
        for path in set(CHECKPOINTS.glob("*.pt")) - saved_before:
            path.unlink()
        (artifacts / "crawl.json").write_text(json.dumps([r.__dict__ for r in reports], indent=1, default=list))
    return reports
