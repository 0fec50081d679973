"""`python -m ganlab train`'s option flags, derived from the options' declarations.

FLAGS says which flags exist and which dotted config paths each sets (--lr sets both learning rates); a
flag's type, allowed values and help come from the option it sets: a number's NumberOption
(ganlab.options, the config's bounds), a choice's registry, a true/false option's type (a switch that is
on by default also gets its --no- form). Every numeric parameter a toy data set declares gets its flag
(--n-modes, --radius, --theta, --separation, ...). `--model vae` or `--model flow` trains a likelihood
model (ganlab.likelihood): the flags in GAN_ONLY are then unused, and their help says so.
"""

from __future__ import annotations

import argparse

from ganlab.config import (
    DEVICES,
    LEAF_PATHS,
    MODELS,
    NOISES,
    OPTIMIZERS,
    VAE_ARCHITECTURES,
    VAE_DECODERS,
    RunConfig,
    flatten,
)
from ganlab.data import DATASETS
from ganlab.data.images import IMAGE_DATASETS
from ganlab.data.toy import PARAMETER_OPTIONS
from ganlab.losses import LOSSES
from ganlab.nets.images import IMAGE_ARCHITECTURES
from ganlab.nets.mlp import ACTIVATIONS, ARCHITECTURES, NORMS
from ganlab.options import OPTIONS, SWITCHES


def _both(leaf: str, nets: tuple[str, str] = ("g", "d")) -> tuple[str, ...]:
    return tuple(f"{net}.{leaf}" for net in nets)


FLAGS: dict[str, dict[str, tuple[str, ...]]] = {
    "data and loss": {
        "model": ("model",), "dataset": ("data.name",), "std": ("data.std",),
        **{name: (f"data.{name}",) for name in PARAMETER_OPTIONS if name != "std"},
        "data_dir": ("data.data_dir",), "conditional": ("conditional",), "info_codes": ("info_codes",),
        "loss": ("loss.name",), "clip": ("loss.clip",), "gp_lambda": ("loss.gp_lambda",), "seed": ("seed",),
    },
    "networks and optimisers": {
        "arch": _both("arch"), "channels": _both("channels"), "depth": _both("depth"), "width": _both("width"),
        "activation": _both("activation"), "norm": _both("norm"), "spectral_norm": _both("spectral_norm"),
        "latent_dim": ("latent_dim",), "noise": ("noise",),
        "optimizer": _both("name", ("g_opt", "d_opt")), "lr": _both("lr", ("g_opt", "d_opt")),
        "g_lr": ("g_opt.lr",), "d_lr": ("d_opt.lr",),
        "beta1": _both("beta1", ("g_opt", "d_opt")), "beta2": _both("beta2", ("g_opt", "d_opt")),
        "batch_size": ("batch_size",), "d_steps": ("d_steps",), "g_steps": ("g_steps",), "ema": ("ema",),
        "device": ("device",),
    },
    "tricks": {
        name: (f"tricks.{name}",) for name in ("feature_matching", "minibatch_discrimination",
                                               "virtual_batch_norm", "historical_averaging", "unrolled_steps")
    },
    "likelihood models (--model vae or flow)": {
        "vae_latent_dim": ("vae.latent_dim",), "beta": ("vae.beta",), "learn_variance": ("vae.learn_variance",),
        "decoder_std": ("vae.decoder_std",), "decoder": ("vae.decoder",), "vae_arch": ("vae.arch",),
        "vae_depth": ("vae.depth",), "vae_width": ("vae.width",),
        "flow_depth": ("flow.depth",), "flow_width": ("flow.width",),
        "flow_hidden_layers": ("flow.hidden_layers",),
    },
}
"""Group title -> flag (underscores; the flag is spelled with '-') -> the dotted paths it sets."""

GAN_ONLY = frozenset({"conditional", "info_codes", "loss", "clip", "gp_lambda", "arch", "channels", "depth",
                      "width", "activation", "norm", "spectral_norm", "latent_dim", "noise", "d_lr", "d_steps",
                      "g_steps", "ema", *FLAGS["tricks"]})
"""Flags a VAE or a flow leaves unused (it reads the data, --batch-size, --seed, --device and g_opt: --optimizer,
--lr, --g-lr, --beta1, --beta2)."""

