"""Fixtures shared by the runtime and page tests: one training pool for the whole run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ganlab.runtime.pool import TrainingPool


@pytest.fixture(scope="session")
def shared_training_pool() -> Iterator[TrainingPool]:
    """A pool of two worker processes, started ahead. A worker a test killed is replaced by the pool itself on
    its next start."""
    pool = TrainingPool(2, 8)
    pool.warm()
    yield pool
    pool.shutdown()


@pytest.fixture
def clean_pool(shared_training_pool: TrainingPool, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrainingPool]:
    """The shared pool for one test: no group on it and no ticket queued when the test starts, room for 8 runs
    (a test may change `max_runs`: it is put back after); a group or ticket a failed test left behind is dropped
    with the workers, so the next test starts clean."""
    pool = shared_training_pool
    monkeypatch.setattr(pool, "max_runs", 8)
    stats = pool.stats()
    assert stats["groups"] == 0 and stats["queued"] == 0, stats
    yield pool
    with pool._lock:
        left = bool(pool._groups or pool._waiting)
        pool._waiting.clear()
    if left:
        pool.shutdown()  # fresh workers for the next test: the pool starts them again on its next start
