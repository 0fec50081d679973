"""Training tricks (ganlab.tricks, RunConfig.tricks): each changes the computation exactly as documented."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

import ganlab.tricks as tricks_module
from ganlab.catalogue import catalogue
from ganlab.cli import _overrides, build_parser, main
from ganlab.config import (
    IMAGE_DEFAULTS,
    LEAF_PATHS,
    ConfigError,
    RunConfig,
    TricksConfig,
    from_json,
    from_query,
    to_json,
    to_query,
    with_overrides,
)
from ganlab.data.images import ImageDataset
from ganlab.live_config import apply_config
from ganlab.nets.images import DCGANDiscriminator, MLPImageDiscriminator
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.optim import build_optimizer
from ganlab.problems import Batch
from ganlab.toy_snapshot import take_snapshot
from ganlab.train import Trainer
from ganlab.tricks import (
    MBD_KERNELS,
    TRICKS,
    HistoricalAverage,
    MinibatchDiscrimination,
    UnrolledOptimizer,
    VirtualBatchNorm,
    feature_matching_loss,
    minibatch_similarity,
    unrolled_discriminator,
)

TRICK_PATHS = ("tricks.feature_matching", "tricks.minibatch_discrimination", "tricks.historical_averaging",
               "tricks.virtual_batch_norm", "tricks.unrolled_steps")


def make(**overrides) -> Trainer:
    base = RunConfig(device="cpu", batch_size=32, eval_every=0)
    return Trainer(with_overrides(base, {k: str(v) for k, v in overrides.items()}))


@pytest.fixture(scope="module")
def tiny_data():
    images = torch.rand(48, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    return ImageDataset(images, torch.arange(48) % 10, "synthetic test digits", "train")


def make_images(data, **overrides) -> Trainer:
    cfg = with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                                   "d.channels": "8", "latent_dim": "16", "batch_size": "8",
                                                   **{k: str(v) for k, v in overrides.items()}})
    return Trainer(cfg, data=data)


def params(module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a, b) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def clone_generator(trainer) -> torch.Generator:
    """A copy of the run's random generator, to redraw the batches the next update will draw."""
    gen = torch.Generator()
    gen.set_state(trainer.generator.get_state())
    return gen


# --- options ---------------------------------------------------------------------------------------

def test_trick_options_are_dotted_paths_that_round_trip():
    assert set(TRICK_PATHS) <= set(LEAF_PATHS)
    assert RunConfig().tricks == TricksConfig(False, False, 0.0, False, 0)
    cfg = with_overrides(RunConfig(), {"tricks.feature_matching": "true", "tricks.minibatch_discrimination": "on",
                                       "tricks.historical_averaging": "0.5", "tricks.unrolled_steps": "3"})
    assert cfg.tricks == TricksConfig(True, True, 0.5, False, 3)
    query = to_query(cfg)
    for fragment in ("tricks.feature_matching=true", "tricks.historical_averaging=0.5", "tricks.unrolled_steps=3"):
        assert fragment in query
    assert "tricks" not in to_query(RunConfig())  # defaults stay out of share links
    assert from_query(query) == cfg and from_json(to_json(cfg)) == cfg
    images = with_overrides(RunConfig(), {"data.name": "mnist", **IMAGE_DEFAULTS,
                                          "tricks.virtual_batch_norm": "1"})
    assert images.tricks.virtual_batch_norm and from_query(to_query(images)) == images
    assert from_json('{"seed": 1}').tricks == TricksConfig()  # configs saved before tricks existed still load


@pytest.mark.parametrize("overrides, field, fragment", [
    ({"tricks.historical_averaging": "-1"}, "tricks.historical_averaging", "[0, 100]"),
    ({"tricks.historical_averaging": "101"}, "tricks.historical_averaging", "[0, 100]"),
    ({"tricks.unrolled_steps": "11"}, "tricks.unrolled_steps", "[0, 10]"),
    ({"tricks.unrolled_steps": "2.5"}, "tricks.unrolled_steps", "integer"),
    ({"tricks.feature_matching": "maybe"}, "tricks.feature_matching", "true or false"),
    ({"tricks.virtual_batch_norm": "true"}, "tricks.virtual_batch_norm", "image runs"),
    ({"data.name": "mnist", "g.arch": "mlp", "d.arch": "mlp", "tricks.virtual_batch_norm": "true"},
     "tricks.virtual_batch_norm", "dcgan"),
    ({"data.name": "mnist", "g.arch": "dcgan", "d.arch": "dcgan", "tricks.unrolled_steps": "1"},
     "tricks.unrolled_steps", "toy datasets only"),
    ({"d.norm": "batch", "reg.r1": "1", "tricks.unrolled_steps": "1"}, "tricks.unrolled_steps", "batch norm"),
])
def test_bad_trick_options_name_their_field(overrides, field, fragment):
    with pytest.raises(ConfigError) as info:
        with_overrides(RunConfig(), overrides)
    assert info.value.field == field and fragment in str(info.value)


