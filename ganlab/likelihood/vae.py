"""Variational autoencoders (Kingma & Welling 2014, "Auto-encoding variational Bayes", ICLR) for 2-D toy
data and for MNIST, with the evidence lower bound and its importance-weighted tightening.

Model: z ~ p(z) = N(0, I) in `latent_dim` dimensions, x | z ~ p(x | z) from a decoder network:
Gaussian N(x; mu(z), sigma^2 I) with one standard deviation sigma shared by every coordinate (learnt, or
fixed at `decoder_std`), or, for images, Bernoulli(x01; sigmoid(logits(z))) on the grey levels
x01 = (x + 1) / 2 in [0, 1] (Kingma & Welling's MNIST likelihood; for grey levels that are not 0 or 1
it is the binary cross-entropy, not a normalised density). The encoder gives q(z | x) =
N(z; m(x), diag v(x)).

ELBO (Kingma & Welling 2014, sec. 2.2-2.3): log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || p(z)) =
recon - kl, the KL term in closed form (their Appendix B), recon by one reparameterised draw
z = m + sqrt(v) * eps. The training loss is -(recon - beta * kl) (beta = 1: the ELBO; Higgins et al.
2017's beta-VAE otherwise); the ELBO reported is always the beta = 1 bound.

Importance-weighted estimate (Burda et al. 2016, "Importance weighted autoencoders", ICLR, sec. 3):
L_k(x) = log (1/k) sum_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x). E[L_1] = ELBO, E[L_k] increases with
k and tends to log p(x) as k grows (their Theorem 1); every L_k is a stochastic lower bound in
expectation (Jensen), so an estimate of KL(p_data || p_model) from it is biased upwards by the gap.

All sums are over the coordinates of one x (2 for the toy data, 784 pixels for MNIST); values are nats
per data point.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ganlab.likelihood.flow import LOG_2PI, mlp, standard_normal_log_prob

DECODERS = ("gaussian", "bernoulli")
MIN_LOG_STD = math.log(1e-4)  # a learnt decoder std is floored here (a collapsing variance is a divergence)
IMPORTANCE_ROWS = 65_536          # decoder rows per chunk of importance samples ...
IMPORTANCE_ELEMENTS = 2_097_152   # ... and data values per chunk (images: ~2,700 rows): bounds the memory


def gaussian_kl_to_standard(mean: Tensor, log_var: Tensor) -> Tensor:
    """KL(N(mean, diag exp(log_var)) || N(0, I)) per row (n,): 1/2 sum(mean^2 + v - 1 - log v) (Kingma &
    Welling 2014, Appendix B)."""
    return 0.5 * (mean.square() + log_var.exp() - 1.0 - log_var).sum(dim=1)


def diagonal_gaussian_log_prob(z: Tensor, mean: Tensor, log_var: Tensor) -> Tensor:
    """log N(z; mean, diag exp(log_var)) summed over the last dimension."""
    return -0.5 * ((z - mean).square() * torch.exp(-log_var) + log_var + LOG_2PI).sum(dim=-1)


class VAE(nn.Module):
    """A VAE from an encoder (x -> (n, 2 * latent_dim): mean and log-variance of q(z | x)) and a decoder
    (z -> the decoder's output, shaped like x: Gaussian means or Bernoulli logits).

    Args:
        encoder, decoder: the two networks.
        latent_dim: size of z.
        decoder_kind: "gaussian" or "bernoulli".
        learn_variance: Gaussian decoder: whether sigma is a trained parameter (started at decoder_std).
        decoder_std: the Gaussian decoder's sigma (fixed) or its starting value (learnt).
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent_dim: int, decoder_kind: str = "gaussian",
                 learn_variance: bool = True, decoder_std: float = 0.1):
        super().__init__()
        if decoder_kind not in DECODERS:
            raise ValueError(f"decoder must be one of {', '.join(DECODERS)}; got {decoder_kind!r}")
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim, self.decoder_kind = latent_dim, decoder_kind
        log_std = torch.tensor(math.log(decoder_std))
        if learn_variance and decoder_kind == "gaussian":
            self.log_std = nn.Parameter(log_std)
        else:
            self.register_buffer("log_std", log_std, persistent=False)  # fixed: rebuilt from the config

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(mean, log-variance) of q(z | x), each (n, latent_dim)."""
        return self.encoder(x).split(self.latent_dim, dim=1)

    def decoder_log_std(self) -> Tensor:
        return self.log_std.clamp(min=MIN_LOG_STD)

    def log_likelihood(self, x: Tensor, out: Tensor) -> Tensor:
        """log p(x | z) per row (n,) given the decoder's output `out` for z (shaped like x)."""
        if self.decoder_kind == "bernoulli":
            target = (x + 1.0) * 0.5
            return -F.binary_cross_entropy_with_logits(out, target, reduction="none").flatten(1).sum(dim=1)
        log_std = self.decoder_log_std()
        per_coordinate = -0.5 * ((x - out) * torch.exp(-log_std)).square() - log_std - 0.5 * LOG_2PI
        return per_coordinate.flatten(1).sum(dim=1)

    def elbo_terms(self, x: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """(recon (n,), kl (n,)): one reparameterised draw's log p(x | z) and KL(q(z | x) || p(z)) in
        closed form; the ELBO is recon - kl. The draw uses `generator`."""
        mean, log_var = self.encode(x)
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * log_var) * eps
        return self.log_likelihood(x, self.decoder(z)), gaussian_kl_to_standard(mean, log_var)

    @torch.no_grad()
    def importance_log_likelihood(self, x: Tensor, k: int, generator: torch.Generator) -> Tensor:
        """Burda et al.'s L_k(x) (n,): log (1/k) sum_i p(x | z_i) p(z_i) / q(z_i | x), z_i ~ q(z | x)
        drawn with `generator`, in chunks of at most IMPORTANCE_ROWS decoder rows and IMPORTANCE_ELEMENTS
        data values (the draws depend on the chunking, so on n and x's size, never on the device)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k (importance samples) must be an integer >= 1; got {k!r}")
        mean, log_var = self.encode(x)
        n = x.shape[0]
        row = math.prod(x.shape[1:])
        chunk = max(1, min(IMPORTANCE_ROWS // max(n, 1), IMPORTANCE_ELEMENTS // max(n * row, 1)))
        log_weights = []
        for start in range(0, k, chunk):
            m = min(chunk, k - start)
            eps = torch.randn((m, *mean.shape), generator=generator, device=mean.device, dtype=mean.dtype)
            z = mean + torch.exp(0.5 * log_var) * eps  # (m, n, latent)
            flat = z.reshape(m * n, -1)
            repeated = x.unsqueeze(0).expand(m, *x.shape).reshape(m * n, *x.shape[1:])
            log_px = self.log_likelihood(repeated, self.decoder(flat)).reshape(m, n)
            log_weights.append(log_px + standard_normal_log_prob(flat).reshape(m, n)
                               - diagonal_gaussian_log_prob(z, mean, log_var))
        return torch.logsumexp(torch.cat(log_weights), dim=0) - math.log(k)

    def decoded_mean(self, out: Tensor) -> Tensor:
        """The mean of p(x | z) from the decoder's output (Bernoulli: 2 sigmoid(logits) - 1, in [-1, 1])."""
        return 2.0 * torch.sigmoid(out) - 1.0 if self.decoder_kind == "bernoulli" else out

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator, noise: bool = True) -> Tensor:
        """n draws x ~ p(x) = int p(x | z) p(z) dz (z ~ N(0, I), then x ~ N(mu(z), sigma^2 I): what the
        log-likelihood scores), or with `noise` False (and for a Bernoulli decoder) the decoder's means."""
        dtype = next(self.decoder.parameters()).dtype
        z = torch.randn(n, self.latent_dim, generator=generator, device=generator.device, dtype=dtype)
        mean = self.decoded_mean(self.decoder(z))
        if not noise or self.decoder_kind == "bernoulli":
            return mean
        eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return mean + self.decoder_log_std().exp() * eps

    @torch.no_grad()
    def posterior_mean(self, x: Tensor) -> Tensor:
        """E_q[z | x] (n, latent_dim): where the encoder puts each point."""
        return self.encode(x)[0]


