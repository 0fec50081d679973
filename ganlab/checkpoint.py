"""Save and load a run (weights, optimisers, config, metadata) safely.

Files are written atomically (a temporary file beside the target, then rename; the temporary file is
removed when the save fails, and one left by a killed process is removed by the next save to the same
path), only over a regular file (never through a symbolic link or over a device, folder or pipe), with
the usual permissions (0666 less the umask). They are read with `torch.load(..., weights_only=True)`,
which refuses anything but tensors and plain containers: a pickle that would run code is rejected
without running it. What was read is then checked against a schema (ganlab.file_checks) before any
value is used: the header, the config, the metadata, and, before a trainer takes the state, every
tensor's shape and dtype against the model built from the config, the optimisers' state against their
parameters, and the histories' sizes against the declared option ranges.
"""

from __future__ import annotations

import copy
import datetime as _dt
import errno
import io
import json
import os
import secrets
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch

import ganlab
from ganlab import file_checks as fc
from ganlab.config import ConfigError, RunConfig, from_dict, to_json
from ganlab.model_card import MAX_STEPS, parse_card

FORMAT = "ganlab-checkpoint"
FORMAT_VERSION = 1
MAX_CHECKPOINT_BYTES = 512 * 1024 * 1024
MAX_CONFIG_CHARS = 1024 * 1024


RESUMABLE_CHANGES = ("device", "eval_every", "eval_samples")  # options a resumed run may change


class CheckpointError(fc.FileError):
    """A file that is not a readable ganlab checkpoint; the message says why."""


# --- writing --------------------------------------------------------------------------------------