GROUP_NOTES = {
    "networks and optimisers": "--optimizer, --lr, --g-lr, --beta1 and --beta2 also set a VAE's or a flow's one "
                               "optimiser (g_opt); flags marked [GAN only] are unused by --model vae or flow",
    "tricks": "GAN training tricks: unused by --model vae or flow",
    "likelihood models (--model vae or flow)": "unused by --model gan",
}

CHOICES: dict[str, list[str]] = {
    "data.name": [*DATASETS, *IMAGE_DATASETS], "loss.name": list(LOSSES), "g_opt.name": list(OPTIMIZERS),
    "g.arch": sorted({**ARCHITECTURES, **IMAGE_ARCHITECTURES}), "g.activation": list(ACTIVATIONS),
    "g.norm": list(NORMS), "noise": list(NOISES), "device": list(DEVICES), "model": list(MODELS),
    "vae.decoder": list(VAE_DECODERS), "vae.arch": list(VAE_ARCHITECTURES),
}
"""The registry of each choice option (d.* and d_opt.* read g.*'s and g_opt.*'s)."""

_TEXT_HELP = {"data.data_dir": "folder with torchvision's MNIST (else the offline subset)"}
_CHOICE_HELP = {
    "model": "what to train: " + "; ".join(f"{name}: {text}" for name, text in MODELS.items()),
    "vae.decoder": "the VAE's p(x | z): " + "; ".join(f"{name}: {text}" for name, text in VAE_DECODERS.items()),
    "vae.arch": "the VAE's networks: " + "; ".join(f"{name}: {text}" for name, text in VAE_ARCHITECTURES.items()),
}


def _choices(path: str) -> list[str] | None:
    key = path.replace("d_opt.", "g_opt.", 1) if path.startswith("d_opt.") else \
        "g." + path[2:] if path.startswith("d.") else path
    return CHOICES.get(key)


def _help(paths: tuple[str, ...], default: object) -> str:
    first = paths[0]
    where = f"sets {' and '.join(paths)}"
    if first in OPTIONS:
        option = OPTIONS[first]
        return f"{option.help}: {option.describe()} ({where}; default {default:g})" if default is not None \
            else f"{option.help}: {option.describe()} ({where}; default: the data set's)"
    if first in _TEXT_HELP:
        return f"{_TEXT_HELP[first]} ({where})"
    if first in SWITCHES:
        text = SWITCHES[first] if len(paths) == 1 else "on for every path it sets: " + SWITCHES[first]
        return f"{text} ({where})"
    if first in _CHOICE_HELP:
        return f"{_CHOICE_HELP[first]} ({where}; default {default})"
    return f"{where}; default {default} (python -m ganlab list describes each)"


def _on_by_default(path: str) -> bool:
    """A true/false option whose default is true: its flag comes in two forms, --x and --no-x."""
    return LEAF_PATHS[path] is bool and flatten(RunConfig()).get(path) is True


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    """Add every FLAGS flag to `parser`, one argument group per FLAGS group. Each stores None when not
    given (store_true flags: False), so overrides() can tell given from default."""
    defaults = flatten(RunConfig())
    for title, flags in FLAGS.items():
        group = parser.add_argument_group(title, GROUP_NOTES.get(title))
        for flag, paths in flags.items():
            spelled, first = "--" + flag.replace("_", "-"), paths[0]
            help_text = _help(paths, defaults.get(first)).replace("%", "%%")
            if flag in GAN_ONLY and title != "tricks":
                help_text += " [GAN only]"
            if _on_by_default(first):
                group.add_argument(spelled, dest=flag, action=argparse.BooleanOptionalAction, default=None,
                                   help=help_text)
            elif LEAF_PATHS[first] is bool:
                group.add_argument(spelled, dest=flag, action="store_true", help=help_text)
            elif first in OPTIONS:
                kind = int if OPTIONS[first].integer else float
                group.add_argument(spelled, dest=flag, type=kind, metavar=kind.__name__.upper(), help=help_text)
            else:
                group.add_argument(spelled, dest=flag, choices=_choices(first), help=help_text)


def overrides(args: argparse.Namespace) -> dict[str, str]:
    """Dotted path -> string value for every FLAGS flag given on the command line (range checks are the
    config's, so a bad value is refused with the option's path and range)."""
    out: dict[str, str] = {}
    for flags in FLAGS.values():
        for flag, paths in flags.items():
            value = getattr(args, flag)
            if value is None or (value is False and not _on_by_default(paths[0])):
                continue
            text = {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)
            out.update({path: text for path in paths})
    return out
