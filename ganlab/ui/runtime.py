"""Process-wide settings for the Streamlit server."""

from __future__ import annotations

import gc

import torch

APP_TORCH_THREADS = 1


def configure_torch_for_app() -> None:
    """One intra-op thread per process: sessions train in their own script threads, so parallelism
    comes from sessions, not from splitting tiny matrix products. (Measured on 2 cores with a second
    process busy: the default toy run did 384 steps/s with 2 intra-op threads, 876 with 1.)"""
    if torch.get_num_threads() != APP_TORCH_THREADS:
        torch.set_num_threads(APP_TORCH_THREADS)


def freeze_imported_objects() -> None:
    """Move everything allocated so far (torch, scipy, plotly, streamlit: ~10^5-10^6 objects) out of
    the garbage collector's view, so each collection only walks what the app allocates later."""
    gc.collect()
    gc.freeze()
