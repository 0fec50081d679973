import math

import pytest
import torch

from ganlab.config import IMAGE_DEFAULTS, RunConfig, with_overrides
from ganlab.data.images import ImageDataset
from ganlab.problems import Batch
from ganlab.problems.images import sample_grid
from ganlab.train import Trainer, TrainingDiverged


@pytest.fixture(scope="module")
def tiny_data():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(64, 1, 28, 28, generator=gen) * 2 - 1
    return ImageDataset(images, torch.arange(64) % 10, "synthetic test digits", "train")


def make(data, **overrides) -> Trainer:
    cfg = with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                                   "d.channels": "8", "latent_dim": "16", "batch_size": "16",
                                                   **{k: str(v) for k, v in overrides.items()}})
    return Trainer(cfg, data=data)


def params(module):
    return [p.detach().clone() for p in module.parameters()]


@pytest.mark.parametrize("variant", [{}, {"conditional": "true"}, {"info_codes": 10},
                                     {"g.arch": "mlp", "d.arch": "mlp", "loss.name": "wgan-gp"},
                                     {"loss.name": "hinge", "reg.r1": 1.0}])
def test_each_variant_trains_with_finite_losses(tiny_data, variant):
    t = make(tiny_data, **variant)
    t.step(3)
    assert t.step_count == 3 and all(math.isfinite(v) for v in t.history.last().values())
    grid = sample_grid(t, per_row=4)
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
    real = t.problem.images[:8].clone()
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
    (penalty,) = t.d_penalties(Batch(real), Batch(fake), real_scores, fake_scores)
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
    assert t.d_penalties(Batch(real), Batch(fake), real_scores, fake_scores)[0].requires_grad


def test_no_regulariser_no_penalty_and_instance_noise_perturbs_inputs_only(tiny_data):
    plain = make(tiny_data)
    real, fake = _batch(plain)
    assert plain.d_penalties(Batch(real), Batch(fake), plain.D(real), plain.D(fake)) == []
    assert torch.equal(plain.perturb(real), real)
    noisy = make(tiny_data, **{"reg.instance-noise": 0.5})
    seen = noisy.perturb(real)
    assert (seen - real).std().item() == pytest.approx(0.5, rel=0.05)
    noisy.step(2)
    assert all(math.isfinite(v) for v in noisy.history.last().values())


def test_cpu_runs_in_full_precision_and_contiguous_memory(tiny_data):
    from ganlab.device import autocast_context, mixed_precision_dtype

    t = make(tiny_data)
    assert t.problem.mixed_precision is None and mixed_precision_dtype(torch.device("cpu")) is None
    with autocast_context(torch.device("cpu")):
        assert t.D(t.problem.images[:2]).dtype == torch.float32
    assert t.problem.memory_format == torch.contiguous_format


# --- EMA of G with a warm-up -------------------------------------------------------------------------

def test_ema_decay_is_tensorflows_num_updates_rule():
    from ganlab.tricks import ema_decay

    assert ema_decay(0.999, 0) == pytest.approx(0.1, abs=0)
    assert ema_decay(0.999, 50) == pytest.approx(51 / 60, abs=0)
    assert ema_decay(0.999, 8989) == pytest.approx(8990 / 8999, abs=0) and 8990 / 8999 < 0.999
    assert ema_decay(0.999, 8990) == 0.999 and ema_decay(0.999, 10**6) == 0.999
    assert ema_decay(0.5, 0) == 0.1 and ema_decay(0.5, 10) == 0.5  # a small decay is reached at once


def test_ema_weights_are_the_warm_up_rule_applied_to_the_recorded_raw_weights(tiny_data):
    t = make(tiny_data)  # ema 0.999 (IMAGE_DEFAULTS), one G update per step
    expected = [p.detach().double().clone() for p in t.G_ema.parameters()]  # the initial G
    for step in range(40):
        t.step(1)
        d = min(0.999, (1 + step) / (10 + step))  # by hand: update `step` (0-based)
        expected = [d * e + (1 - d) * g.detach().double() for e, g in zip(expected, t.G.parameters(), strict=True)]
    assert t.g_updates == 40
    for got, want in zip(t.G_ema.parameters(), expected, strict=True):
        assert torch.allclose(got.double(), want, rtol=0, atol=2e-6)
    for got, want in zip(t.G_ema.buffers(), t.G.buffers(), strict=True):  # batch-norm statistics copied
        assert torch.equal(got, want)
    # the first update keeps only 10 % of the initial G (the plain rule kept 99.9 %)
    fresh = make(tiny_data)
    initial = params(fresh.G_ema)
    fresh.step(1)
    for got, init, g in zip(fresh.G_ema.parameters(), initial, fresh.G.parameters(), strict=True):
        assert torch.allclose(got, 0.1 * init + 0.9 * g.detach(), rtol=0, atol=1e-6)


def test_the_ema_generator_follows_g_at_step_50_where_the_plain_ema_showed_the_untrained_g():
    """The MNIST Lab's default run (DCGAN, 32 channels, batch 64, EMA 0.999) on real digits: at step 50
    the warm-up EMA's images are within 35 % of G's (measured 0.21), the plain EMA's were 87 % off."""
    import copy

    cfg = with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS})
    t = Trainer(cfg)
    plain = copy.deepcopy(t.G_ema)  # the old rule, kept by hand beside the trainer's
    for _ in range(50):
        t.step(1)
        with torch.no_grad():
            for p, g in zip(plain.parameters(), t.G.parameters(), strict=True):
                p.mul_(0.999).add_(g, alpha=0.001)
            for b, g in zip(plain.buffers(), t.G.buffers(), strict=True):
                b.copy_(g)
    z = torch.randn(64, cfg.latent_dim, generator=torch.Generator().manual_seed(5))

    def images(net):
        net.eval()
        with torch.no_grad():
            return net(z, None)

    raw = images(t.G)

    def relative(net):
        return float((images(net) - raw).norm() / raw.norm())

    assert relative(t.G_ema) < 0.35
    assert relative(plain) > 0.6


def test_sample_source_says_which_generator_the_samples_come_from(tiny_data):
    t = make(tiny_data)
    assert t.sample_source() == "EMA of G (decay 0.999; no update yet, so the initial G)"
    t.step(1)
    assert t.sample_source() == "EMA of G (decay 0.999, warm-up: effective decay 0.100 at update 1)"
    t.g_updates = 450  # the caption reads the counter only
    assert t.sample_source() == "EMA of G (decay 0.999, warm-up: effective decay 0.980 at update 450)"
    t.g_updates = 8991
    assert t.sample_source() == "EMA of G (decay 0.999)"
    assert t.sample_source(use_ema=False) == "G (raw)"
    assert make(tiny_data, ema="0").sample_source() == "G (raw)"
