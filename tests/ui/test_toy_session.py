
import re

import pytest
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.ui.toy_presets import PRESETS
from ganlab.ui.toy_session import ToySession


@pytest.fixture(autouse=True)
def steps_not_seconds(monkeypatch):
    """A foreground tick trains min(TRAIN_BUDGET seconds, steps_per_tick steps): make the step count
    the bound, so these tests do not depend on how busy the machine is."""
    monkeypatch.setattr("ganlab.ui.toy_session.TRAIN_BUDGET", 60.0)

def small(**overrides) -> RunConfig:
    return with_overrides(RunConfig(device="cpu", batch_size=32, eval_every=0), overrides)


def test_step_is_one_d_update_then_one_g_update():
    session = ToySession(small())
    t = session.trainer
    session.step_discriminator()
    assert (session.phase, t.d_updates, t.g_updates, t.step_count) == ("d", 1, 0, 0)
    session.step_generator()
    assert (session.phase, t.d_updates, t.g_updates, t.step_count) == ("idle", 1, 1, 1)
    session.step_generator()  # nothing pending: no change
    assert t.step_count == 1


def test_play_ticks_pause_stops_reset_returns_to_zero():
    session = ToySession(small())
    assert session.tick() == 0  # paused: no training
    session.set_speed(7)
    session.play()
    assert session.tick() == 7
    assert session.trainer.step_count == 7
    session.pause()
    assert session.tick() == 0
    session.reset()
    assert session.trainer.step_count == 0 and not session.playing


def test_live_change_keeps_the_step_count_and_shape_change_restarts():
    session = ToySession(small())
    session.play()
    session.set_speed(5)
    session.tick()
    assert session.set_config(small(**{"d_opt.lr": "0.0003"})) == []
    assert session.trainer.step_count == 5 and session.notice is None
    assert session.set_config(small(**{"d_opt.lr": "0.0003", "g.width": "16"})) == ["g.width"]
    assert session.trainer.step_count == 0
    assert "g.width" in session.notice


def test_divergence_pauses_with_a_message_and_keeps_the_last_good_state():
    session = ToySession(small(**{"g_opt.name": "sgd", "d_opt.name": "sgd", "g_opt.lr": "10", "d_opt.lr": "10",
                                  "loss.name": "wgan-gp", "loss.gp_lambda": "10000"}))
    session.set_speed(300)
    session.play()
    for _ in range(5):
        session.tick()
    assert not session.playing
    assert "diverged at step" in session.error and "Reset" in session.error
    assert re.search(r"last good state, step \d+\. Lower the learning rates", session.error)  # two sentences
    session.reset()
    assert session.error is None and session.trainer.step_count == 0


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_a_valid_config_with_two_sentences(name):
    preset = PRESETS[name]
    cfg = preset.config()
    for path, value in preset.overrides.items():
        assert path in ("data.name", "loss.name", "pack", "d_steps") or value  # non-empty values
    assert cfg.data.name == preset.overrides["data.name"]
    assert preset.watch.count(". ") + preset.watch.endswith(".") >= 2


def test_timeline_is_bounded_and_branching_restores_that_moment_exactly():
    import torch

    session = ToySession(small())
    session.timeline_every = 10
    session.set_speed(10)
    session.play()
    for _ in range(5):
        session.tick()
    assert [m["step"] for m in session.timeline] == [0, 10, 20, 30, 40, 50]
    weights_at_20 = [p.clone() for p in session.timeline[2]["state"]["G"].values()]
    session.branch(2)
    assert session.trainer.step_count == 20 and len(session.timeline) == 3
    assert all(torch.equal(a, b) for a, b in zip(session.trainer.G.state_dict().values(), weights_at_20,
                                                  strict=True))
    # continuing from the branch is the same run as never having left step 20
    straight = ToySession(small())
    straight.trainer.step(30)
    session.trainer.step(10)
    for a, b in zip(session.trainer.G.parameters(), straight.trainer.G.parameters(), strict=True):
        assert torch.equal(a, b)
    session.timeline_every = 1
    for _ in range(100):
        session.trainer.step(1)
        session.record()
    assert len(session.timeline) == session.timeline.maxlen


