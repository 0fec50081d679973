"""Every named option (datasets, losses, regularisers, training tricks, architectures, optimisers, noise)
with a one-line description: what `python -m ganlab list` prints and the home page shows (the home page
asks for the sections without the tricks)."""

from __future__ import annotations

from ganlab.config import NOISES, OPTIMIZERS
from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.nets.mlp import ARCHITECTURES
from ganlab.penalties import REGULARIZERS
from ganlab.tricks import TRICKS


def catalogue(include_tricks: bool = False) -> dict[str, dict[str, str]]:
    """Section -> {name: description}; with `include_tricks` also "tricks" (ganlab.tricks.TRICKS: every
    training trick, the option that switches it on and its citation), which `python -m ganlab list` prints.
    """
    sections = {
        "datasets": dict(DATASETS),
        "losses": {name: f"{spec.description}; D estimates {spec.divergence} as {spec.estimate_formula}"
                   for name, spec in LOSSES.items()},
        "regularizers": {name: f"{spec.description}; value = {spec.meaning}"
                         for name, spec in REGULARIZERS.items()},
        "architectures": dict(ARCHITECTURES),
        "optimizers": dict(OPTIMIZERS),
        "noise": dict(NOISES),
    }
    if include_tricks:
        sections["tricks"] = dict(TRICKS)
    return sections
