import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganlab.latent import (
    ATTRIBUTES,
    InversionResult,
    class_probability,
    dimension_sweep,
    fit_direction,
    four_corner_grid,
    ink_mass,
    invert,
    label_sweep,
    latent_arithmetic,
    lerp,
    nearest_neighbours,
    slant,
    slerp,
    walk,
)

D = 8


class FakeG(nn.Module):
    """Fixed random linear map + tanh, reshaped to 28x28; dropout makes train/eval mode matter."""

    def __init__(self, d: int = D, seed: int = 0, planted: torch.Tensor | None = None, conditional: bool = False):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.lin = nn.Linear(d, 784)
        self.emb = nn.Embedding(10, 784) if conditional else None
        self.drop = nn.Dropout(0.5)
        with torch.no_grad():
            self.lin.weight.copy_(0.3 * torch.randn(784, d, generator=gen))
            self.lin.bias.copy_(0.1 * torch.randn(784, generator=gen))
            if planted is not None:  # every pixel's pre-activation shares the component planted . z
                self.lin.weight.add_(planted[None, :])
            if self.emb is not None:
                self.emb.weight.copy_(0.5 * torch.randn(10, 784, generator=gen))

    def forward(self, z, labels=None):
        h = self.lin(z)
        if self.emb is not None and labels is not None:
            h = h + self.emb(labels)
        return torch.tanh(self.drop(h)).view(-1, 1, 28, 28)


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --- interpolation -------------------------------------------------------------------------------------------

def test_lerp_endpoints_and_midpoint():
    z0, z1 = randn(D, seed=1), randn(D, seed=2)
    path = lerp(z0, z1, 5)
    assert path.shape == (5, D) and path.dtype == torch.float32
    assert torch.equal(path[0], z0) and torch.equal(path[-1], z1)
    assert_close(path[2], (z0 + z1) / 2)
    with pytest.raises(ValueError, match="steps"):
        lerp(z0, z1, 1)
    with pytest.raises(ValueError, match="same shape"):
        lerp(z0, randn(D + 1), 3)


def test_slerp_keeps_endpoints_and_equal_norms():
    z0 = randn(D, seed=1)
    z1 = randn(D, seed=2)
    z1 = z1 / z1.norm() * z0.norm()
    path = slerp(z0, z1, 11)
    assert path.shape == (11, D)
    assert_close(path[0], z0)
    assert_close(path[-1], z1)
    assert_close(path.norm(dim=1), torch.full((11,), float(z0.norm())))


def test_slerp_unequal_norms_midpoint_is_mean_norm_and_direction_bisects():
    z0 = torch.zeros(D)
    z0[0] = 2.0
    z1 = torch.zeros(D)
    z1[1] = 6.0
    path = slerp(z0, z1, 9)
    assert path[4].norm().item() == pytest.approx(4.0)
    expected = torch.zeros(D)
    expected[:2] = 4.0 / math.sqrt(2.0)  # halfway along the quarter circle
    assert_close(path[4], expected)
    # general vectors too
    a, b = randn(D, seed=3), 3.0 * randn(D, seed=4)
    mid = slerp(a, b, 3)[1]
    assert mid.norm().item() == pytest.approx((a.norm() + b.norm()).item() / 2, rel=1e-5)


def test_slerp_parallel_and_antiparallel_are_robust():
    z0 = randn(D, seed=5)
    parallel = slerp(z0, 2.0 * z0, 5)
    assert torch.isfinite(parallel).all()
    assert_close(parallel, lerp(z0, 2.0 * z0, 5))
    anti = slerp(z0, -z0, 5)
    assert torch.isfinite(anti).all()
    assert_close(anti[0], z0)
    assert_close(anti[-1], -z0)
    assert_close(anti.norm(dim=1), torch.full((5,), float(z0.norm())))
    assert (anti[2] @ z0).item() == pytest.approx(0.0, abs=1e-4)  # halfway round the half circle
    assert torch.isfinite(slerp(torch.zeros(D), z0, 4)).all()
    assert_close(slerp(torch.zeros(D), z0, 3)[1], z0 / 2)


