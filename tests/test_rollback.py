"""The last good state (ganlab.rollback): kept at every check without reallocating, restored exactly."""

import math

import pytest
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.rollback import TrainingDiverged, copy_into
from ganlab.train import Trainer


def test_copy_into_reuses_matching_tensors_and_copies_everything_else():
    state = {"w": torch.ones(3), "opt": {"state": {0: {"step": torch.tensor(2.0)}}, "groups": [{"lr": 0.1}]},
             "n": 4}
    kept = copy_into(None, state)
    assert kept["w"] is not state["w"] and torch.equal(kept["w"], state["w"])
    state["w"].add_(1.0)
    state["opt"]["groups"][0]["lr"] = 0.5
    assert torch.equal(kept["w"], torch.ones(3)) and kept["opt"]["groups"][0]["lr"] == 0.1  # a true copy
    buffer = kept["w"]
    again = copy_into(kept, state)
    assert again["w"] is buffer and torch.equal(buffer, torch.full((3,), 2.0))  # the same storage, new values
    assert again["opt"]["groups"][0]["lr"] == 0.5 and again["n"] == 4
    state["w"] = torch.zeros(5)  # a shape change gets a fresh tensor
    assert copy_into(again, state)["w"].shape == (5,)


def _poison(trainer: Trainer) -> None:
    with torch.no_grad():
        next(trainer.G.parameters()).view(-1)[0] = math.nan


def test_each_divergence_restores_the_latest_good_state_exactly():
    """Twice: the kept state must not drift with the live one after a restore (the optimisers may take the
    kept tensors as their own when they load them)."""
    t = Trainer(with_overrides(RunConfig(device="cpu"), {"batch_size": "32"}), check_every=8)
    for expected_step in (16, 40):
        t.step(expected_step - t.step_count)  # checked: this is the good state
        good = {k: v.clone() for k, v in t.G.state_dict().items()}
        good_adam = [s["exp_avg"].clone() for s in t.g_opt.state.values()]
        t.step(5, check=False)
        _poison(t)
        with pytest.raises(TrainingDiverged) as info:
            t.check()
        assert info.value.restored_step == expected_step == t.step_count
        assert all(torch.equal(v, good[k]) for k, v in t.G.state_dict().items())
        assert all(torch.equal(s["exp_avg"], a) for s, a in zip(t.g_opt.state.values(), good_adam, strict=True))
        assert info.value.quantity in ("G weights", "g_loss", "d_loss")
