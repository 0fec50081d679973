"""Datasets: 2-D toy distributions with exact density and mode centres."""

from ganlab.data.toy import DATASETS, DEFAULT_STD, ToyDataset, make_dataset

__all__ = ["DATASETS", "DEFAULT_STD", "ToyDataset", "make_dataset"]
