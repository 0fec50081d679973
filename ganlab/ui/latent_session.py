"""One browser session's Latent Explorer state (no streamlit here): the loaded generator, its samples,
pinned latents, and the computations behind each panel (all on the CPU, each well under a second for the
shipped DCGAN but the inversion, which the page runs as a job: see benchmarks/latent_actions.py).

Images are returned as numpy arrays (n, 28, 28) in [0, 1] for display. The generators it lists are the
shipped ones (checkpoints/, each with its model card) and the files this browser session saved itself;
uploads (a checkpoint, an inversion target image) are checked before use and refused with a one-line
message (ganlab.file_checks).
"""

from __future__ import annotations

import functools
import io
import warnings
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ganlab import file_checks as fc
from ganlab import latent
from ganlab.checkpoint import CheckpointError, parse_payload, read_payload
from ganlab.data import DATASETS
from ganlab.data.images import IMAGE_DATASETS
from ganlab.generator_file import (
    CHECKPOINT_DIR,
    LoadedGenerator,
    generator_checkpoints,
    generator_from_payload,
    is_generator_payload,
)
from ganlab.model_card import read_card_file
from ganlab.problems import is_image_run

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
SESSION_KEY = "session:"  # the choice key of a file this session saved ("session:NAME.pt")
YOUR_SAVES = "your saves"
# an inversion target image: at most this many pixels a side and in all, read from its header before
# any pixel is decoded (a 144-megapixel PNG cost 603 MB to decode; bigger ones are PIL decompression bombs)
MAX_IMAGE_BYTES = 16 * 2**20
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 4096 * 4096


def _card_dataset(path: Path) -> str | None:
    """The data set named by the model card beside `path` (None when there is no readable card)."""
    card = read_card_file(path) or {}
    return card.get("dataset")


def image_checkpoints(folder: Path = CHECKPOINT_DIR) -> dict[str, Path]:
    """The generator checkpoints whose card (when there is one) names an image data set."""
    return {name: p for name, p in generator_checkpoints(folder).items()
            if _card_dataset(p) in (None, *IMAGE_DATASETS)}


def toy_checkpoints(folder: Path = CHECKPOINT_DIR) -> dict[str, Path]:
    """The shipped toy generators (their card names a 2-D data set)."""
    return {name: p for name, p in generator_checkpoints(folder).items() if _card_dataset(p) in DATASETS}


def session_checkpoints(folder: Path | None) -> dict[str, Path]:
    """"session:NAME" -> path of each checkpoint this session saved into its own `folder` (regular .pt
    files, newest first); {} without a folder. Another session's saves are never listed."""
    if folder is None or not Path(folder).is_dir():
        return {}
    files = [p for p in Path(folder).glob("*.pt") if p.is_file() and not p.is_symlink()]
    files.sort(key=lambda p: (-p.stat().st_mtime, p.name))
    return {SESSION_KEY + p.name: p for p in files}


def checkpoint_label(key: str) -> str:
    """What the checkpoint selector shows for a choice: a shipped file's name, or "NAME (your saves)"."""
    return f"{key.removeprefix(SESSION_KEY)} ({YOUR_SAVES})" if key.startswith(SESSION_KEY) else key


LIKELIHOOD_NAMES = {"vae": "VAE (variational autoencoder)", "flow": "RealNVP normalising flow"}


def likelihood_refusal(payload, name: str) -> CheckpointError | None:
    """The message for a training checkpoint of a VAE or a flow (ganlab.likelihood: it holds no GAN generator),
    naming its model, data set and step and where such a model is shown; None for anything else (a generator
    file, a GAN's checkpoint, or a file the generator loader will refuse with its own message)."""
    if is_generator_payload(payload):
        return None
    try:
        loaded = parse_payload(payload, name)
    except CheckpointError:
        return None
    config = loaded["config"]
    if config.model not in LIKELIHOOD_NAMES:
        return None
    step = loaded["state"]["step_count"]
    where = ("The GAN, VAE and flow page shows the shipped MNIST VAE's samples and reconstructions beside the "
             "DCGAN's" if is_image_run(config) else
             "The GAN, VAE and flow page trains a VAE and a flow beside a GAN on toy data")
    return CheckpointError(f"{name} holds a {LIKELIHOOD_NAMES[config.model]} trained on {config.data.name} "
                           f"(step {step:,}), not a GAN generator: the Latent Explorer browses GAN generators. "
                           f"{where}; python -m ganlab eval --checkpoint FILE gives a file's metrics")


