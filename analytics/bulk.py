"""Building many objects at once without the cyclic garbage collector walking them.

A file of 100,000 rows, or 20,000 accident-prone sites with their map paths, is hundreds of
thousands of young lists and dicts that all live on; every collection of the older generations
walks them all again (for the ledger import it cost more than the checks themselves, for a
province's sites a third of the paths' making). None of them form reference cycles, so the
collector is paused while they are made and runs again as soon as the work ends.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """No cyclic garbage collection inside (also a decorator). Another thread's pause may end
    first and turn the collector back on: only this pause's own work is then collected as
    usual, never anything lost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
