"""A normalising flow for 2-D data: RealNVP's affine coupling layers (Dinh et al. 2017, "Density estimation
using Real NVP", ICLR).

A flow is an invertible map f from data x to a base variable z = f(x) ~ N(0, I). By the change of
variables, log p(x) = log N(f(x); 0, I) + log |det df/dx| (Dinh et al. 2017, sec. 3.1), exactly, and a sample
is f^-1(z) for z ~ N(0, I).

Coupling layer (sec. 3.2-3.4): a binary mask b splits the coordinates; those with b = 1 pass through and
the others are scaled and shifted by functions of them,

    y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x)),

so the Jacobian is triangular and log |det dy/dx| = sum over the (1 - b) coordinates of s (sec. 3.3). The
inverse needs no inverse of s or t: x = b * y + (1 - b) * (y - t(b * y)) * exp(-s(b * y)).
Here the mask splits the coordinates into halves (the first dim // 2 and the rest; in 2-D one coordinate
each), and consecutive layers alternate which half passes through, so every coordinate is transformed.
s = scale * tanh(raw), tanh-bounded with a learnt per-coordinate factor `scale` (starting at 1), and one
MLP per layer outputs (raw, t) from the half passed through. Its last layer starts at zero, so a new flow
is the identity map and its density is N(0, I). The stack splits its input once and hands the halves from
layer to layer (no mask multiplications), the same maths as applying the layers one by one.

Directions: `forward(x) -> (z, log |det dz/dx|)` (data to base, the normalising direction) and
`inverse(z) -> (x, log |det dx/dz|)` (base to data, how samples are drawn).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

LOG_2PI = math.log(2.0 * math.pi)


def standard_normal_log_prob(z: Tensor) -> Tensor:
    """log N(z; 0, I) of each row of z (n, d) -> (n,), nats."""
    return -0.5 * (z.square().sum(dim=1) + z.shape[1] * LOG_2PI)


def mlp(in_dim: int, width: int, hidden_layers: int, out_dim: int) -> nn.Sequential:
    """in_dim -> `hidden_layers` x (Linear(width), ReLU) -> Linear(out_dim)."""
    layers: list[nn.Module] = []
    for _ in range(hidden_layers):
        layers += [nn.Linear(in_dim, width), nn.ReLU()]
        in_dim = width
    return nn.Sequential(*layers, nn.Linear(in_dim, out_dim))


class AffineCoupling(nn.Module):
    """One affine coupling layer (Dinh et al. 2017, sec. 3.2-3.3) on (n, dim) inputs split into two halves.

    The mask b is a split of the coordinates: the first dim // 2 and the rest. With `parity` 0 the first
    half passes through and conditions the second; with parity 1 the other way round (the alternating
    masks of a stack). In 2-D each half is one coordinate.

    Args:
        dim: input dimension (>= 2).
        parity: 0 or 1, which half passes through.
        width, hidden_layers: the MLP computing (raw scale, shift) of the transformed half from the other.
    """

    def __init__(self, dim: int, parity: int, width: int, hidden_layers: int):
        super().__init__()
        if dim < 2 or parity not in (0, 1):
            raise ValueError(f"a coupling needs dim >= 2 and parity 0 or 1; got dim {dim}, parity {parity}")
        self.dim, self.parity, self.cut = dim, parity, dim // 2
        n_passed = self.cut if parity == 0 else dim - self.cut
        self.n_free = dim - n_passed
        self.net = mlp(n_passed, width, hidden_layers, 2 * self.n_free)
        self.scale = nn.Parameter(torch.ones(self.n_free))  # s = scale * tanh(raw): bounded, learnt bound
        nn.init.zeros_(self.net[-1].weight)  # (raw, t) = 0 at the start: the identity map
        nn.init.zeros_(self.net[-1].bias)

    def couple(self, passed: Tensor, free: Tensor) -> tuple[Tensor, Tensor]:
        """(free * exp(s) + t, s): the transformed half and its log-scales (n, n_free), s and t functions
        of the half passed through."""
        raw, shift = self.net(passed).split(self.n_free, dim=1)
        s = self.scale * torch.tanh(raw)
        return free * s.exp() + shift, s

    def uncouple(self, passed: Tensor, transformed: Tensor) -> tuple[Tensor, Tensor]:
        """((transformed - t) * exp(-s), s): the inverse of `couple` for the same half passed through."""
        raw, shift = self.net(passed).split(self.n_free, dim=1)
        s = self.scale * torch.tanh(raw)
        return (transformed - shift) * torch.exp(-s), s

    def halves(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(passed, free) columns of x."""
        first, second = x[:, : self.cut], x[:, self.cut:]
        return (first, second) if self.parity == 0 else (second, first)

    def join(self, passed: Tensor, free: Tensor) -> Tensor:
        return torch.cat([passed, free] if self.parity == 0 else [free, passed], dim=1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(y, log |det dy/dx| (n,)): y = x on the passed half, free * exp(s) + t on the other."""
        passed, free = self.halves(x)
        out, s = self.couple(passed, free)
        return self.join(passed, out), s.sum(dim=1)

    def inverse(self, y: Tensor) -> tuple[Tensor, Tensor]:
        """(x, log |det dx/dy| = -sum s (n,))."""
        passed, out = self.halves(y)
        free, s = self.uncouple(passed, out)
        return self.join(passed, free), -s.sum(dim=1)


class RealNVP(nn.Module):
    """A stack of `depth` affine couplings with alternating halves over N(0, I) in `dim` dimensions.

    The stack splits its input into the two halves once and passes them between layers (no mask
    multiplications, one concatenation): the same maths as calling the layers one by one.

    Args:
        dim: data dimension (2 for the toy data).
        depth: coupling layers (2-16 in the config: with dim 2, two layers transform each coordinate once).
        width, hidden_layers: each coupling's MLP.
    """

    def __init__(self, dim: int = 2, depth: int = 8, width: int = 64, hidden_layers: int = 2):
        super().__init__()
        self.dim, self.cut = dim, dim // 2
        self.layers = nn.ModuleList(AffineCoupling(dim, k % 2, width, hidden_layers) for k in range(depth))

    def _run(self, x: Tensor, inverse: bool) -> tuple[Tensor, Tensor]:
        first, second = x[:, : self.cut], x[:, self.cut:]
        log_scales = []
        for layer in (reversed(self.layers) if inverse else self.layers):
            step = layer.uncouple if inverse else layer.couple
            if layer.parity == 0:
                second, s = step(first, second)
            else:
                first, s = step(second, first)
            log_scales.append(s)
        total = torch.cat(log_scales, dim=1).sum(dim=1) if log_scales else x.new_zeros(x.shape[0])
        return torch.cat([first, second], dim=1), -total if inverse else total

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Data (n, dim) -> (z (n, dim), log |det dz/dx| (n,))."""
        return self._run(x, inverse=False)

    def inverse(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Base (n, dim) -> (x (n, dim), log |det dx/dz| (n,)): the layers undone in reverse order."""
        return self._run(z, inverse=True)

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact log p(x) = log N(f(x); 0, I) + log |det df/dx| of each row (n,), nats."""
        z, log_det = self.forward(x)
        return standard_normal_log_prob(z) + log_det

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """(n, dim) samples f^-1(z), z ~ N(0, I) drawn with `generator` (on its device, in the flow's dtype)."""
        dtype = self.layers[0].scale.dtype if len(self.layers) else torch.get_default_dtype()
        z = torch.randn(n, self.dim, generator=generator, device=generator.device, dtype=dtype)
        return self.inverse(z)[0]


__all__ = ["AffineCoupling", "RealNVP", "mlp", "standard_normal_log_prob"]
