"""One browser session's Latent Explorer state (no streamlit here): the loaded generator, its samples,
pinned latents, and the computations behind each panel (all on the CPU, each well under a second for the
shipped DCGAN: see benchmarks/latent_actions.py).

Images are returned as numpy arrays (n, 28, 28) in [0, 1] for display.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganlab import latent
from ganlab.data import DATASETS
from ganlab.data.images import IMAGE_DATASETS
from ganlab.generator_file import CHECKPOINT_DIR, LoadedGenerator, generator_checkpoints, load_generator

GRID_SAMPLES = 16
MAX_PINS = 12
# distinct pins each multi-pin panel needs, and what it does with them (for "pin N more samples to ...")
PANEL_PINS = {"interpolation": (2, "interpolate between two of them"),
              "four corners": (4, "fill the four-corner sheet"),
              "arithmetic": (3, "compute A − B + C")}
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")  # z0, z1, z2, z3 of four_corner_grid
ARITHMETIC_GROUP = 3  # pins per group by default once there are enough (Radford et al. average three)
DIRECTION_SAMPLES = 512
MAX_UPLOAD_BYTES = 64 * 2**20


def _card_dataset(path: Path) -> str | None:
    """The data set named by the model card beside `path` (None when there is no readable card)."""
    try:
        return json.loads(path.with_suffix(".json").read_text()).get("dataset")
    except (OSError, ValueError, AttributeError):
        return None


def image_checkpoints(folder: Path = CHECKPOINT_DIR) -> dict[str, Path]:
    """The generator checkpoints whose card (when there is one) names an image data set."""
    return {name: p for name, p in generator_checkpoints(folder).items()
            if _card_dataset(p) in (None, *IMAGE_DATASETS)}


def toy_checkpoints(folder: Path = CHECKPOINT_DIR) -> dict[str, Path]:
    """The shipped toy generators (their card names a 2-D data set)."""
    return {name: p for name, p in generator_checkpoints(folder).items() if _card_dataset(p) in DATASETS}


def classifier():
    """The shipped LeNet: the same cached instance the image metrics use."""
    from ganlab.image_eval import lenet

    return lenet()[0]


@functools.lru_cache(maxsize=2)
def training_images(data_dir: str | None = None) -> tuple[Tensor, str]:
    """The training digits (n, 1, 28, 28) in [-1, 1] G learned from, and which set they are."""
    from ganlab.data.images import load_mnist

    data = load_mnist(data_dir, train=True)
    return data.images, data.source


@functools.lru_cache(maxsize=2)
def test_images(data_dir: str | None = None) -> tuple[Tensor, str]:
    """The held-out digits (n, 1, 28, 28) in [-1, 1] (inversion targets), and which set they are."""
    from ganlab.data.images import load_mnist

    data = load_mnist(data_dir, train=False)
    return data.images, data.source


def short_name(name: str) -> str:
    """A pin's short name, the one under its image: "z3 (seed 0, #5)" -> "z3"."""
    return name.split(" ")[0]


def pins_missing(panel: str, pinned: int) -> str | None:
    """What to tell the user when a panel has too few pins ("Pin 1 more sample to ..."), else None."""
    needed, purpose = PANEL_PINS[panel]
    if pinned >= needed:
        return None
    more = needed - pinned
    return (f"Pin {more} more sample{'s' if more > 1 else ''} to {purpose}: this panel uses {needed} different "
            f"pins and {pinned} {'is' if pinned == 1 else 'are'} pinned.")


def default_pins(names: list[str], count: int) -> list[str]:
    """The first `count` pins (distinct, in pin order): the ends of the interpolation, the four corners."""
    if len(names) < count:
        raise ValueError(f"{count} different pins are needed, {len(names)} are pinned")
    return list(names[:count])