def test_four_corner_grid_corners_centre_and_edge_cases():
    z = [randn(D, seed=s) for s in range(4)]
    grid = four_corner_grid(*z, rows=5, cols=7)
    assert grid.shape == (5, 7, D)
    assert_close(grid[0, 0], z[0])
    assert_close(grid[0, -1], z[1])
    assert_close(grid[-1, 0], z[2])
    assert_close(grid[-1, -1], z[3])
    centre = four_corner_grid(*z, rows=3, cols=3)[1, 1]
    assert_close(centre, 0.5 * (z[0] + z[1] + z[2] + z[3]))
    one = four_corner_grid(*z, rows=1, cols=1)
    assert one.shape == (1, 1, D)
    assert_close(one[0, 0], z[0])
    row = four_corner_grid(*z, rows=1, cols=3)
    assert_close(row[0, -1], z[1])
    col = four_corner_grid(*z, rows=3, cols=1)
    assert_close(col[-1, 0], z[2])
    for rows, cols in ((0, 3), (3, 0)):
        with pytest.raises(ValueError, match="rows and cols"):
            four_corner_grid(*z, rows=rows, cols=cols)


# --- arithmetic ----------------------------------------------------------------------------------------------

def test_latent_arithmetic_values():
    a = torch.tensor([[1.0, 2.0]])
    b = torch.tensor([[0.0, 1.0]])
    c = torch.tensor([[2.0, 2.0], [4.0, 4.0]])
    assert_close(latent_arithmetic(a, b, c), torch.tensor([4.0, 4.0]))


def test_latent_arithmetic_identical_groups_gives_mean_c():
    a, c = randn(3, D, seed=1), randn(3, D, seed=2)
    out = latent_arithmetic(a, a.clone(), c)
    assert out.shape == (D,)
    assert_close(out, c.mean(0))
    G = FakeG().eval()
    with torch.no_grad():
        assert_close(G(out[None]), G(c.mean(0)[None]))


def test_latent_arithmetic_errors():
    good = randn(3, D)
    with pytest.raises(ValueError, match="empty"):
        latent_arithmetic(good, torch.zeros(0, D), good)
    with pytest.raises(ValueError, match="same latent dimension"):
        latent_arithmetic(good, good, randn(3, D + 1))


# --- attributes ----------------------------------------------------------------------------------------------

def test_ink_mass_extremes():
    images = torch.stack([torch.full((1, 28, 28), -1.0), torch.full((1, 28, 28), 1.0),
                          torch.zeros(1, 28, 28)])
    assert_close(ink_mass(images), torch.tensor([0.0, 1.0, 0.5]))


def sheared_bar(shear: float) -> torch.Tensor:
    """A 3-pixel-wide bar whose column moves by `shear` pixels per pixel upward."""
    img = torch.full((1, 1, 28, 28), -1.0)
    for row in range(4, 24):
        y = 27 - row  # upward
        col = round(14 + shear * (y - 13.5))
        img[0, 0, row, col - 1:col + 2] = 1.0
    return img


def test_slant_sign_on_sheared_bars():
    images = torch.cat([sheared_bar(0.3), sheared_bar(-0.3), sheared_bar(0.0), torch.full((1, 1, 28, 28), -1.0)])
    s = slant(images)
    assert s.shape == (4,)
    assert s[0].item() == pytest.approx(0.3, abs=0.05)
    assert s[1].item() == pytest.approx(-0.3, abs=0.05)
    assert s[2].item() == pytest.approx(0.0, abs=1e-6)
    assert s[3].item() == 0.0  # blank image


def test_class_probability_and_attribute_names():
    probs = torch.softmax(randn(4, 10), dim=1)
    assert_close(class_probability(probs, 3), probs[:, 3])
    with pytest.raises(ValueError, match="digit"):
        class_probability(probs, 10)
    assert set(ATTRIBUTES) == {"ink", "slant", "class probability"}


# --- directions ----------------------------------------------------------------------------------------------

def test_fit_direction_recovers_planted_direction():
    z = randn(300, D, seed=1)
    w = randn(D, seed=2)
    values = z @ w + 0.01 * randn(300, seed=3) + 5.0
    direction = fit_direction(z, values)
    assert direction.norm().item() == pytest.approx(1.0)
    assert (direction @ w / w.norm()).item() > 0.99
    assert torch.isfinite(fit_direction(z[:D], values[:D])).all()  # n == d: the ridge keeps it stable
    with pytest.raises(ValueError, match="does not vary"):
        fit_direction(z, torch.ones(300))


def test_walk_along_fitted_ink_direction_increases_ink():
    planted = randn(D, seed=7)
    planted = 0.5 * planted / planted.norm()
    G = FakeG(planted=planted).eval()
    z = randn(256, D, seed=8)
    with torch.no_grad():
        direction = fit_direction(z, ink_mass(G(z)))
        assert (direction @ planted / planted.norm()).item() > 0.9
        starts = randn(16, D, seed=9)
        ink = torch.stack([ink_mass(G(walk(s, direction, [-2.0, 0.0, 2.0]))) for s in starts]).mean(0)
    assert ink[0] < ink[1] < ink[2]


