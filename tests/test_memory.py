"""The app process keeps freed memory for reuse (analytics.memory): checked by what the kernel
counts, the page faults of touching the same arrays again, in a fresh process each time."""

import os
import subprocess
import sys
import textwrap

import pytest

from analytics import memory
from analytics.config import PROJECT_ROOT

# make and drop arrays of 1 to 9 MB, three alive at a time (as an analysis does), then do it
# again: the second round's page faults are the pages the allocator handed back in between
_ROUNDS = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from analytics import memory
    kept = memory.keep_freed(int(sys.argv[1]))
    def touch():
        alive = []
        for i in range(60):
            alive.append(np.ones((1 + i * 7 % 9) << 17))
            if len(alive) > 3:
                alive.pop(0)
    touch()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    touch()
    print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)
# the environment of the test run, without any malloc tuning of its own
_CLEAN = {
    k: v for k, v in os.environ.items() if k not in memory.OWN_SETTINGS and k != "GLIBC_TUNABLES"
}


def _python(script: str, *args: str, env: dict[str, str] = _CLEAN) -> str:
    """What the script prints, run in a fresh interpreter from the project folder."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=PROJECT_ROOT,
    ).stdout


def _second_round(mb: int, env: dict[str, str] = _CLEAN) -> tuple[int, int]:
    kept, faults = _python(_ROUNDS, str(mb), env=env).split()
    return int(kept), int(faults)


glibc = pytest.mark.skipif(not memory.available(), reason="glibc's malloc only")


@glibc
def test_kept_memory_is_reused_without_faulting_again():
    kept, faults = _second_round(256)
    assert kept == 256
    assert faults < 500  # of some 75,000 pages touched: they come back from the heap


@glibc
def test_without_it_the_freed_arrays_fault_again():  # the test above is not vacuous
    kept, faults = _second_round(0)
    assert kept == 0
    assert faults > 3_000


@glibc
def test_a_small_setting_keeps_no_less_than_the_default():
    """glibc's own sliding limit reaches 64 MB: a smaller fixed one would keep less."""
    kept, faults = _second_round(4)
    assert kept == memory.FLOOR_MB
    assert faults < 500
    assert _second_round(5000)[0] == memory.CEILING_MB


@glibc
def test_an_operators_own_malloc_settings_win():
    for extra in (
        {"MALLOC_TRIM_THRESHOLD_": "131072"},
        {"MALLOC_ARENA_MAX": "4"},
        {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"},
    ):
        kept, faults = _second_round(256, _CLEAN | extra)
        assert kept == 0, extra
        assert faults > 3_000, extra


@glibc
def test_what_a_process_keeps_is_bounded_by_its_cores():
    """Sixteen sessions' threads in turn make and drop 300 MB each: with one heap a core the
    process keeps about what one analysis used, where a heap a thread would keep it each time."""
    script = textwrap.dedent(
        """
        import sys, threading
        import numpy as np
        from analytics import memory
        memory.keep_freed(256)
        turn, ready = threading.Lock(), threading.Barrier(16)
        def session():
            ready.wait()
            with turn:
                alive = [np.ones(4 << 17) for _ in range(75)]
                del alive
            ready.wait()
        threads = [threading.Thread(target=session) for _ in range(16)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024)
        """
    )
    rss = _python(script)
    assert int(rss) < 300 + 256 + 150  # one analysis, one heap's keep, the interpreter


def test_nothing_is_changed_when_switched_off(monkeypatch):
    def refuse():  # ANN202
        raise AssertionError("the allocator was asked")

    monkeypatch.setattr(memory, "_mallopt", refuse)
    assert memory.keep_freed(0, {}) == 0
    assert memory.keep_freed(-5, {}) == 0
    assert memory.keep_freed(256, {"MALLOC_TOP_PAD_": "0"}) == 0
