"""Train, save and load ganlab's MNIST classifier (checkpoints/mnist_classifier.pt + a JSON model card).

Loading checks the file against its schema before any value is used (ganlab.file_checks): safe loading
(weights_only), the format marker, exactly the entries format, state and card, the weights tensor by tensor
against a fresh LeNet's state dict (names, shapes, dtypes, finite values) and the card as a model card
(ganlab.model_card). A file that does not fit raises ClassifierError naming it.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganlab import file_checks as fc
from ganlab.checkpoint import CheckpointError, atomic_save, check_header, read_payload
from ganlab.data.images import ImageDataset, load_mnist
from ganlab.model_card import parse_card
from ganlab.nets.lenet import LeNet

CLASSIFIER_PATH = Path(__file__).resolve().parents[1] / "checkpoints" / "mnist_classifier.pt"
FORMAT = "ganlab-mnist-classifier"


class ClassifierError(fc.FileError):
    """A file that is not a usable ganlab MNIST classifier; the one-line message names it."""


def _shifted(images: torch.Tensor, generator: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Random translations of up to max_shift pixels (the only augmentation)."""
    dx, dy = (int(v) for v in torch.randint(-max_shift, max_shift + 1, (2,), generator=generator))
    return torch.roll(images, shifts=(dy, dx), dims=(2, 3))


@torch.no_grad()
def accuracy(model: LeNet, data: ImageDataset, batch: int = 500) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(data), batch):
        logits = model(data.images[start:start + batch])
        correct += int((logits.argmax(1) == data.labels[start:start + batch]).sum())
    return correct / len(data)


def train_classifier(epochs: int = 30, batch: int = 128, seed: int = 0, data_dir=None) -> tuple[LeNet, dict]:
    """Train a LeNet on MNIST's training split; returns the model and its card (held-out accuracy etc.)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train, test = load_mnist(data_dir, train=True), load_mnist(data_dir, train=False)
    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    started, steps = time.perf_counter(), 0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen)
        for start in range(0, len(train), batch):
            index = order[start:start + batch]
            loss = F.cross_entropy(model(_shifted(train.images[index], gen)), train.labels[index])
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
        sched.step()
    card = {"data": train.source, "held_out": test.source, "held_out_accuracy": accuracy(model, test),
            "epochs": epochs, "steps": steps, "batch": batch, "seed": seed,
            "seconds": round(time.perf_counter() - started, 1),
            "date": _dt.date.today().isoformat(), "architecture": "LeNet-5 style, 128-d features"}
    return model, card


def save_classifier(model: LeNet, card: dict, path: str | Path = CLASSIFIER_PATH) -> None:
    """Weights (loadable with weights_only=True) and the card beside them as JSON."""
    path = Path(path)
    atomic_save({"format": FORMAT, "state": model.state_dict(), "card": json.dumps(card)}, path)
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")


def load_classifier(path: str | Path = CLASSIFIER_PATH) -> tuple[LeNet, dict]:
    """(LeNet in eval mode, its card) from a classifier file, checked before use (see the module's doc).

    Raises ClassifierError (a ValueError) naming the file: missing, empty, oversized, not a safe PyTorch
    file, not a classifier, or weights / card of the wrong structure.
    """
    name = repr(str(path))
    try:
        payload = check_header(read_payload(path, "cpu", name), name, FORMAT, 1, "MNIST classifier")
    except CheckpointError as err:
        raise ClassifierError(str(err)) from None
    model = LeNet()
    try:
        entries = fc.mapping(payload, "", required=("format", "state", "card"),
                             optional=("format_version", "ganlab_version"))
        state = fc.like(entries["state"], model.state_dict(), "state")
        card = parse_card(entries["card"], "card")
    except fc.SchemaError as err:
        raise ClassifierError(fc.one_line(f"{name} is not a usable ganlab MNIST classifier: {err}", 500)) from None
    model.load_state_dict(state)
    return model.eval(), card


@torch.no_grad()
def features_and_probs(model: LeNet, images: torch.Tensor, batch: int = 500) -> tuple:
    """images (n, 1, 28, 28) in [-1, 1] -> (features (n, 128), class probabilities (n, 10)) as numpy."""
    model.eval()
    feats, probs = [], []
    for start in range(0, images.shape[0], batch):
        h = model.features(images[start:start + batch])
        feats.append(h)
        probs.append(torch.softmax(model.head(h), dim=1))
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()
