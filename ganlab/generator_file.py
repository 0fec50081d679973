"""Generator-only files (the shipped checkpoints) and a loaded generator for the Latent Explorer.

A generator file holds the sampling generator's weights (the EMA generator for image runs, G for toy
runs: the one the metrics were measured on), the run's config and its model card, with no
discriminator and no optimiser state, so the shipped checkpoints stay small. The card is also written
beside the weights as JSON. `load_generator` reads a generator file or a full training checkpoint (from
`--save` or the MNIST Lab's "Save checkpoint"), from a path or from uploaded bytes, always with
weights_only=True, and checks what it read before using it: the header and config (ganlab.checkpoint),
the card (ganlab.model_card), and every weight against the generator the config builds (same names,
shapes and dtypes, finite values). Any failure is a CheckpointError with a one-line message.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

import ganlab
from ganlab import file_checks as fc
from ganlab.checkpoint import (
    CheckpointError,
    atomic_save,
    atomic_write_text,
    check_header,
    parse_config,
    parse_payload,
    read_payload,
    refuse,
)
from ganlab.config import RunConfig, to_json
from ganlab.model_card import check_card, parse_card, read_card_file
from ganlab.runs import is_image_run

FORMAT = "ganlab-generator"
FORMAT_VERSION = 1
N_DIGITS = 10


def sampling_generator(trainer) -> nn.Module:
    """The generator whose samples a run reports: EMA of G for image runs (when on), else G."""
    if is_image_run(trainer.config) and trainer.G_ema is not None:
        return trainer.G_ema
    return trainer.G


def export_generator(trainer, path: str | os.PathLike, card: dict) -> dict:
    """Write the sampling generator, config and card to `path` atomically, and the card to path.json.

    Returns the card as written (with format, date and step count filled in).
    """
    path = Path(path)
    card = {"format": FORMAT, "date": _dt.date.today().isoformat(), "steps": trainer.step_count, **card}
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "ganlab_version": ganlab.__version__,
               "config": to_json(trainer.config), "card": json.dumps(card),
               "state": {k: v.detach().cpu() for k, v in sampling_generator(trainer).state_dict().items()}}
    atomic_save(payload, path)
    atomic_write_text(json.dumps(card, indent=2) + "\n", path.with_suffix(".json"))
    return card


def build_sampling_net(cfg: RunConfig) -> nn.Module:
    """An untrained generator of the config's shape (image: G(z, labels); toy: G(z))."""
    if is_image_run(cfg):
        from ganlab.problems.images import build_image_nets

        return build_image_nets(cfg)[0]
    from ganlab.problems.toy import build_generator

    return build_generator(cfg)


@dataclass
class LoadedGenerator:
    """A trained generator ready to sample, with its config and card.

    `n_labels` is 10 for a conditional GAN (digits), the code size for InfoGAN, else 0; `label_kind`
    says which ("digit", "code" or None).
    """

    config: RunConfig
    net: nn.Module
    card: dict = field(default_factory=dict)
    source: str = "generator file"

    @property
    def is_image(self) -> bool:
        return is_image_run(self.config)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def n_labels(self) -> int:
        return N_DIGITS if self.config.conditional else self.config.info_codes

    @property
    def label_kind(self) -> str | None:
        return "digit" if self.config.conditional else ("code" if self.config.info_codes else None)

    @torch.no_grad()
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """z (n, latent_dim) [+ labels (n,) int64] -> images (n, 1, 28, 28) in [-1, 1] or points (n, 2)."""
        if not self.is_image:
            return self.net(z)
        if labels is None and self.n_labels:
            labels = torch.zeros(len(z), dtype=torch.long)
        return self.net(z, labels)

    def random_z(self, n: int, seed: int) -> Tensor:
        """(n, latent_dim) standard normal latents from their own seeded generator."""
        return torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed))


def _from_generator_payload(payload: dict) -> tuple[RunConfig, dict, Any, str]:
    """(config, card, weights, where the weights are) of a generator file's payload, the config and card
    checked (SchemaError if not)."""
    entries = fc.mapping(payload, "", required=("format", "config", "state"),
                         optional=("format_version", "ganlab_version", "card"))
    return parse_config(entries["config"]), parse_card(entries.get("card", "{}")), entries["state"], "state"


