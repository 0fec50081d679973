"""Fixtures of the page tests: one training pool for the whole run (a worker process imports torch: seconds of
CPU each time), installed as the server's for the tests that ask for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import ganlab.runtime.pool as pool_module
from ganlab.runtime.pool import TrainingPool


@pytest.fixture(scope="session")
def shared_training_pool() -> Iterator[TrainingPool]:
    """A pool of one worker process, started ahead and shared by the tests that use `server_pool`. A worker a
    test killed is replaced by the pool itself on the next start."""
    pool = TrainingPool(1, 8)
    pool.warm()
    yield pool
    pool.shutdown()


@pytest.fixture
def server_pool(shared_training_pool: TrainingPool, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrainingPool]:
    """The shared pool installed as the server's (training_pool()) for one test: no group on it and no ticket
    queued when the test starts, room for 8 runs (a test may change `max_runs`: it is put back after); a group
    or ticket a failed test left behind is dropped with the workers, so the next test starts clean."""
    pool = shared_training_pool
    monkeypatch.setattr(pool, "max_runs", 8)
    stats = pool.stats()
    assert stats["groups"] == 0 and stats["queued"] == 0, stats
    saved, pool_module._POOL = pool_module._POOL, pool
    yield pool
    pool_module._POOL = saved
    with pool._lock:
        left = bool(pool._groups or pool._waiting)
        pool._waiting.clear()
    if left:
        pool.shutdown()  # fresh workers for the next test: the pool starts them again on its next start
