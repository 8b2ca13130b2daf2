"""The Store: the process's one DuckDB connection, the data revision, and a result cache.

A DuckDB connection is not thread-safe, so each script run (or command) works through a view of
its own (``store.view()``): a cursor of the connection and the data revision read when the view
opened. ``view.cached(fn, *args, **kwargs)`` computes ``fn(cursor, *args, **kwargs)`` once per
function, arguments and revision; every write moves the revision (db.revision), so the next
view computes afresh. The cache is shared by every thread, bounded (least recently used entries
go first) and hands each caller its own copy, so a caller may change what it got (see _copy).
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import duckdb
import pandas as pd

from analytics.store import db

T = TypeVar("T")

MAX_ENTRIES = 512
_MISSING = object()


class Store:
    """One per process: the connection, and the results computed from it."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, *, max_entries: int = MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.conn = conn
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, object] = OrderedDict()  # key → result
        self._computing: dict[Hashable, threading.Lock] = {}  # one computation per key at once
        self._lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the connection, for one thread (one script run, one command)."""
        return self.conn.cursor()

    def view(self) -> StoreView:
        """The store as one script run sees it: a cursor of its own and the data revision as of
        now."""
        sync = getattr(self.conn, "sync", None)  # a shared store catches up with the others
        if sync is not None:
            sync()
        cur = self.cursor()
        return StoreView(self, cur, db.revision(cur))

    def __len__(self) -> int:
        return len(self._entries)

    def cached_call(
        self,
        cur: duckdb.DuckDBPyConnection,
        revision: Hashable,
        fn: Callable[..., T],
        args: tuple,
        kwargs: dict[str, Any],
    ) -> T:
        """fn(cur, *args, **kwargs), computed once per (fn, args, kwargs, revision); a copy of
        the stored result otherwise. Arguments must be hashable, or lists, tuples, sets and
        dicts of hashable values."""
        key = (fn, revision, _frozen(args), _frozen(kwargs))
        return self._remember(key, lambda: fn(cur, *args, **kwargs))

    def _remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """compute(), once per key (one computation at a time per key); a copy of the stored
        result otherwise."""
        found = self._get(key)
        if found is not _MISSING:
            return _copy(found)
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        try:
            with computing:
                found = self._get(key)  # another thread computed it meanwhile
                if found is not _MISSING:
                    return _copy(found)
                result = compute()
                with self._lock:
                    self.misses += 1
                    self._entries[key] = result
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
        finally:
            with self._lock:
                self._computing.pop(key, None)
        return _copy(result)  # the stored result is never handed out

    def _get(self, key: Hashable) -> object:
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is not _MISSING:
                self.hits += 1
                self._entries.move_to_end(key)
            return found


class StoreView:
    """One script run's handle on the store: its cursor, the revision read when it opened, and
    the store's cache keyed on that revision."""

    def __init__(self, store: Store, cur: duckdb.DuckDBPyConnection, revision: tuple) -> None:
        self.store = store
        self.cur = cur
        self.revision = revision

    def cached(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """fn(cursor, *args, **kwargs), computed once per data revision and arguments; each
        call returns a copy of its own."""
        return self.store.cached_call(self.cur, self.revision, fn, args, kwargs)

    def kept(self, key: Hashable, build: Callable[[], T]) -> T:
        """build(), computed once per data revision and key: for what a page makes from cached
        results (a map's JSON), so that a rerun only draws. The key must name everything the
        result depends on besides the data (the same values the page passes to its cached
        calls); a copy each call, as for cached."""
        return self.store._remember((_KEPT, self.revision, _frozen(key)), build)


_KEPT = object()  # marks the keys of StoreView.kept
_IMMUTABLE = frozenset(
    {type(None), bool, int, float, complex, str, bytes, Decimal, date, datetime, time, timedelta}
)


def _frozen(value: object) -> Hashable:
    """A hashable key for an argument (its type included, so 1, 1.0 and True differ)."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        return (dict, tuple((_frozen(k), _frozen(v)) for k, v in items))
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(_frozen(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (type(value), frozenset(_frozen(v) for v in value))
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"a cached call's argument must be hashable: {type(value).__name__}"
        ) from None
    return (type(value), value)


def _copy(value: T) -> T:
    """The caller's own copy of a cached result. DataFrames and Series are copied lazily (pandas'
    copy-on-write: a change to either side copies the data then), so handing out a 100,000-row
    ledger costs microseconds where copying it took 0.3 s (and unpickling, as st.cache_data did,
    0.7 s); lists, dicts, tuples and dataclasses are rebuilt around copies of what they hold;
    anything else is deep-copied. Python objects inside a frame's object cells are shared, and so
    are values that cannot change (numbers, text, dates; tuples of them), as deepcopy shares
    most of them too: a 28,000-row bulletin is handed out in tens of milliseconds."""
    if type(value) in _IMMUTABLE:
        return value
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    if type(value) is list:
        if _IMMUTABLE.issuperset(map(type, value)):  # a row of cells: one C-level check
            return value.copy()
        return [_copy(v) for v in value]
    if type(value) is tuple:
        if _IMMUTABLE.issuperset(map(type, value)):
            return value
        return tuple(_copy(v) for v in value)
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = copy.copy(value)
        for field in dataclasses.fields(value):
            object.__setattr__(out, field.name, _copy(getattr(value, field.name)))
        return out
    return copy.deepcopy(value)
