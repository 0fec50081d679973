"""Which device a run trains on: cuda, then mps, then cpu, unless the config names one."""

from __future__ import annotations

import contextlib
import os

import torch


def resolve_device(requested: str = "auto") -> torch.device:
    """"auto" -> the best available device; a named device must be available (else ValueError)."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: 'cuda' was asked for but no CUDA GPU is available; use 'auto' or 'cpu'")
    if requested == "mps" and not (getattr(torch.backends, "mps", None) is not None
                                   and torch.backends.mps.is_available()):
        raise ValueError("device: 'mps' was asked for but Apple MPS is not available; use 'auto' or 'cpu'")
    return torch.device(requested)


def describe_device(device: torch.device | None = None) -> str:
    """Human-readable name, e.g. "CUDA GPU: NVIDIA H100 80GB HBM3", "Apple MPS", "CPU (2 cores)"."""
    device = device or resolve_device("auto")
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple MPS (Metal) GPU"
    return f"CPU ({os.cpu_count()} cores)"


def mixed_precision_dtype(device: torch.device) -> torch.dtype | None:
    """bfloat16 on a CUDA GPU that supports it (same range as float32, so no loss scaling), else None."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def autocast_context(device: torch.device):
    """A fresh context manager: autocast to mixed_precision_dtype(device), or a no-op on CPU / MPS."""
    dtype = mixed_precision_dtype(device)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
