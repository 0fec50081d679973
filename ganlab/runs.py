"""A run from a config: one Trainer for every data set (ganlab.train); `is_image_run` says which kind."""

from __future__ import annotations

from ganlab.config import RunConfig
from ganlab.problems import is_image_run

__all__ = ["is_image_run", "make_trainer"]


def make_trainer(cfg: RunConfig):
    """The Trainer of `cfg` (a toy or an image run, by its data set)."""
    from ganlab.train import Trainer

    return Trainer(cfg)
