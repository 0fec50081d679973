"""Giving memory back to the system: a process's freed heap (glibc keeps it otherwise), for the Streamlit
server as sessions end and for a training worker as its groups leave (issue 18)."""

from __future__ import annotations

import ctypes
import gc


def _glibc(name: str):
    """glibc's function `name`, or None (another C library, another system)."""
    try:
        return getattr(ctypes.CDLL("libc.so.6"), name)
    except (OSError, AttributeError):
        return None


MALLOC_TRIM, MALLOPT = _glibc("malloc_trim"), _glibc("mallopt")
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8  # mallopt's parameters (glibc's malloc.h)
ARENA_MAX = 2  # heaps shared by all the threads (glibc's default: 8 per core)
TRIM_THRESHOLD = 4 << 20   # a thread arena gives back its free top beyond 4 MiB
MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for the mmap threshold: large tensors stay in the heap


def fix_malloc_thresholds() -> bool:
    """Fixed malloc thresholds for this process (glibc only; returns whether they were set).

    By default glibc raises the mmap threshold each time a large mmapped block (a tensor) is freed, up to
    32 MiB, and the trim threshold to twice that: 64 MiB, a whole thread arena. Every session trains and
    draws in threads of its own, so the server uses up to 8 arenas per core, and after the sessions close
    each arena's free top stays resident (malloc_trim does not trim the top of a thread arena; measured with
    malloc_info after 5 closed sessions: 16 arenas, 698 MB free, RSS +280 MB). With these, the top goes
    back as it is freed. A fixed mmap threshold of 4 MiB instead cost the MNIST Lab ~20 % of its steps/s
    (every batch's large activations mmapped afresh); 32 MiB cost nothing measurable.

    At most ARENA_MAX arenas: the server's threads (each session's script, the live-frame route's pool, the
    readers of the training workers' replies, which unpickle every state a worker sends) then share two
    heaps, and what they free is reused across threads instead of staying in each thread's own. Measured
    with benchmarks/session_memory.py (5 sessions x 2 cycles; server and workers): +63.0 / +63.3 MB after
    the sessions closed, flat from one cycle to the next, against +63 / +87 / +88 / +78 MB over 4 cycles
    with glibc's default. (Measured with the environment variable MALLOC_ARENA_MAX=2, which sets the same
    glibc parameter from the start.)"""
    if MALLOPT is None:
        return False
    return (bool(MALLOPT(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(MALLOPT(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            and bool(MALLOPT(M_ARENA_MAX, ARENA_MAX)))


def collect_garbage() -> None:
    """A full collection, then the heap pages it freed go back to the system (glibc keeps them otherwise)."""
    gc.collect()
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)
