"""The Toy Lab's live part: the plane, the step counter, the alarms and the charts.

The run lives in st.session_state (ToySession) and, while playing, trains in a worker process
(ganlab.runtime) at full speed. The plane and its "Step N" heading are a live plot (ganlab.ui.live_plot):
while the run plays it pulls a frame about every FRAME_SECONDS from the run's live feed
(ganlab.ui.live_feed), which asks the worker for the run's snapshot. The loss and metric charts fetch
theirs every CHART_SECONDS from one ChartBoard. While the run plays nothing here reruns on a timer but a
slow safety net (SAFETY_SECONDS): the plane's feed names the version of what the page shows around it (the
charts' layout, the health alarms, whether the run plays, an error, the queue: `_page_version`), and the
plane asks for a rerun when that is not the version the page drew. What the page's controls were drawn for
(whether the run plays, its error, a lost worker, the queue: `controls_facts`) is read by the page just
before it draws them and handed to `render_live`, so a run that stops while the rest of the page is drawn
is noticed too. The live fragment hands the plane its figure itself when paused (Step, the timeline). Play /
Pause / Step / Reset live outside the fragments. While paused, the timeline slider sits right under the
plane, inside the live fragment, so scrubbing redraws only the plane.
In compare mode run A drives run B (ComparePair): both planes show the same step.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np
import streamlit as st

from ganlab.checkpoint import checkpoint_bytes
from ganlab.diagnostics import alarm_items
from ganlab.evaluation import MODE_DRAWS, W1_SAMPLES
from ganlab.losses import is_wasserstein
from ganlab.ui.classroom import presenter_on
from ganlab.ui.held_alarms import kinds as alarm_kinds
from ganlab.ui.live_feed import ChartBoard, ChartFeed, PlaneFeed
from ganlab.ui.live_plot import live_plot
from ganlab.ui.toy_frames import config_changes, divergence_segments, live_snapshot, output_segments, plane_spec
from ganlab.ui.toy_handoff import FRAME_SECONDS
from ganlab.ui.toy_session import ComparePair, ToySession
from ganlab.viz.export import animation_html, metrics_csv
from ganlab.viz.spec import figure_spec
from ganlab.viz.toy_charts import (
    WASSERSTEIN_NOTE,
    RunSeries,
    compare_divergence_chart,
    compare_loss_chart,
    compare_metrics_chart,
    d_means_chart,
    divergence_chart,
    loss_chart,
    metrics_chart,
    segment_masks,
)
from ganlab.viz.toy_plane import LAYERS

DEFAULT_LAYERS = ("discriminator", "real", "fake", "arrows", "modes", "data_density")
LAYER_LABELS = {
    "discriminator": "D's output (heatmap)", "d_contours": "D's contour lines", "d_star": "optimal D* (theory)",
    "data_density": "p_data contours (exact)", "fake_density": "p_g contours (KDE)", "real": "real samples",
    "fake": "fake samples", "arrows": "G's gradient arrows", "manifold": "G's manifold (mesh)",
    "modes": "mode centres (hit / missed by the points shown)",
}
STEP_REVEAL_SECONDS = 0.8  # how long the D half of a Step stays on screen before G's half
PRESENTER_SCALE = 22 / 16  # presenter mode sets the page's base font to 22 px (ganlab.ui.classroom)
PRESENTER_PLANE_HEIGHT = 620  # px; the figure's own 560 elsewhere (ganlab.viz.toy_plane)
CHART_SECONDS = 3.0  # the loss and metric charts refresh every 3 s
SAFETY_SECONDS = 10.0  # while playing, the live fragment still reruns this often, in case a version was missed
PAGE_SHOWN = "_toy_page_shown"  # st.session_state: the page's version drawn while playing (None: not yet)
METRIC_KEYS = ("modes_covered", "hq_fraction", "w1", "jsd", "precision", "recall")


def _feed(key: str, session: ToySession, layers: set[str], follower: PlaneFeed | None = None) -> PlaneFeed:
    """The live feed of plane `key`, kept for the browser session, pointed at what the plane shows now.
    Run B's plane ("toy_plane_b") is the follower of run A's: each frame of A's brings both runs' snapshots
    from their worker, and builds B's frame at the same step."""
    name = f"_live_feed_{key}"
    feed = st.session_state.get(name)
    if feed is None:
        feed = st.session_state[name] = PlaneFeed(session, uirevision=key, drives=key == "toy_plane")
    feed.session, feed.layers, feed.follower = session, frozenset(layers), follower
    return feed


