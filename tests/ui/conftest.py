"""Fixtures of the page tests: the shared training pool (tests/conftest.py) installed as the server's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import ganlab.runtime.pool as pool_module
from ganlab.runtime.pool import TrainingPool


@pytest.fixture
def server_pool(clean_pool: TrainingPool) -> Iterator[TrainingPool]:
    """The clean shared pool installed as the server's (training_pool()) for one test."""
    saved, pool_module._POOL = pool_module._POOL, clean_pool
    yield clean_pool
    pool_module._POOL = saved
