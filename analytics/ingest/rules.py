"""Row validation declared as data: each kind lists its column rules and its cross-field checks
(small named functions) in one declaration, and ONE loop (check_row) applies any declaration to a
row. Every problem of a row is reported at once — row number as the user sees it in Excel, the
column's own header, the cell as given, the reason in Chinese — one problem per cell, the precise
one (an unreadable cell is never reported missing as well).

A record only "gives" (record["_given"]) the stored fields that came from its own non-empty cells:
an absent column, an empty cell or a value filled in by a default or a derivation never changes a
stored value. Problems that refuse the row only when its id is not in the store yet (a missing
value an update keeps from the stored record) go to record["_if_new"].
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from analytics.ingest.common import Problem
from analytics.ingest.values import ValueProblem, text

Parser = Callable[[object], Any]  # a cell → a value (None when blank); raises ValueProblem
Check = Callable[[Any], str | None]  # a parsed value → the Chinese problem, None when plausible


@dataclass(frozen=True)
class Column:
    """How one cell becomes one record field."""

    field: str  # the record field
    parse: Parser = text
    required: str | None = None  # the problem when the cell is empty or the column absent
    if_new: bool = False  # the required problem refuses the row only when its id is new
    check: Check | None = None  # a range or allowed-values check of the parsed value
    default: object = None  # the value of an empty cell (never "given": it changes nothing)


@dataclass(frozen=True)
class Declaration:
    """One kind's validation: column rules and cross-field checks, applied in the order listed
    (the order the problems of a row are reported in), and the stored fields."""

    steps: tuple[Column | Callable[[RowCheck], None], ...]
    stored: tuple[str, ...]
    # the steps as check_row runs them: runs of plain columns (parse only) are read in one go,
    # as (field, parse, column) triples
    plan: tuple[tuple[tuple, ...] | Column | Callable[[RowCheck], None], ...] = field(
        init=False, repr=False, compare=False
    )
    # (names, the plan with a memo per column) of the file being checked (see _memo)
    memo: tuple[dict, tuple] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        plan: list = []
        for step in self.steps:
            plain = type(step) is Column and step.required is None and step.check is None
            if plain and step.default is None:
                if plan and type(plan[-1]) is tuple:
                    plan[-1] += ((step.field, step.parse, step),)
                else:
                    plan.append(((step.field, step.parse, step),))
            else:
                plan.append(step)
        object.__setattr__(self, "plan", tuple(plan))


class RowCheck:
    """One row being checked: its cells, the record made so far, what is wrong with it.
    Cross-field checks read and write these; env is what the import is done for (a kind's
    context: the city, the user…)."""

    __slots__ = (
        "raw",
        "names",
        "number",
        "env",
        "out",
        "problems",
        "warnings",
        "if_new",
        "failed",
        "derived",
    )

    def __init__(self, raw: dict, names: dict[str, str], number: int, env: object = None) -> None:
        self.raw, self.names, self.number, self.env = raw, names, number, env
        self.out: dict = {}
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.if_new: list[Problem] = []
        self.failed: set[str] = set()  # fields with a (row-refusing) problem: said once
        self.derived: set[str] = set()  # fields filled in, not given by the row

    def text(self, f: str) -> str | None:
        return text(self.raw.get(f))

    def problem(self, f: str, message: str, *, if_new: bool = False) -> None:
        """A problem of the cell of field f (the file's header, the cell as given)."""
        p = Problem(self.number, self.names.get(f, f), str(text(self.raw.get(f)) or ""), message)
        if if_new:
            self.if_new.append(p)
        else:
            self.problems.append(p)
            self.failed.add(f)

    def warn(self, f: str, value: str, message: str, default_column: str | None = None) -> None:
        self.warnings.append(
            Problem(self.number, self.names.get(f, default_column or f), value, message)
        )

    def read(self, f: str, parse: Parser, *args: object) -> Any:  # parse's value
        """parse(cell of f, *args); None (and the problem reported) when it cannot be read."""
        try:
            return parse(self.raw.get(f), *args)
        except ValueProblem as e:
            self.problem(f, str(e))
            return None

    def given(self, f: str) -> bool:
        """Whether the row itself gives field f (not a default, not derived)."""
        return self.out.get(f) is not None and f not in self.derived

    def any_failed(self, fields: Iterable[str]) -> bool:
        return not self.failed.isdisjoint(fields)


def check_row(
    declaration: Declaration, raw: dict, names: dict[str, str], number: int, env: object = None
) -> tuple[dict, list[Problem], list[Problem]]:
    """The record of one row, its problems and its warnings: every column rule and every
    cross-field check of the declaration, in order. record["_given"]: the stored fields the row
    gives; record["_if_new"]: the problems that refuse it only when its id is new."""
    row = RowCheck(raw, names, number, env)
    out, cell = row.out, raw.get
    for step in _memo(declaration, names):
        if type(step) is tuple:  # plain columns: a cell that cannot be read is rare
            try:
                for f, parse, _c, seen in step:
                    v = cell(f)
                    if v is None or type(v) is str:
                        try:
                            out[f] = seen[v]
                        except KeyError:
                            out[f] = value = parse(v)
                            if len(seen) < MEMO_SIZE:
                                seen[v] = value
                    else:
                        out[f] = parse(v)
            except ValueProblem:
                for _f, _parse, c, seen in step:
                    _column(row, c, seen)
        elif type(step) is _Memo:
            _column(row, step.column, step.seen)
        else:
            step(row)
    stored = declaration.stored  # the fields with a value (in C: map, compress)
    given = frozenset(compress(stored, map(_is_value, map(out.get, stored))))
    out["_given"] = given.difference(row.derived) if row.derived else given
    out["_if_new"], out["_names"] = row.if_new, names
    return out, row.problems, row.warnings


_is_value = functools.partial(operator.is_not, None)
MEMO_SIZE = 20_000  # distinct texts remembered per column and file


class _Memo:
    """A column rule with its file's memo of parsed text cells."""

    __slots__ = ("column", "seen")

    def __init__(self, column: Column) -> None:
        self.column, self.seen = column, {}


def _memo(declaration: Declaration, names: dict[str, str]) -> tuple:
    """The declaration's plan with a memo per column: column parsers are functions of the cell
    alone, so a text cell repeated down a column (a unit, a type, a grade, a date) is parsed once
    per file. The memos belong to the file's header mapping (the same names object for every row
    of one file): a new file starts afresh, and at most MEMO_SIZE texts per column are kept.
    A cell that cannot be read is never remembered (_column reports its problem every time)."""
    held = declaration.memo
    if held is not None and held[0] is names:
        return held[1]
    plan = tuple(
        tuple((f, parse, c, {}) for f, parse, c in step)
        if type(step) is tuple
        else _Memo(step)
        if type(step) is Column
        else step
        for step in declaration.plan
    )
    object.__setattr__(declaration, "memo", (names, plan))
    return plan


def _column(row: RowCheck, c: Column, seen: dict) -> None:
    """One column rule: the cell parsed, required, checked; a default is never given."""
    f = c.field
    try:
        cell = row.raw.get(f)
        if cell is None or type(cell) is str:
            if cell in seen:
                value = seen[cell]
            else:
                value = c.parse(cell)
                if len(seen) < MEMO_SIZE:
                    seen[cell] = value
        else:
            value = c.parse(cell)
    except ValueProblem as e:
        row.problem(f, str(e))
        value = c.default
        row.derived.add(f)
    else:
        if value is None:
            if c.required is not None:
                row.problem(f, c.required, if_new=c.if_new)
            if c.default is not None:
                value = c.default
                row.derived.add(f)
        elif c.check is not None and (message := c.check(value)) is not None:
            row.problem(f, message)
            value = c.default
            row.derived.add(f)
    row.out[f] = value


def one_of(allowed: Iterable[str], message: str) -> Check:
    """A check: the value is one of these words."""
    words = frozenset(allowed)
    return lambda value: None if value in words else message
