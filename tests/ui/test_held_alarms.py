"""A playing page's health alarms (ganlab.ui.held_alarms): held HOLD_SECONDS after their condition last held,
followed by kind, not by the numbers in their texts."""

import numpy as np

from ganlab.diagnostics import ALARM_KINDS, alarm_items, health_alarms
from ganlab.ui.held_alarms import HOLD_SECONDS, HeldAlarms, kinds


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def grad_alarm(norm: float) -> tuple[str, str]:
    return ("grad_norm", f"G's gradient norms reach {norm:g} (> 100)")


def test_an_alarm_flickering_around_its_threshold_stays_up_as_one_kind_with_its_latest_text():
    clock = Clock()
    held = HeldAlarms(clock=clock)
    versions = set()
    for frame in range(60):  # 6 s of frames at 10 a second: over the limit every third frame
        clock.now += 0.1
        shown = held.update([grad_alarm(100 + frame)] if frame % 3 == 0 else [])
        versions.add(kinds(shown))
    assert versions == {("grad_norm",)}  # one page version for the whole flicker
    assert shown == (grad_alarm(157),)  # the latest reading's text (frame 57)


def test_an_alarm_goes_down_only_after_hold_seconds_without_its_condition():
    clock = Clock()
    held = HeldAlarms(clock=clock)
    assert held.update([grad_alarm(120)]) == (grad_alarm(120),)
    clock.now += HOLD_SECONDS - 0.01
    assert kinds(held.update([])) == ("grad_norm",)
    clock.now += 0.02
    assert held.update([]) == ()
    held.update([grad_alarm(130)])
    clock.now += 60
    assert held.update([], expire=False) == (grad_alarm(130),)  # paused: it stays however long
    held.clear()
    assert held.update([]) == ()


def test_alarms_are_shown_in_the_kinds_order_whatever_order_they_came_in():
    held = HeldAlarms(clock=Clock())
    held.update([("g_oscillates", "g"), ("d_wins", "d")])
    assert kinds(held.update([("grad_norm", "n")])) == ("d_wins", "grad_norm", "g_oscillates")


def test_each_health_alarm_has_its_kind_and_the_same_text_as_health_alarms():
    wild = np.where(np.arange(60) % 2 == 0, 1e-5, 5.0)  # G's loss swings wildly
    snap = {"history": {"d_loss": np.full(60, 1e-5), "g_loss": wild}, "fake_grad": np.array([[300.0, 400.0]]),
            "output": "probability"}
    items = alarm_items(snap)
    assert [kind for kind, _ in items] == ["d_wins", "grad_norm", "g_oscillates"]
    assert [text for _, text in items] == health_alarms(snap)
    assert items[1][1].startswith("G's gradient norms reach 500 (> 100)")
    assert set(ALARM_KINDS) == {"d_wins", "grad_norm", "d_oscillates", "g_oscillates"}


def test_the_toy_labs_page_version_follows_the_alarm_kinds_not_the_gradient_norms_read():
    from ganlab.config import RunConfig
    from ganlab.toy_snapshot import take_snapshot
    from ganlab.ui.toy_live import _alarms_now
    from ganlab.ui.toy_session import ToySession

    session = ToySession(RunConfig())
    session.trainer.step(5)
    snap = take_snapshot(session.trainer, histories=False)
    read = []
    for norm in (0.0, 150.0, 90.0, 400.0):  # the frames' largest gradient norm: over 100 twice, under twice
        session.live_snap = {**snap, "fake_grad": np.array([[norm, 0.0]])}
        read.append(_alarms_now(session))
    assert read == [(), ("grad_norm",), ("grad_norm",), ("grad_norm",)]


def test_a_paused_toy_lab_keeps_the_alarm_that_was_up_a_past_moment_shows_its_own_and_reset_clears_them():
    from ganlab.config import RunConfig
    from ganlab.toy_snapshot import take_snapshot
    from ganlab.ui.toy_live import LiveFrame, _shown_alarms
    from ganlab.ui.toy_session import ToySession

    session = ToySession(RunConfig())
    session.trainer.step(5)
    snap = take_snapshot(session.trainer, histories=False)
    steep = {**snap, "fake_grad": np.array([[150.0, 0.0]])}
    calm = {**snap, "fake_grad": np.array([[1.0, 0.0]])}
    playing = _shown_alarms(session, LiveFrame(5, steep, None, False), playing=True)
    assert kinds(playing) == ("grad_norm",)
    paused = _shown_alarms(session, LiveFrame(5, calm, None, False), playing=False)
    assert paused == playing  # paused on a calmer frame: the alarm that was up stays, to be read
    assert _shown_alarms(session, LiveFrame(5, calm, None, True), playing=False) == ()  # a past moment: its own
    session.reset()
    assert _shown_alarms(session, LiveFrame(0, calm, None, False), playing=False) == ()

