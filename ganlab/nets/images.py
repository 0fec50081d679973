"""Image generators and discriminators for 28 x 28 images with any number of channels.

- MLP (the fully connected GAN of Goodfellow et al. 2014 and the classic MNIST scripts).
- DCGAN (Radford et al. 2016): no pooling, strided (transposed) convolutions, batch norm everywhere
  except G's last and D's first layer, ReLU in G with tanh out, LeakyReLU 0.2 in D.
- Conditional variants (a label embedding in both networks) and an InfoGAN discriminator with an
  auxiliary head Q that recovers a categorical code.
- Tricks (ganlab.tricks): both discriminators take `minibatch_discrimination` (a MinibatchDiscrimination
  layer before the score head, 8 more features); the DCGAN generator takes `vbn_reference` r > 0 to use
  virtual batch norm instead of batch norm, and then expects its input's first r rows to be the
  reference batch (ConditionedGenerator in ganlab.problems.images prepends them).
Generators output tanh values in [-1, 1]; discriminators return raw scores (n,), never probabilities.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganlab.tricks import MinibatchDiscrimination, VirtualBatchNorm

IMAGE_SIZE = 28
IMAGE_ARCHITECTURES = {  # the first is the default (the MNIST Lab's and the CLI's)
    "dcgan": "DCGAN: strided convolutions, batch norm, ReLU/tanh in G, LeakyReLU 0.2 in D",
    "mlp": "fully connected G (256-512-1024) and D (512-256) for 28x28 images",
}


def _init_dcgan(module: nn.Module) -> None:
    """N(0, 0.02) weights for convolutions and linear layers, N(1, 0.02) for batch-norm scales (DCGAN)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d | VirtualBatchNorm):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class MLPImageGenerator(nn.Module):
    """z (n, latent_dim) [+ condition (n, cond_dim)] -> images (n, channels, 28, 28) in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, channels: int = 1, cond_dim: int = 0):
        super().__init__()
        self.channels = channels
        self.net = nn.Sequential(
            nn.Linear(latent_dim + cond_dim, 256), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(256, 512), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, channels * IMAGE_SIZE * IMAGE_SIZE), nn.Tanh())

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        h = z if cond is None else torch.cat([z, cond], dim=1)
        return self.net(h).view(-1, self.channels, IMAGE_SIZE, IMAGE_SIZE)


class MLPImageDiscriminator(nn.Module):
    """images (n, channels, 28, 28) [+ condition] -> raw scores (n,); features (n, 256 [+ 8]) via .features."""

    def __init__(self, channels: int = 1, cond_dim: int = 0, minibatch_discrimination: bool = False):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(channels * IMAGE_SIZE * IMAGE_SIZE + cond_dim, 512), nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 256), nn.LeakyReLU(0.2, inplace=True))
        if minibatch_discrimination:
            self.trunk.append(MinibatchDiscrimination(256))
        self.feature_dim = 256 + (self.trunk[-1].kernels if minibatch_discrimination else 0)
        self.head = nn.Linear(self.feature_dim, 1)

    def features(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        h = x.flatten(1)
        return self.trunk(h if cond is None else torch.cat([h, cond], dim=1))

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        return self.head(self.features(x, cond)).squeeze(1)


class DCGANGenerator(nn.Module):
    """z (n, latent_dim) [+ condition] -> Linear -> (4 ngf, 7, 7) -> ConvT 14x14 -> ConvT 28x28, tanh."""

    def __init__(self, latent_dim: int = 100, channels: int = 1, ngf: int = 32, cond_dim: int = 0,
                 vbn_reference: int = 0):
        super().__init__()
        self.channels, self.ngf = channels, ngf

        def norm(features: int, batch_norm: type[nn.Module]) -> nn.Module:
            return VirtualBatchNorm(features, vbn_reference) if vbn_reference else batch_norm(features)

        self.project = nn.Sequential(nn.Linear(latent_dim + cond_dim, 4 * ngf * 7 * 7, bias=False),
                                     norm(4 * ngf * 7 * 7, nn.BatchNorm1d), nn.ReLU(inplace=True))
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * ngf, 2 * ngf, 4, 2, 1, bias=False), norm(2 * ngf, nn.BatchNorm2d),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(2 * ngf, channels, 4, 2, 1), nn.Tanh())
        _init_dcgan(self)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        h = z if cond is None else torch.cat([z, cond], dim=1)
        return self.net(self.project(h).view(-1, 4 * self.ngf, 7, 7))


class DCGANDiscriminator(nn.Module):
    """images (n, channels [+ 1 condition map], 28, 28) -> conv 14x14 (no BN) -> conv 7x7 (BN) -> score (n,)."""

    def __init__(self, channels: int = 1, ndf: int = 32, cond_dim: int = 0,
                 minibatch_discrimination: bool = False):
        super().__init__()
        self.cond_map = nn.Linear(cond_dim, IMAGE_SIZE * IMAGE_SIZE) if cond_dim else None
        in_channels = channels + (1 if cond_dim else 0)
        self.trunk = nn.Sequential(
            nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten())
        self.feature_dim = 2 * ndf * 7 * 7
        if minibatch_discrimination:
            self.trunk.append(MinibatchDiscrimination(self.feature_dim))
            self.feature_dim += self.trunk[-1].kernels
        self.head = nn.Linear(self.feature_dim, 1)
        _init_dcgan(self)

    def features(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if self.cond_map is not None:
            if cond is None:
                raise ValueError("this discriminator is conditional: pass cond (n, cond_dim)")
            x = torch.cat([x, self.cond_map(cond).view(-1, 1, IMAGE_SIZE, IMAGE_SIZE)], dim=1)
        return self.trunk(x)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        return self.head(self.features(x, cond)).squeeze(1)


class InfoGANDiscriminator(nn.Module):
    """A discriminator whose shared features also feed Q: logits (n, n_codes) of the categorical code."""

    def __init__(self, base: nn.Module, feature_dim: int, n_codes: int = 10):
        super().__init__()
        self.base = base
        self.q_head = nn.Sequential(nn.Linear(feature_dim, 128), nn.LeakyReLU(0.2, inplace=True),
                                    nn.Linear(128, n_codes))

    def forward(self, x: Tensor) -> Tensor:
        return self.base(x)

    def score_and_code(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(raw scores (n,), code logits (n, n_codes)) from one pass through the shared trunk."""
        h = self.base.features(x)
        return self.base.head(h).squeeze(1), self.q_head(h)


class LabelEmbedding(nn.Module):
    """labels (n,) int64 -> (n, dim) learned embedding (the condition fed to G and D)."""

    def __init__(self, n_classes: int = 10, dim: int = 10):
        super().__init__()
        self.embed = nn.Embedding(n_classes, dim)

    def forward(self, labels: Tensor) -> Tensor:
        return self.embed(labels)