def _show_plane(key: str, session: ToySession, snap: dict, layers: set[str], playing: bool = False,
                header: str | None = None, follower: PlaneFeed | None = None, page: str | None = None,
                board: ChartBoard | None = None) -> None:
    """The plane under its "Step N" heading: fed by the server while playing (the heading follows each
    frame); this snapshot's figure otherwise. With the `page` version drawn and the `board`, its feed watches
    the page (PlaneFeed.watch): the plane asks for a rerun when the version changes."""
    feed = _feed(key, session, layers, follower)
    feed.watch = None if page is None or board is None else (lambda: _watched_version(session, board))
    spec = None if playing else plane_spec(session, snap, feed.layers, key)
    live_plot(key=key, spec=spec, feed=feed.path if playing else None, period=FRAME_SECONDS, page=page,
              header=header or f"Step {snap['step']}", header_scale=PRESENTER_SCALE if presenter_on() else 1.0,
              height=PRESENTER_PLANE_HEIGHT if presenter_on() else None)


def _run_series(label: str, trainer) -> RunSeries:
    """What the charts need of one run (call inside its session's reading())."""
    changes = config_changes(trainer)
    loss = trainer.config.loss.name
    return RunSeries(label, trainer.history.as_arrays(), trainer.metrics.as_arrays(), loss_name=loss,
                     changes=changes, divergences=divergence_segments(changes, loss))


def _metric_keys(*metrics: dict) -> list[str]:
    """The metrics any of the runs has a finite value of, in METRIC_KEYS order."""
    return [k for k in METRIC_KEYS if any(k in m and np.isfinite(m[k]).any() for m in metrics)]


def _chart_sizes(trainer) -> dict:
    """The evaluation's sizes the metric charts name in their titles."""
    n = trainer.config.eval_samples
    return {"eval_samples": n, "draws": MODE_DRAWS, "w1_samples": min(W1_SAMPLES, n)}


def negative_critic_note(runs: list[RunSeries]) -> str | None:
    """Why D's Wasserstein estimate is below 0, when it is anywhere in these runs (its lowest value, and the
    step the histories reach: while the run plays the note is not redrawn at each chart refresh); else None."""
    lowest = np.inf
    for run in runs:
        steps = run.history["step"]
        for name, mask in segment_masks(steps, run.divergences).items():
            values = run.history["estimate"][mask]
            if is_wasserstein(name) and np.isfinite(values).any():
                lowest = min(lowest, float(np.nanmin(values)))
    if lowest >= 0:
        return None
    by = max(int(run.history["step"][-1]) for run in runs if len(run.history["step"]))
    return f"D's Wasserstein estimate went below 0 (lowest {lowest:.3g} by step {by}): {WASSERSTEIN_NOTE}."


class LiveFrame(NamedTuple):
    """What one turn of the live fragment shows, read under one hold of the run."""

    step: int  # run A's step now (a playing run's: its worker's, at the frame)
    snap: dict  # what A's plane shows: the run now, or the timeline moment the slider chose
    other_snap: dict | None  # what B's plane shows (compare mode): the same step
    viewing_past: bool  # paused on a timeline moment before now


def render_live(session: ToySession, controls: tuple, pair: ComparePair | None = None,
                show_layers: bool = True) -> None:
    """Layer toggles (outside; not here when `show_layers` is False: hidden by a teacher's link, or among the
    presenter's controls, see layer_pills), the live fragment, the charts' fragment and the downloads.
    `controls`: controls_facts(session) read just before the page drew its transport controls (the live fragment
    redraws the page when the run no longer matches them)."""
    if show_layers:
        layer_pills()
    st.session_state.setdefault("toy_layers", list(DEFAULT_LAYERS))
    layers = set(st.session_state["toy_layers"] or [])
    # playing: a slow safety net only (the plane asks for reruns when the page's version changes)
    every = SAFETY_SECONDS if session.playing else (STEP_REVEAL_SECONDS if session.phase == "d" else None)
    charts, board = _charts_now(session, pair)  # before the live fragment: their layout is in its version
    st.session_state[PAGE_SHOWN] = None  # the live fragment draws the page's version in this run

    @st.fragment(run_every=every)
    def live() -> None:
        _follow_controls(session, controls)  # the run stopped, queued or was lost since the controls were drawn
        _render_live_area(session, pair, layers, charts.shape, controls)
        _follow_controls(session, controls)  # ... or while this frame was read

    if pair is not None:
        live()
        _render_compare_charts(session, charts, board)
    else:
        left, right = st.columns([7, 3] if presenter_on() else [3, 2])  # presenter: a larger plane
        with left:
            live()
        with right:
            _render_charts(session, charts, board)
    render_export(session, layers)


