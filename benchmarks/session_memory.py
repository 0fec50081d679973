"""Server memory after N browser sessions open, train and close: it must come back to within 50 MB of where
it started (issue 18: a closed session's memory is collected).

    python benchmarks/session_memory.py [--sessions 5] [--cycles 2] [--ttl 30]

Starts `streamlit run app.py`, warms it up with one session per training worker (Toy Lab, then MNIST Lab,
then closed) and records the server's resident memory (VmRSS of the server and its child processes, the
training workers, from /proc). Then, per cycle: opens N headless Chromium contexts (each its own Streamlit
session), each plays the Toy Lab for a few seconds and the MNIST Lab briefly, closes them all, and waits
until the memory stops falling.

When a session's websocket closes Streamlit at once releases its session-scoped resources (ganlab's
SessionResources.release: every run paused, its worker joined), but keeps the session itself,
st.session_state included, in its store for `server.disconnectedSessionTTL` seconds (default 120) so that a
browser that reconnects finds its state, and reaps expired sessions only when the store is next written (the
next session to disconnect); the app then collects what they held within ClosedSessions' period (20 s). So
each wait has two parts: "released" (the websockets closed), then, once the TTL has passed, a short probe
session opens and closes the home page (its disconnect reaps the expired sessions) and "dropped" is read when
the memory has not fallen for 30 s. `--ttl` sets the server's TTL (the benchmark's default, 30 s, only
shortens the wait; `--ttl 120` is Streamlit's default). Takes about 7 minutes with the defaults on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from toy_lab_browser import FLAGS, descendants, start_app  # noqa: E402

MB = 1024 * 1024
GOAL_MB = 50.0
HOME_TEXT = "laboratory for generative adversarial networks"


def memory_bytes(pid: int, field: str = "VmRSS", children: bool = True) -> int:
    """`field` of /proc/<pid>/status (VmRSS: resident; RssAnon: its anonymous part, the heap) summed over
    the process and (`children`) every process below it (the training workers), in bytes."""
    total = 0
    for proc in descendants(pid) if children else [pid]:
        try:
            lines = Path(f"/proc/{proc}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith(field + ":"):
                total += int(line.split()[1]) * 1024
    return total


class PeakSampler:
    """Samples the server's RSS every `every` seconds in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int, every: float = 0.5):
        self.pid, self.every, self.peak = pid, every, memory_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, memory_bytes(self.pid))

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, memory_bytes(self.pid))


def settle(pid: int, limit: float, quiet: float = 30.0, every: float = 1.0) -> int:
    """Polls the server's RSS until it has not fallen by more than 1 MB for `quiet` seconds (or `limit`
    seconds passed); returns the last reading."""
    start = time.perf_counter()
    low, low_at = memory_bytes(pid), start
    while time.perf_counter() - start < limit:
        time.sleep(every)
        now = memory_bytes(pid)
        if now < low - MB:
            low, low_at = now, time.perf_counter()
        elif time.perf_counter() - low_at >= quiet:
            break
    return memory_bytes(pid)


