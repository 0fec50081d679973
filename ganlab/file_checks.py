"""Schema checks for what a loader reads from an external file (a checkpoint, a model card, an upload).

Every loader of a file it did not write itself checks the structure it read against a schema before it
uses a value: one helper here per kind of value (a mapping and its keys, an integer in a range, a number,
a short text, a tensor of a shape and dtype, a structure like a template, JSON text, an image's size).
A helper that finds something else raises `SchemaError` saying where in the file (``state.G.net.0.weight``)
and what was expected; the loader turns it into its own error (a `FileError`) whose one-line message
names the file. No size is trusted from a file: every count and length is checked against a stated bound
(for an option, the range ganlab.options declares) before anything is allocated from it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import torch

MAX_INT = 2**62  # larger integers are refused wherever a file holds a count
MAX_MESSAGE = 300


class FileError(ValueError):
    """An external file that cannot be used; the message is one line naming the file and what was expected."""


class SchemaError(ValueError):
    """A value in a file that its schema does not allow: `where` it is and what was expected."""

    def __init__(self, where: str, expected: str, value: Any = None, show_value: bool = True,
                 got: str | None = None):
        found = f", got {got}" if got is not None else (f", got {describe(value)}" if show_value else "")
        super().__init__(one_line(f"{where or 'top level'}: expected {expected}{found}"))
        self.where = where


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` on one line (line breaks and tabs as spaces), cut to `limit` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def short_repr(value: Any, limit: int = 40) -> str:
    """repr(value) on one line, at most `limit` characters (a file's keys and strings can be anything)."""
    try:
        text = repr(value)
    except Exception:  # a hostile object's repr may fail; fall back to its type
        text = f"<{type(value).__name__}>"
    return one_line(text, limit)


def describe(value: Any) -> str:
    """What a value is, briefly: "a str 'abc'", "a list of 3 items", "a tensor of shape (3, 2) float32"."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} {str(value.dtype).removeprefix('torch.')}"
    if isinstance(value, Mapping):
        return f"a mapping of {len(value)} entr{'y' if len(value) == 1 else 'ies'}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)} item{'' if len(value) == 1 else 's'}"
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} {short_repr(value)}"


def join_where(where: str, key: Any) -> str:
    """The path of an entry: "state" + "G" -> "state.G"; an index or an odd key in brackets."""
    if isinstance(key, str) and key and key.replace("_", "").replace(".", "").replace("-", "").isalnum():
        return f"{where}.{key}" if where else key
    return f"{where}[{short_repr(key, 30)}]"


def mapping(value: Any, where: str, required: Iterable[str] = (), optional: Iterable[str] = (),
            any_keys: bool = False, max_entries: int = 10_000, key_type: type = str) -> dict:
    """A dict (or other mapping) holding every `required` key and no key outside required + optional.

    With `any_keys` other keys are allowed too (their values are for the caller to check); every key
    must be a `key_type` (text by default). Returns a plain dict of the entries.
    """
    if not isinstance(value, Mapping):
        raise SchemaError(where, "a mapping (dict)", value)
    if len(value) > max_entries:
        raise SchemaError(where, f"at most {max_entries:,} entries", value)
    required = list(required)
    allowed = {*required, *optional}
    for key in value:
        if isinstance(key, bool) or not isinstance(key, key_type):
            raise SchemaError(where, f"{'text' if key_type is str else key_type.__name__} keys",
                              got=f"the key {describe(key)}")
        if not any_keys and key not in allowed:
            names = sorted(allowed)
            more = f", … ({len(names)} in all)" if len(names) > 6 else ""
            raise SchemaError(where, f"only the entries {', '.join(names[:6])}{more}" if names else "no entries",
                              got=f"an extra entry {short_repr(key)}")
    missing = [key for key in required if key not in value]
    if missing:
        raise SchemaError(where, f"an entry {missing[0]!r}", got="none")
    return dict(value)


def sequence(value: Any, where: str, length: int | None = None, max_length: int = 100_000) -> list:
    """A list or tuple (of exactly `length` items when given, else at most `max_length`)."""
    if not isinstance(value, list | tuple):
        raise SchemaError(where, "a list", value)
    if length is not None and len(value) != length:
        raise SchemaError(where, f"a list of {length} items", value)
    if len(value) > max_length:
        raise SchemaError(where, f"a list of at most {max_length:,} items", value)
    return list(value)


def integer(value: Any, where: str, low: int = -MAX_INT, high: int = MAX_INT) -> int:
    """A whole number (an int, not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SchemaError(where, integer_range(low, high), value)
    return int(value)


def integer_range(low: int, high: int) -> str:
    """ "an integer in [0, 100]", "an integer >= 1" (no bound shown past MAX_INT), "an integer"."""
    def shown(n: int) -> str:
        return f"{n:,}" if abs(n) < 10**9 else f"{n:.0e}"

    if high >= MAX_INT:
        return "an integer" if low <= -MAX_INT else f"an integer >= {shown(low)}"
    return f"an integer in [{shown(low)}, {shown(high)}]"


def number(value: Any, where: str, low: float = -math.inf, high: float = math.inf,
           finite: bool = True) -> float:
    """A real number (int or float, not a bool) in [low, high]; finite unless `finite` is False."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(where, "a number", value)
    as_float = float(value) if abs(value) < 1e308 or isinstance(value, float) else math.inf
    if math.isnan(as_float) and not finite:
        return as_float
    if (finite and not math.isfinite(as_float)) or not low <= as_float <= high:
        span = f" in [{low:g}, {high:g}]" if (low, high) != (-math.inf, math.inf) else ""
        raise SchemaError(where, f"a {'finite ' if finite else ''}number{span}", value)
    return as_float


def text(value: Any, where: str, max_chars: int = 1000) -> str:
    """A string of at most `max_chars` characters."""
    if not isinstance(value, str) or len(value) > max_chars:
        raise SchemaError(where, f"text of at most {max_chars:,} characters", value)
    return value


def boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SchemaError(where, "true or false", value)
    return value


def option_value(value: Any, where: str, option: str) -> float:
    """A value of the declared option `option` (ganlab.options.OPTIONS): its type and its range."""
    from ganlab.options import OPTIONS

    declared = OPTIONS[option]
    if not declared.allows(value) or not isinstance(value, int | float):
        raise SchemaError(where, f"{declared.describe()} (the range of the option {option!r})", value)
    return int(value) if declared.integer else float(value)


def tensor(value: Any, where: str, shape: tuple[int, ...] | None = None, dtype: torch.dtype | None = None,
           finite: bool = False, max_elements: int = 2**31) -> torch.Tensor:
    """A dense, contiguous tensor (of `shape` and `dtype` when given); with `finite` no NaN or infinity."""
    if not isinstance(value, torch.Tensor):
        raise SchemaError(where, "a tensor", value)
    kind = str(dtype or "").removeprefix("torch.")
    wanted = f"a tensor of shape {shape if shape is not None else '(any)'} {kind}"
    if (value.layout != torch.strided or value.is_quantized or value.is_meta or not value.is_contiguous()
            or value.numel() > max_elements):
        raise SchemaError(where, f"{wanted.strip()} (dense and contiguous)", value)
    if (shape is not None and tuple(value.shape) != tuple(shape)) or (dtype is not None and value.dtype != dtype):
        raise SchemaError(where, wanted.strip(), value)
    if finite and (value.is_floating_point() or value.is_complex()) and not bool(torch.isfinite(value).all()):
        raise SchemaError(where, "finite values (no NaN or infinity)", show_value=False)
    return value


def like(value: Any, template: Any, where: str, finite: bool = True) -> Any:
    """`value` built like `template`: the same keys, list lengths and types, tensors of the same shape and
    dtype (floating ones finite when `finite`). The way to check a state dict against a fresh model's.
    Returns `value` itself (a module's state dict keeps its version metadata)."""
    if isinstance(template, torch.Tensor):
        tensor(value, where, tuple(template.shape), template.dtype, finite)
    elif isinstance(template, Mapping):
        checked = mapping(value, where, required=list(template))
        for key, sub in template.items():
            like(checked[key], sub, join_where(where, key), finite)
    elif isinstance(template, list | tuple):
        items = sequence(value, where, length=len(template))
        for k, (item, sub) in enumerate(zip(items, template, strict=True)):
            like(item, sub, join_where(where, k), finite)
    elif isinstance(template, bool):
        boolean(value, where)
    elif isinstance(template, int):
        integer(value, where)
    elif isinstance(template, float):
        number(value, where)
    elif isinstance(template, str):
        text(value, where, max(1000, len(template)))
    elif template is None:
        if value is not None:
            raise SchemaError(where, "None", value)
    else:
        raise TypeError(f"like(): no rule for a template of type {type(template).__name__}")
    return value


def json_text(value: Any, where: str, max_chars: int = 1_000_000) -> Any:
    """Text holding JSON (at most `max_chars` characters) -> the parsed value."""
    if not isinstance(value, str):
        raise SchemaError(where, "JSON text", value)
    if len(value) > max_chars:
        raise SchemaError(where, f"JSON text of at most {max_chars:,} characters", got=f"{len(value):,}")
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise SchemaError(where, f"JSON text ({err.msg} at line {err.lineno})", show_value=False) from None
    except RecursionError:
        raise SchemaError(where, "JSON text nested at most a few hundred levels deep", show_value=False) from None


def image_size(size: Any, where: str, max_pixels: int, max_side: int) -> tuple[int, int]:
    """An image's (width, height) as read from its header, before any pixel is decoded: each side in
    [1, max_side] and width x height at most `max_pixels`."""
    width, height = (integer(v, f"{where} size", 0, MAX_INT) for v in sequence(size, f"{where} size", 2))
    if not (1 <= width <= max_side and 1 <= height <= max_side) or width * height > max_pixels:
        found = f"{width:,} x {height:,} ({width * height / 1e6:,.1f} megapixels)"
        raise SchemaError(where, f"an image of at most {max_side:,} pixels a side and {max_pixels / 1e6:.1f} "
                                 "megapixels", got=found)
    return width, height