def test_cli_flags_map_to_the_dotted_paths(capsys):
    args = build_parser().parse_args(["train", "--feature-matching", "--minibatch-discrimination",
                                      "--historical-averaging", "0.25", "--unrolled-steps", "4",
                                      "--virtual-batch-norm", "--set", "tricks.unrolled_steps=5"])
    assert _overrides(args) == {"tricks.feature_matching": "true", "tricks.minibatch_discrimination": "true",
                                "tricks.historical_averaging": "0.25", "tricks.virtual_batch_norm": "true",
                                "tricks.unrolled_steps": "5"}  # --set comes last and wins
    assert _overrides(build_parser().parse_args(["train"])) == {}
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    section = out[out.index("tricks:"):]
    for name in TRICKS:
        assert f"  {name} " in section
    assert set(catalogue(include_tricks=True)["tricks"]) == set(TRICKS)
    assert "tricks" not in catalogue()  # the home page's sections are unchanged


def test_catalogue_names_each_tricks_option_and_source():
    options = {"label-smoothing": "reg.label-smoothing", "instance-noise": "reg.instance-noise",
               "d-steps": "d_steps", "two-time-scale": "d_opt.lr", "ema": "ema",
               "feature-matching": "tricks.feature_matching",
               "minibatch-discrimination": "tricks.minibatch_discrimination",
               "historical-averaging": "tricks.historical_averaging",
               "virtual-batch-norm": "tricks.virtual_batch_norm", "unrolled-steps": "tricks.unrolled_steps"}
    assert set(options) == set(TRICKS)
    for name, option in options.items():
        assert option in TRICKS[name] and any(str(year) in TRICKS[name] for year in range(2013, 2020)), name


# --- one-sided label smoothing (existing) ------------------------------------------------------------

def test_label_smoothing_changes_d_real_target_and_nothing_else():
    smoothed, plain = make(**{"reg.label-smoothing": 0.9}), make()
    n = smoothed.config.batch_size
    gen = clone_generator(smoothed)
    real = smoothed.dataset.sample(n, gen)
    with torch.no_grad():
        fake = smoothed.G(smoothed.sample_noise(n, generator=gen))
        r, f = smoothed.D(real).double(), smoothed.D(fake).double()
    smoothed.d_step()
    plain.d_step()
    expected = -(0.9 * F.logsigmoid(r) + 0.1 * F.logsigmoid(-r)).mean() + F.softplus(f).mean()
    assert smoothed._last_d[0].item() == pytest.approx(expected.item(), rel=1e-5)
    unsmoothed = F.softplus(-r).mean() + F.softplus(f).mean()
    assert plain._last_d[0].item() == pytest.approx(unsmoothed.item(), rel=1e-5)
    # G's update is untouched: same loss, same step
    a, b = make(**{"reg.label-smoothing": 0.9}), make()
    a.g_step()
    b.g_step()
    assert torch.equal(a._last_g, b._last_g) and same(params(a.G), params(b.G))


# --- feature matching ----------------------------------------------------------------------------------

def test_toy_features_are_the_input_of_ds_last_layer():
    d = MLPDiscriminator(2, depth=2, width=16)
    x = torch.randn(5, 2)
    assert d.features(x).shape == (5, 16)
    assert torch.allclose(d.net[-1](d.features(x)).squeeze(-1), d(x), atol=1e-6)


