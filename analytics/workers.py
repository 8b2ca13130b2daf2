"""A second thread for work that lets go of the interpreter (numpy on whole arrays, a DuckDB
query): on a machine with two cores, two such pieces run at once.

at_once(first, second) runs first on the worker while the calling thread runs second. With one
core, or when called on the worker itself (which would wait for itself), both run here in turn.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")

_NAME = "analytics-worker"
_WORKER = ThreadPoolExecutor(1, thread_name_prefix=_NAME) if (os.cpu_count() or 1) > 1 else None


def at_once(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """(first(), second()), the two run side by side when the machine allows. An exception of
    either is raised here, after both have ended."""
    if _WORKER is None or threading.current_thread().name.startswith(_NAME):
        return first(), second()
    done = _WORKER.submit(first)
    try:
        b = second()
    finally:
        a = done.result()  # (waits for first even when second failed: nothing left running)
    return a, b