class ToyVAE(VAE):
    """A Gaussian-decoder VAE for points (n, data_dim): encoder and decoder MLPs of `depth` hidden layers of
    `width` (depth 0: both linear, the linear-Gaussian model whose optimum is probabilistic PCA)."""

    def __init__(self, data_dim: int = 2, latent_dim: int = 2, depth: int = 2, width: int = 64,
                 learn_variance: bool = True, decoder_std: float = 0.1):
        super().__init__(mlp(data_dim, width, depth, 2 * latent_dim), mlp(latent_dim, width, depth, data_dim),
                         latent_dim, "gaussian", learn_variance, decoder_std)


IMAGE_SHAPE = (1, 28, 28)


def image_networks(arch: str, latent_dim: int, width: int, depth: int) -> tuple[nn.Module, nn.Module]:
    """(encoder, decoder) for (n, 1, 28, 28) images: "mlp" (flattened pixels through `depth` hidden layers of
    `width`) or "conv" (two stride-2 4x4 convolutions of width // 2 and width channels, 28 -> 14 -> 7, and
    their transposes; `depth` unused)."""
    pixels = math.prod(IMAGE_SHAPE)
    if arch == "mlp":
        return (nn.Sequential(nn.Flatten(), mlp(pixels, width, depth, 2 * latent_dim)),
                nn.Sequential(mlp(latent_dim, width, depth, pixels), nn.Unflatten(1, IMAGE_SHAPE)))
    if arch != "conv":
        raise ValueError(f"arch must be 'mlp' or 'conv'; got {arch!r}")
    c1, c2 = max(1, width // 2), width
    encoder = nn.Sequential(nn.Conv2d(1, c1, 4, 2, 1), nn.ReLU(), nn.Conv2d(c1, c2, 4, 2, 1), nn.ReLU(),
                            nn.Flatten(), nn.Linear(c2 * 49, 2 * latent_dim))
    decoder = nn.Sequential(nn.Linear(latent_dim, c2 * 49), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
                            nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(c1, 1, 4, 2, 1))
    return encoder, decoder


class ImageVAE(VAE):
    """A VAE for (n, 1, 28, 28) images in [-1, 1] (MNIST): MLP or convolutional networks, a Bernoulli decoder
    on the grey levels or a Gaussian one; `sample` returns the decoder's means (digits, not pixel noise)."""

    def __init__(self, arch: str = "mlp", latent_dim: int = 2, width: int = 64, depth: int = 2,
                 decoder_kind: str = "bernoulli", learn_variance: bool = True, decoder_std: float = 0.1):
        encoder, decoder = image_networks(arch, latent_dim, width, depth)
        super().__init__(encoder, decoder, latent_dim, decoder_kind, learn_variance, decoder_std)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator, noise: bool = False) -> Tensor:
        """(n, 1, 28, 28) decoder means in [-1, 1] of z ~ N(0, I) (with `noise`: Gaussian draws, clamped)."""
        return super().sample(n, generator, noise).clamp(-1.0, 1.0)


__all__ = ["DECODERS", "IMAGE_SHAPE", "ImageVAE", "ToyVAE", "VAE", "diagonal_gaussian_log_prob",
           "gaussian_kl_to_standard", "image_networks"]
