"""The Toy Lab in a real browser: Play makes the step counter rise and the plot change; Pause stops it."""

import re
import time

STEP = re.compile(r"Step (\d+)")


def open_page(page, app_url: str, path: str) -> None:
    """Open `path` straight away, as a link does. (Home used to be opened first, for the server's first
    session to register the pages with st.navigation; app.py now declares them up front, and
    test_deep_link.py checks that a link on a fresh server opens its page.)"""
    page.goto(f"{app_url}/{path}")


def step_count(page) -> int:
    """The "Step N" heading of a page (the MNIST Lab)."""
    text = page.get_by_text(STEP).first.inner_text(timeout=30_000)
    return int(STEP.search(text).group(1))


def toy_heading(page):
    """The Toy Lab's "Step N" heading: above the plane, inside the live plot's frame."""
    return page.frame_locator("iframe[title*=live_plot]").first.locator("#header")


def toy_step(page, seconds: float = 60.0) -> int:
    """The step in the plane's heading (read again while it holds no "Step N": a heading caught mid-update,
    as one CI run did right after Play in compare mode)."""
    deadline = time.time() + seconds
    while True:
        match = STEP.search(toy_heading(page).inner_text(timeout=60_000))
        if match:
            return int(match.group(1))
        assert time.time() < deadline, "the plane's heading shows no step"
        time.sleep(0.2)


def test_home_page_says_what_ganlab_is(page, app_url):
    page.goto(app_url)
    page.get_by_text("laboratory for generative adversarial networks").wait_for(timeout=60_000)
    page.get_by_text("Training device:").first.wait_for(timeout=30_000)  # drawn a moment after the title


def live_plane(page):
    """The Toy Lab's plane: a Plotly graph inside the live-plot component's frame (the first one)."""
    frame = page.frame_locator("iframe[title*=live_plot]").first
    return frame, frame.locator(".js-plotly-plot")


def test_play_keeps_the_zoom_pause_stops_and_the_timeline_under_the_plane_scrubs_and_branches(page, app_url,
                                                                                               artifacts):
    """One played run for three checks: Play makes the step rise and the plane update in place (not a new
    chart per frame) while keeping the user's box zoom (uirevision); Pause stops it; the timeline sits under
    the plane, scrubbing redraws it, and Branch from here goes back to the scrubbed moment."""
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, app_url, "toy-lab")
    toy_heading(page).wait_for(timeout=60_000)
    assert toy_step(page) == 0
    frame, plane = live_plane(page)
    plane.wait_for(timeout=30_000)
    assert plane.locator(".gtitle").text_content().startswith("step 0")
    plane.evaluate("gd => { gd.dataset.original = 'yes'; }")

    def drawn() -> int:
        return int(frame.locator("#plot").get_attribute("data-frames"))

    plane.scroll_into_view_if_needed()
    box = plane.locator(".nsewdrag").first.bounding_box()  # the plotting area, in page coordinates
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"], steps=8)
    page.mouse.up()  # a box zoom, as a user drags it
    zoomed = plane.evaluate("gd => [gd._fullLayout.xaxis.range, gd._fullLayout.yaxis.range]")
    assert zoomed[0][1] - zoomed[0][0] < 1.5  # narrower than the data bounds [-1.5, 1.5]
    drawn_before = drawn()

    page.get_by_role("button", name="Play").click()
    drawn_at_play = drawn()
    deadline = time.time() + 30
    while time.time() < deadline and (toy_step(page) < 50 or drawn() < drawn_at_play + 10):
        time.sleep(0.3)
    ranges = plane.evaluate("gd => [gd._fullLayout.xaxis.range, gd._fullLayout.yaxis.range]")
    running = toy_step(page)
    assert running >= 50
    assert not plane.locator(".gtitle").text_content().startswith("step 0")  # the plot moved on
    assert plane.get_attribute("data-original") == "yes"  # updated in place, not a new chart per frame
    assert drawn() >= drawn_before + 5 and drawn() >= drawn_at_play + 10
    assert ranges == zoomed  # ten frames later the view is still the user's (uirevision)
    page.screenshot(path=str(artifacts / "toy_lab_playing.png"))

    deadline = time.time() + 60
    while time.time() < deadline and toy_step(page) < 250:  # a few kept moments for the timeline
        time.sleep(0.5)
    page.get_by_role("button", name="Pause").click()
    timeline = page.locator(".st-key-toy_moment")
    timeline.wait_for(timeout=30_000)
    now = settled_step(toy_heading(page))  # the last frames after Pause drawn
    time.sleep(2.0)  # and then nothing moves for 2 s: stopped
    assert toy_step(page) == now >= running
    assert now >= 250
    page.screenshot(path=str(artifacts / "toy_lab_paused.png"))

    plane = page.locator("iframe[title*=live_plot]").first.bounding_box()
    slider = timeline.bounding_box()
    gap = slider["y"] - (plane["y"] + plane["height"])
    assert 0 <= gap <= 150, gap  # right under the plane (it was about 1,000 px below)
    assert abs(slider["x"] - plane["x"]) < 5  # in the plane's column

    timeline.locator("input[type=range]").focus()
    page.keyboard.press("Home")  # scrub to the first kept moment
    deadline = time.time() + 20
    while time.time() < deadline and toy_step(page) != 0:
        time.sleep(0.2)
    assert toy_step(page) == 0
    page.get_by_text(f"Showing the timeline at step 0 (the run is at step {now}).").wait_for(timeout=10_000)
    plane_now = page.locator("iframe[title*=live_plot]").first.bounding_box()
    assert timeline.bounding_box()["y"] - (plane_now["y"] + plane_now["height"]) == gap  # nothing moved
    page.locator("iframe[title*=live_plot]").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    time.sleep(1.0)
    page.screenshot(path=str(artifacts / "toy_lab_timeline_scrubbed.png"))
    page.keyboard.press("ArrowRight")  # the next kept moment
    deadline = time.time() + 20
    while time.time() < deadline and toy_step(page) == 0:
        time.sleep(0.2)
    moment = toy_step(page)
    assert 0 < moment < now
    page.get_by_role("button", name="Branch from here").click()
    page.get_by_text(f"Branched from step {moment}: change a setting and press Play.").wait_for(timeout=20_000)
    assert settled_step(toy_heading(page)) == moment
    assert page.locator("[data-testid='stException']").count() == 0