def _from_checkpoint_payload(payload: dict, name: str) -> tuple[RunConfig, dict, Any, str]:
    """(config, card, weights, where they are) of a training checkpoint: the sampling generator's weights
    (G_ema for an image run that has one, else G) and a card made of its step count and metadata."""
    loaded = parse_payload(payload, name)
    config, state = loaded["config"], loaded["state"]
    state = fc.mapping(state, "state", required=("G",), any_keys=True)
    card = check_card({"steps": state["step_count"], **loaded["metadata"]}, "metadata")
    key = "G_ema" if is_image_run(config) and "G_ema" in state else "G"
    return config, card, state[key], f"state.{key}"


def load_generator(source: str | os.PathLike | bytes, name: str | None = None) -> LoadedGenerator:
    """A generator file or a full checkpoint (path or uploaded bytes) -> LoadedGenerator on the CPU.

    Raises CheckpointError with a clear one-line message for anything else (empty, truncated, foreign,
    unsafe, malformed: a missing or extra entry, a value of the wrong type or size, weights that do
    not fit the config).
    """
    name = name or (repr(str(source)) if not isinstance(source, bytes | bytearray) else "the uploaded file")
    return generator_from_payload(read_payload(source, name=fc.one_line(name)), fc.one_line(name))


def is_generator_payload(payload) -> bool:
    marker = payload.get("format") if isinstance(payload, dict) else None
    return isinstance(marker, str) and marker == FORMAT


def generator_from_payload(payload, name: str) -> LoadedGenerator:
    """An already safely read payload (generator file or full checkpoint) -> LoadedGenerator on the CPU."""
    what = "generator file" if is_generator_payload(payload) else "checkpoint"
    try:
        if what == "generator file":
            check_header(payload, name, FORMAT, FORMAT_VERSION, what)
            config, card, state, where = _from_generator_payload(payload)
        else:
            config, card, state, where = _from_checkpoint_payload(payload, name)
        config.device = "cpu"
        net = build_sampling_net(config)
        fc.like(state, net.state_dict(), where)
    except fc.SchemaError as err:
        raise refuse(name, what, err) from None
    try:
        net.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError, KeyError) as err:  # a backstop: fc.like checked it all
        raise CheckpointError(fc.one_line(f"{name}: the weights do not fit the config it carries: {err}",
                                          500)) from None
    kind = "generator file" if what == "generator file" else "training checkpoint"
    return LoadedGenerator(config, net.eval().requires_grad_(False), card, kind)


def trainer_with_generator(loaded: LoadedGenerator, device: str | None = None):
    """A fresh trainer of the loaded config with the loaded weights in G (and its EMA), for evaluation.

    Its discriminator is untrained: only generator metrics mean anything.
    """
    from ganlab.runs import make_trainer

    config = loaded.config
    if device is not None:
        config.device = device
    trainer = make_trainer(config)
    state = loaded.net.state_dict()
    trainer.G.load_state_dict(state)
    if trainer.G_ema is not None:
        trainer.G_ema.load_state_dict(state)
    trainer.step_count = int(loaded.card.get("steps") or 0)
    return trainer


CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"


def generator_checkpoints(folder: Path = CHECKPOINT_DIR) -> dict[str, Path]:
    """name -> path of every shipped generator in `folder`: a .pt file with its model card (a readable
    .json card) beside it, not the classifier. Files saved there without a card (old MNIST Lab saves)
    are not shipped and are not listed, nor are a VAE's or a flow's (their card's "model" names one: they
    hold no generator; the GAN, VAE and flow page shows the shipped VAE)."""
    return {p.name: p for p in sorted(folder.glob("*.pt"))
            if p.name != "mnist_classifier.pt" and p.is_file() and not p.is_symlink() and _is_generator_card(p)}


def _is_generator_card(path: Path) -> bool:
    card = read_card_file(path)
    return card is not None and card.get("model", "gan") == "gan"
