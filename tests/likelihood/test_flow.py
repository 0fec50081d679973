"""RealNVP (ganlab.likelihood.flow) against closed forms: identity couplings give N(0, I), the inverse undoes
the forward map, the log-determinant is the Jacobian's, and the density integrates to 1 over the plane."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from ganlab.likelihood.flow import AffineCoupling, RealNVP, standard_normal_log_prob


def random_flow(dim: int = 2, depth: int = 6, width: int = 16, hidden_layers: int = 2, seed: int = 0,
                std: float = 0.3, dtype=torch.float64) -> RealNVP:
    """A flow with every weight random (the last layers too: not the identity it starts as)."""
    torch.manual_seed(seed)
    flow = RealNVP(dim, depth, width, hidden_layers).to(dtype)
    with torch.no_grad():
        for p in flow.parameters():
            p.normal_(0.0, std)
    return flow


def test_identity_couplings_give_the_standard_normal_log_density_exactly():
    flow = random_flow(depth=5)
    with torch.no_grad():
        for layer in flow.layers:  # zero last layers: s = scale * tanh(0) = 0, t = 0, whatever else is random
            layer.net[-1].weight.zero_()
            layer.net[-1].bias.zero_()
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 3
    z, log_det = flow(x)
    assert torch.equal(z, x) and torch.equal(log_det, torch.zeros(300, dtype=torch.float64))
    expected = multivariate_normal(mean=np.zeros(2), cov=np.eye(2)).logpdf(x.numpy())
    np.testing.assert_allclose(flow.log_prob(x).detach().numpy(), expected, rtol=0, atol=1e-12)


def test_a_new_flow_is_the_identity_so_its_density_is_the_base():
    flow = RealNVP(2, depth=8, width=64, hidden_layers=2)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(2))
    assert torch.equal(flow.log_prob(x), standard_normal_log_prob(x))
    assert float(standard_normal_log_prob(torch.zeros(1, 2))) == pytest.approx(-math.log(2 * math.pi), abs=1e-6)


@pytest.mark.parametrize("dim", [2, 3, 5])
def test_forward_then_inverse_is_the_identity_and_their_log_dets_cancel(dim):
    flow = random_flow(dim=dim, depth=7, dtype=torch.float32)
    x = torch.randn(500, dim, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        z, forward_det = flow(x)
        back, inverse_det = flow.inverse(z)
        again, _ = flow(flow.inverse(x)[0])
    assert (z - x).abs().max() > 0.1  # the random flow really moves points
    torch.testing.assert_close(back, x, rtol=0, atol=1e-5)
    torch.testing.assert_close(again, x, rtol=0, atol=1e-5)
    torch.testing.assert_close(inverse_det, -forward_det, rtol=0, atol=1e-5)


def test_the_stack_is_the_composition_of_its_layers():
    flow = random_flow(dim=3, depth=4)
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    y, total = x, torch.zeros(40, dtype=torch.float64)
    for layer in flow.layers:  # each layer's own forward (split, couple, join) in turn
        y, log_det = layer(y)
        total = total + log_det
    z, stacked = flow(x)
    torch.testing.assert_close(z, y, rtol=0, atol=1e-12)
    torch.testing.assert_close(stacked, total, rtol=0, atol=1e-12)


def test_log_det_matches_the_jacobian_slogdet_of_a_random_flow():
    flow = random_flow(depth=6, std=0.5)
    points = torch.randn(12, 2, generator=torch.Generator().manual_seed(5), dtype=torch.float64) * 1.5
    with torch.no_grad():
        _, log_det = flow(points)
    for point, value in zip(points, log_det, strict=True):
        jacobian = torch.autograd.functional.jacobian(lambda p: flow(p.unsqueeze(0))[0].squeeze(0), point)
        sign, logabsdet = torch.linalg.slogdet(jacobian)
        assert float(sign) == 1.0  # affine couplings with exp(s) > 0 preserve orientation
        assert float(value) == pytest.approx(float(logabsdet), abs=1e-9)


def test_a_coupling_changes_only_its_free_half_and_its_log_det_is_the_sum_of_s():
    torch.manual_seed(6)
    layer = AffineCoupling(dim=3, parity=1, width=8, hidden_layers=1).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(0.0, 0.5)
    x = torch.randn(20, 3, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    y, log_det = layer(x)
    assert torch.equal(y[:, 1:], x[:, 1:])  # parity 1: the second half (2 of 3 coordinates) passes through
    passed, free = layer.halves(x)
    _, s = layer.couple(passed, free)
    torch.testing.assert_close(log_det, s.sum(dim=1), rtol=0, atol=0)
    torch.testing.assert_close(y[:, :1], x[:, :1] * s.exp() + layer.net(passed)[:, 1:], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="parity 0 or 1"):
        AffineCoupling(2, 2, 8, 1)


def test_the_density_of_a_random_flow_integrates_to_one_over_the_plane():
    flow = random_flow(depth=6, std=0.4)
    with torch.no_grad():
        reach = flow.sample(20_000, torch.Generator().manual_seed(8)).abs().max().item()
    half = max(6.0, 1.5 * reach)  # the box holds every one of 20,000 samples with room to spare
    n = 1200
    centres = -half + (torch.arange(n, dtype=torch.float64) + 0.5) * (2 * half / n)
    gx, gy = torch.meshgrid(centres, centres, indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    with torch.no_grad():
        density = torch.cat([flow.log_prob(chunk) for chunk in grid.split(200_000)]).exp()
    total = float(density.sum()) * (2 * half / n) ** 2
    assert total == pytest.approx(1.0, abs=1e-2)


def test_sampling_is_the_inverse_of_seeded_base_draws():
    flow = random_flow(depth=4, dtype=torch.float32)
    first = flow.sample(64, torch.Generator().manual_seed(9))
    second = flow.sample(64, torch.Generator().manual_seed(9))
    assert torch.equal(first, second) and first.shape == (64, 2)
    z = torch.randn(64, 2, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        assert torch.equal(first, flow.inverse(z)[0])
    assert not torch.equal(first, flow.sample(64, torch.Generator().manual_seed(10)))
