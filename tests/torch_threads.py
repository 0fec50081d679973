"""Torch on one thread for tests that train tiny networks: a second intra-op thread mostly waits on them,
and on a busy machine it made each step hundreds of times slower. A worker process trains on one thread too.

    from tests.torch_threads import one_torch_thread  # noqa: F401 - an autouse fixture: the whole module
    with torch_threads(1): ...                          # one block
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import torch


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Torch's intra-op threads set to `count` inside the block, restored after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Every test of a module that imports this fixture runs with torch on one thread."""
    with torch_threads(1):
        yield