def test_compare_pair_trains_two_losses_from_the_same_seed():
    import torch

    from ganlab.ui.toy_session import ComparePair

    main = ToySession(small(**{"loss.name": "minimax"}))
    pair = ComparePair(main, {"loss.name": "wgan-gp"})
    assert pair.other.config.loss.name == "wgan-gp" and pair.other.config.seed == main.config.seed
    # same seed: the two generators start identical
    for a, b in zip(main.trainer.G.parameters(), pair.other.trainer.G.parameters(), strict=True):
        assert torch.equal(a, b)
    main.set_speed(6)
    main.play()
    pair.tick()
    assert main.trainer.step_count == pair.other.trainer.step_count == 6
    main.set_config(small(**{"loss.name": "minimax", "g_opt.lr": "0.0002"}))
    pair.sync()
    assert pair.other.config.g_opt.lr == 0.0002 and pair.other.config.loss.name == "wgan-gp"
    pair.reset()
    assert main.trainer.step_count == pair.other.trainer.step_count == 0


# --- compare mode: A and B in lockstep (issue 16) ------------------------------------------------------

def snapshot_inputs(session: ToySession) -> dict:
    """The fixed z and real points the plane's samples come from (built by the live frame's snapshot)."""
    from ganlab import toy_snapshot
    from ganlab.ui.toy_frames import LIVE_SAMPLES, live_snapshot

    with session.reading():
        live_snapshot(session)
        return toy_snapshot.fixed_inputs(session.trainer, LIVE_SAMPLES)


def steps(pair) -> tuple[int, int]:
    with pair.main.reading():
        return pair.main.trainer.step_count, pair.other.trainer.step_count


def test_compare_pair_steps_plays_pauses_and_resets_both_runs_in_lockstep():
    from ganlab.ui.toy_session import ComparePair

    main = ToySession(small(**{"tricks.unrolled_steps": "2"}))
    pair = ComparePair(main, {"tricks.unrolled_steps": "0"})
    assert pair.other.config.tricks.unrolled_steps == 0 and pair.other.config.seed == main.config.seed == 0
    a, b = snapshot_inputs(main), snapshot_inputs(pair.other)
    assert a["z"].shape == (128, 2) and torch.equal(a["z"], b["z"]) and torch.equal(a["real"], b["real"])
    # Step drives both: D's half, then G's half
    runs = (main, pair.other)
    main.step_discriminator()
    assert [(r.phase, r.trainer.d_updates, r.trainer.g_updates, r.trainer.step_count) for r in runs] == [
        ("d", 1, 0, 0), ("d", 1, 0, 0)]
    main.step_generator()
    assert [(r.phase, r.trainer.d_updates, r.trainer.g_updates, r.trainer.step_count) for r in runs] == [
        ("idle", 1, 1, 1), ("idle", 1, 1, 1)]
    # Play drives both, the same steps every frame
    main.set_speed(7)
    main.play()
    assert pair.other.playing
    for k in range(1, 4):
        pair.tick()
        assert steps(pair) == (1 + 7 * k, 1 + 7 * k)
    main.pause()
    assert not pair.other.playing and pair.tick() is None and steps(pair) == (22, 22)
    # the plane's samples: same fixed z and real points in both runs after training too
    a, b = snapshot_inputs(main), snapshot_inputs(pair.other)
    assert torch.equal(a["z"], b["z"]) and torch.equal(a["real"], b["real"])
    pair.reset()
    assert steps(pair) == (0, 0) and [m["step"] for m in pair.other.timeline] == [0]


def test_branching_a_pair_takes_both_runs_back_to_the_same_moment():
    from ganlab.ui.toy_session import ComparePair

    main = ToySession(small())
    pair = ComparePair(main, {"loss.name": "hinge"})
    main.timeline_every = 10
    main.set_speed(10)
    main.play()
    for _ in range(4):
        pair.tick()
    assert [m["step"] for m in pair.other.timeline] == [0, 10, 20, 30, 40]
    b_at_20 = [p.clone() for p in pair.other.timeline[2]["state"]["G"].values()]
    main.branch(2)
    assert steps(pair) == (20, 20) and len(main.timeline) == len(pair.other.timeline) == 3
    assert all(torch.equal(a, b) for a, b in zip(pair.other.trainer.G.state_dict().values(), b_at_20, strict=True))
    assert main.notice == "Branched from step 20: change a setting and press Play."