def test_feature_matching_is_gs_loss_and_leaves_d_alone():
    t = make(**{"tricks.feature_matching": "true"})
    n = t.config.batch_size
    gen = clone_generator(t)
    g_before = copy.deepcopy(t.G)
    t.g_step()
    z = t.sample_noise(n, generator=gen)
    real = t.dataset.sample(n, gen)  # G's update draws z, then a real batch
    with torch.no_grad():
        expected = (t.D.features(real).mean(0) - t.D.features(g_before(z)).mean(0)).square().sum()
    assert t._last_g.item() == pytest.approx(expected.item(), rel=1e-5)
    assert expected.item() > 0
    # D's update is the same as without the trick (same batches, same loss)
    matched, plain = make(**{"tricks.feature_matching": "true"}), make()
    matched.d_step()
    plain.d_step()
    assert same(params(matched.D), params(plain.D)) and torch.equal(matched._last_d[0], plain._last_d[0])


def test_feature_matching_on_images_uses_d_features(tiny_data):
    t = make_images(tiny_data, **{"tricks.feature_matching": "true"})
    gen = clone_generator(t)
    g_before = copy.deepcopy(t.G)
    t.g_step()
    z = torch.randn(8, 16, generator=gen)
    index = torch.randint(len(t.problem.labels), (8,), generator=gen)
    with torch.no_grad():
        expected = feature_matching_loss(t.D.features(t.problem.images[index]), t.D.features(g_before(z)))
    assert t._last_g.item() == pytest.approx(expected.item(), rel=1e-5)


# --- minibatch discrimination --------------------------------------------------------------------

def test_minibatch_layer_is_the_papers_formula(monkeypatch):
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(3, kernels=2, kernel_dim=2)
    f = torch.randn(4, 3)
    m = (f @ layer.T.reshape(3, 4)).reshape(4, 2, 2)
    expected = torch.tensor([[sum(math.exp(-(m[i, b] - m[j, b]).abs().sum().item()) for j in range(4))
                              for b in range(2)] for i in range(4)])
    out = layer(f)
    assert out.shape == (4, 5) and torch.equal(out[:, :3], f)
    assert torch.allclose(out[:, 3:], expected, atol=1e-6)
    monkeypatch.setattr(tricks_module, "MBD_CHUNK_ELEMENTS", 2)  # one row per chunk: same numbers
    assert torch.allclose(minibatch_similarity(m), expected, atol=1e-6)


@pytest.mark.parametrize("build, plain_features", [
    (lambda mbd: MLPDiscriminator(2, depth=2, width=16, minibatch_discrimination=mbd), 16),
    (lambda mbd: DCGANDiscriminator(1, 8, minibatch_discrimination=mbd).eval(), 2 * 8 * 7 * 7),
    (lambda mbd: MLPImageDiscriminator(1, minibatch_discrimination=mbd), 256),
])
def test_minibatch_discrimination_lets_d_compare_samples(build, plain_features):
    torch.manual_seed(1)
    plain, mixed = build(False), build(True)
    shape = (6, 2) if plain_features == 16 else (6, 1, 28, 28)
    x = torch.randn(shape)
    other = x.clone()
    other[3] += 1.0  # change another sample of the batch
    assert plain.features(x).shape[1] == plain_features
    assert mixed.features(x).shape[1] == plain_features + MBD_KERNELS
    with torch.no_grad():
        assert torch.allclose(plain(x)[0], plain(other)[0], atol=1e-6)
        assert (mixed(x)[0] - mixed(other)[0]).abs().item() > 1e-5


def test_trainer_keeps_real_and_fake_apart_with_minibatch_discrimination():
    assert make().problem._joint and not make(**{"tricks.minibatch_discrimination": "true"}).problem._joint


# --- historical averaging ----------------------------------------------------------------------------

def test_historical_average_is_the_mean_of_past_parameters():
    w = torch.nn.Parameter(torch.randn(3, 2))
    b = torch.nn.Parameter(torch.randn(2))
    average = HistoricalAverage([w, b], weight=0.7)
    seen = []
    for _ in range(3):
        seen.append([w.detach().double().clone(), b.detach().double().clone()])
        penalty = average.step()
        with torch.no_grad():  # move the parameters as an update would
            w.add_(torch.randn(3, 2))
            b.add_(torch.randn(2))
    with torch.no_grad():
        w.copy_(seen[-1][0].float())
        b.copy_(seen[-1][1].float())
    means = [sum(s[k] for s in seen) / 3 for k in range(2)]
    expected = 0.7 * sum((p - m).square().sum() for p, m in zip(seen[-1], means, strict=True))
    assert average.count == 3 and penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    grad_w, = torch.autograd.grad(average.penalty(), w)
    assert torch.allclose(grad_w.double(), 1.4 * (seen[-1][0] - means[0]), atol=1e-5)


