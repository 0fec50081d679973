"""Smoothness of the Toy Lab in a real browser (headless Debian Chromium via Playwright).

    python benchmarks/toy_lab_browser.py [--seconds 20]

Starts `streamlit run app.py` on a free local port, opens the Toy Lab at its default settings, presses Play
and watches the plane for a while from inside its frame (a mutation observer there records each new step
shown in the plane's title as a frame lands, so the measurement adds next to nothing to the browser's work).
Prints drawn frames per second (distinct plane frames per second; goal >= 12) and training steps per second
in the app against the same run headless in one process with the app's torch settings (goal >= 95 %), and
the CPU the server, its training workers (ganlab.runtime) and the browser used. With --own-core the training
worker has core 0 to itself and the rest (server, browser) share the others, as when the browsers are the
students' own machines: the gap to headless that is left is the runtime's, not the shared cores'.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STEP = re.compile(r"Step (\d+)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


# Runs in the plane's frame (the live plot): whenever the plot's DOM changes (a frame drawn or patched), read
# the step in the plane's title ("step N  ·  D updates ...") and keep each new value, so each value is one
# frame drawn. A mutation observer wakes only when a frame lands (a polling timer woke the browser 100 times
# a second, which on 2 cores took time from the training worker it measures).
WATCH_PLANE = """() => {
  window.__ganlabSteps = [];
  const plot = document.getElementById("plot");
  const record = () => {
    const title = plot.querySelector(".gtitle");
    const m = title && /^step (\\d+)/.exec(title.textContent);
    if (!m) return;
    const value = parseInt(m[1]);
    const seen = window.__ganlabSteps;
    if (!seen.length || seen[seen.length - 1] !== value) seen.push(value);
  };
  new MutationObserver(record).observe(plot, {subtree: true, childList: true, characterData: true});
  record();
}"""


# The live plot's counters: frames drawn, and of them those patched in place (fast_frames.js).
COUNTS = """() => { const plot = document.getElementById("plot");
  return [Number(plot.dataset.frames || 0), Number(plot.dataset.patched || 0)]; }"""


def plane_frame(page):
    """The live plot's frame (the first: the plane)."""
    return next(f for f in page.frames if "ganlab_live_plot" in f.url)


def cpu_seconds(pid: int | str) -> float:
    """User + system CPU seconds so far of process `pid` (all its threads), from Linux's /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (the zygote and the workers it forked), from Linux's
    /proc/<pid>/task/<tid>/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:  # the task ended meanwhile
                continue
    return found


def children_cpu_seconds(pid: int) -> float:
    """CPU seconds so far of every process below `pid` (the zygote and the training workers)."""
    total = 0.0
    for child in descendants(pid)[1:]:
        try:
            total += cpu_seconds(child)
        except (OSError, ValueError, IndexError):  # the process ended meanwhile
            continue
    return total


def preemptions(pid: int) -> int:
    """How often process `pid`'s main thread was taken off its core while it could still run (Linux's
    nonvoluntary_ctxt_switches): on a machine the browser shares, mostly by the browser's threads."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("nonvoluntary_ctxt_switches:"):
            return int(line.split()[1])
    return 0


def browser_cpu_seconds() -> float:
    """CPU seconds so far of every Chromium process (browser, renderers, GPU process, utilities)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"chromium" in (entry / "cmdline").read_bytes():
                total += cpu_seconds(entry.name)
        except OSError:  # the process ended meanwhile
            continue
    return total


def headless_rate(seconds: float) -> float:
    from ganlab.config import RunConfig
    from ganlab.train import Trainer
    from ganlab.ui.runtime import configure_torch_for_app

    configure_torch_for_app()
    trainer = Trainer(RunConfig())
    trainer.step(50)
    start = time.perf_counter()
    done = trainer.run(seconds)
    return done / (time.perf_counter() - start)


def start_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                             str(port), "--server.headless", "true", "--server.address", "127.0.0.1",
                             "--global.developmentMode", "false"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("streamlit did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--own-core", action="store_true",
                        help="give the training worker core 0 and everything else (server, browser) the other "
                             "cores, as when the students' browsers run on their own machines")
    parser.add_argument("--hide", action="append", default=[],
                        help="layer pill to switch off first, e.g. \"G's gradient arrows\" (repeatable)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    before = headless_rate(8.0)
    every_core = os.sched_getaffinity(0)
    if args.own_core:  # the server, the zygote, Playwright and Chromium start off core 0 (they inherit this)
        os.sched_setaffinity(0, every_core - {0})
    proc, url = start_app()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)  # the server's first session registers the pages (st.navigation)
            page.get_by_text("laboratory for generative adversarial networks").wait_for(timeout=60_000)
            page.goto(f"{url}/toy-lab")
            page.frame_locator("iframe[title*=live_plot]").first.locator(".js-plotly-plot").wait_for(timeout=60_000)
            for label in args.hide:
                page.get_by_role("button", name=label).click(timeout=10_000)
                time.sleep(1.0)
            page.get_by_role("button", name="Play").click(timeout=10_000)
            time.sleep(3.0)  # warm-up
            plane = plane_frame(page)
            plane.evaluate(WATCH_PLANE)
            counts_before = plane.evaluate(COUNTS)
            trainer = max(descendants(proc.pid)[1:], key=cpu_seconds)  # the worker training the run
            if args.own_core:
                for thread in Path(f"/proc/{trainer}/task").iterdir():
                    os.sched_setaffinity(int(thread.name), {0})
            preempted = preemptions(trainer)
            cpu_before = cpu_seconds(proc.pid), browser_cpu_seconds(), children_cpu_seconds(proc.pid)
            start = time.perf_counter()
            time.sleep(args.seconds)
            seen = plane.evaluate("window.__ganlabSteps")
            counts = [after - before for after, before in zip(plane.evaluate(COUNTS), counts_before, strict=True)]
            elapsed = time.perf_counter() - start
            server_cores = (cpu_seconds(proc.pid) - cpu_before[0]) / elapsed
            browser_cores = (browser_cpu_seconds() - cpu_before[1]) / elapsed
            worker_cores = (children_cpu_seconds(proc.pid) - cpu_before[2]) / elapsed
            preempted = (preemptions(trainer) - preempted) / elapsed
            page.get_by_role("button", name="Pause").click()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)
    os.sched_setaffinity(0, every_core)
    after = headless_rate(8.0)
    headless = (before + after) / 2  # the machine's speed drifts by a few per cent: measure it either side
    first, last = seen[0], seen[-1]
    fps = (len(seen) - 1) / elapsed
    app_rate = (last - first) / elapsed
    print(f"headless trainer (1 thread)  {headless:8.1f} steps/s  (before {before:.1f}, after {after:.1f})")
    print(f"in the browser               {app_rate:8.1f} steps/s  ({100 * app_rate / headless:.0f} % of headless; "
          "goal >= 95 %)")
    print(f"frames drawn                 {fps:8.1f} per second (goal >= 12); {counts[1]} of {counts[0]} "
          "patched in place (fast_frames.js), the rest redrawn by Plotly.react")
    print(f"CPU used                     server {server_cores:.2f} cores, training workers {worker_cores:.2f}, "
          f"browser {browser_cores:.2f} cores "
          f"(of {os.cpu_count()}); browser {1000 * browser_cores / max(fps, 1e-9):.0f} ms of CPU per frame")
    print(f"training worker taken off its core {preempted:.0f} times a second (involuntary context switches)")


if __name__ == "__main__":
    main()
