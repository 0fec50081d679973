"""Load: N browser sessions (headless Chromium contexts on loopback) playing the Toy Lab at once on
one server; frames per second and training steps per second per session for N = 1, 2, 4, 8.

    python benchmarks/load.py [--sessions 1 2 4 8] [--seconds 15]

Each session is its own browser context (its own Streamlit session and trainer). After Play and a
warm-up, every page's "Step N" counter is polled in turn; a frame is a new counter value shown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from toy_lab_browser import FLAGS, STEP, cpu_seconds, start_app  # noqa: E402


def step_of(page) -> int:
    """The Toy Lab's "Step N" heading (above the plane, in the live plot's frame)."""
    heading = page.frame_locator("iframe[title*=live_plot]").first.locator("#header")
    return int(STEP.search(heading.inner_text()).group(1))


def measure(browser, url: str, n: int, seconds: float, server_pid: int) -> tuple[list[float], list[float], float]:
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(n)]
    pages = [c.new_page() for c in contexts]
    try:
        for page in pages:
            page.goto(f"{url}/toy-lab")
            page.frame_locator("iframe[title*=live_plot]").first.locator(".js-plotly-plot").wait_for(
                timeout=120_000)
        for page in pages:
            page.get_by_role("button", name="Play").click(timeout=30_000)
        time.sleep(3.0)
        seen = [[step_of(p)] for p in pages]
        start, cpu_start = time.perf_counter(), cpu_seconds(server_pid)
        while time.perf_counter() - start < seconds:
            for history, page in zip(seen, pages, strict=True):
                value = step_of(page)
                if value != history[-1]:
                    history.append(value)
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        server_cores = (cpu_seconds(server_pid) - cpu_start) / elapsed
        for page in pages:
            page.get_by_role("button", name="Pause").click(timeout=30_000)
        fps = [(len(h) - 1) / elapsed for h in seen]
        rates = [(h[-1] - h[0]) / elapsed for h in seen]
        return fps, rates, server_cores
    finally:
        for context in contexts:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    proc, url = start_app()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            warm = browser.new_page()
            warm.goto(url)  # the first session registers the pages (st.navigation)
            warm.get_by_text("laboratory for generative adversarial networks").wait_for(timeout=60_000)
            warm.close()
            print(f"{os.cpu_count()} cores shared by the server and the browser tabs")
            print("sessions  frames/s per session (median, min)  steps/s per session (median, min)  "
                  "total steps/s  server CPU (cores)")
            for n in args.sessions:
                fps, rates, server_cores = measure(browser, url, n, args.seconds, proc.pid)
                print(f"{n:>8}  {statistics.median(fps):10.1f} {min(fps):8.1f}            "
                      f"{statistics.median(rates):10.0f} {min(rates):8.0f}           {sum(rates):8.0f}"
                      f"       {server_cores:5.2f}", flush=True)
            browser.close()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
