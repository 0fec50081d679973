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


def _batch(t):
    gen = torch.Generator().manual_seed(1)
    real = t.images[:8].clone()
    fake = torch.rand(8, 1, 28, 28, generator=gen) * 2 - 1
    return real, fake


@pytest.mark.parametrize("reg", ["r1", "r2", "gp0", "dragan"])
def test_each_gradient_penalty_is_the_weighted_formula(tiny_data, reg):
    t = make(tiny_data, **{f"reg.{reg}": 4.0})
    real, fake = _batch(t)
    real.requires_grad_(True)
    fake.requires_grad_(True)
    real_scores, fake_scores = t.D(real), t.D(fake)
    gen_state = t.generator.get_state()
    (penalty,) = t._penalties(real, fake, real_scores, fake_scores, None, None)
    t.generator.set_state(gen_state)  # replay the same interpolation draws
    if reg in ("r1", "r2"):
        points, scores = (real, real_scores) if reg == "r1" else (fake, fake_scores)
        (grad,) = torch.autograd.grad(scores.sum(), points, retain_graph=True)
        expected = 2.0 * grad.flatten(1).square().sum(1).mean()
    else:
        from ganlab.penalties import dragan_points, random_interpolates

        points = (random_interpolates(real, fake, t.generator) if reg == "gp0"
                  else dragan_points(real.detach(), t.generator)).detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(t.D(points).sum(), points)
        norms = grad.flatten(1).norm(dim=1)
        expected = 4.0 * (norms.square().mean() if reg == "gp0" else (norms - 1).square().mean())
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    assert t._penalties(real, fake, real_scores, fake_scores, None, None)[0].requires_grad


def test_no_regulariser_no_penalty_and_instance_noise_perturbs_inputs_only(tiny_data):
    plain = make(tiny_data)
    real, fake = _batch(plain)
    assert plain._penalties(real, fake, plain.D(real), plain.D(fake), None, None) == []
    assert torch.equal(plain._perturb(real), real)
    noisy = make(tiny_data, **{"reg.instance-noise": 0.5})
    seen = noisy._perturb(real)
    assert (seen - real).std().item() == pytest.approx(0.5, rel=0.05)
    noisy.step(2)
    assert all(math.isfinite(v) for v in noisy.history.last().values())


def test_cpu_runs_in_full_precision_and_contiguous_memory(tiny_data):
    from ganlab.device import autocast_context, mixed_precision_dtype

    t = make(tiny_data)
    assert t.mixed_precision is None and mixed_precision_dtype(torch.device("cpu")) is None
    with autocast_context(torch.device("cpu")):
        assert t.D(t.images[:2]).dtype == torch.float32
    assert t.memory_format == torch.contiguous_format
