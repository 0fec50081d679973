"""What differs between GAN runs: the data set, the two networks and how D reads a batch (a Problem).

The training algorithm is the same for every run (ganlab.train.Trainer); it asks its Problem for:

- `build_networks(generator)` -> (G, D), called once right after torch.manual_seed(seed);
  `parameters()` -> (G's trained parameters, D's trained parameters);
- `real_batch(n, generator)` -> Batch of n real samples, `generate(G, z, codes)` -> what G makes of z,
  `draw_codes(n, generator)` -> G's extra input (class labels, InfoGAN codes) or None;
- `score_pair(real, fake)`, `scores(batch, d)`, `g_scores(batch, d)` (with InfoGAN's code logits) and
  `features(batch, d)`: D's view of batches, where `d` is D itself or an unrolled copy;
- `pack` (samples per D input), `check_every`, `autocast()` (mixed precision on a GPU),
  `evaluator(trainer)` (periodic metrics, or None), `state_dict()` / `load_state_dict()` for any extra
  trained module (a conditional D's label embedding).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ganlab.config import RunConfig
from ganlab.data.images import IMAGE_DATASETS


@dataclass
class Batch:
    """A batch as D sees it: x (n, ...) (toy runs: (n, 2 * pack), packs of consecutive samples), the
    labels D is conditioned on (n,) (conditional GANs, else None) and G's extra input codes (n,) (fake
    batches of conditional GANs and InfoGAN, else None)."""

    x: Tensor
    labels: Tensor | None = None
    codes: Tensor | None = None


def is_image_run(cfg: RunConfig) -> bool:
    return cfg.data.name in IMAGE_DATASETS


def make_problem(cfg: RunConfig, device: torch.device, data=None):
    """The Problem of a validated config: a ToyProblem for 2-D data sets, an ImageProblem for images
    (`data`: an ImageDataset to train on instead of loading MNIST)."""
    if is_image_run(cfg):
        from ganlab.problems.images import ImageProblem

        return ImageProblem(cfg, device, data)
    from ganlab.problems.toy import ToyProblem

    return ToyProblem(cfg, device)
