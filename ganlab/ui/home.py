"""Data for the home page: the device and the catalogue (no streamlit needed, so it is testable)."""

from __future__ import annotations

from ganlab.catalogue import catalogue
from ganlab.device import describe_device, resolve_device

SECTION_TITLES = {"datasets": "Datasets", "losses": "Losses", "regularizers": "Regularisers",
                  "architectures": "Architectures", "optimizers": "Optimisers", "noise": "Latent noise",
                  "numeric options": "Numeric options", "tricks": "Training tricks"}


def device_summary() -> dict[str, str]:
    """{"type": "cuda"|"mps"|"cpu", "description": ..., "note": ...} for the device "auto" picks."""
    device = resolve_device("auto")
    notes = {
        "cuda": "Runs train on this GPU unless a run names another device.",
        "mps": "Runs train on the Apple GPU unless a run names another device.",
        "cpu": "No GPU found (CUDA or Apple MPS): runs train on the CPU. Toy runs are fast on a CPU.",
    }
    return {"type": device.type, "description": describe_device(device), "note": notes[device.type]}


def catalogue_rows() -> dict[str, list[dict[str, str]]]:
    """Section title -> rows {"name", "description"} of every registered option."""
    return {SECTION_TITLES[section]: [{"name": name, "description": text} for name, text in entries.items()]
            for section, entries in catalogue(include_tricks=True).items()}
