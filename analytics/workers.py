"""A second thread for work that lets go of the interpreter (numpy on whole arrays, a DuckDB
query): on a machine with two cores, two such pieces run at once.

at_once(first, second) runs first on the worker while the calling thread runs second. The
worker is the process's one (every session's script shares it): when it has not started first
by the time second is done, the calling thread runs first itself rather than wait in line. With
one core, or when called on the worker itself (which would wait for itself), both run here in
turn.
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
# the cores this process may run on (its CPU set), not every core of the machine
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_WORKER = ThreadPoolExecutor(1, thread_name_prefix=_NAME) if CORES > 1 else None


def at_once(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """(first(), second()), the two run side by side when the machine allows. An exception of
    either is raised here, after both have ended (second's when both fail)."""
    if _WORKER is None or threading.current_thread().name.startswith(_NAME):
        return first(), second()
    done = _WORKER.submit(first)
    try:
        b = second()
    except BaseException:
        if not done.cancel():
            done.exception()  # (waits for first: nothing of this call is left running)
        raise
    a = first() if done.cancel() else done.result()  # not started yet: run it here
    return a, b
