"""An image run's problem: MNIST (or a given ImageDataset), MLP or DCGAN networks, unconditional,
conditional (a label embedding in G and D) or InfoGAN (a categorical code G gets and D's Q head reads).

On a CUDA GPU the forward passes run under bfloat16 autocast and convolutions use channels_last memory
(`mixed_precision` says which dtype, None on CPU / MPS). With a conditional D, penalties on real,
interpolated and DRAGAN points use the real batch's labels, R2 the fake batch's (ganlab.train).
Virtual batch norm (DCGAN G) keeps a reference batch of latents, drawn once from the run's generator.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.config import RunConfig
from ganlab.data.images import ImageDataset, load_mnist
from ganlab.device import autocast_context, mixed_precision_dtype
from ganlab.nets.images import (
    DCGANDiscriminator,
    DCGANGenerator,
    InfoGANDiscriminator,
    LabelEmbedding,
    MLPImageDiscriminator,
    MLPImageGenerator,
)
from ganlab.problems import Batch
from ganlab.tricks import VBN_REFERENCE_SIZE

N_CLASSES = 10
EMBED_DIM = 10
GRID_SEED_OFFSET = 7919  # the sample grid's fixed z use their own generator


class ConditionedGenerator(nn.Module):
    """G(z, label) for conditional GANs (a learned label embedding) or G(z, code) for InfoGAN (one-hot).

    With `reference_size` r > 0 (virtual batch norm) it holds a fixed reference batch, buffers
    `reference_z` (r, latent_dim) and, when conditioned, `reference_labels` (r,), chosen once by
    `draw_reference`; every call runs the reference batch in front of the given one and drops it from
    the output, so each VirtualBatchNorm layer finds the reference activations in its first r rows.
    """

    def __init__(self, net: nn.Module, embedding: LabelEmbedding | None, n_codes: int, reference_size: int = 0,
                 latent_dim: int = 0):
        super().__init__()
        self.net, self.embedding, self.n_codes = net, embedding, n_codes
        self.reference_size = reference_size
        if reference_size:
            self.register_buffer("reference_z", torch.zeros(reference_size, latent_dim))
            if embedding is not None or n_codes:
                self.register_buffer("reference_labels", torch.zeros(reference_size, dtype=torch.long))

    @torch.no_grad()
    def draw_reference(self, generator: torch.Generator) -> None:
        """Choose the reference batch: z ~ N(0, I) and uniform labels, from `generator` (the run's)."""
        self.reference_z.normal_(generator=generator)
        if hasattr(self, "reference_labels"):
            k = self.embedding.embed.num_embeddings if self.embedding is not None else self.n_codes
            self.reference_labels.copy_(torch.randint(k, (self.reference_size,), generator=generator,
                                                      device=self.reference_labels.device))

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.reference_size:
            z = torch.cat([self.reference_z, z])
            if labels is not None:
                labels = torch.cat([self.reference_labels, labels])
            return self._forward(z, labels)[self.reference_size:]
        return self._forward(z, labels)

    def _forward(self, z: Tensor, labels: Tensor | None) -> Tensor:
        if self.embedding is not None:
            return self.net(z, self.embedding(labels))
        if self.n_codes:
            return self.net(z, F.one_hot(labels, self.n_codes).float())
        return self.net(z)


def build_image_nets(cfg: RunConfig) -> tuple[nn.Module, nn.Module, nn.Module | None]:
    """(G, D, D's label embedding or None) for the config's architecture and conditioning."""
    cond_g = EMBED_DIM if cfg.conditional else cfg.info_codes
    cond_d = EMBED_DIM if cfg.conditional else 0
    reference = VBN_REFERENCE_SIZE if cfg.tricks.virtual_batch_norm else 0
    minibatch = cfg.tricks.minibatch_discrimination
    if cfg.g.arch == "dcgan":
        g_net = DCGANGenerator(cfg.latent_dim, 1, cfg.g.channels, cond_g, vbn_reference=reference)
    else:
        g_net = MLPImageGenerator(cfg.latent_dim, 1, cond_g)
    if cfg.d.arch == "dcgan":
        d_net = DCGANDiscriminator(1, cfg.d.channels, cond_d, minibatch_discrimination=minibatch)
    else:
        d_net = MLPImageDiscriminator(1, cond_d, minibatch_discrimination=minibatch)
    if cfg.info_codes:
        d_net = InfoGANDiscriminator(d_net, d_net.feature_dim, cfg.info_codes)
    g = ConditionedGenerator(g_net, LabelEmbedding(N_CLASSES, EMBED_DIM) if cfg.conditional else None,
                             cfg.info_codes, reference, cfg.latent_dim)
    d_embedding = LabelEmbedding(N_CLASSES, EMBED_DIM) if cfg.conditional else None
    return g, d_net, d_embedding


class ImageProblem:
    """Images (n, 1, 28, 28) in [-1, 1] and their labels; G(z, codes) and D(x, labels)."""

    check_every = 16  # iterations between host syncs
    pack = 1

    def __init__(self, cfg: RunConfig, device: torch.device, data: ImageDataset | None = None):
        self.cfg, self.device = cfg, device
        self.dataset = data if data is not None else load_mnist(cfg.data.data_dir, train=True)
        self.mixed_precision = mixed_precision_dtype(device)
        self.memory_format = torch.channels_last if device.type == "cuda" else torch.contiguous_format
        self.images = self.dataset.images.to(device).contiguous(memory_format=self.memory_format)
        self.labels = self.dataset.labels.to(device)
        self.n_codes = cfg.info_codes or (N_CLASSES if cfg.conditional else 0)  # G's extra input
        self.G: nn.Module | None = None
        self.D: nn.Module | None = None
        self.D_embedding: nn.Module | None = None
        self._fixed_z: Tensor | None = None

    def build_networks(self, generator: torch.Generator) -> tuple[nn.Module, nn.Module]:
        g, d, d_embedding = build_image_nets(self.cfg)
        self.G = g.to(self.device, memory_format=self.memory_format)
        self.D = d.to(self.device, memory_format=self.memory_format)
        self.D_embedding = d_embedding.to(self.device) if d_embedding is not None else None
        if self.cfg.tricks.virtual_batch_norm:
            self.G.draw_reference(generator)
        return self.G, self.D

    def parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """G's (with InfoGAN's Q head: it trains on the code loss, with G) and D's (with its embedding)."""
        g_params = list(self.G.parameters())
        d_body = self.D.base if self.cfg.info_codes else self.D
        d_params = list(d_body.parameters())
        if self.D_embedding is not None:
            d_params += list(self.D_embedding.parameters())
        if self.cfg.info_codes:
            g_params += list(self.D.q_head.parameters())
        return g_params, d_params

    def autocast(self):
        return autocast_context(self.device)

    def real_batch(self, n: int, generator: torch.Generator) -> Batch:
        index = torch.randint(len(self.labels), (n,), generator=generator, device=self.device)
        return Batch(self.images[index], self.labels[index] if self.cfg.conditional else None)

    def draw_codes(self, n: int, generator: torch.Generator) -> Tensor | None:
        """Class labels (conditional) or InfoGAN codes (n,), uniform; None for an unconditional G."""
        if not self.n_codes:
            return None
        return torch.randint(self.n_codes, (n,), generator=generator, device=self.device)

    def generate(self, G: nn.Module, z: Tensor, codes: Tensor | None = None) -> Tensor:
        return G(z, codes)

    def condition(self, codes: Tensor | None) -> Tensor | None:
        """What D is conditioned on for a fake batch made from `codes`: the labels (conditional GANs)."""
        return codes if self.cfg.conditional else None

    def discriminate(self, x: Tensor, labels: Tensor | None) -> Tensor:
        if self.D_embedding is not None:
            return self.D(x, self.D_embedding(labels))
        return self.D(x)

    def score_pair(self, real: Batch, fake: Batch) -> tuple[Tensor, Tensor]:
        return self.discriminate(real.x, real.labels), self.discriminate(fake.x, fake.labels)

    def scores(self, batch: Batch, d=None) -> Tensor:
        return self.discriminate(batch.x, batch.labels)

    def g_scores(self, batch: Batch, d=None) -> tuple[Tensor, Tensor | None]:
        """(D's scores (n,), InfoGAN's code logits (n, codes) or None), from one pass through D."""
        if self.cfg.info_codes:
            return self.D.score_and_code(batch.x)
        return self.discriminate(batch.x, batch.labels), None

    def features(self, batch: Batch, d=None) -> tuple[Tensor, Tensor | None]:
        """(D's features (n, k): the input of its score head (InfoGAN: of its shared trunk), InfoGAN's code
        logits or None)."""
        body = self.D.base if self.cfg.info_codes else self.D
        cond = self.D_embedding(batch.labels) if self.D_embedding is not None else None
        features = body.features(batch.x, cond) if cond is not None else body.features(batch.x)
        return features, (self.D.q_head(features) if self.cfg.info_codes else None)

    def evaluator(self, trainer) -> None:
        return None  # image runs are evaluated by ganlab.image_eval (FID, classifier score), on demand

    def state_dict(self) -> dict:
        return {"D_embedding": self.D_embedding.state_dict()} if self.D_embedding is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.D_embedding is not None:
            self.D_embedding.load_state_dict(state["D_embedding"])


@torch.no_grad()
def sample_grid(trainer, per_row: int = 8) -> np.ndarray:
    """(rows, per_row, 28, 28) in [0, 1] from fixed noise (the EMA generator when on): 8 rows, or one row
    per class (conditional) or code (InfoGAN)."""
    cfg = trainer.config
    coded = cfg.conditional or cfg.info_codes
    rows = N_CLASSES if coded else 8
    gen = torch.Generator(device=trainer.device).manual_seed(cfg.seed + GRID_SEED_OFFSET)
    z = torch.randn(N_CLASSES * 8, cfg.latent_dim, generator=gen, device=trainer.device)[: rows * per_row]
    labels = (torch.arange(rows, device=trainer.device).repeat_interleave(per_row) % (cfg.info_codes or N_CLASSES)
              if coded else None)
    net = trainer.G_ema if trainer.G_ema is not None else trainer.G
    was_training = net.training
    net.eval()
    try:
        images = net(z, labels)
    finally:
        net.train(was_training)
    return ((images[:, 0] + 1) / 2).clamp(0, 1).reshape(rows, per_row, 28, 28).cpu().numpy()