def default_groups(names: list[str]) -> dict[str, list[str]]:
    """Arithmetic groups A, B, C of distinct pins in pin order, as many per group as there are for all
    three, at most ARITHMETIC_GROUP: 3-5 pins give one each, 6-8 two each, 9 or more three each."""
    per = min(ARITHMETIC_GROUP, len(names) // 3)
    if per == 0:
        raise ValueError(f"3 different pins are needed, {len(names)} are pinned")
    return {group: list(names[k * per:(k + 1) * per]) for k, group in enumerate("ABC")}


def keep_choice(current: list, last_default: list | None, default: list, names: list[str]) -> list:
    """What a panel's pin selectors should hold on this run, one value per selector (a pin name, or a
    list of them for a group).

    The user's own selection (`current`) is kept while every pin in it is still pinned and it is not
    just the default the page set last time (`last_default`); otherwise the new `default`. So a panel
    nobody touched follows the pins as more are pinned, and a selection naming a pin that is gone (past
    MAX_PINS, or cleared) starts over from the default.
    """
    chosen = [name for value in current for name in (value if isinstance(value, list) else [value])]
    if None in current or current == last_default or any(name not in names for name in chosen):
        return list(default)
    return list(current)


def to_display(images: Tensor) -> np.ndarray:
    """(n, 1, 28, 28) in [-1, 1] -> (n, 28, 28) in [0, 1]."""
    return ((images[:, 0].float() + 1) / 2).clamp(0, 1).numpy()


@torch.no_grad()
def predict(images: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(predicted digit (n,), its probability (n,)) from ganlab's LeNet."""
    probs = torch.softmax(classifier()(images.float()), dim=1)
    confidence, digit = probs.max(dim=1)
    return digit.numpy(), confidence.numpy()


@dataclass
class Pin:
    """A pinned latent: z (latent_dim,) and the label it was drawn with (None when unconditional)."""

    z: Tensor
    label: int | None
    name: str


@dataclass
class LatentSession:
    """The Latent Explorer's state: which generator, the sample seed and the pinned latents."""

    generator: LoadedGenerator
    name: str
    seed: int = 0
    sample_label: int | None = None
    pins: list[Pin] = field(default_factory=list)
    pin_counter: int = 0
    _directions: dict = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, source: str | Path | bytes, name: str) -> LatentSession:
        if isinstance(source, bytes) and len(source) > MAX_UPLOAD_BYTES:
            from ganlab.checkpoint import CheckpointError

            raise CheckpointError(f"{name} is {len(source) / 2**20:.0f} MiB; uploads are limited to "
                                  f"{MAX_UPLOAD_BYTES // 2**20} MiB")
        loaded = load_generator(source, name=name)
        if not loaded.is_image:
            from ganlab.checkpoint import CheckpointError

            raise CheckpointError(f"{name} holds a toy (2-D) generator; the Latent Explorer browses image "
                                  "generators (open toy runs in the Toy Lab)")
        return cls(loaded, name)

    # --- samples and pins ----------------------------------------------------------------------

    def labels_for(self, n: int, label: int | None) -> Tensor | None:
        if not self.generator.n_labels:
            return None
        if label is None:
            return torch.arange(n) % self.generator.n_labels
        return torch.full((n,), int(label), dtype=torch.long)

    def samples(self) -> tuple[Tensor, Tensor | None, Tensor]:
        """(z (16, d), labels or None, images (16, 1, 28, 28)) for the current seed."""
        z = self.generator.random_z(GRID_SAMPLES, self.seed)
        labels = self.labels_for(GRID_SAMPLES, self.sample_label)
        return z, labels, self.generator.generate(z, labels)

    def pin(self, index: int) -> Pin:
        """Pin sample `index` (0..15) of the current grid; the oldest pin goes beyond MAX_PINS."""
        if not 0 <= index < GRID_SAMPLES:
            raise ValueError(f"sample index must be in 0..{GRID_SAMPLES - 1}, got {index}")
        z, labels, _ = self.samples()
        self.pin_counter += 1
        pin = Pin(z[index].clone(), None if labels is None else int(labels[index]),
                  f"z{self.pin_counter} (seed {self.seed}, #{index + 1})")
        self.pins = (self.pins + [pin])[-MAX_PINS:]
        return pin

    def pin_z(self, z: Tensor, label: int | None, what: str) -> Pin:
        self.pin_counter += 1
        pin = Pin(z.detach().clone(), label, f"z{self.pin_counter} ({what})")
        self.pins = (self.pins + [pin])[-MAX_PINS:]
        return pin

    def pin_named(self, name: str) -> Pin:
        return next(p for p in self.pins if p.name == name)

    def render(self, z: Tensor, label: int | None = None) -> Tensor:
        """z (n, d) with one label for all (or None) -> images (n, 1, 28, 28)."""
        return self.generator.generate(z, self.labels_for(len(z), label))

    # --- panels ----------------------------------------------------------------------------------

    def interpolations(self, a: Pin, b: Pin, steps: int) -> tuple[Tensor, Tensor]:
        """(linear images, spherical images), each (steps, 1, 28, 28); the label is a's."""
        linear, spherical = latent.lerp(a.z, b.z, steps), latent.slerp(a.z, b.z, steps)
        return self.render(linear, a.label), self.render(spherical, a.label)

    def four_corners(self, corners: list[Pin], size: int) -> Tensor:
        """(size * size, 1, 28, 28) images of z(a, b) over a size x size grid, row-major."""
        grid = latent.four_corner_grid(*(p.z for p in corners), size, size)
        return self.render(grid.reshape(size * size, -1), corners[0].label)

    def arithmetic(self, a: list[Pin], b: list[Pin], c: list[Pin]) -> dict[str, Tensor]:
        """Images of mean A, mean B, mean C and of mean A - mean B + mean C (label: C's first pin's)."""
        stack = [torch.stack([p.z for p in group]) if group else torch.empty(0, self.generator.latent_dim)
                 for group in (a, b, c)]
        result = latent.latent_arithmetic(*stack)
        label = c[0].label if c else None
        means = {k: s.mean(0) for k, s in zip("ABC", stack, strict=True)}
        return {"mean A": self.render(means["A"][None], label), "mean B": self.render(means["B"][None], label),
                "mean C": self.render(means["C"][None], label), "A - B + C": self.render(result[None], label)}

    def attribute_values(self, images: Tensor, attribute: str, digit: int = 0) -> Tensor:
        if attribute == "ink":
            return latent.ink_mass(images)
        if attribute == "slant":
            return latent.slant(images)
        if attribute == "class probability":
            with torch.no_grad():
                probs = torch.softmax(classifier()(images.float()), dim=1)
            return latent.class_probability(probs, digit)
        raise ValueError(f"attribute must be one of {', '.join(latent.ATTRIBUTES)}, got {attribute!r}")

    def direction(self, attribute: str, digit: int = 0, label: int | None = None) -> Tensor:
        """Unit direction in z along which the attribute grows: ridge regression on 512 seeded samples."""
        key = (attribute, digit, label)
        if key not in self._directions:
            z = self.generator.random_z(DIRECTION_SAMPLES, 2024)
            values = self.attribute_values(self.render(z, label), attribute, digit)
            self._directions[key] = latent.fit_direction(z, values)
        return self._directions[key]

    def attribute_walk(self, pin: Pin, attribute: str, alphas: list[float],
                       digit: int = 0) -> tuple[Tensor, Tensor]:
        """(images (len(alphas), 1, 28, 28), attribute values) along the fitted direction from pin."""
        direction = self.direction(attribute, digit, pin.label)
        images = self.render(latent.walk(pin.z, direction, alphas), pin.label)
        return images, self.attribute_values(images, attribute, digit)

    def label_sweep(self, pin: Pin) -> Tensor:
        """(n_labels, 1, 28, 28): the pin's z with every label (digit or InfoGAN code)."""
        z, labels = latent.label_sweep(pin.z, self.generator.n_labels)
        return self.generator.generate(z, labels)

    def neighbours(self, image: Tensor, k: int = 5) -> tuple[Tensor, np.ndarray, str]:
        """(the k nearest training digits (k, 1, 28, 28), their pixel distances, the data set's name)."""
        data, source = training_images(self.generator.config.data.data_dir)
        index, dist = latent.nearest_neighbours(image, data, k=k)
        return data[index[0]], dist[0].numpy(), source

    def invert(self, target: Tensor, label: int | None, steps: int, progress=None) -> latent.InversionResult:
        """The z whose image is closest to target (1, 1, 28, 28) in [-1, 1] (4 restarts, Adam)."""
        labels = None if not self.generator.n_labels else int(label or 0)
        return latent.invert(self.generator.net, target, self.generator.latent_dim, steps=steps,
                             labels=labels, seed=self.seed, progress=progress)
