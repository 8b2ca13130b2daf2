"""Many rows checked column by column, with the row-by-row check (analytics.ingest.rules) as the
one authority on anything that is wrong.

A declaration whose cross-field checks each have a column-wise twin (attached with ``twin``) is
checked here first: every column parsed once per distinct cell, every cross-field check done over
whole columns. A row with nothing to report (no problem, no warning, no problem kept for a new
id) gets its record from the columns. Every other row is "referred": check_rows gives None for it
and the caller checks it with rules.check_row, which reports exactly what is wrong. The twins
only ever need to be sure a row is clean; when in doubt they refer it.

A twin takes the Batch and reads its columns (cells, texts, the record's fields so far), writes
the fields it makes (Batch.out) and refers the rows it cannot vouch for (Batch.refer).
"""

from __future__ import annotations

import functools
import operator
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any

import numpy as np

from analytics.ingest import values
from analytics.ingest.rules import Column, Declaration
from analytics.ingest.values import ValueProblem

_TEXT = {str, type(None)}
BAD = object()  # a cell that cannot be read, a missing required value, a failed check
_DEFAULT = object()  # an empty cell that takes the column's default (never given)


class Batch:
    """The rows being checked together: their cells by field, the record's fields made so far
    (out: field → one value per row), the fields filled in rather than given (derived: field →
    row positions), and the rows referred to the row-by-row check."""

    def __init__(
        self, columns: dict[str, Sequence], n: int, names: dict[str, str], env: object = None
    ) -> None:
        self.columns, self.n, self.names, self.env = columns, n, names, env
        self.out: dict[str, list] = {}
        self.derived: dict[str, list[int]] = {}
        self.referred: set[int] = set()
        self._texts: dict[str, list] = {}

    def cells(self, f: str) -> Sequence:
        """The cells of field f as given (None where the column is absent)."""
        return self.columns.get(f) or [None] * self.n

    def present(self, f: str) -> bool:
        """Whether any row has a cell of field f (an empty text is a cell)."""
        column = self.columns.get(f)
        return column is not None and column.count(None) < self.n

    def texts(self, f: str) -> list[str | None]:
        """values.text of each cell of field f."""
        if f not in self._texts:
            self._texts[f] = each(self.cells(f), values.text)
        return self._texts[f]

    def refer(self, positions: Iterable[int]) -> None:
        self.referred.update(positions)

    def derive(self, f: str, positions: list[int]) -> None:
        if positions:
            self.derived.setdefault(f, []).extend(positions)


def each(cells: Sequence, fn: Callable[[Any], Any]) -> list:
    """fn of each cell, called once per distinct cell (fn is a function of the cell alone);
    BAD where it raises ValueProblem."""
    keys, memo = distinct(cells, fn)
    return list(map(memo.__getitem__, keys))


def distinct(cells: Sequence, fn: Callable[[Any], Any]) -> tuple[list, dict]:
    """Each cell's key and fn of each distinct key (BAD where fn raises ValueProblem). Cells
    other than text are told apart by type and repr: 1, 1.0 and True are one key in a dict,
    and need not parse alike."""
    if set(map(type, cells)) <= _TEXT:
        return cells, {c: _call(fn, c) for c in dict.fromkeys(cells)}
    keys = [c if c is None or type(c) is str else (type(c), repr(c)) for c in cells]
    memo: dict = {}
    for k, c in zip(keys, cells, strict=True):
        if k not in memo:
            memo[k] = _call(fn, c)
    return keys, memo


def _call(fn: Callable[[Any], Any], cell: object) -> Any:
    try:
        return fn(cell)
    except ValueProblem:
        return BAD


def positions(column: list, value: object) -> list[int]:
    """Where the column holds this very object (BAD, _DEFAULT)."""
    return [i for i, v in enumerate(column) if v is value]


