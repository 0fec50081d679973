"""Process-wide settings for the Streamlit server."""

from __future__ import annotations

import gc
import threading

import torch

APP_TORCH_THREADS = 1


def configure_torch_for_app() -> None:
    """One intra-op thread per process: sessions train in their own script threads, so parallelism
    comes from sessions, not from splitting tiny matrix products. (Measured on 2 cores with a second
    process busy: the default toy run did 384 steps/s with 2 intra-op threads, 876 with 1.)"""
    if torch.get_num_threads() != APP_TORCH_THREADS:
        torch.set_num_threads(APP_TORCH_THREADS)


_FROZEN: list[int] = []  # the objects frozen, once the start-up freeze has been done in this process
_FREEZE_LOCK = threading.Lock()  # the first sessions' scripts may start together


def freeze_imported_objects_once() -> bool:
    """Once per process, at start-up: move everything allocated so far (torch, scipy, plotly, streamlit:
    ~10^5-10^6 objects) out of the garbage collector's view, so each collection only walks what the app
    allocates later. Later calls (every rerun of the app script) do nothing and return False.

    Only once, never on a rerun: a freeze while sessions are open moves their objects into the permanent
    generation too, and a closed session's reference cycles were then never collected (issue 18: every
    Toy Lab and MNIST Lab session stayed alive after the sessions had ended)."""
    with _FREEZE_LOCK:
        if _FROZEN:
            return False
        gc.collect()
        gc.freeze()
        _FROZEN.append(gc.get_freeze_count())
        return True
