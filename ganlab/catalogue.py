"""Every named option (models, datasets, losses, regularisers, training tricks, architectures, optimisers, noise)
with a one-line description, and every numeric option with its range (ganlab.options): what
`python -m ganlab list` prints and the home page shows.

The architectures section lists what the app trains: the networks (`mlp` for toy data and for digits,
`dcgan` for digits) and the image model kinds the MNIST Lab offers beside them (IMAGE_KINDS: conditional,
InfoGAN), which the MNIST Lab's widgets and share links take from here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ganlab.config import MODELS, NOISES, OPTIMIZERS, VAE_ARCHITECTURES, VAE_DECODERS
from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.nets.mlp import ARCHITECTURES
from ganlab.options import OPTIONS
from ganlab.penalties import REGULARIZERS
from ganlab.tricks import TRICKS


@dataclass(frozen=True)
class ImageKind:
    """One kind of image GAN: what the MNIST Lab's Kind choice shows, what the catalogue says, the CLI flag
    that asks for it ("" for the default kind) and the config options (dotted path -> value) it sets."""

    label: str
    description: str
    cli: str = ""
    overrides: dict[str, str] = field(default_factory=dict)


IMAGE_KINDS: dict[str, ImageKind] = {  # the first is the default
    "unconditional": ImageKind("unconditional", "G maps noise alone to a digit", "",
                               {"conditional": "false", "info_codes": "0"}),
    "conditional": ImageKind(
        "conditional (label embedding)",
        "conditional GAN (Mirza & Osindero 2014): G and D both see the digit's label through an embedding, so "
        "you choose which digit G draws", "--conditional", {"conditional": "true", "info_codes": "0"}),
    "infogan": ImageKind(
        "InfoGAN (10-way code)",
        "InfoGAN (Chen et al. 2016): G also gets a 10-way categorical code and D's extra head Q must recover "
        "it, so the code learns a factor such as the digit without labels", "--info-codes 10",
        {"conditional": "false", "info_codes": "10"}),
}


def architectures() -> dict[str, str]:
    """Name -> description of the networks (toy and image) and of the image kinds beyond unconditional."""
    rows: dict[str, str] = {}
    for name in dict.fromkeys([*ARCHITECTURES, *IMAGE_ARCHITECTURES]):
        uses = [f"toy data: {ARCHITECTURES[name]}"] if name in ARCHITECTURES else []
        if name in IMAGE_ARCHITECTURES:
            uses.append(f"MNIST: {IMAGE_ARCHITECTURES[name]}")
        rows[name] = "; ".join(uses) + f" (CLI --arch {name})"
    networks = " or ".join(IMAGE_ARCHITECTURES)
    rows.update({name: f"{kind.description}; MNIST, with {networks} (CLI {kind.cli})"
                 for name, kind in IMAGE_KINDS.items() if kind.cli})
    return rows


def catalogue(include_tricks: bool = False, include_models: bool = False) -> dict[str, dict[str, str]]:
    """Section -> {name: description}; with `include_tricks` also "tricks" (ganlab.tricks.TRICKS: every
    training trick, the option that switches it on and its citation), and with `include_models` first
    "models" (gan, vae, flow: `models()`), both of which `python -m ganlab list` prints.
    """
    sections = {
        "datasets": dict(DATASETS),
        "losses": {name: f"{spec.description}; D estimates {spec.divergence} as {spec.estimate_formula}"
                   for name, spec in LOSSES.items()},
        "regularizers": {name: f"{spec.description}; value = {spec.meaning}"
                         for name, spec in REGULARIZERS.items()},
        "architectures": architectures(),
        "optimizers": dict(OPTIMIZERS),
        "noise": dict(NOISES),
        "numeric options": {path: f"{option.help}; {option.describe()} (--set {path}=VALUE)"
                            for path, option in OPTIONS.items()},
    }
    if include_tricks:
        sections["tricks"] = dict(TRICKS)
    if include_models:
        sections = {"models": models(), **sections}
    return sections


def models() -> dict[str, str]:
    """Name -> description of what a run can train (config.MODELS), the VAE's decoders and networks with it."""
    rows = {name: f"{text} (CLI --model {name})" for name, text in MODELS.items()}
    decoders = "; ".join(f"{name}: {text}" for name, text in VAE_DECODERS.items())
    networks = "; ".join(f"{name}: {text}" for name, text in VAE_ARCHITECTURES.items())
    rows["vae"] += f". Decoders (--decoder): {decoders}. Networks (--vae-arch): {networks}"
    return rows
