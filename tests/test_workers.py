"""analytics/workers.py: two pieces of work side by side, their results in order, failures
raised after both have ended, and no waiting on itself when called on the worker."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from analytics import workers


@pytest.fixture(autouse=True)
def worker(monkeypatch):  # ANN201
    """A worker of the tests' own, whatever the machine's cores."""
    pool = ThreadPoolExecutor(1, thread_name_prefix=workers._NAME)
    monkeypatch.setattr(workers, "_WORKER", pool)
    yield pool
    pool.shutdown(wait=False)


def test_the_two_run_side_by_side_and_come_back_in_order():
    started = threading.Barrier(2, timeout=5)  # each waits for the other: only side by side passes

    def first():  # ANN202
        started.wait()
        return "first", threading.current_thread().name

    def second():  # ANN202
        started.wait()
        return "second", threading.current_thread().name

    (a, on_a), (b, on_b) = workers.at_once(first, second)
    assert (a, b) == ("first", "second")
    assert on_a.startswith(workers._NAME) and on_b == threading.current_thread().name


def test_a_failure_of_either_is_raised_after_both_have_ended():
    ended = []

    def slow():  # ANN202
        time.sleep(0.2)
        ended.append("slow")
        return 1

    def fails():  # ANN202
        raise ValueError("second")

    with pytest.raises(ValueError, match="second"):
        workers.at_once(slow, fails)
    assert ended == ["slow"]  # nothing left running behind the error
    with pytest.raises(ZeroDivisionError):
        workers.at_once(lambda: 1 / 0, lambda: 2)


def test_called_on_the_worker_both_run_there_in_turn():
    def nested():  # ANN202
        return workers.at_once(lambda: threading.current_thread().name, lambda: 2)

    done = []  # (in a thread of its own: were it to wait for itself, the test fails, not hangs)
    caller = threading.Thread(target=lambda: done.append(workers.at_once(nested, lambda: 3)))
    caller.daemon = True
    caller.start()
    caller.join(10)
    assert done, "the worker waited for itself"
    (inner, two), here = done[0]
    assert inner.startswith(workers._NAME) and (two, here) == (2, 3)


def test_with_one_core_both_run_here(monkeypatch):
    monkeypatch.setattr(workers, "_WORKER", None)
    me = threading.current_thread().name
    assert workers.at_once(lambda: threading.current_thread().name, lambda: 1) == (me, 1)


def test_when_the_worker_is_busy_the_caller_runs_both(worker):
    """Another session's long piece holds the worker: this call does not wait in line."""
    release = threading.Event()
    busy = worker.submit(release.wait, 10)
    try:
        me = threading.current_thread().name
        assert workers.at_once(lambda: threading.current_thread().name, lambda: 2) == (me, 2)
    finally:
        release.set()
        busy.result()
