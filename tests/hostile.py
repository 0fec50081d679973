"""Hostile files for the loaders' tests: the audit's nine Latent Explorer uploads (issue 18), and a
hypothesis strategy that makes a valid payload structurally wrong at one place (a wrong type at any key,
a missing or extra key, a huge or negative size, a string where a number goes, nested lists), including
inside the JSON texts a payload carries (config, card, metadata)."""

from __future__ import annotations

import copy
import io
import json
import struct
import zlib

import torch
from hypothesis import strategies as st

from ganlab.config import IMAGE_DEFAULTS, RunConfig, to_json, with_overrides
from ganlab.generator_file import build_sampling_net

JSON_FIELDS = ("config", "card", "metadata")  # payload entries holding JSON text


def tiny_image_config(**overrides) -> RunConfig:
    return with_overrides(RunConfig(device="cpu"), {"data.name": "mnist", **IMAGE_DEFAULTS, "g.channels": "8",
                                                    "d.channels": "8", "latent_dim": "16", **overrides})


def generator_payload(cfg: RunConfig | None = None, **entries) -> dict:
    """A valid generator file's payload (tiny DCGAN), with `entries` replaced."""
    cfg = cfg or tiny_image_config()
    payload = {"format": "ganlab-generator", "format_version": 1, "ganlab_version": "test",
               "config": to_json(cfg), "card": json.dumps({"steps": 5, "metrics": {"fid_lenet": 1.5}}),
               "state": build_sampling_net(cfg).state_dict()}
    return {**payload, **entries}


def checkpoint_payload_for_g(cfg: RunConfig | None = None, state=None, **entries) -> dict:
    """A training checkpoint's payload holding what the Latent Explorer reads (G, step count)."""
    cfg = cfg or tiny_image_config()
    if state is None:
        state = {"G": build_sampling_net(cfg).state_dict(), "step_count": 3}
    payload = {"format": "ganlab-checkpoint", "format_version": 1, "ganlab_version": "test",
               "config": to_json(cfg), "metadata": json.dumps({"source": "test"}), "state": state}
    return {**payload, **entries}


def to_bytes(payload) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def audit_files() -> dict[str, tuple[bytes, str]]:
    """The audit's nine uploads (valid torch files, odd contents) -> (bytes, a fragment of the message)."""
    cfg = tiny_image_config()
    return {
        "no_G.pt": (to_bytes(checkpoint_payload_for_g(cfg, state={"D": {}, "step_count": 3})),
                    "state: expected an entry 'G'"),
        "state_list.pt": (to_bytes(checkpoint_payload_for_g(cfg, state=[1, 2])), "state: expected a mapping"),
        "metadata_list.pt": (to_bytes(checkpoint_payload_for_g(cfg, metadata=[1, 2])), "metadata: expected JSON"),
        "generator_state_list.pt": (to_bytes(generator_payload(cfg, state=[1])), "state: expected a mapping"),
        "version_abc.pt": (to_bytes(generator_payload(cfg, format_version="abc")), "format_version: expected"),
        "version_list.pt": (to_bytes(checkpoint_payload_for_g(cfg, format_version=[1])), "format_version"),
        "card_list.pt": (to_bytes(generator_payload(cfg, card=json.dumps([1, 2]))), "card: expected a mapping"),
        "card_steps_text.pt": (to_bytes(generator_payload(cfg, card=json.dumps({"steps": "15,000"}))),
                               "card.steps: expected an integer"),
        "card_metric_text.pt": (to_bytes(generator_payload(cfg, card=json.dumps(
            {"steps": 5, "metrics": {"fid_lenet": "good"}}))), "card.metrics.fid_lenet: expected a number"),
    }


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (8-bit grey) with one tiny compressed row: cheap to
    make, and a loader that decodes it before checking the size would try to allocate it all."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


# --- hypothesis: one structural fault somewhere in a payload ----------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([0, -1, 1, 10**9, 2**62, 2**63, -2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["", "abc", "1e9", "NaN", "-1", "15,000"]))
JSON_VALUES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=3)
                           | st.dictionaries(st.text(max_size=6), kids, max_size=3), max_leaves=6)
TENSORS = st.builds(lambda shape, dtype: torch.zeros(shape, dtype=dtype),
                    st.lists(st.integers(0, 5), max_size=3).map(tuple),
                    st.sampled_from([torch.float32, torch.float64, torch.float16, torch.int64, torch.uint8,
                                     torch.bool]))
TORCH_VALUES = st.one_of(JSON_VALUES, TENSORS, st.lists(TENSORS, max_size=2),
                         st.dictionaries(st.integers(-2, 9), TENSORS, max_size=2))


def _paths(tree, prefix=()):
    """Every path into nested dicts and lists (tensors and strings are leaves)."""
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(tree, list | tuple):
        for index, value in enumerate(tree):
            yield from _paths(value, (*prefix, index))


def _apply(tree, path: tuple, action: str, value, extra_key):
    """Change `tree` (a dict / list) in place at `path`: delete it, replace it, or add an entry to it."""
    if not path:
        return value if action == "replace" else tree
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, tuple):
        return tree  # a tuple (betas) cannot change in place: leave it
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "replace":
        parent[last] = value
    elif isinstance(parent[last], dict):
        parent[last][extra_key] = value
    return tree


@st.composite
def one_fault(draw, payload: dict) -> dict:
    """A copy of `payload` with one structural fault, anywhere (inside its JSON texts too)."""
    payload = copy.deepcopy(payload)
    inside_json = [("json", field, path) for field in JSON_FIELDS if field in payload
                   for path in _paths(json.loads(payload[field])) if path]
    raw = [("raw", None, path) for path in _paths(payload) if path]
    kind, field, path = draw(st.sampled_from(raw + inside_json))
    action = draw(st.sampled_from(["delete", "replace", "replace", "add"]))
    extra_key = draw(st.one_of(st.text(max_size=6), st.integers(-3, 3)) if kind == "raw" else st.text(max_size=6))
    value = draw(JSON_VALUES if kind == "json" else TORCH_VALUES)
    if kind == "raw":
        return _apply(payload, path, action, value, extra_key)
    inner = _apply(json.loads(payload[field]), path, action, value, extra_key)
    payload[field] = json.dumps(inner)
    return payload
