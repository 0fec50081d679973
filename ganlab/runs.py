"""A run from a config: the GAN Trainer for every data set (ganlab.train), or a VAE's or a flow's
LikelihoodTrainer (ganlab.likelihood), by the config's model; `is_image_run` says which kind of data."""

from __future__ import annotations

from ganlab.config import RunConfig
from ganlab.problems import is_image_run

__all__ = ["is_image_run", "make_trainer"]


def make_trainer(cfg: RunConfig):
    """The trainer of `cfg`: ganlab.likelihood.make_trainer (a GAN's Trainer, or a VAE's or flow's)."""
    from ganlab.likelihood import make_trainer as trainer_for

    return trainer_for(cfg)
