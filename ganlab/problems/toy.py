"""A toy run's problem: a 2-D data set (ganlab.data), MLP networks, packed inputs for D (PacGAN), the
toy evaluator (ganlab.evaluation). Full precision on every device: the networks are small."""

from __future__ import annotations

import contextlib

import torch
from torch import Tensor, nn

from ganlab.config import RunConfig
from ganlab.data import ToyDataset, make_dataset
from ganlab.data.toy import PARAMETER_DEFAULTS
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator, batch_norm_free
from ganlab.problems import Batch


def build_dataset(cfg: RunConfig) -> ToyDataset:
    data = cfg.data
    return make_dataset(data.name, std=data.std, points=data.points,
                        **{name: getattr(data, name) for name in PARAMETER_DEFAULTS})


def build_generator(cfg: RunConfig) -> MLPGenerator:
    """The toy run's generator: latent_dim -> 2 through cfg.g's MLP (initialised from torch's global RNG)."""
    return MLPGenerator(cfg.latent_dim, 2, cfg.g.depth, cfg.g.width, cfg.g.activation,
                        cfg.g.norm, cfg.g.spectral_norm, cfg.g.maxout_pieces)


def build_discriminator(cfg: RunConfig) -> MLPDiscriminator:
    """The toy run's discriminator: 2 * pack -> 1 through cfg.d's MLP."""
    return MLPDiscriminator(2 * cfg.pack, cfg.d.depth, cfg.d.width, cfg.d.activation, cfg.d.norm,
                            cfg.d.spectral_norm, cfg.d.maxout_pieces, cfg.tricks.minibatch_discrimination)


class ToyProblem:
    """2-D data, MLP G and D; D sees packs of `pack` consecutive samples as one input of 2 * pack numbers."""

    check_every = 64  # iterations between host syncs: toy steps are short, so sync rarely
    n_codes = 0  # G takes z alone

    def __init__(self, cfg: RunConfig, device: torch.device):
        self.cfg, self.device = cfg, device
        self.dataset = build_dataset(cfg)
        self.pack = cfg.pack
        self.G: nn.Module | None = None
        self.D: nn.Module | None = None
        self._joint = False

    def build_networks(self, generator: torch.Generator) -> tuple[nn.Module, nn.Module]:
        self.G = build_generator(self.cfg).to(self.device)
        self.D = build_discriminator(self.cfg).to(self.device)
        self._joint = batch_norm_free(self.D)  # real and fake may share one forward pass
        return self.G, self.D

    def parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        return ([p for p in self.G.parameters() if p.requires_grad],
                [p for p in self.D.parameters() if p.requires_grad])

    def autocast(self):
        return contextlib.nullcontext()

    def packed(self, x: Tensor) -> Tensor:
        """(n * pack, 2) -> (n, 2 * pack): consecutive samples form one pack (identity for pack 1)."""
        return x if self.pack == 1 else x.reshape(-1, 2 * self.pack)

    def real_batch(self, n: int, generator: torch.Generator) -> Batch:
        return Batch(self.packed(self.dataset.sample(n * self.pack, generator)))

    def draw_codes(self, n: int, generator: torch.Generator) -> None:
        return None

    def condition(self, codes: None) -> None:
        return None

    def generate(self, G: nn.Module, z: Tensor, codes: None = None) -> Tensor:
        """G's samples of z (n * pack, latent_dim), packed: (n, 2 * pack)."""
        return self.packed(G(z))

    def score_pair(self, real: Batch, fake: Batch) -> tuple[Tensor, Tensor]:
        """D's scores of a real and a fake batch, in one pass when no layer of D mixes a batch."""
        if self._joint:
            scores = self.D(torch.cat([real.x, fake.x]))
            return scores[: real.x.shape[0]], scores[real.x.shape[0]:]
        return self.D(real.x), self.D(fake.x)

    def scores(self, batch: Batch, d=None) -> Tensor:
        return (self.D if d is None else d)(batch.x)

    def g_scores(self, batch: Batch, d=None) -> tuple[Tensor, None]:
        return self.scores(batch, d), None

    def features(self, batch: Batch, d=None) -> tuple[Tensor, None]:
        return (self.D if d is None else d).features(batch.x), None

    def evaluator(self, trainer):
        from ganlab.evaluation import Evaluator

        return Evaluator(trainer, trainer.config.eval_samples)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
