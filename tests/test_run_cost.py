"""ganlab.run_cost: an iteration's FLOPs against a hand count, and the live limit."""

import pytest

from ganlab.config import IMAGE_DEFAULTS, ConfigError, RunConfig, with_overrides
from ganlab.run_cost import check_live_cost, forward_flops, iteration_flops, limit_gflop


def mlp_flops(sizes: list[int]) -> int:
    """2 x in x out per linear layer (a multiply and an add per weight), by hand."""
    return sum(2 * a * b for a, b in zip(sizes, sizes[1:], strict=False))


def test_default_toy_iteration_matches_the_hand_count():
    g_row = mlp_flops([2, 64, 64, 64, 2])  # latent 2 -> 3 hidden layers of 64 -> a point
    d_row = mlp_flops([2, 64, 64, 64, 1])
    assert (g_row, d_row) == (16_896, 16_768)
    n = 256
    d_step = g_row * n + 3 * d_row * 2 * n  # G forward for the fakes; D forward + backward on both kinds
    g_step = 3 * g_row * n + 3 * d_row * n  # G and D forward + backward on the fakes
    assert iteration_flops(RunConfig()) == d_step + g_step == 55_934_976


def test_packing_steps_penalties_and_unrolling_scale_the_count():
    base = iteration_flops(RunConfig())
    assert iteration_flops(with_overrides(RunConfig(), {"d_steps": "3", "g_steps": "2"})) == pytest.approx(
        3 * 30_081_024 + 2 * 25_853_952)
    d_row = mlp_flops([2, 64, 64, 64, 1])
    with_r1 = iteration_flops(with_overrides(RunConfig(), {"reg.r1": "1"}))
    assert with_r1 - base == 3 * d_row * 2 * 256  # a gradient penalty doubles D's work in its step
    unrolled = iteration_flops(with_overrides(RunConfig(), {"tricks.unrolled_steps": "5"}))
    assert unrolled - base == 5 * 2 * 3 * d_row * 2 * 256


def test_an_image_run_is_counted_through_its_convolutions():
    cfg = with_overrides(RunConfig(), {"data.name": "mnist", **IMAGE_DEFAULTS})
    assert 1e9 < iteration_flops(cfg) < 20e9  # DCGAN, 32 channels, batch 64: about 5.7 GFLOP
    wider = with_overrides(cfg, {"g.channels": "64", "d.channels": "64"})
    assert iteration_flops(wider) > 2.5 * iteration_flops(cfg)  # the 4x4 convolutions grow with channels^2
    # conditioning inputs are counted: a label embedding (10 numbers) or InfoGAN's one-hot code widens the
    # first layers a little; every combination is countable (no labels are needed on the meta device)
    plain = iteration_flops(cfg)
    for extra in ({"conditional": "true"}, {"info_codes": "10"}, {"tricks.virtual_batch_norm": "true"},
                  {"g.arch": "mlp", "d.arch": "mlp", "conditional": "true"}):
        flops = iteration_flops(with_overrides(cfg, extra))
        assert 0.2 * plain < flops < 1.1 * plain


def test_forward_flops_of_a_linear_layer():
    import torch
    from torch import nn

    with torch.device("meta"):
        net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
    assert forward_flops(net, torch.zeros(1, 3, device="meta")) == 2 * (15 + 5)


def test_the_live_limit_refuses_the_declared_maxima_and_names_the_options(monkeypatch):
    heavy = with_overrides(RunConfig(), {"g.width": "1024", "d.width": "1024", "batch_size": "8192"})
    with pytest.raises(ConfigError, match=r"cost: run B: one iteration would take about [\d,.]+ GFLOP; a live run "
                                          r"on this server may take at most 50 GFLOP \(CPU\).*batch_size"):
        check_live_cost(heavy, "run B: ")
    assert check_live_cost(RunConfig()) == pytest.approx(0.055934976)
    monkeypatch.setenv("GANLAB_MAX_STEP_GFLOP", "0.01")
    assert limit_gflop("cpu") == 0.01 and limit_gflop("cuda") == 5000.0
    with pytest.raises(ConfigError, match="at most 0.01 GFLOP"):
        check_live_cost(RunConfig())
    monkeypatch.setenv("GANLAB_MAX_STEP_GFLOP", "lots")
    assert limit_gflop("cpu") == 50.0  # an unreadable setting falls back to the default
