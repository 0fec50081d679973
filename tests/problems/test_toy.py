"""A toy run's problem (ganlab.problems.toy): packed batches, one joint D pass where D allows it."""

import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.problems import Batch
from ganlab.train import HISTORY_COLUMNS, Trainer


def toy(**overrides) -> Trainer:
    return Trainer(with_overrides(RunConfig(device="cpu"), {"batch_size": "8", **overrides}))


def test_packed_batches_hold_pack_consecutive_samples_per_row():
    t = toy(pack="4")
    gen = torch.Generator().manual_seed(3)
    flat = t.dataset.sample(32, torch.Generator().manual_seed(3))
    real = t.problem.real_batch(8, gen)
    assert real.x.shape == (8, 8) and real.labels is None
    assert torch.equal(real.x, flat.reshape(8, 8))  # rows are samples 0-3, 4-7, ...
    z = torch.randn(32, t.config.latent_dim)
    assert torch.equal(t.problem.generate(t.G, z), t.G(z).reshape(8, 8))
    assert t.fake_batch().x.shape == (8, 8) and t.D(real.x).shape == (8,)


def test_the_joint_pass_scores_as_two_passes_do():
    t = toy()
    gen = torch.Generator().manual_seed(0)
    real, fake = t.problem.real_batch(8, gen), Batch(torch.randn(8, 2, generator=gen))
    joint = t.problem.score_pair(real, fake)
    assert t.problem._joint
    assert torch.allclose(joint[0], t.D(real.x), atol=1e-6) and torch.allclose(joint[1], t.D(fake.x), atol=1e-6)


def test_the_history_reads_each_iterations_last_d_step():
    """The estimate and mean D outputs in the history are the loss's on that D step's own scores."""
    t = toy(**{"loss.name": "nonsaturating"})
    t.check_every = 1000
    t.step(3, check=False)
    d_loss, real_scores, fake_scores, g_loss = t._staged[-1]
    t.check()
    row = {name: t.history.as_arrays()[name][-1] for name in HISTORY_COLUMNS}
    assert row["d_loss"] == d_loss.item() and row["g_loss"] == g_loss.item()
    assert row["estimate"] == torch.tensor(t.loss.estimate(real_scores, fake_scores).item()).item()
    assert row["d_real"] == torch.sigmoid(real_scores).mean().item()
    assert row["d_fake"] == torch.sigmoid(fake_scores).mean().item()
    raw = toy(**{"loss.name": "wgan"})  # a critic's raw scores are read as they are
    raw.step(2, check=False)
    _, real_scores, _, _ = raw._staged[-1]
    raw.check()
    assert raw.history.as_arrays()["d_real"][-1] == real_scores.mean().item()
