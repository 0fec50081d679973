import math

import pytest
import torch

from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides
from ganlab.data.images import ImageDataset
from ganlab.train import TrainingDiverged
from ganlab.train_images import ImageTrainer


@pytest.fixture(scope="module")
def tiny_data():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(64, 1, 28, 28, generator=gen) * 2 - 1
    return ImageDataset(images, torch.arange(64) % 10, "synthetic test digits", "train")


def make(data, **overrides) -> ImageTrainer:
    cfg = with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                                   "d.channels": "8", "latent_dim": "16", "batch_size": "16",
                                                   **{k: str(v) for k, v in overrides.items()}})
    return ImageTrainer(cfg, data=data)


def params(module):
    return [p.detach().clone() for p in module.parameters()]


@pytest.mark.parametrize("variant", [{}, {"conditional": "true"}, {"info_codes": 10},
                                     {"g.arch": "mlp", "d.arch": "mlp", "loss.name": "wgan-gp"},
                                     {"loss.name": "hinge", "reg.r1": 1.0}])
def test_each_variant_trains_with_finite_losses(tiny_data, variant):
    t = make(tiny_data, **variant)
    t.step(3)
    assert t.step_count == 3 and all(math.isfinite(v) for v in t.history.last().values())
    grid = t.sample_grid(per_row=4)
    rows = 10 if variant.get("conditional") or variant.get("info_codes") else 8
    assert grid.shape == (rows, 4, 28, 28) and grid.min() >= 0 and grid.max() <= 1


def test_same_seed_same_run_and_state_round_trip(tiny_data):
    a, b = make(tiny_data), make(tiny_data)
    a.step(6)
    b.step(3)
    c = make(tiny_data)
    c.load_state_dict(b.state_dict())
    c.step(3)
    for x, y in zip(a.G.parameters(), c.G.parameters(), strict=True):
        assert torch.equal(x, y)
    for x, y in zip(a.G_ema.parameters(), c.G_ema.parameters(), strict=True):
        assert torch.equal(x, y)


def test_conditional_generator_follows_the_label(tiny_data):
    t = make(tiny_data, conditional="true")
    t.step(2)
    threes = t.sample(4, labels=torch.full((4,), 3), seed=5)
    sevens = t.sample(4, labels=torch.full((4,), 7), seed=5)
    assert not torch.allclose(threes, sevens)


def test_divergence_is_caught_and_the_run_restored(tiny_data):
    t = make(tiny_data, **{"g_opt.name": "sgd", "d_opt.name": "sgd", "g_opt.lr": "10", "d_opt.lr": "10",
                           "loss.name": "lsgan", "ema": "0"})
    with pytest.raises(TrainingDiverged) as info:
        t.step(200)
    assert t.step_count == info.value.restored_step
    assert all(torch.isfinite(p).all() for p in t.G.parameters())