@pytest.mark.parametrize("player", ["D", "G"])
def test_historical_averaging_adds_exactly_its_term_to_each_players_loss(player):
    lam = 10.0
    t = make(**{"tricks.historical_averaging": lam})
    net = t.D if player == "D" else t.G
    history = []
    for _ in range(3):
        history.append(params(net))
        n = t.config.batch_size
        gen = clone_generator(t)
        with torch.no_grad():
            if player == "D":
                real = t.dataset.sample(n, gen)
                fake = t.G(t.sample_noise(n, generator=gen))
                plain = t.loss.d_loss(t.D(real), t.D(fake))
            else:
                plain = t.loss.g_loss(t.D(t.G(t.sample_noise(n, generator=gen))))
        (t.d_step if player == "D" else t.g_step)()
        total = (t._last_d[0] if player == "D" else t._last_g).item()
    mean = [sum(h[k].double() for h in history) / 3 for k in range(len(history[0]))]
    term = lam * sum((p.double() - m).square().sum() for p, m in zip(history[-1], mean, strict=True)).item()
    assert term > 1e-3
    assert total - plain.item() == pytest.approx(term, rel=1e-3)
    state = t.state_dict()[f"average_{player}"]
    assert state["count"] == 3
    assert all(torch.allclose(a.double(), m, atol=1e-7) for a, m in zip(state["mean"], mean, strict=True))


@pytest.mark.parametrize("overrides", [
    {"tricks.historical_averaging": 0.5},
    {"tricks.feature_matching": "true", "tricks.minibatch_discrimination": "true",
     "tricks.historical_averaging": 1.0},
    {"tricks.unrolled_steps": 2, "tricks.historical_averaging": 0.1, "loss.name": "wgan-gp", "batch_size": 8},
])
def test_resume_with_tricks_continues_bit_for_bit(overrides):
    full = make(**overrides)
    full.step(12)
    half = make(**overrides)
    half.step(6)
    resumed = make(**overrides)
    resumed.load_state_dict(copy.deepcopy(half.state_dict()))
    resumed.step(6)
    assert same(params(resumed.G), params(full.G)) and same(params(resumed.D), params(full.D))
    for player, average in full.param_averages.items():
        assert average.count == resumed.param_averages[player].count == 12
        assert same(average.mean, resumed.param_averages[player].mean)


def test_image_resume_with_tricks_continues_bit_for_bit(tiny_data):
    options = {"tricks.historical_averaging": 0.5, "tricks.virtual_batch_norm": "true",
               "tricks.minibatch_discrimination": "true", "tricks.feature_matching": "true"}
    full = make_images(tiny_data, **options)
    full.step(4)
    half = make_images(tiny_data, **options)
    half.step(2)
    resumed = make_images(tiny_data, **options)
    resumed.load_state_dict(copy.deepcopy(half.state_dict()))
    resumed.step(2)
    assert same(params(resumed.G), params(full.G)) and same(params(resumed.D), params(full.D))
    assert same(params(resumed.G_ema), params(full.G_ema))


# --- virtual batch norm ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3,), (3, 4, 4)])
def test_virtual_batch_norm_is_batch_norm_over_reference_plus_sample(shape):
    torch.manual_seed(2)
    vbn = VirtualBatchNorm(3, reference_size=5)
    with torch.no_grad():
        vbn.weight.uniform_(0.5, 1.5)
        vbn.bias.uniform_(-1, 1)
    ref, x = torch.randn(5, *shape) * 2 + 1, torch.randn(4, *shape)
    out = vbn(torch.cat([ref, x]))
    bn = lambda h: F.batch_norm(h, None, None, vbn.weight, vbn.bias, training=True, eps=vbn.eps)  # noqa: E731
    assert torch.allclose(out[:5], bn(ref), atol=1e-5)
    for i in range(4):
        assert torch.allclose(out[5 + i], bn(torch.cat([ref, x[i:i + 1]]))[-1], atol=1e-5)


def test_virtual_batch_norm_frees_each_sample_from_its_batch(tiny_data):
    vbn, plain = make_images(tiny_data, **{"tricks.virtual_batch_norm": "true"}), make_images(tiny_data)
    assert torch.equal(vbn.G.reference_z, torch.randn(64, 16, generator=torch.Generator().manual_seed(0)))
    assert torch.equal(vbn.G_ema.reference_z, vbn.G.reference_z)
    z = torch.randn(4, 16, generator=torch.Generator().manual_seed(3))
    other = torch.cat([z[:1], torch.randn(3, 16)])
    for t, independent in ((vbn, True), (plain, False)):
        t.G.train()
        with torch.no_grad():
            first, second = t.G(z)[0], t.G(other)[0]
        assert torch.allclose(first, second, atol=1e-6) == independent


