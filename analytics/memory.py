"""Freed memory an app process keeps for reuse (glibc's malloc on Linux).

An analysis at province scale makes and drops arrays of many megabytes. By default glibc hands
freed memory back to the system once more than twice its largest recent block lies free at the
top of the heap, so the next analysis asks for the same pages again and the kernel zeroes each
one on first touch (about 30,000 page faults a coordinates-mode search of 1,000,000 accidents,
a fifth of its time). Keeping up to ``keep_freed_mb`` of freed memory removes most of them; the
cost is that a process's resident memory stays near its peak instead of falling back between
requests (docs/performance.md). An operator's own MALLOC_* or glibc.malloc tunables win.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

_M_TRIM_THRESHOLD = -1  # (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
# blocks from this size on are mapped on their own and unmapped when freed, as glibc's sliding
# threshold does at most; setting the trim threshold fixes this one too, so it is set to that
_MMAP_FROM = 32 << 20
_OWN_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


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


def keep_freed(mb: int, env: Mapping[str, str] | None = None) -> bool:
    """Keep up to mb megabytes of freed memory at the top of each heap for reuse; whether it
    was set (not when mb ≤ 0, without glibc, or when the environment already tunes malloc)."""
    env = os.environ if env is None else env
    if mb <= 0 or any(k in env for k in _OWN_SETTINGS):
        return False
    if "glibc.malloc." in env.get("GLIBC_TUNABLES", ""):
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    trim = min(mb, 2047) << 20  # (a C int)
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_FROM)) and bool(mallopt(_M_TRIM_THRESHOLD, trim))