def test_when_run_b_diverges_both_pause_at_the_same_kept_step_and_the_message_names_b():
    from ganlab.ui.toy_session import ComparePair

    main = ToySession(small())
    pair = ComparePair(main, {"g_opt.name": "sgd", "d_opt.name": "sgd", "g_opt.lr": "10", "d_opt.lr": "10",
                              "loss.name": "wgan-gp", "loss.gp_lambda": "10000"})
    main.timeline_every = 10
    main.set_speed(10)
    main.play()
    for _ in range(30):
        pair.tick()
        if not main.playing:
            break
    assert not main.playing and not pair.other.playing
    assert main.error.startswith("Run B: training diverged at step")
    a, b = steps(pair)
    assert a == b == main.timeline[-1]["step"] == pair.other.timeline[-1]["step"]
    assert f"A and B both went back to step {a}" in main.error


def test_a_change_that_restarts_only_one_run_of_a_pair_restarts_both():
    from ganlab.ui.toy_session import ComparePair

    main = ToySession(small())
    pair = ComparePair(main, {"g.width": "16"})  # B pins G's width
    main.trainer.step(3)
    pair.other.trainer.step(3)
    assert pair.set_config(small(**{"g.width": "32"})) == ["g.width"]  # A restarts, B's width stays 16
    assert steps(pair) == (0, 0)
    assert main.notice.startswith("Restarted A and B from step 0: g.width changed")


def test_pairing_a_run_under_way_restarts_it_with_b_and_unpairing_stops_b():
    from ganlab.ui.toy_session import ComparePair

    main = ToySession(small())
    main.trainer.step(5)
    pair = ComparePair(main, {"loss.name": "hinge"})
    assert steps(pair) == (0, 0) and main.notice.startswith("Compare mode: A and B start together from step 0")
    main.unpair()
    assert main.partner is None and pair.other.leader is None
    main.set_speed(4)
    main.play()
    main.tick()
    assert (main.trainer.step_count, pair.other.trainer.step_count) == (4, 0)


def test_a_config_run_b_cannot_take_changes_neither_run():
    from ganlab.config import ConfigError
    from ganlab.ui.toy_session import ComparePair

    main = ToySession(small())
    pair = ComparePair(main, {"loss.name": "wgan-gp"})
    smoothed = small(**{"reg.label-smoothing": "0.9"})  # fine for A's loss, not for B's (no real/fake targets)
    with pytest.raises(ConfigError, match="reg.label-smoothing"):
        pair.set_config(smoothed)
    assert main.config.regularizers == {} and pair.other.config.regularizers == {}


def test_a_widget_change_is_validated_once_and_a_restart_once_more(monkeypatch):
    """The widgets' config is validated where it is built (with_overrides); set_config and apply_config take
    it as it is, and only a restart's new Trainer (a library boundary) checks it again."""
    import ganlab.config
    from ganlab.ui.toy_controls import PREFIX, config_from_widgets

    session = ToySession(small())
    calls = []
    real = ganlab.config.validate
    monkeypatch.setattr(ganlab.config, "validate", lambda cfg: calls.append(cfg) or real(cfg))
    monkeypatch.setattr("ganlab.train.validate", ganlab.config.validate)
    widgets = {PREFIX + "device": "cpu", PREFIX + "batch_size": 32, PREFIX + "eval_every": 0}
    assert session.set_config(config_from_widgets({**widgets, PREFIX + "g_opt.lr": 0.002})) == []
    assert len(calls) == 1 and session.trainer.config.g_opt.lr == 0.002
    calls.clear()
    assert session.set_config(config_from_widgets({**widgets, PREFIX + "g_opt.lr": 0.002,
                                                   PREFIX + "g.width": 32})) == ["g.width"]
    assert len(calls) == 2 and session.trainer.config.g.width == 32


def test_a_compare_link_beyond_the_live_cost_is_refused_and_nothing_changes():
    from ganlab.config import ConfigError
    from ganlab.ui.toy_session import ComparePair

    session = ToySession(small())
    with pytest.raises(ConfigError, match="cost: run B: one iteration would take about"):
        ComparePair(session, {"g.width": "1024", "d.width": "1024", "batch_size": "8192"})
    assert session.partner is None
    before = session.config
    with pytest.raises(ConfigError, match="cost: one iteration"):
        session.set_config(with_overrides(before, {"batch_size": "8192", "d.width": "1024", "d.depth": "8"}))
    assert session.config is before and session.trainer.config.batch_size == 32