def test_virtual_batch_norm_generator_exports_and_reloads(tiny_data, tmp_path):
    from ganlab.generator_file import export_generator, load_generator

    t = make_images(tiny_data, **{"tricks.virtual_batch_norm": "true", "conditional": "true"})
    t.step(2)
    export_generator(t, tmp_path / "g.pt", {})
    loaded = load_generator(tmp_path / "g.pt")
    z, labels = torch.randn(3, 16), torch.tensor([1, 2, 3])
    with torch.no_grad():
        expected = t.G_ema.eval()(z, labels)
    assert torch.equal(loaded.net.reference_z, t.G_ema.reference_z)
    assert torch.allclose(loaded.generate(z, labels), expected, atol=1e-6)


# --- unrolled GAN --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, momentum", [("adam", 0.0), ("rmsprop", 0.5), ("sgd", 0.9), ("sgd", 0.0)])
def test_unrolled_optimizer_follows_torchs_update_rule(name, momentum):
    torch.manual_seed(4)
    p = torch.nn.Parameter(torch.randn(5))
    opt = build_optimizer([p], name, 0.01, 0.5, 0.9, momentum)
    for _ in range(2):  # give the optimiser some state first
        p.grad = torch.randn(5)
        opt.step()
    g = torch.randn(5)
    unrolled = UnrolledOptimizer(opt, [p])
    predicted = unrolled.step(unrolled.step([p.detach()], [g]), [g])
    for _ in range(2):
        p.grad = g.clone()
        opt.step()
    assert torch.allclose(predicted[0], p.detach(), atol=1e-6)


def g_gradient(t: Trainer, steps: int, first_order: bool = False) -> list[torch.Tensor]:
    """G's gradient against D unrolled `steps` times, on a batch drawn from a copy of the run's generator."""
    gen = clone_generator(t)
    n = t.config.batch_size
    fake = t.G(t.sample_noise(n, generator=gen))
    real = t.dataset.sample(n, gen)
    d = unrolled_discriminator(t, Batch(real), Batch(fake), steps)
    if first_order:
        d = d.with_params([p.detach() for p in d.params.values()])
    return torch.autograd.grad(t.loss.g_loss(d(fake)), t.g_params)


def test_unrolled_d_with_zero_steps_gives_the_plain_gradient():
    t = make(**{"tricks.unrolled_steps": 2})
    t.step(3)
    gen = clone_generator(t)
    n = t.config.batch_size
    plain = torch.autograd.grad(t.loss.g_loss(t.D(t.G(t.sample_noise(n, generator=gen)))), t.g_params)
    zero = g_gradient(t, 0)
    assert all(torch.allclose(a, b, atol=1e-7) for a, b in zip(plain, zero, strict=True))
    unrolled = g_gradient(t, 2)
    assert not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(plain, unrolled, strict=True))
    # G's gradient flows through the updates: dropping that path (first order) gives another gradient
    first_order = g_gradient(t, 2, first_order=True)
    assert not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(first_order, unrolled, strict=True))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_unrolled_gradient_is_the_total_derivative(optimizer):
    """G's gradient against D unrolled 3 steps matches central finite differences of
    theta_G -> L_G(theta_G, theta_D^3(theta_G)) (double precision, fixed batch)."""
    t = make(**{"tricks.unrolled_steps": 3, "d_opt.name": optimizer, "d_opt.lr": 0.3, "d_opt.momentum": 0.5,
                "g.depth": 1, "g.width": 6, "d.depth": 1, "d.width": 6, "g.activation": "tanh",
                "d.activation": "tanh", "batch_size": 8})
    t.G.double()
    t.D.double()
    gen = torch.Generator().manual_seed(0)
    z, real = torch.randn(8, 2, generator=gen, dtype=torch.float64), t.dataset.sample(8, gen).double()

    def loss() -> torch.Tensor:
        fake = t.G(z)
        return t.loss.g_loss(unrolled_discriminator(t, Batch(real), Batch(fake), t.unrolled_steps)(fake))

    grads = torch.autograd.grad(loss(), t.g_params)
    h = 1e-6
    for p, grad in zip(t.g_params, grads, strict=True):
        flat = p.data.view(-1)
        for i in (0, flat.numel() - 1):
            old = flat[i].item()
            flat[i] = old + h
            up = loss().item()
            flat[i] = old - h
            down = loss().item()
            flat[i] = old
            assert grad.view(-1)[i].item() == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_unrolled_sgd_step_is_one_gradient_step_of_d():
    t = make(**{"tricks.unrolled_steps": 1, "d_opt.name": "sgd", "d_opt.lr": 0.1})
    real, fake = t.dataset.sample(32, torch.Generator().manual_seed(5)), torch.randn(32, 2)
    d = unrolled_discriminator(t, Batch(real), Batch(fake), 1)
    grads = torch.autograd.grad(t.loss.d_loss(t.D(real), t.D(fake)), t.d_params)
    for p, g, q in zip(t.d_params, grads, d.params.values(), strict=True):
        assert torch.allclose(q, p - 0.1 * g, atol=1e-6)


