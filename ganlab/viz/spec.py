"""A figure as the JSON plotly.js reads, for pages that hand it to plotly.js themselves.

The live plane sends one such spec per frame, so this is on the hot path. plotly.py's public route,
`fig.to_dict()`, deep-copies every trace (its numpy arrays included) before encoding them, about a third
of a frame's server time. `figure_spec` reads the figure's own trace and layout dicts instead (plotly.py's
`_data` / `_layout`, its one private API used here) and builds the JSON from fresh containers, encoding
numpy arrays as plotly.js typed arrays (base64) as plotly.py does; a figure without those attributes takes
the public route. tests/viz/test_spec.py checks that both routes give the same JSON.
"""

from __future__ import annotations

import base64

import numpy as np
import plotly.io as pio

# numpy dtype -> plotly.js typed-array code (plotly.js's "dtype" of a {"dtype", "bdata", "shape"} array)
TYPED_ARRAY_CODES = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
                     "float32": "f4", "float64": "f8"}
_CODES_BY_DTYPE = {np.dtype(name): code for name, code in TYPED_ARRAY_CODES.items()}  # str(dtype) is slow
UNENCODED_KEYS = frozenset({"geojson", "layer", "layers", "range"})  # plotly.py leaves these as they are


def figure_spec(fig) -> str:
    """`fig` as JSON: {"data": [...], "layout": {...}}, numpy arrays as base64 typed arrays.

    Drops the default template plotly.py adds: once streamlit is imported that is Streamlit's own, whose
    placeholder colours only Streamlit's chart element replaces.
    """
    data, layout = getattr(fig, "_data", None), getattr(fig, "_layout", None)
    if isinstance(data, list) and isinstance(layout, dict):
        spec = {"data": [_encoded(trace) for trace in data], "layout": _encoded(layout)}
    else:
        spec = fig.to_dict()
    spec["layout"].pop("template", None)
    return pio.json.to_json_plotly(spec)


def figure_spec_public(fig) -> str:
    """figure_spec by plotly.py's public route only (`to_dict`): the reference the fast route is tested
    against."""
    spec = fig.to_dict()
    spec["layout"].pop("template", None)
    return pio.json.to_json_plotly(spec)


def _encoded(value):
    """A copy of the containers of `value` (dicts, lists, tuples) in which each numpy array that is a dict's
    value (under a key plotly.py encodes) is its typed-array spec, as plotly.py's `to_dict` gives; arrays
    are not copied."""
    if isinstance(value, dict):
        return {key: item if key in UNENCODED_KEYS else
                typed_array(item) if isinstance(item, np.ndarray) else _encoded(item)
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encoded(item) for item in value]
    return value


def typed_array(array: np.ndarray):
    """A numpy array as plotly.js's typed array {"dtype", "bdata" (base64), "shape" ("r, c") when 2-D or
    more}; 64-bit integers narrowed to the smallest type that holds them; an empty array or one plotly.js
    has no typed array for is returned as it is."""
    if array.size == 0:
        return array
    if array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        array = _narrowed(array)
    code = _CODES_BY_DTYPE.get(array.dtype)
    if code is None:
        return array
    spec = {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(array)).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = str(array.shape)[1:-1]
    return spec


def _narrowed(array: np.ndarray) -> np.ndarray:
    low, high = int(array.min()), int(array.max())
    kinds = ("uint8", "uint16", "uint32") if array.dtype.kind == "u" else ("int8", "int16", "int32")
    for kind in kinds:
        info = np.iinfo(kind)
        if info.min <= low and high <= info.max:
            return array.astype(kind)
    return array
