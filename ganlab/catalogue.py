"""Every named option (datasets, losses, regularisers, architectures, optimisers, noise) with a
one-line description: what `python -m ganlab list` prints and the home page shows."""

from __future__ import annotations

from ganlab.config import NOISES, OPTIMIZERS
from ganlab.data import DATASETS
from ganlab.losses import LOSSES
from ganlab.nets.mlp import ARCHITECTURES
from ganlab.penalties import REGULARIZERS


def catalogue() -> dict[str, dict[str, str]]:
    """Section -> {name: description}."""
    return {
        "datasets": dict(DATASETS),
        "losses": {name: f"{spec.description}; D estimates {spec.divergence} as {spec.estimate_formula}"
                   for name, spec in LOSSES.items()},
        "regularizers": {name: f"{spec.description}; value = {spec.meaning}"
                         for name, spec in REGULARIZERS.items()},
        "architectures": dict(ARCHITECTURES),
        "optimizers": dict(OPTIMIZERS),
        "noise": dict(NOISES),
    }