def test_unrolling_leaves_d_and_its_optimiser_untouched():
    t = make(**{"tricks.unrolled_steps": 3, "d.norm": "batch", "d.spectral_norm": "true"})
    t.step(2)
    d_state, opt_state = copy.deepcopy(t.D.state_dict()), copy.deepcopy(t.d_opt.state_dict())
    g_before = params(t.G)
    t.g_step()
    assert not same(params(t.G), g_before)
    after = t.D.state_dict()  # parameters and buffers (batch-norm statistics, spectral-norm vectors)
    assert all(torch.equal(after[k], v) for k, v in d_state.items())
    opt_after = t.d_opt.state_dict()["state"]
    assert all(torch.equal(opt_after[i][k], v) for i, s in opt_state["state"].items() for k, v in s.items())


# --- every trick trains, live changes -----------------------------------------------------------------

@pytest.mark.parametrize("overrides", [
    {"tricks.feature_matching": "true"}, {"tricks.minibatch_discrimination": "true"},
    {"tricks.historical_averaging": 1.0}, {"tricks.unrolled_steps": 2},
    {"tricks.feature_matching": "true", "tricks.minibatch_discrimination": "true",
     "tricks.historical_averaging": 0.5, "tricks.unrolled_steps": 1, "pack": 2},
])
def test_each_toy_trick_trains_on_ring8(overrides):
    t = make(**overrides)
    t.step(20)
    assert t.step_count == 20 and all(math.isfinite(v) for v in t.history.last().values())
    snap = take_snapshot(t, n_samples=64, grid_size=8, manifold_size=4)
    assert snap["fake_grad"].shape == (64, 2) and torch.isfinite(torch.as_tensor(snap["fake_grad"])).all()


@pytest.mark.parametrize("overrides", [
    {"tricks.feature_matching": "true"}, {"tricks.minibatch_discrimination": "true"},
    {"tricks.virtual_batch_norm": "true"}, {"tricks.historical_averaging": 1.0},
    {"tricks.feature_matching": "true", "tricks.minibatch_discrimination": "true", "info_codes": 10,
     "tricks.virtual_batch_norm": "true", "tricks.historical_averaging": 0.5},
    {"g.arch": "mlp", "d.arch": "mlp", "conditional": "true", "tricks.feature_matching": "true",
     "tricks.minibatch_discrimination": "true"},
])
def test_each_image_trick_trains(tiny_data, overrides):
    t = make_images(tiny_data, **overrides)
    t.step(20)
    assert t.step_count == 20 and all(math.isfinite(v) for v in t.history.last().values())


def test_feature_matching_unrolling_and_averaging_switch_live():
    t = make()
    t.step(2)
    assert apply_config(t, with_overrides(t.config, {"tricks.feature_matching": "true",
                                                    "tricks.historical_averaging": "0.5"})) == []
    assert t.config.tricks.feature_matching and t.g_needs_real and set(t.param_averages) == {"G", "D"}
    t.step(2)
    assert t.param_averages["G"].count == 2
    assert apply_config(t, with_overrides(t.config, {"tricks.historical_averaging": "0",
                                                    "tricks.feature_matching": "false"})) == []
    assert not t.g_needs_real and t.param_averages == {}
    assert apply_config(t, with_overrides(t.config, {"tricks.minibatch_discrimination": "true"})) == \
        ["tricks.minibatch_discrimination"]