COUNT_RENDERS = """gd => { window.__renders = 0; window.addEventListener("message", (event) => {
  if (event.data && event.data.type === "streamlit:render") window.__renders += 1; }); }"""


def test_while_playing_the_page_reruns_only_on_change_and_the_side_charts_refresh_from_feeds_only_in_sight(
        page, app_url):
    """One played run for two checks. (1) No rerun on a timer while the run plays: the plane's frame gets a
    Streamlit render only after its feed named a new version of the page (X-Ganlab-Page), that is, when the
    charts, the alarms or the run's state changed. (2) The side charts refresh without Streamlit reruns; the
    metric charts appear by themselves after the first evaluation; a chart scrolled out of view is not
    redrawn until it is seen again."""
    versions: list[str] = []
    page.on("response", lambda r: versions.append(r.headers.get("x-ganlab-page"))
            if "/api/ganlab/frame/" in r.url and r.headers.get("x-ganlab-page") else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, app_url, "toy-lab")
    live_plane(page)[1].wait_for(timeout=60_000)
    page.get_by_role("button", name="Play").click()
    d_means = live_chart(page, "mean D(real)", seconds=90)  # after the first evaluation (step 500), unasked
    losses = live_chart(page, "D loss")

    # (2) at once after the first evaluation, before the next one reruns the page: the loss chart in view,
    # D's means out of it
    losses.scroll_into_view_if_needed()
    assert page.locator("iframe[title*=live_plot]").nth(3).bounding_box()["y"] > 768  # D's means: out of view
    losses.evaluate(COUNT_RENDERS)
    frames = losses.evaluate("gd => Number(gd.dataset.frames)")
    means_frames = d_means.evaluate("gd => Number(gd.dataset.frames)")
    fed = "gd => Number(gd.dataset.frames) - window.__renders"  # frames not brought by a Streamlit render
    deadline = time.time() + 30
    while time.time() < deadline and losses.evaluate(fed) < frames + 2:
        time.sleep(0.5)
    after = losses.evaluate("gd => [Number(gd.dataset.frames), window.__renders]")
    unseen = d_means.evaluate("gd => Number(gd.dataset.frames)")
    d_means.scroll_into_view_if_needed()
    deadline = time.time() + 5
    while time.time() < deadline and d_means.evaluate("gd => Number(gd.dataset.frames)") == unseen:
        time.sleep(0.2)
    seen_frames = d_means.evaluate("gd => Number(gd.dataset.frames)")
    # refreshed at least twice with new history, in place, fetched from the chart's feed: frames beyond the
    # Streamlit renders (a rerun the page has reason for, such as an alarm or the next evaluation, may come
    # on a fast machine, and may draw one more)
    assert after[0] - after[1] >= frames + 2, (after, frames)
    assert unseen == means_frames  # out of view: its new figures waited
    assert seen_frames == unseen + 1  # in view: the newest drawn at once, the ones before it skipped

    # (1) the plane back in view (a live plot out of sight fetches nothing); count its renders
    page.locator("iframe[title*=live_plot]").first.scroll_into_view_if_needed()
    page.wait_for_timeout(2000)
    plane_frame = page.frame_locator("iframe[title*=live_plot]").first.locator("#plot")
    plane_frame.evaluate(COUNT_RENDERS)
    seen = len(versions)
    page.wait_for_timeout(6000)  # three of the old 2 s timer's reruns (the 10 s safety net not yet due)
    renders = plane_frame.evaluate("gd => window.__renders")
    window = set(versions[seen:])
    assert len(versions) > seen + 20  # the plane kept fetching frames, each naming the page's version
    if len(window) == 1:
        assert renders <= 1, (renders, window)  # nothing changed: at most the 10 s safety net (the 2 s timer: 3)
    else:
        assert renders >= 1, (renders, window)  # something changed: the page followed

    page.get_by_role("button", name="Pause").click()