def test_walk_values():
    z, direction = randn(D, seed=1), randn(D, seed=2)
    out = walk(z, direction, [-1.0, 0.0, 0.5])
    assert out.shape == (3, D)
    assert_close(out, torch.stack([z - direction, z, z + 0.5 * direction]))


# --- inversion -----------------------------------------------------------------------------------------------

def test_invert_lowers_error_and_leaves_g_alone():
    G = FakeG()
    G.train()
    with torch.no_grad():
        target = G.eval()(randn(1, D, seed=11))
    G.train()
    before = {name: p.detach().clone() for name, p in G.named_parameters()}
    calls: list[float] = []
    result = invert(G, target, D, steps=60, lr=0.05, restarts=4, seed=0, progress=calls.append)
    assert isinstance(result, InversionResult)
    assert result.z.shape == (D,) and result.image.shape == (1, 1, 28, 28)
    assert result.final_error < 0.25 * result.initial_error
    assert len(result.errors) == 61
    assert result.errors[0] == result.initial_error and result.errors[-1] == result.final_error
    assert all(b <= a for a, b in zip(result.errors, result.errors[1:], strict=False))
    assert 1 <= len(calls) <= 20 and calls[-1] == pytest.approx(1.0)
    # G untouched: same weights, no gradients, training mode and requires_grad restored
    assert G.training
    for name, p in G.named_parameters():
        assert torch.equal(p, before[name]) and p.grad is None and p.requires_grad
    with torch.no_grad():
        G.eval()
        assert_close(result.image, G(result.z[None]))
        assert ((result.image - target) ** 2).mean().item() == pytest.approx(result.final_error, rel=1e-4)
    # deterministic given the seed
    again = invert(G, target, D, steps=5, seed=0)
    assert_close(again.z, invert(G, target, D, steps=5, seed=0).z)
    assert not G.training  # restored to eval, the mode it was called in


def test_invert_conditional_generator_with_label():
    G = FakeG(conditional=True).eval()
    with torch.no_grad():
        target = G(randn(1, D, seed=12), torch.tensor([3]))
    result = invert(G, target, D, steps=60, restarts=2, labels=3)
    assert result.final_error < 0.5 * result.initial_error
    with torch.no_grad():
        assert_close(result.image, G(result.z[None], torch.tensor([3])))


# --- nearest neighbours and sweeps ---------------------------------------------------------------------------

def test_nearest_neighbours_self_match_and_chunking():
    data = randn(50, 1, 28, 28, seed=1)
    queries = data[[3, 17, 42]]
    idx, dist = nearest_neighbours(queries, data, k=4, batch=7)
    assert idx.shape == (3, 4) and dist.shape == (3, 4) and idx.dtype == torch.int64
    assert idx[:, 0].tolist() == [3, 17, 42]
    assert_close(dist[:, 0], torch.zeros(3))
    assert (dist[:, 1:] >= dist[:, :-1]).all()
    # reference by the definition, in float64 (torch.cdist's default switches to the |a|^2 - 2ab + |b|^2
    # expansion above 25 dimensions, which puts a self-distance at ~0.01 in float32 on some CPUs)
    q64, d64 = queries.flatten(1).double(), data.flatten(1).double()
    full = ((q64[:, None, :] - d64[None, :, :]) ** 2).sum(-1).sqrt()
    ref_d, ref_i = torch.topk(full, 4, dim=1, largest=False)
    assert torch.equal(idx, ref_i)
    assert_close(dist.double(), ref_d, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="k must be"):
        nearest_neighbours(queries, data, k=51)


def test_label_sweep():
    z = randn(D)
    zs, labels = label_sweep(z, 10)
    assert zs.shape == (10, D)
    assert torch.equal(zs, z.expand(10, D))
    assert labels.dtype == torch.int64 and labels.tolist() == list(range(10))


def test_dimension_sweep():
    z = randn(D)
    out = dimension_sweep(z, 2, [-1.0, 0.0, 3.0])
    assert out.shape == (3, D)
    assert out[:, 2].tolist() == [-1.0, 0.0, 3.0]
    keep = [i for i in range(D) if i != 2]
    assert torch.equal(out[:, keep], z[keep].expand(3, D - 1))
    with pytest.raises(ValueError, match="dim"):
        dimension_sweep(z, D, [0.0])