def _render_live_area(session: ToySession, pair: ComparePair | None, layers: set[str],
                      charts_shape: tuple, controls: tuple) -> None:
    """One turn of the live fragment: Step's G half once its D half was shown, a frame, the health alarms,
    the plane(s) and, while paused, the timeline under them. While the run plays the fragment runs again only
    when the plane asks (the page's version changed): then the whole page follows."""
    drawn = st.session_state.get(PAGE_SHOWN)  # None in the page's own run
    board = st.session_state.get(CHART_BOARD)
    if drawn is not None and board is not None and _watched_version(session, board, rebuild=False) != drawn:
        st.session_state[PAGE_SHOWN] = None
        st.rerun(scope="app")  # stopped, an error, the queue, new alarms or charts: draw them
    _finish_shown_step(session)
    frame = _read_frame(session, pair)
    playing = session.playing
    notes = st.container()  # one slot, so the plot after it keeps its place as notes come and go
    shown = _shown_alarms(session, frame, playing)
    for _, alarm in shown:
        notes.warning(alarm, icon="⚠️")
    page = drawn
    if playing and drawn is None and board is not None:  # the version of what this run draws
        board.shape = (charts_shape, alarm_kinds(shown))
        page = st.session_state[PAGE_SHOWN] = _page_version(board.shape, controls)
    header = _step_header(session, frame.snap["step"] if frame.viewing_past else frame.step)
    if session.phase == "d":
        st.session_state["toy_d_shown"] = True
    if pair is None:
        _show_plane("toy_plane", session, frame.snap, layers, playing, header, page=page, board=board)
    else:
        _show_compare_planes(session, pair, frame, layers, playing, header, page, board)
    if not playing:
        render_timeline(session)  # right under the plane(s): scrub and watch the plane
    if frame.viewing_past:  # under the slider, so scrubbing never moves the plane or the slider
        runs = "the runs are" if pair is not None else "the run is"
        st.caption(f"Showing the timeline at step {frame.snap['step']} "
                   f"({runs} at step {frame.step}).")


def _with_history(session: ToySession, snap: dict) -> dict:
    """`snap` with a history for the health alarms: a worker's live frame carries none (the plane needs none),
    so the run's own, brought up to date from its worker (refresh)."""
    if "history" in snap:
        return snap
    session.refresh()
    with session.reading():
        return {**snap, "history": session.trainer.history.as_arrays()}


def _finish_shown_step(session: ToySession) -> None:
    """Step's second half: once the live fragment has shown D's half, G's half (in compare mode both runs'),
    then the whole page again."""
    if session.phase == "d" and st.session_state.get("toy_d_shown"):
        session.step_generator()
        st.session_state["toy_d_shown"] = False
        st.rerun(scope="app")


def _read_frame(session: ToySession, pair: ComparePair | None) -> LiveFrame:
    """Under one hold of the run (and its run B): a playing run's frame from its worker, else what the
    plane(s) show of the run here (the run now, or the timeline moment the slider chose)."""
    with session.reading():
        frame = session.live_frame() if session.playing else None
        if frame is not None:
            snaps = frame["snapshots"]
            return LiveFrame(int(frame["step"]), snaps[0], snaps[1] if len(snaps) > 1 else None, False)
        moment = st.session_state.get("toy_moment")
        viewing_past = (not session.playing and moment is not None
                        and moment < len(timeline_steps(session)) - 1)
        snap = session.timeline[moment]["snapshot"] if viewing_past else live_snapshot(session)
        other_snap = None
        if pair is not None:  # read under the same hold as A: the same step
            past = pair.other.timeline.moment_at(snap["step"]) if viewing_past else None
            other_snap = (pair.other.timeline[past]["snapshot"] if past is not None
                          else live_snapshot(pair.other))
    return LiveFrame(session.step, snap, other_snap, viewing_past)


def _step_header(run: ToySession, step: int) -> str:
    """The "Step N" heading over a run's plane; between Step's halves it says G's update follows."""
    phase_note = "  ·  after D's update (G's update follows)" if run.phase == "d" else ""
    return f"Step {step}{phase_note}"


