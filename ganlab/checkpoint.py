"""Save and load a run (weights, optimisers, config, metadata) safely.

Files are written atomically (temporary file in the same folder, then rename) and read with
`torch.load(..., weights_only=True)`, which refuses anything but tensors and plain containers: a
pickle that would run code is rejected without running it.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

import ganlab
from ganlab.config import ConfigError, RunConfig, from_json, to_json

FORMAT = "ganlab-checkpoint"
FORMAT_VERSION = 1
MAX_CHECKPOINT_BYTES = 512 * 1024 * 1024


RESUMABLE_CHANGES = ("device", "eval_every", "eval_samples")  # options a resumed run may change


class CheckpointError(ValueError):
    """A file that is not a readable ganlab checkpoint; the message says why."""


def atomic_save(obj: Any, path: str | os.PathLike) -> None:
    """torch.save to a temporary file beside `path`, fsync, then os.replace (never a half file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def checkpoint_payload(trainer, metadata: dict | None = None) -> dict:
    """The dict a checkpoint file holds: format marker, version, config JSON, metadata JSON, state."""
    trainer.check()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "ganlab_version": ganlab.__version__,
        "config": to_json(trainer.config),
        "metadata": json.dumps({"saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                                "device": str(trainer.device), **(metadata or {})}),
        "state": trainer.state_dict(),
    }


def save_checkpoint(trainer, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write the trainer's full state, its config (as JSON) and metadata to `path`, atomically."""
    atomic_save(checkpoint_payload(trainer, metadata), path)


def checkpoint_bytes(trainer, metadata: dict | None = None) -> bytes:
    """The same checkpoint as bytes (for a download button)."""
    buffer = io.BytesIO()
    torch.save(checkpoint_payload(trainer, metadata), buffer)
    return buffer.getvalue()


def read_payload(source: str | os.PathLike | bytes, map_location: str | torch.device = "cpu") -> Any:
    """Load a file (path) or upload (bytes) with weights_only=True, after size checks.

    Raises CheckpointError with a clear message for a missing, empty, oversized, truncated, foreign or
    unsafe file (a pickle that would run code is refused without running it).
    """
    if isinstance(source, bytes | bytearray):
        name, size, handle = "the uploaded file", len(source), io.BytesIO(source)
    else:
        path = Path(source)
        name = repr(str(path))
        if not path.is_file():
            raise CheckpointError(f"checkpoint {name} does not exist or is not a file")
        size, handle = path.stat().st_size, path
    if size == 0:
        raise CheckpointError(f"checkpoint {name} is empty (0 bytes)")
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"checkpoint {name} is {size / 2**20:.0f} MiB; the limit is "
                              f"{MAX_CHECKPOINT_BYTES // 2**20} MiB")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols of files it then refuses
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(handle, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types for bad files; none may escape as a traceback
        text = str(err)
        if "Unsupported global" in text or "GLOBAL" in text:
            raise CheckpointError(f"{name} was refused: it holds objects other than tensors and "
                                  "plain data (a pickle that could run code); only ganlab checkpoints "
                                  "can be loaded") from None
        if "Weights only load failed" in text:  # torch's long advice to drop weights_only is not for us
            detail = text.split("WeightsUnpickler error:")[-1].strip().splitlines()
            text = detail[0] if "WeightsUnpickler" in text and detail else "safe loading refused it"
        raise CheckpointError(f"{name} is not a readable checkpoint (corrupt, truncated, not a PyTorch file, "
                              f"or a pickle that safe loading refuses): "
                              f"{text.splitlines()[0][:200] if text else type(err).__name__}") from None


def parse_payload(payload: Any, name: str = "the file") -> dict:
    """A full ganlab checkpoint's payload -> {"config", "metadata", "state", "ganlab_version"}."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{name} is a PyTorch file but not a ganlab checkpoint "
                              f"(no '{FORMAT}' marker)")
    if int(payload.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"{name} was written by a newer ganlab "
                              f"({payload.get('ganlab_version')}); upgrade ganlab to read it")
    try:
        config = from_json(payload["config"])
        metadata = json.loads(payload.get("metadata", "{}"))
        state = payload["state"]
    except (KeyError, TypeError, json.JSONDecodeError, ConfigError) as err:
        raise CheckpointError(f"{name} is a damaged ganlab checkpoint: {err}") from None
    return {"config": config, "metadata": metadata, "state": state,
            "ganlab_version": payload.get("ganlab_version", "?")}


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint: {"config": RunConfig, "metadata": dict, "state": dict, "ganlab_version": str}.

    Raises CheckpointError with a clear message for a missing, empty, truncated, foreign, unsafe or
    newer-format file.
    """
    return parse_payload(read_payload(path, map_location), repr(str(path)))


def restore_trainer(loaded: dict, config: RunConfig | None = None, device: str | None = None):
    """Build a Trainer from a loaded checkpoint and put its state in place.

    If `config` is given it must equal the checkpoint's (RESUMABLE_CHANGES aside), else
    CheckpointError lists every differing option.
    """
    from ganlab.config import diff
    from ganlab.runs import make_trainer

    saved: RunConfig = loaded["config"]
    if config is not None:
        changes = {k: v for k, v in diff(saved, config).items() if k not in RESUMABLE_CHANGES}
        if changes:
            lines = "; ".join(f"{k}: checkpoint has {a!r}, this run asks for {b!r}"
                              for k, (a, b) in changes.items())
            raise CheckpointError(f"refusing to resume: the config does not match the checkpoint ({lines})")
    if device is not None:
        saved.device = device
    if config is not None:
        saved.eval_every, saved.eval_samples = config.eval_every, config.eval_samples
    trainer = make_trainer(saved)
    try:
        trainer.load_state_dict(loaded["state"])
    except (KeyError, RuntimeError, ValueError, TypeError) as err:
        raise CheckpointError(f"checkpoint state does not fit its config: {str(err)[:300]}") from None
    return trainer
