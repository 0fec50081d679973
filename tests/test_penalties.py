"""Gradient penalties on known discriminators, interpolates, DRAGAN points and the regulariser registry."""

from __future__ import annotations

import math

import pytest
import torch

from ganlab.penalties import (
    REGULARIZERS,
    dragan_points,
    get_regularizer,
    input_gradients,
    one_centred_penalty,
    per_sample_grad_norm,
    random_interpolates,
    zero_centred_penalty,
)

SHAPES = [(5, 2), (4, 1, 8, 8), (3, 3, 8, 8)]


def _known_w(shape) -> torch.Tensor:
    """A fixed weight of the sample shape with entries k/10 - 0.3, k = 0..numel-1 (mod 7)."""
    numel = math.prod(shape)
    return torch.tensor([(k % 7) / 10.0 - 0.3 for k in range(numel)], dtype=torch.float64).reshape(shape)


def _linear(w: torch.Tensor):
    def d(x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) * w.flatten()).sum(1)
    return d


def _quadratic(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x.flatten(1).square().sum(1)


def _points(shape, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64)


def _sq_norm_by_hand(w: torch.Tensor) -> float:
    return sum(x * x for x in w.flatten().tolist())


@pytest.mark.parametrize("shape", SHAPES)
def test_linear_discriminator_penalties(shape):
    w = _known_w(shape[1:])
    x = _points(shape)
    sq = _sq_norm_by_hand(w)
    assert zero_centred_penalty(_linear(w), x).item() == pytest.approx(sq, rel=1e-12)
    assert one_centred_penalty(_linear(w), x).item() == pytest.approx((math.sqrt(sq) - 1.0) ** 2, rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_input_gradients_and_per_sample_norm(shape):
    w = _known_w(shape[1:])
    x = _points(shape).requires_grad_(True)
    grads = input_gradients(_linear(w)(x), x)
    assert grads.shape == x.shape
    assert torch.equal(grads, w.expand(shape))
    norms = per_sample_grad_norm(grads)
    assert norms.shape == (shape[0],)
    assert norms.tolist() == pytest.approx([math.sqrt(_sq_norm_by_hand(w))] * shape[0], rel=1e-12)


def test_per_sample_grad_norm_by_hand():
    g = torch.tensor([[3.0, 4.0], [0.0, -2.0]], dtype=torch.float64)
    assert per_sample_grad_norm(g).tolist() == [5.0, 2.0]
    img = torch.zeros(2, 3, 2, 2, dtype=torch.float64)
    img[0, 0, 0, 0], img[0, 2, 1, 1] = 1.0, 2.0  # norm sqrt(5) across channels and pixels
    img[1] = 1.0  # 12 ones: norm sqrt(12)
    assert per_sample_grad_norm(img).tolist() == pytest.approx([math.sqrt(5.0), math.sqrt(12.0)], rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_quadratic_discriminator_penalties(shape):
    # grad of 0.5 ||x||^2 is x, so E||grad||^2 = mean_i ||x_i||^2 over flattened samples
    x = _points(shape, seed=1)
    sq = [_sq_norm_by_hand(x[i]) for i in range(shape[0])]
    assert zero_centred_penalty(_quadratic, x).item() == pytest.approx(sum(sq) / len(sq), rel=1e-12)
    one = sum((math.sqrt(s) - 1.0) ** 2 for s in sq) / len(sq)
    assert one_centred_penalty(_quadratic, x).item() == pytest.approx(one, rel=1e-12)


def test_quadratic_penalty_by_hand():
    x = torch.tensor([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    # ||x_i||^2 = 25, 1, 0 -> mean 26/3; (||x_i|| - 1)^2 = 16, 0, 1 -> mean 17/3
    assert zero_centred_penalty(_quadratic, x).item() == pytest.approx(26 / 3, rel=1e-12)
    assert one_centred_penalty(_quadratic, x).item() == pytest.approx(17 / 3, rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_zero_centred_penalty_reuses_given_scores(shape):
    w = _known_w(shape[1:])
    d = _linear(w)
    x = _points(shape, seed=2)
    fresh = zero_centred_penalty(d, x).item()
    pts = x.clone().requires_grad_(True)
    scores = d(pts)
    reused = zero_centred_penalty(d, pts, scores=scores)
    assert reused.item() == pytest.approx(fresh, rel=1e-12)
    assert reused.item() == pytest.approx(_sq_norm_by_hand(w), rel=1e-12)
    xq = _points(shape, seed=3).requires_grad_(True)
    reused_q = zero_centred_penalty(_quadratic, xq, scores=_quadratic(xq)).item()
    assert reused_q == pytest.approx(zero_centred_penalty(_quadratic, xq.detach()).item(), rel=1e-12)


def test_penalties_do_not_touch_the_given_points():
    x = _points((4, 2))
    before = x.clone()
    zero_centred_penalty(_quadratic, x)
    one_centred_penalty(_quadratic, x)
    assert torch.equal(x, before)
    assert x.grad is None and not x.requires_grad


@pytest.mark.parametrize("shape", SHAPES)
def test_penalty_is_differentiable_in_the_parameters(shape):
    real, fake = _points(shape, seed=4), _points(shape, seed=5)
    x_hat = random_interpolates(real, fake, torch.Generator().manual_seed(0))
    w0 = _known_w(shape[1:])
    norm = math.sqrt(_sq_norm_by_hand(w0))

    w = w0.clone().requires_grad_(True)
    one_centred_penalty(_linear(w), x_hat).backward()
    assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    assert torch.allclose(w.grad, 2 * (norm - 1.0) * w0 / norm, rtol=1e-12, atol=1e-14)

    w = w0.clone().requires_grad_(True)
    zero_centred_penalty(_linear(w), x_hat).backward()
    assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0
    assert torch.allclose(w.grad, 2 * w0, rtol=1e-12, atol=1e-14)


def test_penalty_is_differentiable_in_a_module():
    torch.manual_seed(0)
    lin = torch.nn.Linear(2, 1, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.6, 0.8]], dtype=torch.float64))
        lin.bias.fill_(0.3)
    pts = _points((6, 2)).requires_grad_(True)
    pen = zero_centred_penalty(lambda x: lin(x).squeeze(1), pts, scores=lin(pts).squeeze(1))
    assert pen.item() == pytest.approx(1.0, rel=1e-12)
    pen.backward()
    assert lin.weight.grad.tolist() == [pytest.approx([1.2, 1.6], rel=1e-12)]
    assert lin.bias.grad is None or lin.bias.grad.abs().item() == 0.0


# --- interpolates ---------------------------------------------------------------------------------

def _alphas(x_hat, real, fake):
    """Solve x_hat - fake = a (real - fake) per sample; returns (a, residual norm per sample)."""
    n = real.shape[0]
    diff = (real - fake).reshape(n, -1)
    off = (x_hat - fake).reshape(n, -1)
    a = (off * diff).sum(1) / diff.square().sum(1)
    resid = (off - a[:, None] * diff).norm(dim=1)
    return a, resid


@pytest.mark.parametrize("shape", [(16, 2), (8, 1, 8, 8), (8, 3, 8, 8)])
def test_random_interpolates_lie_on_segments(shape):
    real, fake = _points(shape, seed=6), _points(shape, seed=7)
    x_hat = random_interpolates(real, fake, torch.Generator().manual_seed(3))
    assert x_hat.shape == real.shape
    a, resid = _alphas(x_hat, real, fake)
    assert resid.max().item() < 1e-12
    assert a.min().item() >= 0.0 and a.max().item() <= 1.0
    assert a.unique().numel() == shape[0]  # one alpha per sample, not one for the batch
    # every coordinate of a sample uses the same alpha
    n = shape[0]
    per_coord = ((x_hat - fake).reshape(n, -1) / (real - fake).reshape(n, -1))
    assert torch.allclose(per_coord, a[:, None].expand_as(per_coord), rtol=1e-9, atol=1e-9)


def test_random_interpolates_alpha_law():
    # many samples: alpha ~ U[0, 1] has mean 1/2 and variance 1/12
    real = torch.ones(20_000, 2, dtype=torch.float64)
    fake = torch.zeros(20_000, 2, dtype=torch.float64)
    x_hat = random_interpolates(real, fake, torch.Generator().manual_seed(11))
    a = x_hat[:, 0]
    assert torch.equal(x_hat[:, 0], x_hat[:, 1])
    assert a.mean().item() == pytest.approx(0.5, abs=0.01)
    assert a.var().item() == pytest.approx(1 / 12, abs=0.005)


def test_random_interpolates_endpoints():
    real = torch.tensor([[2.0, 2.0]], dtype=torch.float64)
    x_hat = random_interpolates(real, real.clone(), torch.Generator().manual_seed(0))
    assert torch.equal(x_hat, real)


def test_random_interpolates_are_deterministic_under_a_seed():
    real, fake = _points((8, 3, 8, 8), seed=8), _points((8, 3, 8, 8), seed=9)
    a1 = random_interpolates(real, fake, torch.Generator().manual_seed(42))
    a2 = random_interpolates(real, fake, torch.Generator().manual_seed(42))
    a3 = random_interpolates(real, fake, torch.Generator().manual_seed(43))
    assert torch.equal(a1, a2)
    assert not torch.allclose(a1, a3)
    al1, _ = _alphas(a1, real, fake)
    al2, _ = _alphas(a2, real, fake)
    assert torch.equal(al1, al2)


def test_random_interpolates_are_detached():
    real = _points((4, 2)).requires_grad_(True)
    fake = _points((4, 2), seed=1).requires_grad_(True)
    x_hat = random_interpolates(real, fake, torch.Generator().manual_seed(0))
    assert not x_hat.requires_grad


# --- DRAGAN points --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(64, 2), (8, 1, 8, 8), (8, 3, 8, 8)])
def test_dragan_points_bounds(shape):
    real = _points(shape, seed=10) * 3.0 + 1.0
    pts = dragan_points(real, torch.Generator().manual_seed(5))
    assert pts.shape == real.shape
    std = real.std().item()
    offset = pts - real
    eps = 1e-12
    assert offset.min().item() >= -eps
    assert offset.max().item() <= 0.5 * std + eps
    # spread over the box, not stuck at a corner
    assert offset.max().item() > 0.25 * std
    assert offset.std().item() > 0.01 * std


def test_dragan_points_spread_scales_the_box():
    real = _points((256, 2), seed=12)
    std = real.std().item()
    pts = dragan_points(real, torch.Generator().manual_seed(5), spread=2.0)
    offset = pts - real
    assert offset.min().item() >= 0.0
    assert offset.max().item() <= 2.0 * std + 1e-12
    assert offset.max().item() > 1.0 * std


def test_dragan_points_are_deterministic_under_a_seed():
    real = _points((16, 3, 8, 8), seed=13)
    p1 = dragan_points(real, torch.Generator().manual_seed(7))
    p2 = dragan_points(real, torch.Generator().manual_seed(7))
    p3 = dragan_points(real, torch.Generator().manual_seed(8))
    assert torch.equal(p1, p2)
    assert not torch.allclose(p1, p3)


# --- registry -------------------------------------------------------------------------------------

NAMES = {"r1", "r2", "gp0", "dragan", "instance-noise", "label-smoothing"}


def test_regularizer_registry_names():
    assert set(REGULARIZERS) == NAMES
    assert len(REGULARIZERS) == len(NAMES)
    for name, spec in REGULARIZERS.items():
        assert spec.name == name
        assert get_regularizer(name) is spec
        assert spec.low <= spec.default <= spec.high
        if not spec.low_inclusive:
            assert spec.default > spec.low


def test_get_regularizer_unknown_lists_valid_names():
    with pytest.raises(ValueError) as info:
        get_regularizer("x")
    message = str(info.value)
    assert "'x'" in message
    for name in NAMES:
        assert name in message


def test_label_smoothing_range():
    spec = REGULARIZERS["label-smoothing"]
    assert (spec.low, spec.high) == (0.5, 1.0)
    assert spec.low_inclusive is False
    assert spec.default == pytest.approx(0.9)
