"""Which trainer a config needs: the toy Trainer for 2-D datasets, the ImageTrainer for image datasets."""

from __future__ import annotations

from ganlab.config import RunConfig
from ganlab.data.images import IMAGE_DATASETS


def is_image_run(cfg: RunConfig) -> bool:
    return cfg.data.name in IMAGE_DATASETS


def make_trainer(cfg: RunConfig):
    """A Trainer or an ImageTrainer built from `cfg`."""
    if is_image_run(cfg):
        from ganlab.train_images import ImageTrainer

        return ImageTrainer(cfg)
    from ganlab.train import Trainer

    return Trainer(cfg)
