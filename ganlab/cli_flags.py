"""`python -m ganlab train`'s option flags, derived from the options' declarations.

FLAGS says which flags exist and which dotted config paths each sets (--lr sets both learning rates); a
flag's type, allowed values and help come from the option it sets: a number's NumberOption
(ganlab.options, the config's bounds), a choice's registry, a true/false option's type. Every numeric
parameter a toy data set declares gets its flag (--n-modes, --radius, --theta, --separation, ...).
"""

from __future__ import annotations

import argparse

from ganlab.config import DEVICES, LEAF_PATHS, NOISES, OPTIMIZERS, RunConfig, flatten
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
        "dataset": ("data.name",), "std": ("data.std",),
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
}
"""Group title -> flag (underscores; the flag is spelled with '-') -> the dotted paths it sets."""

CHOICES: dict[str, list[str]] = {
    "data.name": [*DATASETS, *IMAGE_DATASETS], "loss.name": list(LOSSES), "g_opt.name": list(OPTIMIZERS),
    "g.arch": sorted({**ARCHITECTURES, **IMAGE_ARCHITECTURES}), "g.activation": list(ACTIVATIONS),
    "g.norm": list(NORMS), "noise": list(NOISES), "device": list(DEVICES),
}
"""The registry of each choice option (d.* and d_opt.* read g.*'s and g_opt.*'s)."""

_TEXT_HELP = {"data.data_dir": "folder with torchvision's MNIST (else the offline subset)"}


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
    return f"{where}; default {default} (python -m ganlab list describes each)"


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    """Add every FLAGS flag to `parser`, one argument group per FLAGS group. Each stores None when not
    given (store_true flags: False), so overrides() can tell given from default."""
    defaults = flatten(RunConfig())
    for title, flags in FLAGS.items():
        group = parser.add_argument_group(title)
        for flag, paths in flags.items():
            spelled, first = "--" + flag.replace("_", "-"), paths[0]
            help_text = _help(paths, defaults.get(first)).replace("%", "%%")
            if LEAF_PATHS[first] is bool:
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
            if value is None or value is False:
                continue
            out.update({path: "true" if value is True else str(value) for path in paths})
    return out
