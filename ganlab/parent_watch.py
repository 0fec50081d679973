"""A child process that ends with the process that started it: a sweep the Experiments page started must
not outlive the server (a stopped or crashed `streamlit run` would leave it training on every core)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time


def end_with_parent(parent: int, poll_seconds: float = 1.0) -> threading.Thread:
    """Watch, in a daemon thread, for this process's parent, the process `parent`, to exit (this process is
    then re-parented, so os.getppid() is no longer `parent`; also when it had exited before the call); then
    terminate this process's multiprocessing children (a sweep's pool workers) and exit with status 3.
    Returns the watching thread."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        for child in multiprocessing.active_children():
            child.terminate()
        os._exit(3)

    thread = threading.Thread(target=watch, name="end-with-parent", daemon=True)
    thread.start()
    return thread