def test_a_side_chart_updates_in_place_and_keeps_its_zoom_while_the_run_plays(page, app_url):
    open_page(page, app_url, "toy-lab")
    live_plane(page)[1].wait_for(timeout=60_000)
    page.get_by_role("button", name="Play").click()
    losses = live_chart(page, "D loss")
    toy_step_deadline = time.time() + 60
    while time.time() < toy_step_deadline and toy_step(page) < 3000:  # a few refreshes' worth of history
        time.sleep(0.5)
    box = losses.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.4 * box["width"], box["y"] + 0.8 * box["height"], steps=8)
    page.mouse.up()  # a box zoom on the loss chart, mid-run
    zoomed = losses.evaluate("gd => { gd.dataset.original = 'yes'; return gd._fullLayout.xaxis.range; }")
    frames = losses.evaluate("gd => Number(gd.dataset.frames)")  # the graph is the live plot's #plot
    deadline = time.time() + 30
    while time.time() < deadline and losses.evaluate("gd => Number(gd.dataset.frames)") < frames + 2:
        time.sleep(0.5)
    after = losses.evaluate("gd => [Number(gd.dataset.frames), gd.dataset.original, gd._fullLayout.xaxis.range]")
    page.get_by_role("button", name="Pause").click()
    assert after[0] >= frames + 2  # two refreshes with new history later (every CHART_SECONDS)
    assert after[1] == "yes" and after[2] == zoomed  # the same graph, still at the user's zoom (uirevision)


def test_a_run_that_diverges_mid_play_stops_and_says_so_without_a_click(page, app_url):
    open_page(page, app_url, "toy-lab?g_opt.name=sgd&d_opt.name=sgd&g_opt.lr=10&d_opt.lr=10&loss.name=wgan-gp"
                             "&loss.gp_lambda=10000")
    live_plane(page)[1].wait_for(timeout=60_000)
    page.get_by_role("button", name="Play").click()
    page.get_by_text("diverged at step").first.wait_for(timeout=60_000)  # drawn by the page's own rerun
    page.get_by_role("button", name="Play").and_(page.locator(":enabled")).wait_for(timeout=10_000)
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_health_alarm_that_fires_mid_play_is_shown_without_a_click(page, app_url):
    """D far faster than G: G's gradient norms pass the alarm's limit after about 125 steps (none at step 0)."""
    open_page(page, app_url, "toy-lab?g_opt.lr=0.000001&d_opt.lr=0.005&loss.name=nonsaturating")
    live_plane(page)[1].wait_for(timeout=60_000)
    alarm = page.get_by_text("G's gradient norms reach")
    assert alarm.count() == 0
    page.get_by_role("button", name="Play").click()
    alarm.first.wait_for(timeout=60_000)  # the page reran when the plane's feed named new alarms
    page.get_by_role("button", name="Pause").click()
    assert toy_step(page) > 100 and page.locator("[data-testid='stException']").count() == 0


def test_the_live_plots_draw_their_text_in_the_pages_own_font(page, app_url):
    open_page(page, app_url, "toy-lab")
    frame, plane = live_plane(page)
    plane.wait_for(timeout=60_000)
    body_font = page.locator("[data-testid=stMain] p").first.evaluate("p => getComputedStyle(p).fontFamily")
    first = body_font.split(",")[0].strip().strip('"')  # Streamlit's "Source Sans"
    drawn = plane.evaluate("""gd => [gd._fullLayout.font.family,
        [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replace(/["']/g, ''))]""")
    assert drawn[0].split(",")[0].strip().strip('"') == first  # the figure's text is set in it
    assert first in drawn[1]  # and the frame has the page's font loaded, not a fallback


