import copy
import json
import os
import pickle

import pytest
import torch

from ganlab.checkpoint import (
    CheckpointError,
    atomic_save,
    load_checkpoint,
    restore_trainer,
    save_checkpoint,
)
from ganlab.config import RunConfig, with_overrides
from ganlab.train import Trainer


def small(**overrides) -> Trainer:
    cfg = with_overrides(RunConfig(device="cpu", batch_size=32), {k: str(v) for k, v in overrides.items()})
    return Trainer(cfg)


def test_save_load_continues_bit_for_bit(tmp_path):
    full = small(ema=0.9, **{"loss.name": "hinge"})
    full.step(60)
    half = small(ema=0.9, **{"loss.name": "hinge"})
    half.step(30)
    path = tmp_path / "run.pt"
    save_checkpoint(half, path, {"note": "half"})
    loaded = load_checkpoint(path)
    assert loaded["metadata"]["note"] == "half"
    assert loaded["config"] == half.config
    resumed = restore_trainer(loaded)
    assert resumed.step_count == 30
    resumed.step(30)
    for a, b in zip(resumed.G_ema.parameters(), full.G_ema.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(resumed.D.parameters(), full.D.parameters(), strict=True):
        assert torch.equal(a, b)


def test_resume_refuses_a_different_config(tmp_path):
    trainer = small()
    trainer.step(2)
    path = tmp_path / "run.pt"
    save_checkpoint(trainer, path)
    other = with_overrides(trainer.config, {"loss.name": "wgan-gp", "g.width": "32"})
    with pytest.raises(CheckpointError) as info:
        restore_trainer(load_checkpoint(path), config=other)
    text = str(info.value)
    assert "refusing to resume" in text
    assert "loss.name: checkpoint has 'nonsaturating', this run asks for 'wgan-gp'" in text
    assert "g.width" in text


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned_by_pickle",))


def test_a_pickle_that_runs_code_is_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"format": "ganlab-checkpoint", "payload": Boom()}, path)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(path)
    assert not (tmp_path / "pwned_by_pickle").exists()
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(CheckpointError):
        load_checkpoint(raw)
    assert not (tmp_path / "pwned_by_pickle").exists()


def test_empty_truncated_foreign_and_missing_files(tmp_path):
    trainer = small()
    good = tmp_path / "good.pt"
    save_checkpoint(trainer, good)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load_checkpoint(empty)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(truncated)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a ganlab checkpoint"):
        load_checkpoint(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(text)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_atomic_save_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "x.pt"
    atomic_save({"a": torch.ones(2)}, path)

    class Unsaveable:
        def __reduce__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_save({"a": Unsaveable()}, path)
    assert torch.equal(torch.load(path, weights_only=True)["a"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["x.pt"]


def test_checkpoint_bytes_load_like_a_file(tmp_path):
    trainer = small()
    trainer.step(3)
    from ganlab.checkpoint import checkpoint_bytes

    path = tmp_path / "download.pt"
    path.write_bytes(checkpoint_bytes(trainer, {"source": "toy lab"}))
    loaded = load_checkpoint(path)
    assert loaded["metadata"]["source"] == "toy lab"
    assert restore_trainer(loaded).step_count == 3


KILLER = """
import sys, torch
from ganlab.checkpoint import atomic_save
big = {"format": "ganlab-checkpoint", "blob": torch.zeros(64 * 2**20 // 4)}  # 64 MiB: slow enough to kill
sys.stdout.write("saving\\n"); sys.stdout.flush()
while True:
    atomic_save(big, sys.argv[1])
"""


def test_a_save_killed_mid_way_leaves_the_previous_file_intact(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "run.pt"
    trainer = small()
    trainer.step(3)
    save_checkpoint(trainer, path)
    before, holds = path.read_bytes(), "checkpoint"
    for delay in (0.05, 0.3):
        proc = subprocess.Popen([sys.executable, "-c", KILLER, str(path)], stdout=subprocess.PIPE)
        assert proc.stdout.readline() == b"saving\n"
        time.sleep(delay)  # the loop is always inside some 64 MiB write
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if path.read_bytes() == before and holds == "checkpoint":  # the previous checkpoint, whole
            assert load_checkpoint(path)["state"]["step_count"] == 3
        else:  # or a save had completed (now or in an earlier round): that complete file, never a half one
            assert torch.load(path, weights_only=True)["blob"].numel() == 64 * 2**20 // 4
            before, holds = path.read_bytes(), "blob"


# --- likelihood models (ganlab.likelihood): the same files, checked against the model their config builds ---

def likelihood_run(model: str, steps: int = 0, **overrides):
    from ganlab.likelihood import make_trainer

    values = {"model": model, "eval_every": "0", **{k: str(v) for k, v in overrides.items()}}
    trainer = make_trainer(with_overrides(RunConfig(device="cpu", batch_size=64), values))
    trainer.step(steps)
    return trainer


@pytest.mark.parametrize("model", ["flow", "vae"])
def test_a_likelihood_checkpoint_round_trip_gives_the_same_samples_and_continues_bit_for_bit(tmp_path, model):
    from ganlab.likelihood.trainer import LikelihoodTrainer

    full, half = likelihood_run(model, 60), likelihood_run(model, 30)
    path = tmp_path / f"{model}.pt"
    save_checkpoint(half, path, {"note": model})
    assert set(torch.load(path, weights_only=True)["state"]) == {"model", "opt", "step_count", "rng", "history",
                                                                 "metrics"}
    loaded = load_checkpoint(path)
    assert loaded["config"].model == model and loaded["metadata"]["note"] == model
    resumed = restore_trainer(loaded)
    assert isinstance(resumed, LikelihoodTrainer) and resumed.step_count == 30
    assert torch.equal(resumed.sample(200, seed=11), half.sample(200, seed=11))
    resumed.step(30)
    for a, b in zip(resumed.model.parameters(), full.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.history.as_arrays()["loss"].tolist() == full.history.as_arrays()["loss"].tolist()


def test_a_likelihood_checkpoint_is_checked_against_the_model_its_config_builds(tmp_path):
    trainer = likelihood_run("flow", 5)
    path = tmp_path / "flow.pt"
    save_checkpoint(trainer, path)
    payload = torch.load(path, weights_only=True)

    def refused(edit) -> str:
        bad = copy.deepcopy(payload)
        edit(bad)
        atomic_save(bad, tmp_path / "bad.pt")
        with pytest.raises(CheckpointError) as info:
            restore_trainer(load_checkpoint(tmp_path / "bad.pt"))
        return str(info.value)

    key = "layers.0.net.0.weight"
    assert f"state.model.{key}: expected a tensor of shape (64, 1) float32" in refused(
        lambda p: p["state"]["model"].__setitem__(key, torch.zeros(3, 3)))
    assert "state.opt.state[0].exp_avg: expected a tensor of shape" in refused(
        lambda p: p["state"]["opt"]["state"][0].__setitem__("exp_avg", torch.zeros(7)))
    assert "finite values" in refused(lambda p: p["state"]["model"][key].fill_(float("nan")))
    shallower = json.loads(payload["config"])
    shallower["flow"]["depth"] = 6  # a config asking for another flow than the 8 layers the weights hold
    assert "got an extra entry 'layers.6.scale'" in refused(
        lambda p: p.__setitem__("config", json.dumps(shallower)))
    gan = json.loads(payload["config"])
    gan["model"] = "gan"  # the flow's weights under a GAN's config
    assert "state: expected only the entries D, G, d_opt" in refused(
        lambda p: p.__setitem__("config", json.dumps(gan)))
