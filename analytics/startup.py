"""Opening the store in a background thread, with the steps it has reached, so the web app's
first run can show progress (in Chinese) instead of blocking while the demo city is built.

Importing this module is cheap (no pandas or DuckDB): the heavy modules are imported by the
thread, so the router reaches its page list within a fraction of a second on a server's first
request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from analytics import memory
from analytics.config import Settings

log = logging.getLogger(__name__)


class Startup:
    """One attempt to open the store the settings point at (built first when missing)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.steps: list[str] = []  # the steps begun, in order; the last one is under way
        self.started = time.monotonic()
        self._done = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hazards-startup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.steps.append("加载程序模块")
            kept = memory.keep_freed(self.settings.keep_freed_mb)  # (before the first large array)
            if kept:
                log.info("keeping up to %d MB of freed memory a heap", kept)
            from analytics import bootstrap  # pandas, DuckDB and the demo generator

            self._result = bootstrap.open_configured(self.settings, progress=self.steps.append)
        except BaseException as e:  # handed to the caller of result()
            self._error = e
        finally:
            log.info("store ready after %.1f s", time.monotonic() - self.started)
            self._done.set()

    @property
    def failed(self) -> bool:
        return self._done.is_set() and self._error is not None

    def ready(self, wait: float = 0) -> bool:
        """Whether the attempt has ended (opened or failed), waiting up to ``wait`` seconds."""
        return self._done.wait(wait)

    def result(self) -> Any:  # (connection, City); typed in bootstrap
        """The (connection, city) pair; waits for the thread; re-raises its error."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result


_LOCK = threading.Lock()
_RUNS: dict[Settings, Startup] = {}


def begin(settings: Settings) -> Startup:
    """The attempt for these settings, started on the first call (and again after a failure,
    so fixing the cause and reloading the page tries once more)."""
    with _LOCK:
        run = _RUNS.get(settings)
        if run is None or run.failed:
            run = _RUNS[settings] = Startup(settings)
        return run