def twin(columns: Callable[[Batch], None]) -> Callable[[Callable], Callable]:
    """Decorator: a cross-field check's column-wise twin."""

    def attach(step: Callable) -> Callable:
        step.columns = columns  # type: ignore[attr-defined]
        return step

    return attach


def batched(declaration: Declaration) -> bool:
    """Whether every cross-field check of the declaration has a twin."""
    return all(type(s) is Column or hasattr(s, "columns") for s in declaration.steps)


def check_rows(
    declaration: Declaration,
    columns: dict[str, Sequence],
    n: int,
    names: dict[str, str],
    env: object = None,
) -> list[dict | None]:
    """The record of each of n rows that is clean, as rules.check_row makes it of the row's
    cells (field → cell; columns: field → the n cells) with the same names and env: a fresh
    _if_new list, the _given fields, the names. None for each row the row check must see (every
    row, when a cross-field check of the declaration has no twin)."""
    if not batched(declaration):
        return [None] * n
    b = Batch(columns, n, names, env)
    for step in declaration.steps:
        if type(step) is Column:
            _column(b, step)
        else:
            step.columns(b)
    # each record a copy of one with every key (no dict grows), then the columns with a value
    template = {**dict.fromkeys(b.out), "_given": None, "_if_new": None, "_names": names}
    records: list[dict | None] = [template.copy() for _ in range(n)]
    columns = [*b.out.items(), ("_given", _given(b, declaration.stored))]
    columns.append(("_if_new", map(list, repeat((), n))))  # (each its own list)
    for f, column in columns:
        if type(column) is not list or column.count(None) < n:
            deque(map(operator.setitem, records, repeat(f), column), maxlen=0)
    for i in b.referred:
        records[i] = None
    return records


def _column(b: Batch, c: Column) -> None:
    """A column rule over the whole column (rules._column's outcomes: a problem refers the row)."""

    def outcome(cell: object) -> object:
        value = c.parse(cell)
        if value is None:
            if c.required is not None:
                return BAD
            return _DEFAULT if c.default is not None else None
        if c.check is not None and c.check(value) is not None:
            return BAD
        return value

    if b.present(c.field):
        keys, memo = distinct(b.cells(c.field), outcome)
        column = list(map(memo.__getitem__, keys))
    else:  # an absent column, or no cell in it: one outcome for every row
        memo = {None: _call(outcome, None)}
        column = [memo[None]] * b.n
    outcomes = set(map(id, memo.values()))
    if id(BAD) in outcomes:
        bad = positions(column, BAD)
        b.refer(bad)
        for i in bad:
            column[i] = c.default
    if id(_DEFAULT) in outcomes:
        filled = positions(column, _DEFAULT)
        b.derive(c.field, filled)
        for i in filled:
            column[i] = c.default
    b.out[c.field] = column


def _given(b: Batch, stored: tuple[str, ...]) -> list[frozenset]:
    """Each row's stored fields with a value it gives (not derived), one frozenset per distinct
    combination."""
    if b.n == 0:
        return []
    has = np.zeros((b.n, len(stored)), dtype=bool)
    for k, f in enumerate(stored):
        if f in b.out:
            empty = b.out[f].count(None)  # (a column is mostly full or empty: one C pass)
            if empty == 0:
                has[:, k] = True
            elif empty < b.n:
                has[:, k] = np.fromiter(map(_is_value, b.out[f]), dtype=bool, count=b.n)
            has[b.derived.get(f, []), k] = False
    packed = np.packbits(has, axis=1)  # a row's fields as bytes, then as one number
    if packed.shape[1] <= 8:
        packed = np.pad(packed, ((0, 0), (0, 8 - packed.shape[1]))).view(np.uint64).ravel()
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    sets = [frozenset(f for f, on in zip(stored, has[i], strict=True) if on) for i in first]
    return list(map(sets.__getitem__, inverse.ravel().tolist()))


_is_value = functools.partial(operator.is_not, None)
