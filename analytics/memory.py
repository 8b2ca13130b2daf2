"""Freed memory an app process keeps for reuse (glibc's malloc on Linux).

An analysis at province scale makes and drops arrays of many megabytes. By default glibc hands
freed memory back to the system once more than twice its largest recent block (at most 64 MB)
lies free at the top of a heap, so the next analysis asks for the same pages again and the
kernel zeroes each one on first touch (about 30,000 page faults a coordinates-mode search of
1,000,000 accidents, a fifth of its time). keep_freed raises that limit. glibc applies it to
each of its heaps (arenas), and by default a process may have eight a core (every session's
script runs on its own thread), so the arenas are limited to one a core: what a process keeps
is then at most cores × the setting. The cost is that a process's resident memory stays near
its peak instead of falling back between requests (docs/performance.md). An operator's own
malloc variables or glibc.malloc tunables win.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

from analytics.workers import CORES

_M_TRIM_THRESHOLD = -1  # (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# blocks from this size on are mapped on their own and unmapped when freed, as glibc's sliding
# threshold does at most; setting the trim threshold fixes this one too, so it is set to that
_MMAP_FROM = 32 << 20
# glibc's sliding trim threshold reaches twice that by itself: a smaller setting would keep
# less than the default does
FLOOR_MB = 64
CEILING_MB = 2047  # (a C int of bytes)
OWN_SETTINGS = (
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "MALLOC_ARENA_MAX",
)


def _mallopt():  # ANN202 (a ctypes function, or None)
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (glibc, not musl, whose mallopt does nothing)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt


def available() -> bool:
    """Whether this process's allocator can be told (glibc)."""
    return _mallopt() is not None


def keep_freed(mb: int, env: Mapping[str, str] | None = None) -> int:
    """Keep up to mb megabytes (at least FLOOR_MB, at most CEILING_MB) of freed memory at the top
    of each heap for reuse, with one heap a core; the megabytes set, or 0 when nothing was set
    (mb ≤ 0, no glibc, or the environment already tunes malloc)."""
    env = os.environ if env is None else env
    if mb <= 0 or any(k in env for k in OWN_SETTINGS):
        return 0
    if "glibc.malloc." in env.get("GLIBC_TUNABLES", ""):
        return 0
    mallopt = _mallopt()
    if mallopt is None:
        return 0
    mb = min(max(mb, FLOOR_MB), CEILING_MB)
    done = (
        mallopt(_M_ARENA_MAX, max(CORES, 2))  # (the main thread's and the worker's, at least)
        and mallopt(_M_MMAP_THRESHOLD, _MMAP_FROM)
        and mallopt(_M_TRIM_THRESHOLD, mb << 20)
    )
    return mb if done else 0