def _show_compare_planes(session: ToySession, pair: ComparePair, frame: LiveFrame, layers: set[str], playing: bool,
                         header: str, page: str | None = None, board: ChartBoard | None = None) -> None:
    """Run A's plane and run B's side by side, each under its caption; A's feed drives B's."""
    label_a = f"A: this run (loss {session.config.loss.name})"
    label_b = "B: the same with " + ", ".join(f"{k} = {v}" for k, v in pair.overrides.items())
    feed_b = _feed("toy_plane_b", pair.other, layers)
    cols = st.columns(2)
    with cols[0]:
        st.caption(label_a)
        _show_plane("toy_plane", session, frame.snap, layers, playing, header, follower=feed_b, page=page,
                    board=board)
    with cols[1]:
        st.caption(label_b)
        _show_plane("toy_plane_b", pair.other, frame.other_snap, layers, playing,
                    _step_header(pair.other, frame.other_snap["step"]))


CHART_BOARD = "_toy_chart_board"  # st.session_state: the ChartBoard the side charts' feeds share


class ChartSet(NamedTuple):
    """The side charts of the run(s) now: figures as JSON (ganlab.viz.spec.figure_spec) by live plot key, the
    step, and the negative critic note (or None)."""

    figures: dict[str, str]
    step: int
    note: str | None

    @property
    def shape(self) -> tuple:
        """What decides the layout around the charts: which charts there are, and whether the note is."""
        return tuple(self.figures), self.note is not None


def _board(build) -> ChartBoard:
    """The page's ChartBoard (kept for the browser session), building with `build` from now on."""
    board = st.session_state.get(CHART_BOARD)
    if board is None:
        board = st.session_state[CHART_BOARD] = ChartBoard(max_age=CHART_SECONDS / 3)
    board.build = build
    return board


def _board_build(session: ToySession, charts_of):
    """What the board builds while the run plays: ({key: figure JSON}, step, (ChartSet.shape, the health
    alarms)); None when it does not play (the feeds then answer "nothing new")."""

    def build():
        if not session.playing:
            return None
        charts = charts_of()
        return charts.figures, charts.step, (charts.shape, _alarms_now(session))

    return build


def _alarms_now(session: ToySession) -> tuple[str, ...]:
    """The kinds of health alarm up with the run's latest live frame (held: ganlab.ui.held_alarms)."""
    snap = session.live_snap
    return alarm_kinds(session.alarms.update([] if snap is None else _alarm_items(session, snap)))


def _shown_alarms(session: ToySession, frame: LiveFrame, playing: bool) -> tuple[tuple[str, str], ...]:
    """The health alarms to show with `frame`, as (kind, text): those held up (ganlab.ui.held_alarms), which
    go down only while the run plays (paused, a student can read the alarm that made them pause); on a past
    timeline moment, exactly that moment's."""
    items = _alarm_items(session, frame.snap)
    if frame.viewing_past:
        return tuple(items)
    return session.alarms.update(items, expire=playing)


def _alarm_items(session: ToySession, snap: dict) -> list[tuple[str, str]]:
    """The health alarms (ganlab.diagnostics) of the run's snapshot `snap`, read with the run's histories."""
    return alarm_items(_with_history(session, snap))


def controls_facts(session: ToySession) -> tuple:
    """What the page outside the live fragment shows of the run: whether it plays (Play, Pause), its error, a
    lost worker (Restart) and its place in the queue."""
    return session.playing, session.error, session.lost, session.queue_position


def _follow_controls(session: ToySession, controls: tuple) -> None:
    """Draw the whole page again when the run is no longer what its controls were drawn for (`controls`):
    a change made after the page read them (a frame, a refresh of the charts, a worker's answer)."""
    if controls_facts(session) != controls:
        st.session_state[PAGE_SHOWN] = None
        st.rerun(scope="app")


def _page_version(shape, facts: tuple) -> str:
    """A short version of what the page around a playing plane shows: the board's shape (the charts' layout
    and the health alarms) and controls_facts."""
    return hashlib.blake2b(repr((shape, facts)).encode(), digest_size=8).hexdigest()


def _watched_version(session: ToySession, board: ChartBoard, rebuild: bool = True) -> str:
    """The page's version now, for the plane's feed: with `rebuild`, the board is built again when its charts'
    feeds have not asked for 2 x CHART_SECONDS (the charts hidden by a teacher's link), so the alarms still
    follow."""
    if rebuild:
        board.specs(max_age=2 * CHART_SECONDS)
    return _page_version(board.shape, controls_facts(session))


