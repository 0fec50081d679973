"""The likelihood tests train tiny models: on one thread they run several times faster on a busy machine
(a second intra-op thread mostly waits), so each test runs with torch on one thread and restores the count."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
