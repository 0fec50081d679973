"""Hostile checkpoints on `train --resume` and unsafe save targets (issue 18): every tensor is checked
against the model its config builds (the optimisers' state against their parameters) before a module
or an optimiser takes it, no size is trusted from a file, and the writer never replaces anything but a
regular file, leaves no temporary file behind and writes normal permissions."""

import copy
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings

from ganlab.checkpoint import (
    CheckpointError,
    atomic_save,
    checkpoint_payload,
    load_checkpoint,
    parse_payload,
    read_payload,
    restore_trainer,
    save_checkpoint,
)
from ganlab.cli import main
from ganlab.config import RunConfig, with_overrides
from ganlab.train import Trainer, TrainingDiverged
from tests.hostile import one_fault, to_bytes

NAME = "'crafted.pt'"


def tiny_trainer(steps: int = 2, **overrides) -> Trainer:
    cfg = with_overrides(RunConfig(device="cpu", batch_size=8),
                         {"g.width": "8", "d.width": "8", **{k: str(v) for k, v in overrides.items()}})
    trainer = Trainer(cfg)
    trainer.step(steps)
    return trainer


TRAINER = tiny_trainer()
PAYLOAD = copy.deepcopy(checkpoint_payload(TRAINER))


def crafted(change) -> dict:
    payload = copy.deepcopy(PAYLOAD)
    change(payload)
    return payload


def restore_bytes(data: bytes):
    return restore_trainer(parse_payload(read_payload(data, name=NAME), NAME))


def refused(payload, *fragments: str) -> str:
    with pytest.raises(CheckpointError) as info:
        restore_bytes(to_bytes(payload))
    message = str(info.value)
    assert "\n" not in message and NAME in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_the_unchanged_payload_resumes():
    trainer = restore_bytes(to_bytes(PAYLOAD))
    assert trainer.step_count == 2
    trainer.step(2)


@pytest.mark.parametrize("overrides", [
    {"g_opt.name": "rmsprop", "d_opt.name": "rmsprop", "g_opt.momentum": 0.5},
    {"g_opt.name": "sgd", "d_opt.name": "sgd", "d_opt.momentum": 0.9},
    {"ema": 0.9, "tricks.historical_averaging": 0.5},
])
def test_every_kind_of_state_passes_its_own_schema(overrides):
    trainer = tiny_trainer(3, **overrides)
    resumed = restore_bytes(to_bytes(checkpoint_payload(trainer)))
    assert resumed.step_count == 3
    trainer.step(2)
    resumed.step(2)
    for a, b in zip(trainer.G.parameters(), resumed.G.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_wrong_shaped_optimiser_state_is_refused_before_any_optimiser_sees_it(monkeypatch):
    def never(self, state_dict):
        raise AssertionError("an optimiser was handed the state")

    monkeypatch.setattr(torch.optim.Optimizer, "load_state_dict", never)
    wrong = (("exp_avg", torch.zeros(3)), ("exp_avg_sq", torch.zeros(8, 2, dtype=torch.float64)),
             ("step", torch.zeros(2)), ("exp_avg", "zeros"), ("exp_avg", torch.full((8, 2), float("inf"))))
    for key, bad in wrong:
        refused(crafted(lambda p, key=key, bad=bad: p["state"]["g_opt"]["state"][0].__setitem__(key, bad)),
                f"state.g_opt.state[0].{key}")
    refused(crafted(lambda p: p["state"]["d_opt"]["state"][1].pop("exp_avg")), "the entries step, exp_avg")
    refused(crafted(lambda p: p["state"]["d_opt"]["state"].__setitem__(99, {})), "a parameter number")
    refused(crafted(lambda p: p["state"]["g_opt"]["param_groups"][0].__setitem__("params", [0])), "params")
    refused(crafted(lambda p: p["state"]["g_opt"].__setitem__("param_groups", [])), "param_groups")


def test_the_optimiser_takes_its_hyperparameters_from_the_config_not_the_file():
    payload = crafted(lambda p: p["state"]["g_opt"]["param_groups"][0].update(lr=1e9, betas=("x", 2), fused=False))
    trainer = restore_bytes(to_bytes(payload))
    group = trainer.g_opt.param_groups[0]
    assert group["lr"] == TRAINER.config.g_opt.lr
    assert group["betas"] == tuple(TRAINER.g_opt.param_groups[0]["betas"])


def test_train_resume_of_a_crafted_file_exits_with_a_message(tmp_path, capsys):
    path = tmp_path / "crafted.pt"
    torch.save(crafted(lambda p: p["state"]["g_opt"]["state"][0].__setitem__("exp_avg", torch.zeros(5, 5))), path)
    with pytest.raises(SystemExit) as info:
        main(["train", "--resume", str(path), "--steps", "2", "--quiet", "--set", "g.width=8", "--set",
              "d.width=8", "--set", "batch_size=8"])
    assert info.value.code == 2
    error = capsys.readouterr().err
    assert "state.g_opt.state[0].exp_avg: expected a tensor of shape (8, 2) float32" in error


@pytest.mark.parametrize("capacity", [10**9, 1e9, 5, -1, "2000", None])
def test_a_history_capacity_outside_the_option_range_is_refused(capacity):
    payload = crafted(lambda p: p["state"]["history"].__setitem__("capacity", capacity))
    refused(payload, "state.history.capacity: expected an integer in [10, 100000]", "option 'history'")


def test_history_rows_and_counters_are_bounded():
    refused(crafted(lambda p: p["state"]["history"].__setitem__("steps", torch.zeros(3000, dtype=torch.int64))),
            "at most capacity")
    refused(crafted(lambda p: p["state"]["metrics"].__setitem__("values", torch.zeros(1, 1))),
            "state.metrics.values")
    refused(crafted(lambda p: p["state"]["history"].__setitem__("stride", 0)), "state.history.stride")
    refused(crafted(lambda p: p["state"].__setitem__("d_updates", -4)), "state.d_updates")
    refused(crafted(lambda p: p["state"].__setitem__("rng", torch.zeros(4, dtype=torch.uint8))), "state.rng")
    refused(crafted(lambda p: p["state"].__setitem__("G_ema", {})), "an extra entry 'G_ema'")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_fault(PAYLOAD))
