"""The suite runs on two pytest-xdist workers (pyproject.toml: -n 2 --dist loadgroup). Tests that start a
server and a browser (tests/e2e) share one group, and so do the Ray cluster's (tests/test_sweep_ray.py):
each group runs in one worker, one test at a time, while the other worker takes the rest of the suite."""

from __future__ import annotations

from pathlib import Path

import pytest

GROUPS = {"e2e": "e2e", "test_sweep_ray.py": "ray"}  # a folder or file under tests/ -> its xdist group


def pytest_collection_modifyitems(items):
    tests = Path(__file__).resolve().parent
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(tests).parts
        group = next((GROUPS[p] for p in parts if p in GROUPS), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
