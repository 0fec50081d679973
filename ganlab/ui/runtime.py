"""Process-wide settings for the Streamlit server."""

from __future__ import annotations

import torch

APP_TORCH_THREADS = 1


def configure_torch_for_app() -> None:
    """One intra-op thread per process: sessions train in their own script threads, so parallelism
    comes from sessions, not from splitting tiny matrix products. (Measured on 2 cores with a second
    process busy: the default toy run did 384 steps/s with 2 intra-op threads, 876 with 1.)"""
    if torch.get_num_threads() != APP_TORCH_THREADS:
        torch.set_num_threads(APP_TORCH_THREADS)
