"""From widget state to config overrides: the one rule the Toy Lab and the MNIST Lab share.

A page keys each option's widget `prefix + dotted path` (ganlab.ui.option_widgets); a regulariser's
strength is `prefix + "reg.NAME"` and its on/off box `prefix + "on.NAME"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def overrides_from_state(state: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """Dotted path -> text for every widget keyed `prefix + path` in `state` (booleans as "true"/"false",
    a regulariser that is switched off as "off")."""
    overrides: dict[str, str] = {}
    for key, value in state.items():
        if not isinstance(key, str) or not key.startswith(prefix) or key.startswith(prefix + "on."):
            continue
        path = key[len(prefix):]
        if path.startswith("reg."):
            overrides[path] = str(value) if state.get(f"{prefix}on.{path[4:]}") else "off"
        else:
            overrides[path] = str(value).lower() if isinstance(value, bool) else str(value)
    return overrides
