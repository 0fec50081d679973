import math

import numpy as np
import pytest
import torch

from ganlab.config import RunConfig, with_overrides
from ganlab.live_config import apply_config
from ganlab.losses import LOSSES
from ganlab.penalties import REGULARIZERS
from ganlab.toy_snapshot import latent_grid, take_snapshot
from ganlab.train import Trainer, TrainingDiverged


def make(**overrides) -> Trainer:
    base = RunConfig(device="cpu", batch_size=64)
    return Trainer(with_overrides(base, {k: str(v) for k, v in overrides.items()}))


def params(module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_same_seed_same_run_different_seed_different_run():
    a, b, c = make(seed=3), make(seed=3), make(seed=4)
    for t in (a, b, c):
        t.step(40)
    assert same(params(a.G), params(b.G)) and same(params(a.D), params(b.D))
    assert np.array_equal(a.history.as_arrays()["d_loss"], b.history.as_arrays()["d_loss"])
    assert not same(params(a.G), params(c.G))


@pytest.mark.parametrize("overrides", [
    {},
    {"loss.name": "wgan-gp", "ema": 0.99, "reg.r1": 1.0, "reg.instance-noise": 0.05},
    {"loss.name": "wgan", "d_steps": 3, "g_opt.name": "rmsprop", "d_opt.name": "sgd", "d_opt.momentum": 0.9},
    {"g.norm": "batch", "d.norm": "layer", "noise": "uniform", "latent_dim": 3},
])
def test_state_round_trip_continues_bit_for_bit(overrides):
    full = make(**overrides)
    full.step(70)
    half = make(**overrides)
    half.step(35)
    resumed = make(**overrides)
    resumed.load_state_dict(half.state_dict())
    resumed.step(35)
    assert resumed.step_count == full.step_count == 70
    assert same(params(resumed.G), params(full.G)) and same(params(resumed.D), params(full.D))
    assert np.array_equal(resumed.history.as_arrays()["g_loss"], full.history.as_arrays()["g_loss"])
    if full.G_ema is not None:
        assert same(params(resumed.G_ema), params(full.G_ema))


def test_snapshot_does_not_change_the_run():
    quiet, watched = make(seed=1), make(seed=1)
    quiet.step(30)
    for _ in range(3):
        watched.step(10)
        take_snapshot(watched)
    assert same(params(quiet.G), params(watched.G))


def test_d_step_moves_only_d_and_g_step_only_g():
    t = make()
    g0, d0 = params(t.G), params(t.D)
    t.d_step()
    assert same(params(t.G), g0) and not same(params(t.D), d0)
    d1 = params(t.D)
    t.g_step()
    assert same(params(t.D), d1) and not same(params(t.G), g0)
    assert all(p.requires_grad for p in t.D.parameters())
    assert (t.d_updates, t.g_updates) == (1, 1)


def test_d_and_g_steps_per_iteration():
    t = make(d_steps=3, g_steps=2)
    t.step(4)
    assert (t.step_count, t.d_updates, t.g_updates) == (4, 12, 8)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_loss_trains_with_finite_values(loss):
    t = make(**{"loss.name": loss})
    t.step(30)
    last = t.history.last()
    assert t.step_count == 30
    assert all(math.isfinite(v) for v in last.values())


@pytest.mark.parametrize("reg", [r for r in REGULARIZERS if r != "label-smoothing"])
def test_every_regularizer_changes_the_d_update(reg):
    plain, regularised = make(), make(**{f"reg.{reg}": REGULARIZERS[reg].default})
    plain.d_step()
    regularised.d_step()
    assert not same(params(plain.D), params(regularised.D))


def test_label_smoothing_changes_only_the_real_target():
    t = make(**{"reg.label-smoothing": 0.9})
    assert t.real_target == pytest.approx(0.9)
    plain = make()
    t.d_step()
    plain.d_step()
    assert not same(params(t.D), params(plain.D))


def test_weight_clipping_keeps_d_weights_in_range():
    t = make(**{"loss.name": "wgan", "loss.clip": 0.02, "d_opt.lr": 0.05})
    t.step(5)
    assert max(p.abs().max().item() for p in t.D.parameters()) <= 0.02 + 1e-7


def test_ema_is_the_exact_moving_average_with_its_warm_up():
    """Toy runs share the image runs' EMA: update t uses decay min(ema, (1 + t) / (10 + t)), so the first
    keeps 10 % of the initial G and from update 80 on the decay is the 0.9 asked for."""
    t = make(ema=0.9)
    before = params(t.G_ema)
    t.g_step()
    for ema, old, new in zip(t.G_ema.parameters(), before, t.G.parameters(), strict=True):
        assert torch.allclose(ema, 0.1 * old + 0.9 * new.detach(), atol=1e-7)
    for _ in range(80):
        t.g_step()
    before = params(t.G_ema)
    t.g_step()  # update 81: (1 + 81) / 91 > 0.9
    for ema, old, new in zip(t.G_ema.parameters(), before, t.G.parameters(), strict=True):
        assert torch.allclose(ema, 0.9 * old + 0.1 * new.detach(), atol=1e-7)


def test_divergence_stops_with_a_clear_error_and_keeps_the_last_good_state():
    t = make(**{"g_opt.name": "sgd", "d_opt.name": "sgd", "g_opt.lr": 10.0, "d_opt.lr": 10.0,
                "loss.name": "wgan-gp", "loss.gp_lambda": 10000})
    with pytest.raises(TrainingDiverged) as info:
        t.step(200)
    err = info.value
    assert err.quantity in ("d_loss", "g_loss", "G weights", "D weights")
    assert f"step {err.step}" in str(err) and err.quantity in str(err)
    assert 1 <= err.step <= 200
    assert t.step_count == err.restored_step < err.step
    assert all(torch.isfinite(p).all() for p in t.G.parameters())
    assert all(torch.isfinite(p).all() for p in t.D.parameters())


def test_run_honours_its_step_cap():
    t = make()
    done = t.run(seconds=30.0, max_steps=25)
    assert done == 25 == t.step_count


def test_snapshot_contents():
    t = make(**{"loss.name": "minimax"})
    t.step(5)
    snap = take_snapshot(t, n_samples=100, grid_size=32, manifold_size=8)
    assert snap["real"].shape == snap["fake"].shape == snap["fake_grad"].shape == (100, 2)
    assert snap["d_score"].shape == snap["d_prob"].shape == (32, 32)
    assert np.allclose(snap["d_prob"], 1 / (1 + np.exp(-snap["d_score"])), atol=1e-6)
    assert snap["manifold"].shape == (8, 8, 2)
    assert snap["grid_x"][0] == pytest.approx(t.dataset.bounds[0])
    assert snap["grid_y"][-1] == pytest.approx(t.dataset.bounds[3])
    assert snap["step"] == 5 and len(snap["history"]["step"]) == 5
    # D on the grid is D at those points: row i is y = grid_y[i], column j is x = grid_x[j]
    point = torch.tensor([[snap["grid_x"][3], snap["grid_y"][7]]], dtype=torch.float32)
    with torch.no_grad():
        assert t.D(point).item() == pytest.approx(snap["d_score"][7, 3], abs=1e-5)


def test_arrows_point_where_the_generator_loss_falls():
    t = make(**{"loss.name": "nonsaturating"})
    t.step(20)
    snap = take_snapshot(t, n_samples=200)
    fake = torch.tensor(snap["fake"])
    step = torch.tensor(snap["fake_grad"]) * 1e-3
    with torch.no_grad():
        before = t.loss.g_loss(t.D(fake), None)
        after = t.loss.g_loss(t.D(fake - step), None)
    assert after < before


def test_latent_grid_layout():
    grid = latent_grid(3, 5, "gaussian")
    assert grid.shape == (5, 5, 3)
    assert grid[0, :, 0].tolist() == pytest.approx([-2, -1, 0, 1, 2])
    assert grid[:, 0, 1].tolist() == pytest.approx([-2, -1, 0, 1, 2])
    assert torch.all(grid[..., 2] == 0)
    assert latent_grid(1, 4, "uniform").shape == (1, 4, 1)


def test_history_is_bounded():
    t = make(history=20, batch_size=8)
    t.step(300)
    assert len(t.history) <= 20
    assert t.history.as_arrays()["step"][-1] >= 300 - t.history.stride


def test_the_default_run_learns_the_ring():
    from ganlab.metrics import mode_stats

    t = Trainer(RunConfig(device="cpu", seed=0))
    t.step(2000)
    stats = mode_stats(t.sample(2500), t.dataset.centers, t.dataset.std)
    assert stats["modes_covered"] >= 6
    assert stats["hq_fraction"] > 0.3


def test_packed_discriminator_sees_pack_samples_at_once():
    t = make(pack=4, batch_size=16, **{"d.activation": "maxout", "d.maxout_pieces": 3})
    assert t.D.net[0].in_features == 8 and t.D.net[0].out_features == 64 * 3
    t.step(3)
    assert math.isfinite(t.history.last()["d_loss"]) and t.d_updates == 3
    snap = take_snapshot(t, n_samples=102, grid_size=8)
    assert snap["fake"].shape == (100, 2) and snap["d_score"].shape == (8, 8)


def test_live_changes_keep_the_run_and_its_optimiser_state():
    t = make()
    t.step(10)
    adam_steps = t.d_opt.state_dict()["state"][0]["step"].item()
    new = with_overrides(t.config, {"d_opt.lr": "0.0005", "loss.name": "hinge", "d_steps": "2",
                                     "reg.r1": "1"})
    assert apply_config(t, new) == []
    assert t.d_opt.param_groups[0]["lr"] == 0.0005
    assert t.d_opt.state_dict()["state"][0]["step"].item() == adam_steps
    assert t.loss.name == "hinge" and t.config.d_steps == 2
    before = t.d_updates
    t.step(1)
    assert t.d_updates == before + 2 and t.step_count == 11


def test_a_new_optimiser_starts_fresh_for_that_network_only():
    t = make()
    t.step(3)
    g_opt = t.g_opt
    assert apply_config(t, with_overrides(t.config, {"d_opt.name": "sgd"})) == []
    assert isinstance(t.d_opt, torch.optim.SGD) and t.g_opt is g_opt
    t.step(2)
    assert t.step_count == 5


def test_shape_changes_ask_for_a_restart_and_change_nothing():
    t = make()
    t.step(2)
    new = with_overrides(t.config, {"g.width": "32", "data.name": "grid25", "g_opt.lr": "0.01"})
    assert sorted(apply_config(t, new)) == ["data.name", "g.width"]
    assert t.config.g.width == 64 and t.g_opt.param_groups[0]["lr"] == 1e-3


def test_the_gan_trainer_refuses_a_vae_or_flow_config_rather_than_training_a_gan():
    from ganlab.config import ConfigError
    from ganlab.likelihood import make_trainer
    from ganlab.runs import make_trainer as run_trainer

    flow = with_overrides(RunConfig(device="cpu"), {"model": "flow"})
    with pytest.raises(ConfigError) as err:
        Trainer(flow)
    assert err.value.field == "model" and "not a GAN" in str(err.value)
    assert type(make_trainer(flow)).__name__ == type(run_trainer(flow)).__name__ == "LikelihoodTrainer"