def read_digit_image(data: bytes, name: str) -> Tensor:
    """An uploaded PNG or JPEG -> (1, 1, 28, 28) in [-1, 1], light ink on dark (a light page is flipped).

    The size in its header is checked before any pixel is decoded; FileError (one line, naming the file
    and the limit) for a file too big, too many pixels, or not a readable PNG / JPEG.
    """
    from PIL import Image

    shown = f"image {fc.short_repr(name, 60)}"
    if len(data) > MAX_IMAGE_BYTES:
        raise fc.FileError(f"{shown} is {len(data) / 2**20:.0f} MiB; images are limited to "
                           f"{MAX_IMAGE_BYTES // 2**20} MiB")
    limit = (f"at most {MAX_IMAGE_SIDE:,} pixels a side and {MAX_IMAGE_PIXELS / 1e6:.1f} megapixels")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("PNG", "JPEG"))
            fc.image_size(image.size, shown, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE)
            image.draft("L", (4 * 28, 4 * 28))  # JPEG: decode at a reduced scale (no-op for PNG)
            grey = np.asarray(image.convert("L").resize((28, 28)), dtype=np.float32) / 255.0
    except fc.SchemaError as err:
        raise fc.FileError(str(err)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise fc.FileError(f"{shown} is far too large: expected an image of {limit}") from None
    except Exception as err:  # PIL raises many types for a damaged file; none may escape as a traceback
        raise fc.FileError(fc.one_line(f"{shown} is not a readable PNG or JPEG image "
                                       f"({type(err).__name__}: {err})", 300)) from None
    if grey.mean() > 0.5:  # dark ink on a light page: flip to MNIST's light-on-dark
        grey = 1.0 - grey
    return torch.from_numpy(grey * 2 - 1)[None, None]


MARKDOWN_SPECIAL = "\\`*[]<>$~|#"


def as_plain_markdown(text: str, note: str = "") -> str:
    """A message about a file for st.error (which renders Markdown): the characters Markdown, LaTeX or
    HTML would act on escaped, so a file name or key shows as typed; a full stop, then `note`."""
    escaped = "".join("\\" + ch if ch in MARKDOWN_SPECIAL else ch for ch in text.rstrip(". "))
    return f"{escaped}. {note}".rstrip()


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
        """A session on a generator file or checkpoint (a path, or uploaded bytes). CheckpointError (one
        line) for anything the loader refuses, or a toy generator. An upload's config never names a
        folder on this server: its data folder is the default one."""
        name = fc.one_line(name, 120)
        if isinstance(source, bytes) and len(source) > MAX_UPLOAD_BYTES:
            raise CheckpointError(f"{name} is {len(source) / 2**20:.0f} MiB; uploads are limited to "
                                  f"{MAX_UPLOAD_BYTES // 2**20} MiB")
        payload = read_payload(source, name=name)
        refusal = likelihood_refusal(payload, name)
        if refusal is not None:
            raise refusal
        loaded = generator_from_payload(payload, name)
        if not loaded.is_image:
            raise CheckpointError(f"{name} holds a toy (2-D) generator; the Latent Explorer browses image "
                                  "generators (open toy runs in the Toy Lab)")
        if isinstance(source, bytes):
            loaded.config.data.data_dir = None
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
        return latent.invert(self.generator.net, target, self.generator.latent_dim, steps=steps,
                             labels=self._inversion_label(label), seed=self.seed, progress=progress)

    def start_inversion(self, target: Tensor, label: int | None, steps: int) -> Future:
        """`invert` as a job, in a process apart from the server (seconds of Adam steps through G would hold
        a server core): a Future of its InversionResult, the same numbers `invert` gives."""
        from ganlab.runtime.jobs import job_runner

        return job_runner().submit(latent.invert_as_job, self.generator.net, target.detach().clone(),
                                   self.generator.latent_dim, int(steps), self._inversion_label(label), self.seed)

    def _inversion_label(self, label: int | None) -> int | None:
        return None if not self.generator.n_labels else int(label or 0)
