"""A browser crawler: opens every page of the running app and operates every control a user can reach.

The controls are read from the page itself (Streamlit's data-testid markers) after every action, so a
control that appears only in some state (a loss's parameter, a panel behind an expander, a dialog) is
found when that state is reached. Each control has its actions:

- buttons, download buttons, number inputs' + and −, tabs, expanders: pressed / opened;
- selects, multiselects, radios, pills: each option chosen (a select's options are read when opened);
- sliders: moved to their start, middle and end;
- toggles and checkboxes: flipped, then flipped back;
- plots (Plotly charts, the live plot's frame): clicked at a seeded point of their plot area;
- links (page links, link buttons) and buttons that change page: followed, the target checked, then back.

After every action it waits for the script to finish and fails the state on a Streamlit exception box, a
traceback, a browser console error, a "Page not found" dialog, or the page's main figure missing. A
button that starts a run (Play, Run sweep) is left running for a moment, checked, then stopped with the
page's own stop button. Actions are chosen by a seeded generator, untouched controls first, until each
page's time budget is spent: `seed` and the printed trace reproduce a failure.

Text boxes, file uploaders and data-frame cells are not typed into (they are counted as skipped).

Run it alone, against its own server: `python -m tests.e2e.crawler --seconds 0` (no time limit).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from ganlab.ui.navigation import APP_PAGES

# The figure each page must keep showing, by url path ("" is Home), as ganlab.ui.navigation declares it
MAIN_FIGURE = {spec.url_path: spec.main_figure for spec in APP_PAGES}
# Buttons that stop what another button started; the crawler lets a run go on for RUN_SECONDS first.
STOP_LABELS = ("Pause", "Cancel sweep", "Stop", "Cancel")
RUN_SECONDS = 2.0
MIN_ACTIONS = 2  # actions done on each page however slow it is (past that, the time budget decides)
# Chromium reports these for reasons outside the app (no network, the headless sandbox).
IGNORED_CONSOLE = re.compile(r"favicon|net::ERR_|Failed to load resource|WebGL|GPU stall", re.I)
SETTLE_TIMEOUT_MS = 120_000
CLICK_TIMEOUT_MS = 4_000

ENUMERATE_JS = r"""() => {
  const roots = [...document.querySelectorAll(
      "[data-testid=stMain], [data-testid=stSidebarUserContent], [role=dialog]")];
  const visible = el => { const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"
          && (!el.checkVisibility || el.checkVisibility({visibilityProperty: true, opacityProperty: true})); };
  const text = el => (el ? el.innerText || el.textContent || "" : "").replace(/\s+/g, " ").trim().slice(0, 90);
  const labelOf = w => text(w.querySelector("[data-testid=stWidgetLabel]"));
  document.querySelectorAll("[data-crawl]").forEach(el => el.removeAttribute("data-crawl"));
  const out = [], skipped = {};
  let n = 0;
  const add = (kind, el, label, extra) => {
    // the handle itself must be visible (a slider's handle is a hidden input: its widget is checked)
    if (kind !== "slider" && !visible(el)) return null;
    const id = String(n++);
    el.setAttribute("data-crawl", id);
    out.push(Object.assign({kind, label, id, state: "", options: [], disabled: false}, extra || {}));
    return id;
  };
  const inToolbar = el => el.closest("[data-testid=stElementToolbar], [data-testid=stHeader]");
  for (const root of roots) {
    for (const el of root.querySelectorAll("*")) {
      if (!el.dataset || !visible(el) || inToolbar(el)) continue;
      const t = el.dataset.testid;
      if (t === "stButton" || t === "stDownloadButton" || t === "stFormSubmitButton") {
        const b = el.querySelector("button"); if (!b) continue;
        const id = add(t === "stDownloadButton" ? "download" : "button", b, text(b), {disabled: b.disabled});
        if (id !== null && STOP.includes(text(b))) out[out.length - 1].stop = true;
      } else if (t === "stPageLink" || t === "stLinkButton") {
        const a = el.querySelector("a"); if (a) add("link", a, text(a), {href: a.getAttribute("href") || ""});
      } else if (t === "stSelectbox" || t === "stMultiSelect") {
        const input = el.querySelector("[role=combobox]"); if (!input) continue;
        const opener = el.querySelector("button[aria-haspopup=listbox]") || input;
        const tags = [...el.querySelectorAll("[data-tag]")].map(
            tag => tag.getAttribute("aria-label") || text(tag));
        add(t === "stSelectbox" ? "select" : "multiselect", opener, labelOf(el),
            {state: t === "stSelectbox" ? input.value : "", options: tags, disabled: input.disabled});
      } else if (t === "stRadio" || t === "stButtonGroup") {
        const opts = t === "stRadio" ? [...el.querySelectorAll("label[data-testid=stRadioOption]")]
                                      : [...el.querySelectorAll("button")];
        if (!opts.length) continue;
        const id = add(t === "stRadio" ? "radio" : "pills", el, labelOf(el) || text(opts[0]), {});
        if (id === null) continue;
        const item = out[out.length - 1];
        opts.forEach((o, j) => { o.setAttribute("data-crawl", id + ":" + j); item.options.push(text(o));
          const input = o.querySelector("input");
          if (t === "stRadio" && input && input.checked) item.state = text(o); });
      } else if (t === "stSlider") {
        const thumb = el.querySelector("input[type=range]"); if (!thumb) continue;
        const id = add("slider", thumb, labelOf(el), {state: thumb.value, disabled: thumb.disabled});
        const track = thumb.parentElement && thumb.parentElement.parentElement
            && thumb.parentElement.parentElement.parentElement;
        if (track) track.setAttribute("data-crawl", id + ":track");
      } else if (t === "stCheckbox") {
        const input = el.querySelector("input"); const lab = el.querySelector("label"); if (!lab) continue;
        add("toggle", lab, (input && input.getAttribute("aria-label")) || text(lab),
            {state: input && input.checked ? "on" : "off",
            disabled: !!(input && input.disabled)});
      } else if (t === "stExpander") {
        const s = el.querySelector("summary"); const d = el.querySelector("details");
        if (s) add("expander", s, text(s.querySelector("[data-testid=stMarkdownContainer]") || s),
                   {state: d && d.open ? "open" : "closed"});
      } else if (t === "stNumberInput") {
        const label = labelOf(el);
        for (const [sign, tid] of [["+", "stNumberInputStepUp"], ["-", "stNumberInputStepDown"]]) {
          const b = el.querySelector(`[data-testid=${tid}]`);
          if (b) add("number", b, `${label} ${sign}`, {disabled: b.disabled});
        }
      } else if (t === "stTabs") {
        for (const tab of el.querySelectorAll("[role=tab]")) add("tab", tab, text(tab),
            {state: tab.getAttribute("aria-selected") === "true" ? "open" : ""});
      } else if (t === "stPlotlyChart") {
        const area = el.querySelector(".nsewdrag") || el;
        const titles = [".gtitle", ".xtitle", ".ytitle"].map(q => text(el.querySelector(q))).filter(x => x);
        add("plot", area, titles.join(" / ").replace(/-?[0-9][0-9.,]*/g, "#") || "plot", {});
      } else if (t === "stCustomComponentV1") {
        add("plot", el, el.getAttribute("title") || "component", {frame: true});
      } else if (["stTextInput", "stTextArea", "stFileUploader", "stColorPicker", "stDateInput",
                  "stTimeInput", "stChatInput"].includes(t)) {
        skipped[t] = (skipped[t] || 0) + 1;
      }
    }
  }
  const seen = {};
  for (const item of out) {
    const k = item.kind + "|" + item.label; seen[k] = (seen[k] || 0) + 1;
    if (seen[k] > 1) item.label += ` (${seen[k]})`;
  }
  return {controls: out, skipped};
}"""

# Wait for this state of the app root: the script has finished (and no rerun is queued).
# A page that is playing (its stop button enabled) counts as settled too: its live view may rerun back to
# back on a slow machine, and the crawler stops it next (Crawler.after).
SETTLED_JS = """() => { const a = document.querySelector('[data-testid=stApp]');
  if (!a || a.dataset.testConnectionState !== 'CONNECTED') return false;
  if (a.dataset.testScriptState === 'notRunning') return true;
  return [...document.querySelectorAll('[data-testid=stMain] button, [data-testid=stSidebar] button')].some(
      b => STOP.includes((b.innerText || '').trim()) && !b.disabled && b.getClientRects().length > 0); }"""


@dataclass
class Control:
    """One control as the page shows it now: kind, a label unique on the page, and its DOM handle id."""
    kind: str
    label: str
    id: str
    state: str = ""
    options: list = field(default_factory=list)
    disabled: bool = False
    stop: bool = False
    href: str = ""
    frame: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind} '{self.label}'"

    def actions(self) -> list[str]:
        """What can be done with it now (selects' options are known only once opened: 'open')."""
        if self.kind in ("button", "download", "link", "plot", "tab"):
            return ["press"]
        if self.kind == "expander":
            return ["open" if self.state == "closed" else "close"]
        if self.kind == "slider":
            return ["start", "middle", "end"]
        if self.kind == "toggle":
            return ["flip", "flip back"]
        if self.kind == "number":
            return ["press"]
        if self.kind in ("radio", "pills"):
            return [o for o in self.options if o != self.state]
        return ["open"]  # select, multiselect


@dataclass
class PageReport:
    """What the crawl did on one page."""
    path: str
    found: dict = field(default_factory=dict)      # control key -> kind
    touched: dict = field(default_factory=dict)    # control key -> actions done
    skipped: Counter = field(default_factory=Counter)
    trace: list = field(default_factory=list)      # the actions in order
    failures: list = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        kinds = sorted(set(self.found.values()))
        per_kind = ", ".join(
            f"{k} {sum(1 for c, v in self.found.items() if v == k and c in self.touched)}/"
            f"{sum(1 for v in self.found.values() if v == k)}" for k in kinds)
        actions = sum(len(v) for v in self.touched.values())
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none"
        return (f"/{self.path}: touched {len(self.touched)} of {len(self.found)} controls found "
                f"({per_kind}); {actions} actions in {self.seconds:.0f} s; not typed into: {skipped}; "
                f"{len(self.failures)} failures")


class Crawler:
    """Crawls one browser page (a Playwright Page) of the app served at `base_url`."""

    def __init__(self, page, base_url: str, seed: int, log=print, shots=None):
        """`shots`: a folder for a screenshot of each failing state (None: none taken)."""
        self.page, self.base_url, self.seed, self.log, self.shots = page, base_url.rstrip("/"), seed, log, shots
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    # ---- pages --------------------------------------------------------------------------------------
    def path(self) -> str:
        return urlparse(self.page.url).path.strip("/")

    def open(self, path: str, query: str = "") -> None:
        self.page.goto(f"{self.base_url}/{path}{'?' + query if query else ''}")
        self.settle()
        self.page.wait_for_timeout(500)
        self.settle()

    def page_paths(self) -> list[str]:
        """The pages of the app, from its page menu (Home is '')."""
        self.open("")
        hrefs = self.page.eval_on_selector_all(
            "[data-testid=stSidebarNavLink], [data-testid=stTopNavLink]", "els => els.map(e => e.href)")
        return list(dict.fromkeys(urlparse(h).path.strip("/") for h in hrefs))

    def settle(self) -> None:
        """Wait until the app's script has finished running (and the page has drawn)."""
        self.page.wait_for_timeout(350)
        self.page.wait_for_function(SETTLED_JS.replace("STOP.includes", f"{list(STOP_LABELS)}.includes"),
                                    timeout=SETTLE_TIMEOUT_MS, polling=100)
        self.page.wait_for_timeout(150)

    # ---- checks -------------------------------------------------------------------------------------
    def problems(self, path: str) -> list[str]:
        """What is wrong with the page now (empty when nothing is)."""
        found = []
        page = self.page
        if page.locator("[data-testid=stException]").count():
            found.append("exception box: " + page.locator("[data-testid=stException]").first.inner_text()[:600])
        elif page.get_by_text("Traceback (most recent call last)").count():
            found.append("a traceback is shown")
        if page.locator("[role=dialog]", has_text="Page not found").count():
            found.append("'Page not found' dialog")
        real = [e for e in self.errors if not IGNORED_CONSOLE.search(e)]
        self.errors.clear()
        found += [f"console error: {e[:300]}" for e in real]
        selector = MAIN_FIGURE.get(path)
        if selector is None:
            found.append(f"page /{path} has no main figure declared in ganlab.ui.navigation")
        else:
            try:
                page.locator(selector).first.wait_for(state="visible", timeout=20_000)
            except Exception:
                found.append(f"main figure ({selector}) is not shown")
        return found

    # ---- controls -----------------------------------------------------------------------------------
    def controls(self) -> tuple[list[Control], dict]:
        found = self.page.evaluate(ENUMERATE_JS.replace("STOP.includes", f"{list(STOP_LABELS)}.includes"))
        return [Control(**c) for c in found["controls"]], found["skipped"]

    def handle(self, control: Control):
        return self.page.locator(f"[data-crawl='{control.id}']").first

    def act(self, control: Control, action: str, rng: random.Random) -> str:
        """Do `action` on `control`; returns what was done (for the trace)."""
        page, handle = self.page, self.handle(control)
        if control.kind != "slider":  # a slider's handle is its (visually hidden) range input
            handle.scroll_into_view_if_needed(timeout=CLICK_TIMEOUT_MS)
        else:
            page.locator(f"[data-crawl='{control.id}:track']").first.scroll_into_view_if_needed(timeout=CLICK_TIMEOUT_MS)
        if control.kind in ("radio", "pills"):
            self.covered.setdefault(control.key, set()).add(action)
            j = control.options.index(action)
            page.locator(f"[data-crawl='{control.id}:{j}']").first.click(timeout=CLICK_TIMEOUT_MS)
            return action
        if control.kind == "slider":
            if action == "middle":
                box = page.locator(f"[data-crawl='{control.id}:track']").first.bounding_box()
                page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            else:
                handle.focus()
                page.keyboard.press("Home" if action == "start" else "End")
            return action
        if control.kind in ("select", "multiselect"):
            return self.choose_option(control, rng)
        if control.kind == "plot":
            box = handle.bounding_box()
            fx, fy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
            page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            return f"click at ({fx:.2f}, {fy:.2f}) of its plot area"
        handle.click(timeout=CLICK_TIMEOUT_MS)
        return action

    def choose_option(self, control: Control, rng: random.Random) -> str:
        """Open a select, read its options, choose one not chosen before (seeded); returns it."""
        page = self.page
        self.handle(control).click(timeout=CLICK_TIMEOUT_MS)
        listbox = page.locator("[role=listbox]").last
        listbox.wait_for(timeout=CLICK_TIMEOUT_MS)
        options = [o.strip() for o in listbox.locator("[role=option]").all_inner_texts()]
        options = [o for o in options if o and o != "No results"]
        covered = self.covered.setdefault(control.key, set())
        self.known_options[control.key] = set(options)
        fresh = sorted(o for o in options if o not in covered and o not in control.options)
        if not fresh:
            page.keyboard.press("Escape")
            return "open (nothing new)"
        choice = rng.choice(fresh)
        covered.add(choice)
        listbox.locator("[role=option]", has_text=choice).first.click(timeout=CLICK_TIMEOUT_MS)
        if control.kind == "multiselect":
            page.keyboard.press("Escape")
        return f"option {choice}"

    # ---- the crawl ----------------------------------------------------------------------------------
    def crawl(self, path: str, seconds: float, query: str = "") -> PageReport:
        """Operate the controls of page `path` (seeded order, untouched first) for at most `seconds`
        (0: until every action is done)."""
        rng = random.Random(f"{self.seed}:{path}:{query}")
        report = PageReport(path + (f"?{query}" if query else ""))
        self.done: dict[str, set] = {}
        self.known_options: dict[str, set] = {}
        self.timing = Counter()
        self.covered: dict[str, set] = {}  # options of selects / radios chosen or seen chosen
        start = time.time()
        self.open(path, query)
        self.record(report, path, "arrive")
        actions = 0
        while not seconds or time.time() - start < seconds or actions < MIN_ACTIONS:
            actions += 1
            controls, skipped = self.controls()
            for name, count in skipped.items():
                report.skipped[name] = max(report.skipped[name], count)
            for c in controls:
                report.found.setdefault(c.key, c.kind)
                if c.kind in ("select", "radio", "pills") and c.state:
                    self.covered.setdefault(c.key, set()).add(c.state)
            choice = self.pick(controls, rng)
            if choice is None:
                break
            control, action = choice
            try:
                did = self.act(control, action, rng)
            except Exception as error:  # a control that vanished or could not be operated
                lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
                did = f"{action} (could not: {lines[0][:100]} … {lines[-1][:140] if len(lines) > 1 else ''})"
                self.page.keyboard.press("Escape")
            self.done.setdefault(control.key, set()).add(did if did.startswith("option ") else action)
            report.touched.setdefault(control.key, []).append(did)
            step = f"{control.key}: {did}"
            t0 = time.time()
            try:
                self.settle()
            except Exception:
                report.failures.append((list(report.trace) + [step], ["still running after 120 s"]))
            t1 = time.time()
            self.after(report, path, query, step)
            self.timing["settle"] += t1 - t0
            self.timing["check"] += time.time() - t1
        report.seconds = time.time() - start
        self.log(f"  time: {dict((k, round(v, 1)) for k, v in self.timing.items())}")
        return report

    def pick(self, controls: list[Control], rng: random.Random) -> tuple[Control, str] | None:
        """A seeded choice among the actions not done yet: from controls never touched first."""
        fresh, more = [], []
        for c in controls:
            if c.disabled or c.stop:
                continue
            done = self.done.get(c.key, set())
            if c.kind in ("select", "multiselect"):
                known = self.known_options.get(c.key)
                if known is None or not known <= self.covered.get(c.key, set()) | set(c.options):
                    (more if done else fresh).append((c, "open"))
                continue
            covered = self.covered.get(c.key, set())
            for a in c.actions():
                if c.kind in ("radio", "pills") and a in covered:
                    continue
                if a not in done:
                    (more if done else fresh).append((c, a))
        pool = fresh or more
        if not pool:
            return None
        pool.sort(key=lambda ca: (ca[0].key, ca[1]))
        return rng.choice(pool)

    def after(self, report: PageReport, path: str, query: str, step: str) -> None:
        """Check the state an action led to: stop a run it started, follow a page change and come back."""
        self.record(report, self.path(), step)
        stop = next((c for c in self.controls()[0] if c.stop and not c.disabled), None)
        if stop is not None:
            time.sleep(RUN_SECONDS)
            self.record(report, self.path(), step + " (running)")
            try:
                self.handle(stop).click(timeout=CLICK_TIMEOUT_MS)
                report.touched.setdefault(stop.key, []).append("press")
                report.found.setdefault(stop.key, stop.kind)
                self.settle()
            except Exception as error:
                report.failures.append((list(report.trace), [f"could not stop the run: {error}"]))
            self.record(report, self.path(), f"{stop.key}: press")
        if self.path() != path:
            self.page.go_back()
            try:
                self.settle()
            except Exception:
                pass
            if self.path() != path:
                self.open(path, query)
            self.record(report, path, "back")

    def record(self, report: PageReport, path: str, step: str) -> None:
        report.trace.append(step if path == report.path.split("?")[0] else f"{step} -> /{path}")
        found = self.problems(path)
        if found:
            report.failures.append((list(report.trace), found))
            self.log(f"  FAIL on /{path} after {step}: {found}")
            if self.shots is not None:
                name = re.sub(r"[^a-z0-9]+", "-", f"crawl-fail-{path or 'home'}-{len(report.trace)}".lower())
                self.page.screenshot(path=str(Path(self.shots) / f"{name}.png"))
            if any(f.startswith(("exception", "a traceback", "main figure", "'Page")) for f in found):
                self.open(report.path.split("?")[0], report.path.partition("?")[2])


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.server import CHROMIUM, CHROMIUM_FLAGS, serve_app
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="time per page (0: no limit)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", nargs="*", help="url paths (default: every page in the menu)")
    parser.add_argument("--presenter", action="store_true", help="crawl with presenter=1")
    parser.add_argument("--json", help="write the reports here")
    parser.add_argument("--shots", help="a folder for screenshots of failing states")
    args = parser.parse_args()
    with serve_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        crawler = Crawler(page, url, args.seed, shots=args.shots)
        paths = args.pages if args.pages is not None else crawler.page_paths()
        reports = []
        for path in paths:
            report = crawler.crawl(path, args.seconds, "presenter=1" if args.presenter else "")
            print(report.summary(), flush=True)
            reports.append(report)
        browser.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.__dict__ for r in reports], f, indent=1, default=list)
    failures = sum(len(r.failures) for r in reports)
    print(f"{failures} failures (seed {args.seed})")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
