"""Which options a running trainer takes (ganlab.live_config): by section or exact name, never by prefix."""

import pytest

from ganlab.config import LEAF_PATHS, RunConfig, with_overrides
from ganlab.live_config import LIVE_FIELDS, apply_config, is_live
from ganlab.train import Trainer


@pytest.mark.parametrize(("path", "live"), [
    ("g_opt.lr", True), ("d_opt.name", True), ("loss.name", True), ("loss.gp_lambda", True), ("reg.r1", True),
    ("reg.label-smoothing", True), ("d_steps", True), ("batch_size", True), ("ema", True),
    ("tricks.unrolled_steps", True), ("tricks.minibatch_discrimination", False),
    ("tricks.virtual_batch_norm", False),
    ("data.name", False), ("g.width", False), ("latent_dim", False), ("pack", False), ("seed", False),
    ("d_steps_per_epoch", False), ("emas", False), ("loss", False), ("g_opt", False)])  # prefixes are not options
def test_is_live_matches_whole_sections_or_exact_names(path, live):
    assert is_live(path) is live


def test_every_live_field_is_an_option():
    assert LIVE_FIELDS <= set(LEAF_PATHS)


def test_a_live_change_keeps_the_run_and_a_structural_one_is_refused_untouched():
    t = Trainer(RunConfig(device="cpu"))
    t.step(3)
    assert apply_config(t, with_overrides(t.config, {"g_opt.lr": "0.01", "loss.name": "hinge"})) == []
    assert t.g_opt.param_groups[0]["lr"] == 0.01 and t.loss.name == "hinge" and t.step_count == 3
    assert t.config_changes == [(3, "loss.name: nonsaturating -> hinge, g_opt.lr: 0.001 -> 0.01")]
    before = t.config
    assert apply_config(t, with_overrides(t.config, {"g.width": "32", "d_opt.lr": "0.5"})) == ["g.width"]
    assert t.config is before and t.d_opt.param_groups[0]["lr"] != 0.5