def check_save_target(path: str | os.PathLike) -> Path:
    """`path` as a Path if a save may write there: not empty, and either absent or a regular file (not a
    symbolic link, folder, device, pipe or socket). Else OSError (EINVAL / ELOOP / EEXIST) saying why."""
    if path is None or not str(path).strip():
        raise OSError(errno.EINVAL, "an empty path names no file; give a file name")
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    if stat.S_ISLNK(mode):
        raise OSError(errno.ELOOP, "it is a symbolic link; refusing to write through or replace it", str(path))
    if not stat.S_ISREG(mode):
        raise OSError(errno.EEXIST, "it exists and is not a regular file (a folder, device, pipe or socket); "
                                    "refusing to replace it", str(path))
    return path


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temps(path: Path) -> None:
    """Remove temporary files a killed save to `path` left behind: ".NAME.<pid>.<random>.tmp" whose
    process is gone (a save still running elsewhere keeps its file)."""
    prefix = _temp_prefix(path)
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write(handle)` on a new temporary file beside `path`, fsync, then os.replace it onto `path`.

    Never a half file at `path`; the temporary file is removed if anything fails (or is interrupted). The
    file gets mode 0666 less the umask (0644 usually). Refuses targets check_save_target refuses.
    """
    path = check_save_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = path.parent / f"{_temp_prefix(path)}{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        check_save_target(path)  # once more just before replacing: it may have changed meanwhile
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_save(obj: Any, path: str | os.PathLike) -> None:
    """torch.save `obj` to `path` atomically (see atomic_write)."""
    atomic_write(path, lambda handle: torch.save(obj, handle))


def atomic_write_text(content: str, path: str | os.PathLike) -> None:
    """Write text (UTF-8) to `path` atomically (see atomic_write)."""
    atomic_write(path, lambda handle: handle.write(content.encode("utf-8")))


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


def read_payload(source: str | os.PathLike | bytes, map_location: str | torch.device = "cpu",
                 name: str | None = None) -> Any:
    """Load a file (path) or upload (bytes) with weights_only=True, after size checks.

    Raises CheckpointError with a clear message for a missing, empty, oversized, truncated, foreign or
    unsafe file (a pickle that would run code is refused without running it). `name` is how messages
    call the file (default: its path, or "the uploaded file").
    """
    if isinstance(source, bytes | bytearray):
        name, size, handle = name or "the uploaded file", len(source), io.BytesIO(source)
    else:
        path = Path(source)
        name = name or repr(str(path))
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
        raise CheckpointError(fc.one_line(
            f"{name} is not a readable checkpoint (corrupt, truncated, not a PyTorch file, or a pickle that "
            f"safe loading refuses): {text.splitlines()[0][:200] if text.strip() else type(err).__name__}",
            500)) from None


# --- the schema of a file's header, config and state ----------------------------------------------

def check_header(payload: Any, name: str, fmt: str, version: int, what: str) -> dict:
    """The format marker and version of a payload (a dict): CheckpointError for a foreign file (no
    `fmt` marker) or one written by a newer ganlab (format_version above `version`)."""
    marker = payload.get("format") if isinstance(payload, dict) else None
    if not isinstance(marker, str) or marker != fmt:
        raise CheckpointError(f"{name} is a PyTorch file but not a ganlab {what} (no '{fmt}' marker)")
    written_by = payload.get("ganlab_version", "?")
    written_by = written_by if isinstance(written_by, str) and len(written_by) <= 40 else "?"
    try:
        found = fc.integer(payload.get("format_version", version), "format_version", 0, fc.MAX_INT)
    except fc.SchemaError as err:
        raise CheckpointError(f"{name} is not a usable ganlab {what}: {err}") from None
    if found > version:
        raise CheckpointError(f"{name} was written by a newer ganlab ({fc.one_line(written_by)}, format "
                              f"version {found}; this one reads {version}); upgrade ganlab to read it")
    return payload


def parse_config(value: Any, where: str = "config") -> RunConfig:
    """A run's config stored as JSON text -> a validated RunConfig (SchemaError naming the option)."""
    values = fc.json_text(value, where, MAX_CONFIG_CHARS)
    try:
        return from_dict(fc.mapping(values, where, any_keys=True))
    except ConfigError as err:
        raise fc.SchemaError(f"{where}.{err.field}", str(err).removeprefix(f"{err.field}: "),
                             show_value=False) from None


def refuse(name: str, what: str, err: fc.SchemaError) -> CheckpointError:
    """The loader's one-line error for a value its schema refused."""
    return CheckpointError(fc.one_line(f"{name} is not a usable ganlab {what}: {err}", 500))


def parse_payload(payload: Any, name: str = "the file") -> dict:
    """A full ganlab checkpoint's payload -> {"config", "metadata", "state", "ganlab_version", "name"}.

    Checks the header, the config (validated), the metadata (a model card's schema) and that the state is
    a mapping with a step count; the state's tensors are checked by restore_trainer (against the model
    its config builds) or by the generator loader (the generator's weights).
    """
    check_header(payload, name, FORMAT, FORMAT_VERSION, "checkpoint")
    try:
        entries = fc.mapping(payload, "", required=("format", "config", "state"),
                             optional=("format_version", "ganlab_version", "metadata"))
        config = parse_config(entries["config"])
        metadata = parse_card(entries.get("metadata", "{}"), "metadata")
        state = fc.mapping(entries["state"], "state", required=("step_count",), any_keys=True, max_entries=1000)
        fc.integer(state["step_count"], "state.step_count", 0, MAX_STEPS)
    except fc.SchemaError as err:
        raise refuse(name, "checkpoint", err) from None
    return {"config": config, "metadata": metadata, "state": state,
            "ganlab_version": entries.get("ganlab_version", "?"), "name": name}


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint: {"config": RunConfig, "metadata": dict, "state": dict, "ganlab_version": str}.

    Raises CheckpointError with a clear message for a missing, empty, truncated, foreign, unsafe,
    malformed or newer-format file.
    """
    return parse_payload(read_payload(path, map_location), repr(str(path)))


OPTIONAL_STATE = ("G_ema", "history", "metrics", "average_G", "average_D")  # a checkpoint may lack these
COUNTERS = ("step_count", "d_updates", "g_updates")
# a trainer's optimisers by state key: the GAN's two players', a likelihood model's one (ganlab.likelihood)
OPTIMISER_KEYS = ("g_opt", "d_opt", "opt")
# per-parameter optimiser state: which entries each optimiser keeps (all param-shaped but "step")
OPTIMISER_STATE = {torch.optim.Adam: ("step", "exp_avg", "exp_avg_sq"),
                   torch.optim.RMSprop: ("step", "square_avg", "momentum_buffer", "grad_avg"),
                   torch.optim.SGD: ("momentum_buffer",)}


def _needed_state(optimizer: torch.optim.Optimizer, group: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(entries a parameter's non-empty state must have, entries it may have) for this optimiser."""
    kind = next((k for k in OPTIMISER_STATE if isinstance(optimizer, k)), None)
    if kind is None:
        raise TypeError(f"no state schema for the optimiser {type(optimizer).__name__}")
    allowed = OPTIMISER_STATE[kind]
    if kind is torch.optim.Adam:
        return allowed, allowed
    momentum = bool(group.get("momentum"))
    if kind is torch.optim.SGD:
        return (("momentum_buffer",) if momentum else ()), allowed
    needed = ("step", "square_avg", *(("momentum_buffer",) if momentum else ()),
              *(("grad_avg",) if group.get("centered") else ()))
    return needed, allowed


def check_optimizer_state(value: Any, optimizer: torch.optim.Optimizer, where: str) -> dict:
    """An optimiser's state_dict from a file, checked against `optimizer` (built from the same config):
    the same parameter groups, and for each parameter with state exactly the entries this optimiser
    keeps, each a finite tensor of the parameter's shape and dtype ("step": a finite scalar >= 0).

    Returns the state to load, with the parameter groups (hyperparameters) of `optimizer` itself: they
    come from the config, which must match the checkpoint's, so no hyperparameter is taken from a file.
    """
    template = optimizer.state_dict()
    entries = fc.mapping(value, where, required=("state", "param_groups"))
    groups = fc.sequence(entries["param_groups"], f"{where}.param_groups", length=len(template["param_groups"]))
    params, owner = {}, {}
    for k, (group, expected) in enumerate(zip(groups, template["param_groups"], strict=True)):
        at = f"{where}.param_groups[{k}]"
        group = fc.mapping(group, at, required=("params",), any_keys=True, max_entries=100)
        ids = [fc.integer(i, f"{at}.params") for i in fc.sequence(group["params"], f"{at}.params")]
        if ids != expected["params"]:
            raise fc.SchemaError(f"{at}.params", f"the parameter numbers {expected['params']}", ids)
        for i, param in zip(ids, optimizer.param_groups[k]["params"], strict=True):
            params[i], owner[i] = param, optimizer.param_groups[k]
    checked = {}
    for index, per_param in fc.mapping(entries["state"], f"{where}.state", any_keys=True,
                                           key_type=int).items():
        checked[index] = _check_param_state(per_param, index, params, owner, optimizer, f"{where}.state")
    return {"state": checked, "param_groups": copy.deepcopy(template["param_groups"])}


def _check_param_state(value: Any, index: Any, params: dict, owner: dict, optimizer, where: str) -> dict:
    """One parameter's optimiser state (see check_optimizer_state)."""
    if isinstance(index, bool) or not isinstance(index, int) or index not in params:
        raise fc.SchemaError(fc.join_where(where, index), f"a parameter number in 0..{len(params) - 1}",
                             show_value=False)
    at = f"{where}[{index}]"
    needed, allowed = _needed_state(optimizer, owner[index])
    entry = fc.mapping(value, at, optional=allowed)
    if entry and set(needed) - set(entry):
        raise fc.SchemaError(at, f"the entries {', '.join(needed)}", got=f"only {', '.join(entry)}")
    param = params[index]
    for key, item in entry.items():
        if key == "step":
            step = fc.tensor(item, f"{at}.step", shape=(), finite=True)
            if not step.is_floating_point() or not 0 <= float(step) <= MAX_STEPS:
                raise fc.SchemaError(f"{at}.step", f"a floating-point scalar in [0, {MAX_STEPS:g}]", step)
        elif not (key == "momentum_buffer" and item is None and key not in needed):
            fc.tensor(item, f"{at}.{key}", tuple(param.shape), param.dtype, finite=True)
    return entry


def check_history_state(value: Any, where: str) -> dict:
    """A History's tensor state: capacity in the range of the option "history" (no size from a file is
    trusted), at most `capacity` rows, values (rows, columns) float64 and steps (rows,) int64."""
    entries = fc.mapping(value, where, required=("steps", "values", "stride", "capacity", "columns"))
    capacity = int(fc.option_value(entries["capacity"], f"{where}.capacity", "history"))
    columns = [fc.text(c, f"{where}.columns", 100)
               for c in fc.sequence(entries["columns"], f"{where}.columns", max_length=1000)]
    steps = fc.tensor(entries["steps"], f"{where}.steps", dtype=torch.int64)
    if steps.dim() != 1 or len(steps) > capacity:
        raise fc.SchemaError(f"{where}.steps", f"one row per kept step, at most capacity = {capacity:,}", steps)
    fc.tensor(entries["values"], f"{where}.values", (len(steps), len(columns)), torch.float64)
    fc.integer(entries["stride"], f"{where}.stride", 1, fc.MAX_INT)
    return entries


def check_trainer_state(state: Any, trainer) -> dict:
    """A checkpoint's state checked against `trainer` (built from the checkpoint's config: a GAN Trainer or,
    for model "vae" / "flow", a LikelihoodTrainer) before it takes it: the same entries, every tensor of the
    model's shape and dtype, optimisers' state against their parameters, counters and history sizes in
    range. Returns the state to load."""
    template = trainer.state_dict()
    entries = fc.mapping(state, "state", required=[k for k in template if k not in OPTIONAL_STATE],
                         optional=list(template))
    checked = {}
    for key, value in entries.items():
        where = f"state.{key}"
        if key in OPTIMISER_KEYS:
            checked[key] = check_optimizer_state(value, getattr(trainer, key), where)
        elif key in ("history", "metrics"):
            checked[key] = check_history_state(value, where)
        elif key in COUNTERS:
            checked[key] = fc.integer(value, where, 0, MAX_STEPS)
        elif key.startswith("average_"):
            average = fc.mapping(value, where, required=("count", "mean"))
            fc.integer(average["count"], f"{where}.count", 0, MAX_STEPS)
            checked[key] = fc.like(value, template[key], where)
        else:
            checked[key] = fc.like(value, template[key], where, finite=key != "rng")
    return checked


def restore_trainer(loaded: dict, config: RunConfig | None = None, device: str | None = None):
    """Build the checkpoint's trainer (ganlab.likelihood.make_trainer: the GAN Trainer, or the
    LikelihoodTrainer for a VAE or a flow) and put its state in place, once check_trainer_state has
    accepted it (no tensor of a wrong shape reaches a module or an optimiser).

    If `config` is given it must equal the checkpoint's (RESUMABLE_CHANGES aside), else
    CheckpointError lists every differing option.
    """
    from ganlab.config import diff
    from ganlab.likelihood import make_trainer

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
    name = loaded.get("name", "the checkpoint")
    try:
        state = check_trainer_state(loaded["state"], trainer)
    except fc.SchemaError as err:
        raise CheckpointError(fc.one_line(f"{name}: its state does not fit its config: {err}", 500)) from None
    try:
        trainer.load_state_dict(state)
    except (KeyError, RuntimeError, ValueError, TypeError) as err:  # a backstop: the check above should catch all
        raise CheckpointError(fc.one_line(f"{name}: its state does not fit its config: {err}", 500)) from None
    return trainer
