"""ganlab.toy_snapshot: a snapshot reads a run without changing it, switching to eval mode only the nets that
behave differently there (batch norm's running statistics, spectral norm's power iteration)."""

import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.toy_snapshot import reads_mode, take_snapshot
from ganlab.train import Trainer


def make(**overrides) -> Trainer:
    config = with_overrides(RunConfig(batch_size=64, eval_every=0), {k: str(v) for k, v in overrides.items()})
    return Trainer(config)


def state(net: torch.nn.Module) -> list[torch.Tensor]:
    """Every parameter and buffer (running statistics, spectral norm's vectors), copied."""
    return [t.detach().clone() for t in (*net.parameters(), *net.buffers())]


def test_the_default_nets_read_no_mode_and_batch_or_spectral_norm_do():
    plain = make()
    assert (reads_mode(plain.G), reads_mode(plain.D)) == (False, False)
    normed = make(**{"g.norm": "batch", "d.spectral_norm": "true"})
    assert (reads_mode(normed.G), reads_mode(normed.D)) == (True, True)
    assert reads_mode(make(**{"d.norm": "layer"}).D) is True  # not in MODE_FREE: switched, to be safe


def test_snapshots_change_no_parameter_or_buffer_and_leave_the_nets_training():
    overrides = {"g.norm": "batch", "d.norm": "batch", "d.spectral_norm": "true", "seed": 3}
    quiet, watched = make(**overrides), make(**overrides)
    quiet.step(20)
    for _ in range(4):
        watched.step(5)
        take_snapshot(watched, n_samples=64, grid_size=16)
        assert (watched.G.training, watched.D.training) == (True, True)
    for a, b in ((quiet.G, watched.G), (quiet.D, watched.D)):
        before, after = state(a), state(b)
        assert len(before) == len(after) and all(torch.equal(x, y) for x, y in zip(before, after, strict=True))
