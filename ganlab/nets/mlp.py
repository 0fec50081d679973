"""Fully connected generator and discriminator for low-dimensional (toy) data."""

from __future__ import annotations

from itertools import islice

import torch
from torch import Tensor, nn

from ganlab.tricks import MinibatchDiscrimination

ARCHITECTURES: dict[str, str] = {
    "mlp": "fully connected network: depth hidden layers of width units",
}

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "maxout": nn.Identity,  # built by Maxout below: max over `pieces` linear units (Goodfellow et al. 2013)
}

NORMS = ("none", "batch", "layer")


class Maxout(nn.Module):
    """(n, width * pieces) -> (n, width): the max over each unit's `pieces` linear pieces."""

    def __init__(self, pieces: int):
        super().__init__()
        self.pieces = pieces

    def forward(self, x: Tensor) -> Tensor:
        return x.unflatten(-1, (-1, self.pieces)).amax(dim=-1)


def _activation(name: str) -> nn.Module:
    """In place where the layer allows it (saves an allocation per layer per step)."""
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2, inplace=True)
    if name in ("relu", "elu"):
        return ACTIVATIONS[name](inplace=True)
    return ACTIVATIONS[name]()


def _head(in_dim: int, out_dim: int, spectral_norm: bool) -> nn.Module:
    """The final linear layer: Xavier-normal weights, zero bias."""
    head = nn.Linear(in_dim, out_dim)
    nn.init.xavier_normal_(head.weight)
    nn.init.zeros_(head.bias)
    return nn.utils.parametrizations.spectral_norm(head) if spectral_norm else head


def _init_linear(layer: nn.Linear, activation: str) -> None:
    """Kaiming-normal for rectifiers, Xavier-normal otherwise; zero bias."""
    if activation in ("relu", "leaky_relu", "elu", "gelu", "maxout"):
        slope = 0.2 if activation == "leaky_relu" else 0.0
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity="leaky_relu")
    else:
        nn.init.xavier_normal_(layer.weight, gain=nn.init.calculate_gain("tanh"))
    nn.init.zeros_(layer.bias)


def mlp(in_dim: int, out_dim: int, depth: int, width: int, activation: str = "relu",
        norm: str = "none", spectral_norm: bool = False, maxout_pieces: int = 5) -> nn.Sequential:
    """in_dim -> [Linear(width) -> norm -> activation] * depth -> Linear(out_dim).

    With activation "maxout" each hidden layer is Linear(width * pieces) -> norm -> max over pieces.
    """
    pieces = maxout_pieces if activation == "maxout" else 1
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; valid: {', '.join(NORMS)}")
    layers: list[nn.Module] = []
    sizes = [in_dim] + [width] * depth
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        linear = nn.Linear(fan_in, fan_out * pieces)
        _init_linear(linear, activation)
        layers.append(nn.utils.parametrizations.spectral_norm(linear) if spectral_norm else linear)
        if norm == "batch":
            layers.append(nn.BatchNorm1d(fan_out * pieces))
        elif norm == "layer":
            layers.append(nn.LayerNorm(fan_out * pieces))
        layers.append(Maxout(pieces) if activation == "maxout" else _activation(activation))
    layers.append(_head(sizes[-1], out_dim, spectral_norm))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (n, latent_dim) -> x (n, out_dim)."""

    def __init__(self, latent_dim: int = 2, out_dim: int = 2, depth: int = 3, width: int = 64,
                 activation: str = "relu", norm: str = "none", spectral_norm: bool = False,
                 maxout_pieces: int = 5):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = mlp(latent_dim, out_dim, depth, width, activation, norm, spectral_norm, maxout_pieces)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """x (n, in_dim) -> raw scores (n,): logits or critic values, never probabilities.

    A packed discriminator (PacGAN, Lin et al. 2018) is this with in_dim = 2 * pack. With
    `minibatch_discrimination` a MinibatchDiscrimination layer (ganlab.tricks) sits before the final
    linear layer, which then reads width + 8 features. `features(x)` is the input of that final layer.
    """

    def __init__(self, in_dim: int = 2, depth: int = 3, width: int = 64, activation: str = "relu",
                 norm: str = "none", spectral_norm: bool = False, maxout_pieces: int = 5,
                 minibatch_discrimination: bool = False):
        super().__init__()
        self.net = mlp(in_dim, 1, depth, width, activation, norm, spectral_norm, maxout_pieces)
        if minibatch_discrimination:
            layer = MinibatchDiscrimination(width)
            head = _head(width + layer.kernels, 1, spectral_norm)
            self.net = nn.Sequential(*islice(self.net, len(self.net) - 1), layer, head)

    def features(self, x: Tensor) -> Tensor:
        """x (n, in_dim) -> (n, k): D's last hidden layer, the input of its final linear layer."""
        for layer in islice(self.net, len(self.net) - 1):
            x = layer(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(-1)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def batch_norm_free(module: nn.Module) -> bool:
    """True when no layer mixes samples of a batch (so real and fake may share one forward).

    Batch norm mixes them, and so does any layer marked `mixes_batch` (minibatch discrimination).
    """
    return not any(isinstance(m, nn.modules.batchnorm._BatchNorm) or getattr(m, "mixes_batch", False)
                   for m in module.modules())


__all__ = ["MLPDiscriminator", "MLPGenerator", "mlp", "count_parameters", "batch_norm_free",
           "torch"]