def _show_charts(session: ToySession, charts: ChartSet, board: ChartBoard, keys) -> None:
    """The charts `keys` of `charts` (those it has), each a live plot fed by its ChartFeed while the run
    plays (ganlab.ui.live_feed): they update in place every CHART_SECONDS without a Streamlit rerun, and a
    zoom on one survives."""
    for key in keys:
        if key in charts.figures:
            chart(key, charts.figures[key], board if session.playing else None)


def chart(key: str, spec: str, board: ChartBoard | None = None) -> None:
    """A side chart drawn now and, with a `board` (the run plays), fetching its figure from the board's
    feed every CHART_SECONDS, updated in place (ganlab.ui.live_plot), so a zoom on it survives:
    st.plotly_chart mounts a new graph each time (Plotly.newPlot, about 80 ms of the browser's main thread
    per chart, and the zoom lost)."""
    feed = None
    if board is not None:
        name = f"_chart_feed_{key}"
        feed = st.session_state.get(name)
        if feed is None or feed.board is not board:
            feed = st.session_state[name] = ChartFeed(board, key)
    live_plot(key=key, spec=spec, feed=feed.path if feed is not None else None, period=CHART_SECONDS)


def _run_charts(session: ToySession) -> ChartSet:
    """One run's charts: losses, the divergence estimate and, once evaluated, D's mean outputs and the
    metrics."""
    session.refresh()  # a playing run's histories, from its worker
    trainer = session.trainer
    with session.reading():
        run = _run_series("A", trainer)
        sizes = _chart_sizes(trainer)
        step = trainer.step_count
    history, metrics, changes = run.history, run.metrics, run.changes
    figures = {"toy_losses": loss_chart(history, changes=changes)}
    reference = metrics if len(metrics["step"]) else None
    figures["toy_divergence"] = divergence_chart(
        history, trainer.loss.divergence_id, trainer.loss.estimate_formula, reference, changes=changes,
        segments=run.divergences, w1_samples=sizes["w1_samples"])
    if len(metrics["step"]):
        figures["toy_d_means"] = d_means_chart(metrics["step"], metrics["d_real"], metrics["d_fake"],
                                               changes=changes, segments=output_segments(changes, run.loss_name))
        figures["toy_metrics"] = metrics_chart(metrics, _metric_keys(metrics), cols=2, changes=changes, **sizes)
    return ChartSet(_specs(figures), step, negative_critic_note([run]))


def _charts_now(session: ToySession, pair: ComparePair | None) -> tuple[ChartSet, ChartBoard]:
    """The side charts the page draws now (one run's, or compare mode's shared ones), and the board their
    feeds share while the run plays, whose layout is now theirs."""
    charts_of = (lambda: _run_charts(session)) if pair is None else (lambda: _pair_charts(session, pair))
    charts = charts_of()
    board = _board(_board_build(session, charts_of))
    if session.playing:
        board.seed(charts.figures, charts.step)  # the feeds' first answers: these figures, not a new build
    return charts, board


def _render_charts(session: ToySession, charts: ChartSet, board: ChartBoard) -> None:
    """One run's charts: losses, the divergence estimate, D's mean outputs and the metrics."""
    _show_charts(session, charts, board, ("toy_losses", "toy_divergence"))
    if charts.note:
        st.caption(charts.note)
    if "toy_metrics" in charts.figures:
        _show_charts(session, charts, board, ("toy_d_means", "toy_metrics"))
    else:
        st.caption(f"Metrics (modes, W1, JSD, ...) appear every {session.config.eval_every} steps.")


def _pair_charts(session: ToySession, pair: ComparePair) -> ChartSet:
    """Runs A and B on shared charts: losses, the divergence estimates and, once both are evaluated, the
    metrics."""
    session.refresh()  # both runs' histories, from their worker
    with session.reading():
        runs = [_run_series("A", session.trainer)]
        sizes = _chart_sizes(session.trainer)
        step = session.trainer.step_count
    with pair.other.reading():
        runs.append(_run_series("B", pair.other.trainer))
    figures = {"toy_compare_losses": compare_loss_chart(runs),
               "toy_compare_divergence": compare_divergence_chart(runs, w1_samples=sizes["w1_samples"])}
    if all(len(r.metrics["step"]) for r in runs):
        keys = _metric_keys(*(r.metrics for r in runs))
        figures["toy_compare_metrics"] = compare_metrics_chart(runs, keys, **sizes)
    return ChartSet(_specs(figures), step, negative_critic_note(runs))


