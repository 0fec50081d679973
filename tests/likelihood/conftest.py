"""The likelihood tests train tiny models: on one thread they run several times faster on a busy machine
(a second intra-op thread mostly waits), so each test runs with torch on one thread and restores the count."""

from tests.torch_threads import one_torch_thread  # noqa: F401 - autouse: one torch thread


