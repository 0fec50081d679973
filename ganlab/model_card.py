"""Model cards: what a generator file (or a checkpoint's metadata) says about its run, read safely.

A card is a JSON object. Its known entries have a type (the step count an integer, each metric a number,
the command a string, ...); any other entry must be a plain value (text, a number, true/false or null),
so nothing in a card can be a list or an object the pages do not expect. `check_card` returns the card
unchanged when it fits and raises SchemaError otherwise; `read_card_file` reads the JSON file shipped
beside a checkpoint. `card_facts` and friends turn a checked card into the text the pages show.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganlab import file_checks as fc

MAX_CARD_CHARS = 256 * 1024
MAX_CARD_ENTRIES = 200
MAX_TEXT = 4000
MAX_STEPS = 10**15
REFERENCE_METRICS = ("metrics_reference", "reference")  # metrics that name a data set (text, not numbers)


def _count(value: Any, where: str) -> int:
    return fc.integer(value, where, 0, MAX_STEPS)


def _positive_number(value: Any, where: str) -> float:
    return fc.number(value, where, 0.0)


def _short_text(value: Any, where: str) -> str | None:
    return None if value is None else fc.text(value, where, MAX_TEXT)


def _diverged(value: Any, where: str) -> Any:
    """False / None for a run that did not diverge, else the message (text) or True."""
    if value is None or isinstance(value, bool):
        return value
    return fc.text(value, where, MAX_TEXT)


def _scalar(value: Any, where: str) -> Any:
    """Any other card entry: text, a number, true/false or null (no list, no object)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return fc.number(value, where, finite=False)
    if isinstance(value, str):
        return fc.text(value, where, MAX_TEXT)
    raise fc.SchemaError(where, "text, a number, true/false or null", value)


def check_metrics(value: Any, where: str = "card.metrics") -> dict:
    """{name: number or null}; a metric named like "metrics_reference" is text (the data set measured on)."""
    metrics = fc.mapping(value, where, any_keys=True, max_entries=MAX_CARD_ENTRIES)
    for name, metric in metrics.items():
        at = fc.join_where(where, name)
        if name in REFERENCE_METRICS:
            fc.text(metric, at, MAX_TEXT)
        elif metric is not None:
            fc.number(metric, at, finite=False)
    return metrics


FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "steps": _count, "steps_run": _count, "eval_samples": _count, "seed": _count,
    "info_codes": _count,
    "seconds": _positive_number, "steps_per_second": _positive_number, "images_per_second": _positive_number,
    "conditional": fc.boolean, "diverged": _diverged, "metrics": check_metrics,
    **{key: _short_text for key in ("format", "date", "command", "dataset", "data", "arch", "loss", "device",
                                    "saved_at", "source", "note")},
}
"""The card entries ganlab writes (export_generator, the CLI's card, a checkpoint's metadata) and the
check of each; other entries go through `_scalar`."""


def check_card(value: Any, where: str = "card") -> dict:
    """A model card (a dict) whose entries fit FIELDS (others: plain values). Returns it unchanged."""
    card = fc.mapping(value, where, any_keys=True, max_entries=MAX_CARD_ENTRIES)
    for key, entry in card.items():
        fc.text(key, f"{where} key", 100)
        FIELDS.get(key, _scalar)(entry, fc.join_where(where, key))
    return card


def parse_card(text: Any, where: str = "card") -> dict:
    """A card stored as JSON text (inside a generator file, or a checkpoint's metadata) -> the checked card."""
    return check_card(fc.json_text(text, where, MAX_CARD_CHARS), where)


def read_card_file(path: Path) -> dict | None:
    """The checked card in the JSON file beside a checkpoint (`path` with .json), or None when there is no
    such file or it is not a card (unreadable, too big, not JSON, not a card's structure)."""
    card_path = Path(path).with_suffix(".json")
    try:
        if not card_path.is_file() or card_path.stat().st_size > MAX_CARD_CHARS:
            return None
        return parse_card(card_path.read_text(encoding="utf-8"), card_path.name)
    except (OSError, UnicodeDecodeError, fc.SchemaError):
        return None


# --- text for the pages (from a checked card) --------------------------------------------------------

def metric_text(value: Any, digits: int = 3) -> str:
    """A metric for display: "0.546", "inf" / "nan", or "n/a" for a missing (null) one."""
    if value is None:
        return "n/a"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}f}"


def steps_text(card: dict) -> str | None:
    """ "15,000 steps" from a checked card, or None when it does not say."""
    steps = card.get("steps")
    return f"{steps:,} steps" if isinstance(steps, int) and not isinstance(steps, bool) else None


def card_metrics_caption(card: dict, titles: dict[str, str]) -> str | None:
    """ "Card metrics (5000 samples): FID (LeNet) 45.216 · ... — vs <reference>" for the metrics in
    `titles` ({key: title}) the card has, or None when it has none."""
    metrics = card.get("metrics") or {}
    shown = [f"{title} {metric_text(metrics[key])}" for key, title in titles.items() if key in metrics]
    if not shown:
        return None
    return (f"Card metrics ({card.get('eval_samples', '?')} samples): " + " · ".join(shown)
            + f" — vs {metrics.get('metrics_reference', '?')}")


def command_caption(card: dict) -> str | None:
    """ "Made with `python -m ganlab ...` on cpu in 1219.548 s, data: ..." or None without a command."""
    if not card.get("command"):
        return None
    return (f"Made with `{card['command']}` on {card.get('device', '?')} in {card.get('seconds', '?')} s, "
            f"data: {card.get('data', '?')}")