def test_any_structural_fault_in_a_checkpoint_is_refused_or_resumes(payload):
    """Either CheckpointError with a one-line message naming the file, or a trainer that trains on."""
    try:
        trainer = restore_bytes(to_bytes(payload))
    except CheckpointError as err:
        assert "\n" not in str(err) and NAME in str(err)
        return
    try:
        trainer.step(2)
    except TrainingDiverged:
        pass  # an accepted state may hold numbers that diverge: the trainer says so and rolls back


# --- saving -----------------------------------------------------------------------------------------

def test_saves_refuse_symlinks_and_non_regular_targets(tmp_path):
    target = tmp_path / "real.pt"
    target.write_bytes(b"keep")
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.pt"
    folder.mkdir()
    for path, fragment in ((link, "symbolic link"), (fifo, "not a regular file"), (folder, "not a regular file")):
        with pytest.raises(OSError) as info:
            save_checkpoint(TRAINER, path)
        assert fragment in info.value.strerror
    assert target.read_bytes() == b"keep" and link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.pt", "link.pt", "pipe.pt", "real.pt"]
    for empty in ("", "   "):
        with pytest.raises(OSError, match="empty path"):
            atomic_save({"a": 1}, empty)


def test_train_save_to_a_non_regular_file_is_a_usage_error(tmp_path, capsys):
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    with pytest.raises(SystemExit) as info:
        main(["train", "--steps", "1", "--quiet", "--set", "g.width=8", "--set", "d.width=8", "--save", str(fifo)])
    assert info.value.code == 2 and "not a regular file" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_failed_save_leaves_no_temporary_file_and_the_old_file(tmp_path):
    path = tmp_path / "run.pt"
    save_checkpoint(TRAINER, path)
    before = path.read_bytes()

    class Unsaveable:
        def __reduce__(self):
            raise RuntimeError("boom")

    for _ in range(3):
        with pytest.raises(RuntimeError):
            atomic_save({"a": Unsaveable()}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"] and path.read_bytes() == before


def test_saved_files_get_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        save_checkpoint(TRAINER, tmp_path / "run.pt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "run.pt").stat().st_mode) == 0o644
    assert load_checkpoint(tmp_path / "run.pt")["state"]["step_count"] == 2


SLOW_SAVER = """
import sys, torch
from ganlab.checkpoint import atomic_save
big = {"blob": torch.zeros(32 * 2**20 // 4)}
sys.stdout.write("saving\\n"); sys.stdout.flush()
while True:
    atomic_save(big, sys.argv[1])
"""


def kill_mid_save(path) -> bool:
    """Start a process saving 32 MiB to `path` over and over, SIGKILL it while a temporary file is
    there; whether one was left behind (SIGKILL allows no clean-up)."""
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SAVER, str(path)], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.stdout.readline() == b"saving\n"
    deadline = time.monotonic() + 30
    while not any(p.name.endswith(".tmp") for p in path.parent.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return any(p.name.endswith(".tmp") for p in path.parent.iterdir())


def test_the_temporary_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "run.pt"
    assert any(kill_mid_save(path) for _ in range(5))
    save_checkpoint(TRAINER, path)
    assert [p.name for p in tmp_path.iterdir()] == ["run.pt"]
