"""The app process keeps freed memory for reuse (analytics.memory): checked by what the kernel
counts, the page faults of touching the same arrays again, in a fresh process each time."""

import os
import subprocess
import sys
import textwrap

import pytest

from analytics import memory

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


def _second_round(mb: int, env: dict[str, str] | None = None) -> tuple[bool, int]:
    out = subprocess.run(
        [sys.executable, "-c", _ROUNDS, str(mb)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    return out[0] == "True", int(out[1])


glibc = pytest.mark.skipif(not memory.available(), reason="glibc's malloc only")


@glibc
def test_kept_memory_is_reused_without_faulting_again():
    kept, faults = _second_round(256)
    assert kept
    assert faults < 500  # of some 75,000 pages touched: they come back from the heap


@glibc
def test_without_it_the_freed_arrays_fault_again():  # the test above is not vacuous
    kept, faults = _second_round(0)
    assert not kept
    assert faults > 3_000


@glibc
def test_an_operators_own_malloc_settings_win():
    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="131072")
    kept, faults = _second_round(256, env)
    assert not kept
    assert faults > 3_000
    env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.trim_threshold=131072")
    kept, faults = _second_round(256, env)
    assert not kept
    assert faults > 3_000


def test_nothing_is_changed_when_switched_off():
    assert memory.keep_freed(0, {}) is False
    assert memory.keep_freed(-5, {}) is False
