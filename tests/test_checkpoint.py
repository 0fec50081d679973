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