def open_session(browser, url: str):
    """A new browser context (a new Streamlit session) on the Toy Lab, Play pressed; returns (context, page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/toy-lab")
    page.frame_locator("iframe[title*=live_plot]").first.locator(".js-plotly-plot").wait_for(timeout=180_000)
    page.get_by_role("button", name="Play").click(timeout=60_000)
    return context, page


def to_mnist_lab(page) -> None:
    """The same session moves to the MNIST Lab (the sidebar's link: no reload, so no new session) and
    presses Play."""
    page.get_by_role("link", name="MNIST Lab").click(timeout=60_000)
    page.wait_for_url("**/mnist-lab", timeout=60_000)
    page.locator("[data-testid=stImage]").first.wait_for(timeout=180_000)  # the samples: the page has run
    page.get_by_role("button", name="Play", exact=True).click(timeout=60_000)


def run_sessions(browser, url: str, n: int, toy_seconds: float, mnist_seconds: float) -> None:
    """N sessions at once: each plays the Toy Lab, then the MNIST Lab; then all close."""
    sessions = []
    try:
        for _ in range(n):
            sessions.append(open_session(browser, url))
        time.sleep(toy_seconds)
        for _, page in sessions:
            to_mnist_lab(page)
        time.sleep(mnist_seconds)
    finally:
        for context, _ in sessions:
            context.close()


def probe(browser, url: str) -> None:
    """A session that opens the home page and closes: its disconnect writes Streamlit's session store, which
    reaps the sessions whose TTL has passed."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.get_by_text(HOME_TEXT).wait_for(timeout=60_000)
    context.close()


def wait_for_release(browser, url: str, pid: int, ttl: float, closed_at: float, limit: float) -> tuple[int, int]:
    """(RSS once the websockets' release settled, RSS once Streamlit dropped the expired sessions)."""
    released = settle(pid, limit)
    time.sleep(max(0.0, closed_at + ttl + 2.0 - time.perf_counter()))
    probe(browser, url)
    return released, settle(pid, limit)


def split(pid: int) -> str:
    """The server's own resident memory and its training workers' (ganlab.runtime), in MB."""
    server = memory_bytes(pid, children=False)
    return f" (server {server / MB:.1f} MB, workers {(memory_bytes(pid) - server) / MB:.1f} MB)"


def line(label: str, value: int, start: int | None = None) -> str:
    delta = f"  ({(value - start) / MB:+7.1f} MB)" if start is not None else ""
    return f"  {label:<34}{value / MB:8.1f} MB{delta}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--warmup-sessions", type=int, default=os.cpu_count() or 1,
                        help="sessions of the warm-up (default: one per training worker, GANLAB_WORKERS' default)")
    parser.add_argument("--toy-seconds", type=float, default=4.0, help="Toy Lab play time (all sessions)")
    parser.add_argument("--mnist-seconds", type=float, default=2.0, help="MNIST Lab play time (all sessions)")
    parser.add_argument("--ttl", type=int, default=30, help="the server's disconnectedSessionTTL, seconds")
    parser.add_argument("--settle", type=float, default=90.0, help="longest wait for the memory to stop falling")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(args.ttl)  # start_app passes os.environ on
    proc, url = start_app()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            report(browser, url, proc.pid, args)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)


def report(browser, url: str, pid: int, args) -> None:
    print(f"{args.sessions} sessions x {args.cycles} cycles; Streamlit keeps a closed session {args.ttl} s "
          f"(server.disconnectedSessionTTL); {os.cpu_count()} cores", flush=True)
    probe(browser, url)  # the first session registers the pages (st.navigation)
    # warm-up: imports, MNIST, caches, in the server and in every training worker (a run goes to the worker
    # with the fewest runs, so as many sessions as workers reach each one)
    run_sessions(browser, url, args.warmup_sessions, args.toy_seconds, args.mnist_seconds)
    _, start = wait_for_release(browser, url, pid, args.ttl, time.perf_counter(), args.settle)
    print(line("start (after warm-up)", start), f" RssAnon {memory_bytes(pid, 'RssAnon') / MB:.1f} MB",
          split(pid), flush=True)
    worst = None
    for cycle in range(1, args.cycles + 1):
        with PeakSampler(pid) as sampler:
            run_sessions(browser, url, args.sessions, args.toy_seconds, args.mnist_seconds)
        closed_at = time.perf_counter()
        released, after = wait_for_release(browser, url, pid, args.ttl, closed_at, args.settle)
        print(f"cycle {cycle}:")
        print(line(f"peak ({args.sessions} sessions open)", sampler.peak, start))
        print(line("released (websockets closed)", released, start))
        print(line("after close (sessions dropped)", after, start),
              f" RssAnon {memory_bytes(pid, 'RssAnon') / MB:.1f} MB", split(pid), flush=True)
        worst = max(after, worst or after)
    verdict = "ok" if (worst - start) / MB <= GOAL_MB else "FAILS"
    print(f"after close - start (the worst cycle): {(worst - start) / MB:+.1f} MB (goal <= {GOAL_MB:.0f} MB): "
          f"{verdict}")


if __name__ == "__main__":
    main()