def _specs(figures: dict) -> dict[str, str]:
    return {key: figure_spec(fig) for key, fig in figures.items()}


def _render_compare_charts(session: ToySession, charts: ChartSet, board: ChartBoard) -> None:
    """Runs A and B on shared charts: losses, the divergence estimates and the metrics."""
    left, right = st.columns(2)
    with left:
        _show_charts(session, charts, board, ("toy_compare_losses",))
    with right:
        _show_charts(session, charts, board, ("toy_compare_divergence",))
        if charts.note:
            st.caption(charts.note)
    if "toy_compare_metrics" in charts.figures:
        _show_charts(session, charts, board, ("toy_compare_metrics",))
    else:
        st.caption(f"Shared metric plots appear every {session.config.eval_every} steps.")


def layer_pills() -> None:
    """The plane's layer toggles (above the plane; among the controls in presenter mode)."""
    st.session_state.setdefault("toy_layers", list(DEFAULT_LAYERS))
    st.pills("Layers", list(LAYERS), selection_mode="multi", format_func=lambda k: LAYER_LABELS.get(k, k),
             key="toy_layers")


def timeline_steps(session: ToySession) -> list[int]:
    """The timeline slider's steps: the kept moments, then the run now when it is past the last one (the
    slider's right end is always the run now; call holding the run)."""
    steps = [m["step"] for m in session.timeline]
    if not steps or steps[-1] != session.trainer.step_count:
        steps.append(session.trainer.step_count)
    return steps


def render_timeline(session: ToySession) -> None:
    """While paused, right under the plane (inside the live fragment, so scrubbing redraws only the plane):
    scrub back through kept moments; branch the run (both runs in compare mode) from one."""
    with session.reading():
        steps = timeline_steps(session)
    if len(steps) < 2:
        return
    labels = [f"step {step}" for step in steps[:-1]] + [f"step {steps[-1]} (now)"]
    paired = session.partner is not None
    shows = "Both planes above show" if paired else "The plane above shows"
    cols = st.columns([2, 1], vertical_alignment="bottom")
    index = cols[0].select_slider("Timeline (paused): scrub back through the run", options=range(len(steps)),
                                  value=len(steps) - 1, format_func=labels.__getitem__, key="toy_moment",
                                  help=f"{shows} the chosen moment")
    which = " (runs A and B)" if paired else ""
    if cols[1].button("Branch from here", disabled=index == len(steps) - 1,
                      help=f"Restore this moment's weights, optimisers and RNG{which}; later moments are dropped"):
        session.branch(index)
        st.session_state.pop("toy_moment", None)
        st.rerun()


def render_export(session: ToySession, layers: set[str]) -> None:
    """Downloads: the timeline as an interactive HTML animation, the metrics as CSV, a checkpoint."""
    with st.expander("Export"):
        if st.button("Prepare downloads", key="toy_export"):
            session.refresh(full=True)  # a playing run's state now, the optimisers' too (the checkpoint)
            trainer = session.trainer
            snaps = [m["snapshot"] for m in session.timeline]
            st.session_state["toy_downloads"] = {
                "html": animation_html(snaps, layers=frozenset(layers)),
                "csv": metrics_csv(trainer.metrics.as_arrays()),
                "losses": metrics_csv(trainer.history.as_arrays()),
                "pt": checkpoint_bytes(trainer, {"source": "Toy Lab"}),
                "name": f"ganlab-{session.config.data.name}-{session.config.loss.name}-step{trainer.step_count}",
            }
        files = st.session_state.get("toy_downloads")
        if files:
            name = files["name"]  # the step the files were prepared at
            cols = st.columns(4)
            cols[0].download_button("Animation (HTML)", files["html"], f"{name}.html", "text/html")
            cols[1].download_button("Metrics (CSV)", files["csv"], f"{name}-metrics.csv", "text/csv")
            cols[2].download_button("Losses (CSV)", files["losses"], f"{name}-losses.csv", "text/csv")
            cols[3].download_button("Checkpoint (.pt)", files["pt"], f"{name}.pt", "application/octet-stream")
        st.caption("The animation plays the kept timeline offline (Plotly frames, no extra packages). "
                   "The checkpoint loads with `python -m ganlab train --resume FILE`.")