def test_step_shows_d_then_g(page, app_url):
    open_page(page, app_url, "toy-lab")
    toy_heading(page).wait_for(timeout=60_000)
    start = toy_step(page)
    page.get_by_role("button", name="Step", exact=True).click()
    toy_heading(page).get_by_text("after D's update").wait_for(timeout=15_000)  # D's half is shown alone
    deadline = time.time() + 15
    while time.time() < deadline and toy_step(page) == start:
        time.sleep(0.2)
    assert toy_step(page) == start + 1


def test_compare_mode_shows_both_runs_losses_and_one_overlaid_chart_per_metric(page, app_url, artifacts):
    open_page(page, app_url, "toy-lab?eval_every=50")
    toy_heading(page).wait_for(timeout=60_000)
    page.get_by_text("Compare mode: a second run").click()
    page.locator("iframe[title*=live_plot]").nth(1).wait_for(timeout=60_000)  # run B's plane
    page.get_by_role("button", name="Play").click()
    deadline = time.time() + 90
    while time.time() < deadline and toy_step(page) < 110:
        time.sleep(0.5)
    page.get_by_role("button", name="Pause").click()
    metrics = live_chart(page, "Metrics over steps: runs overlaid")
    losses = live_chart(page, "A: losses (nonsaturating)")
    assert losses.get_by_text("B: losses (wgan-gp)").count() == 1
    divergence = live_chart(page, "one panel per divergence")
    assert divergence.get_by_text("Wasserstein-1: D's estimate").count() == 1
    legend = [t.strip() for t in metrics.locator(".legendtext").all_text_contents()]
    assert legend == ["A", "B"]
    metrics.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "toy_lab_compare.png"))
    assert page.locator("[data-testid='stException']").count() == 0


def live_chart(page, text: str, seconds: float = 30.0):
    """The side chart (a live plot in its own frame, ganlab.ui.live_plot) whose graph shows `text`."""
    deadline = time.time() + seconds
    while True:
        frames = page.locator("iframe[title*=live_plot]")
        for index in range(frames.count()):
            graph = frames.nth(index).content_frame.locator(".js-plotly-plot").filter(has_text=text)
            if graph.count():
                return graph
        assert time.time() < deadline, f"no chart shows {text!r}"
        time.sleep(0.5)


def settled_step(heading, seconds: float = 20.0) -> int:
    """A heading's step once it stops changing (after Pause the last frames may still be drawing)."""
    last, deadline = None, time.time() + seconds
    while time.time() < deadline:
        now = int(STEP.search(heading.inner_text(timeout=30_000)).group(1))
        if now == last:
            return now
        last = now
        time.sleep(1.0)
    return last


def test_compare_mode_steps_and_plays_a_and_b_in_lockstep(page, app_url, artifacts):
    # A unrolls D three steps for G, B does not: B is several times faster per step
    open_page(page, app_url, "toy-lab?tricks.unrolled_steps=3&vs=tricks.unrolled_steps=0")
    frames = page.frame_locator("iframe[title*=live_plot]")
    heading_a, heading_b = frames.nth(0).locator("#header"), frames.nth(1).locator("#header")
    heading_b.wait_for(timeout=60_000)

    def steps() -> tuple[str, str]:
        return heading_a.inner_text(), heading_b.inner_text()

    assert steps() == ("Step 0", "Step 0")
    page.get_by_role("button", name="Step", exact=True).click()
    deadline = time.time() + 20
    while time.time() < deadline and steps() != ("Step 1", "Step 1"):
        time.sleep(0.2)
    assert steps() == ("Step 1", "Step 1")  # Step drives both runs
    page.get_by_role("button", name="Play").click()
    # 60 steps are plenty to tell lockstep from not: B, several times faster per step, would be hundreds of
    # steps ahead of A by then (this played to 150, about 25 s of a busy 2-core machine, for the same check)
    deadline = time.time() + 90
    while time.time() < deadline and toy_step(page) < 60:
        time.sleep(0.5)
    page.get_by_role("button", name="Pause").click()
    paused = settled_step(heading_a)
    assert paused >= 60
    assert steps() == (f"Step {paused}", f"Step {paused}")
    time.sleep(2.0)
    assert steps() == (f"Step {paused}", f"Step {paused}")  # both stopped, at the same step
    page.locator("iframe[title*=live_plot]").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "toy_lab_compare_lockstep.png"))
    assert page.locator("[data-testid='stException']").count() == 0
