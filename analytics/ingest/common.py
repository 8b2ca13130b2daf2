"""What every import shares: limits, the same-file check, the header, the row loop, problems,
and keeping the uploaded file."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb

from analytics import textsafe
from analytics.bulk import bulk
from analytics.ingest import headers, plausible, read, values
from analytics.store.db import transaction

EXAMPLE_PREFIX = "示例"  # ids of template example rows start with this: never a real record


class PlanChanged(RuntimeError):
    """The records changed between the preview and the confirmation; nothing was written."""


@dataclass(frozen=True)
class Problem:
    row: int  # the row number the user sees in Excel
    column: str
    value: str
    problem: str


@dataclass
class ImportResult:
    kind: str
    file: str
    sha256: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate_file: bool = False
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unmatched_columns: list[str] = field(default_factory=list)
    not_in_upload: list[str] = field(default_factory=list)
    # the plan (a dry run stops here; inserted/updated/unchanged then count what would be written)
    changes: list = field(default_factory=list)  # plan.Change: record, field, before → after
    needs_override: bool = False  # protected changes wait for an administrator's reason
    fingerprint: str | None = None  # pass back as expect= to write exactly what was previewed
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)  # Chinese lines for the user (examples skipped)

    @property
    def protected(self) -> list:
        return [c for c in self.changes if c.protected]


class Row(NamedTuple):  # (half the cost of a frozen dataclass: one per row of a file)
    number: int  # as seen in Excel
    raw: dict[str, object]  # field → cell


@dataclass(frozen=True)
class Options:
    """How one file is imported (every importer takes these as keyword arguments)."""

    sheet: str | None = None  # the worksheet (default: the first)
    accept_valid: bool = False  # write the valid rows even when others are rejected
    max_bytes: int = 50 * 2**20
    max_rows: int = 200_000
    max_columns: int = 100
    today: date | None = None  # dates after it are refused (default: no such check)
    deadline_years: int = 5  # deadlines later than this many years after today are refused
    keep_in: Path | None = None  # where the uploaded file is kept (by content hash)
    mapping: dict[str, str] | None = None  # the file's own column names → standard ones
    coord_system: str | None = None  # for files without a 坐标系 column
    progress: Callable[[float, str], None] | None = None  # (fraction done, Chinese line)
    dry_run: bool = False  # work out the plan and stop: nothing is written
    expect: str | None = None  # the previewed plan's fingerprint: refuse if the plan changed
    override_reason: str | None = None  # an administrator's reason for protected changes


# record(raw, names, row number) → (record, problems, warnings)
RecordFn = Callable[[dict, dict, int], tuple[dict, list[Problem], list[Problem]]]
# batch(columns: field → cells, rows, names) → each clean row's record (as record() makes it of
# the row's cells), None for the others
BatchFn = Callable[[dict[str, Sequence], int, dict], list[dict | None]]


@bulk()
def check_rows(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    spec: dict[str, tuple[str, ...]],
    key: str,
    file_name: str,
    data: bytes,
    record: RecordFn,
    *,
    sheet: str | None,
    max_bytes: int,
    max_rows: int,
    mapping: dict[str, str] | None = None,
    progress: Callable[[float, str], None] | None = None,
    max_columns: int = 100,
    bounds: plausible.Bounds | None = None,
    example_field: str | None = None,
    batch: BatchFn | None = None,
) -> tuple[ImportResult, list[dict]]:
    """Read and check every row; the valid records (by their key, first occurrence) and the result
    with every problem. Nothing is written here. A row whose example_field (default: the key)
    begins with 示例 is the template's example row, skipped. batch, when given, checks many rows
    at once: the record of each clean row, None for a row record() must check."""
    if len(data) > max_bytes:
        raise read.ReadError(
            f"文件 {file_name} 大小 {len(data) / 2**20:.1f} MB，超过导入上限 {max_bytes // 2**20} MB"
        )
    result = ImportResult(kind, file_name, hashlib.sha256(data).hexdigest())
    seen = conn.execute(
        "SELECT count(*) FROM imports WHERE sha256 = ? AND kind = ?", [result.sha256, kind]
    ).fetchone()[0]
    if seen:
        result.duplicate_file = True
        return result, []
    table = read.read(file_name, data, sheet, read.Limits(rows=max_rows, columns=max_columns))
    if mapping:
        apply_mapping(table.rows, mapping)
    # the rows after these have cells as read: when the file as a whole shows that no cell is
    # too long or holds a character a writer refuses, _cell_problems would find nothing in them
    cells_fine_after = (
        (MAPPED_ROWS if mapping else 0)
        if table.printable and (table.longest_row or 0) <= plausible.MAX_CELL_CHARS
        else None
    )
    header = headers.find_header(table.rows, spec)
    if header is None:
        wanted = "”“".join(spec[f][0] for f in list(spec)[:2])
        result.problems.append(Problem(1, "", "", f"找不到表头：请确认表中有“{wanted}”等列名"))
        return result, []
    result.unmatched_columns = header.unmatched
    label = {j: str(table.rows[header.row][j] or f) for j, f in header.columns.items()}
    names = {f: label[j] for j, f in header.columns.items()}
    records: dict[str, tuple[int, dict]] = {}
    label = spec.get(key, spec.get(example_field or key, (key,)))[0]
    total = max(len(table.rows) - header.row - 1, 1)
    fields = tuple(header.columns.values())

    def raw_of(cells: tuple) -> dict:  # a row's cells by field, as the row check takes them
        return dict(zip(fields, cells, strict=True))

    example_at = fields.index(example_field or key) if (example_field or key) in fields else None
    rows: list[tuple[int, tuple]] = []  # (row number, the cells of the header's columns)
    raws: dict[int, dict] = {}  # by position in rows: the rows whose cells were looked at
    cell_problems: dict[int, tuple[list[Problem], list[Problem]]] = {}  # (too long, cleaned)
    for number, cells in _rows(table, header):
        result.rows += 1
        if example_at is not None and (values.text(cells[example_at]) or "").startswith(
            EXAMPLE_PREFIX
        ):
            result.notes.append(
                f"第 {number} 行是模板中的示例行（编号以“{EXAMPLE_PREFIX}”开头），已跳过"
            )
            continue
        if cells_fine_after is None or number <= cells_fine_after:
            row = Row(number, raw_of(cells))
            too_long, cleaned = _cell_problems(row, names)
            if too_long or cleaned:
                cell_problems[len(rows)] = too_long, cleaned
            raws[len(rows)] = row.raw
        rows.append((number, cells))  # (a row's dict is made when it is needed)
    # the rows whose cells needed nothing, checked column by column where the kind can be
    # (analytics.ingest.batch); a row that is not clean there is checked by itself below
    fast: list[dict | None] = []  # the batch's record of each row without cell problems
    suspects: set[int] = set()  # those implausible values may be in (by position in fast)
    if batch is not None:
        clean = [cells for i, (_, cells) in enumerate(rows) if i not in cell_problems]
        columns = zip(*clean, strict=True)
        fast = batch(dict(zip(fields, columns, strict=False)), len(clean), names)
        suspects = plausible.suspects(kind, fast, bounds) if bounds is not None else suspects
    at = -1  # the position in fast
    for done, (number, cells) in enumerate(rows, 1):
        if progress and done % 2000 == 0:
            progress(0.1 + 0.7 * min(done / total, 1), f"正在检查第 {done} 行……")
        too_long, cleaned = cell_problems.get(done - 1, ((), ()))
        rec = None
        if batch is not None and not (too_long or cleaned):
            at += 1
            rec = fast[at]
        raw = raws.get(done - 1)
        plain = rec is not None and at not in suspects  # (the batch's: nothing implausible)
        if rec is not None:
            problems, warnings = [], []
        else:
            raw = raw if raw is not None else raw_of(cells)
            rec, problems, warnings = record(raw, names, number)
        problems, warnings = [*too_long, *problems], [*cleaned, *warnings]
        if bounds is not None and not plain and (found := plausible.problems(kind, rec, bounds)):
            raw = raw if raw is not None else raw_of(cells)
            problems += _implausible(found, number, raw, names)
        rec["_row"] = number
        rec.setdefault("_if_new", [])
        result.warnings += warnings
        k = rec.get(key)
        if k and k in records:
            problems.append(
                Problem(
                    number,
                    names.get(key) or names.get(example_field or key, key),
                    k,
                    f"{label}与第 {records[k][0]} 行重复",
                )
            )
        if problems:
            result.problems += problems
            result.rejected += 1
        else:
            records[k] = (number, rec)
    result.accepted = len(records)
    return result, [r for _, r in records.values()]


class _Hold(Exception):
    """The plan may not be written (problems, or protected changes without a reason)."""


@bulk()
def run(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    spec: dict[str, tuple[str, ...]],
    key: str,
    record: RecordFn,
    planner: Callable[[list[dict]], object],
    write: Callable[[ImportResult, object], None],
    file_name: str,
    data: bytes,
    options: Options,
    *,
    example_field: str | None = None,
    batch: BatchFn | None = None,
) -> ImportResult:
    """The import of one file: check every row, work out the plan against the store, and write it
    when the policy allows, in one transaction that works the plan out again and refuses
    (PlanChanged) when it is not the one previewed (options.expect); keep the file.
    A file without a 坐标系 column has options.coord_system passed to record() in the row."""
    o = options

    def with_file_options(raw: dict, names: dict, row: int) -> tuple:
        raw["_file_coord_system"] = o.coord_system  # (the row's own dict, made by _rows)
        return record(raw, names, row)

    def batch_with_file_options(columns: dict, n: int, names: dict) -> list[dict | None]:
        return batch({**columns, "_file_coord_system": [o.coord_system] * n}, n, names)

    result, records = check_rows(
        conn,
        kind,
        spec,
        key,
        file_name,
        data,
        with_file_options,
        sheet=o.sheet,
        max_bytes=o.max_bytes,
        max_rows=o.max_rows,
        mapping=o.mapping,
        progress=o.progress,
        max_columns=o.max_columns,
        bounds=_bounds_of(o),
        example_field=example_field,
        batch=batch_with_file_options if batch is not None else None,
    )
    if result.duplicate_file:
        return result
    if o.dry_run:
        _settle(result, planner(records), key, o)
        result.dry_run = True
        return result
    try:
        with transaction(conn):
            plan = planner(records)
            _settle(result, plan, key, o)
            if o.expect is not None and result.fingerprint != o.expect:
                raise PlanChanged(
                    "预览后数据已被他人修改，本次未导入任何数据。请重新检查后再确认导入。"
                )
            if not should_write(result, o.accept_valid) or result.needs_override:
                raise _Hold
            if not (plan.inserts or plan.updates or plan.always_write):
                raise _Hold
            if o.progress:
                o.progress(0.85, f"正在写入 {len(plan.inserts) + len(plan.updates)} 条记录……")
            write(result, plan)
    except _Hold:  # nothing written: the counts say so (a dry run keeps what would be)
        result.inserted = result.updated = 0
        return result
    except duckdb.TransactionException:  # another session wrote the same records meanwhile
        raise PlanChanged(
            "导入时这些记录正被他人同时修改，本次未导入任何数据。请重新检查后再导入。"
        ) from None
    result.written = True
    if o.keep_in is not None:
        keep(o.keep_in, result.sha256, file_name, data)
    return result


def _settle(result: ImportResult, plan, key: str, o: Options) -> None:  # a plan.Plan
    """The plan's counts, changes and refusals into the result (rows as the user sees them)."""
    result.problems = sorted(result.problems + plan.problems, key=lambda p: p.row)
    result.warnings = sorted(result.warnings + plan.warnings, key=lambda p: p.row)
    result.rejected += len(plan.rejected)
    result.accepted -= len(plan.rejected)
    result.inserted, result.updated = len(plan.inserts), len(plan.updates)
    result.unchanged = plan.unchanged
    result.changes = plan.changes
    result.not_in_upload = plan.not_in_upload
    result.needs_override = bool(result.protected) and not (o.override_reason or "").strip()
    result.fingerprint = plan.fingerprint(key)


def load_mapping(text: str) -> dict[str, str]:
    """A column mapping from JSON: {"the file's column": "the standard column", ...}."""
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as e:
        raise read.ReadError(f"列映射文件不是有效的 JSON：{e}") from None
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise read.ReadError('列映射文件须为 {"原列名": "标准列名"} 的形式')
    return mapping


MAPPED_ROWS = 12  # the rows a column mapping may rename cells in (they may hold the header)


def apply_mapping(
    rows: list[list[object]], mapping: dict[str, str], look: int = MAPPED_ROWS
) -> None:
    """Rename the file's own column names to standard ones in the rows that may hold the header."""
    wanted = {headers.normalize(k): v for k, v in mapping.items()}
    for row in rows[:look]:
        for j, cell in enumerate(row):
            key = headers.normalize(cell)
            if key in wanted:
                row[j] = wanted[key]


def should_write(result: ImportResult, accept_valid: bool) -> bool:
    """Strict by default: any rejected row and nothing is written; with accept_valid the valid
    rows are, when there are any. A file imported before is never written again."""
    if result.duplicate_file:
        return False
    return not result.problems or (accept_valid and result.accepted > 0)


def _bounds_of(o: Options) -> plausible.Bounds | None:
    return None if o.today is None else plausible.Bounds(o.today, o.deadline_years)


def _cell_problems(row: Row, names: dict[str, str]) -> tuple[list[Problem], list[Problem]]:
    """Overlong cells (problems) and cells with control characters, which are removed from the
    row in place (warnings): no writer (xlsx, docx) could store them later."""
    texts = "".join([c for c in row.raw.values() if isinstance(c, str)])
    if len(texts) <= plausible.MAX_CELL_CHARS and texts.isprintable():  # every cell fine
        return [], []
    too_long, cleaned = [], []
    for f, cell in row.raw.items():
        if not isinstance(cell, str):
            continue
        if len(cell) > plausible.MAX_CELL_CHARS:
            too_long.append(
                Problem(
                    row.number,
                    names.get(f, f),
                    textsafe.clean_cell(cell[:20]) + "……",
                    f"内容过长（{len(cell):,} 字，上限 {plausible.MAX_CELL_CHARS:,} 字）",
                )
            )
        elif not cell.isprintable() and textsafe.has_illegal(cell):
            row.raw[f] = textsafe.clean_cell(cell)
            cleaned.append(
                Problem(row.number, names.get(f, f), row.raw[f], "含有不可见的控制字符，已删除")
            )
    return too_long, cleaned


def _implausible(
    found: list[tuple[str, str]], number: int, raw: dict, names: dict[str, str]
) -> list[Problem]:
    """plausible.problems of row number as its problems (the cell as given in raw)."""
    return [
        Problem(
            number,
            plausible.column(f, names),
            str(values.text(plausible.raw_field(f, raw)) or ""),
            message,
        )
        for f, message in found
    ]


def _rows(table: read.Sheet, header: headers.Header) -> Iterator[tuple[int, tuple]]:
    """The data rows: (row number as seen in Excel, the cells of the header's columns in its
    order); blank rows and 合计 rows are left out."""
    columns = tuple(header.columns)
    last = max(columns, default=-1)
    take = operator.itemgetter(*columns) if len(columns) > 1 else None
    text = values.text
    for i in range(header.row + 1, len(table.rows)):
        cells = table.rows[i]
        first = cells[0] if cells else None
        if not (type(first) is str and first and not first[0].isspace()):  # (most rows: text)
            for c in cells:  # a blank row: no cell with text (spaces are none)
                if c is not None and text(c) is not None:
                    break
            else:
                continue
        if values.is_total_row(cells):
            continue
        if take is not None and last < len(cells):
            yield i + 1, take(cells)
        else:
            yield i + 1, tuple(cells[j] if j < len(cells) else None for j in columns)


def keep(folder: Path, sha256: str, file_name: str, data: bytes) -> None:
    """The uploaded file, unchanged, as <sha256><original suffix> (written once)."""
    suffix = Path(file_name).suffix.lower()
    path = folder / f"{sha256}{suffix if suffix in ('.csv', '.xlsx', '.xls', '.xlsm') else ''}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)


def saved_mapping(conn: duckdb.DuckDBPyConnection, unit: str | None, kind: str) -> dict[str, str]:
    row = conn.execute(
        "SELECT mapping FROM column_mappings WHERE unit_adcode = ? AND kind = ?", [unit or "", kind]
    ).fetchone()
    return json.loads(row[0]) if row else {}


def save_mapping(
    conn: duckdb.DuckDBPyConnection, unit: str | None, kind: str, mapping: dict[str, str], by: str
) -> None:
    conn.execute(
        "INSERT INTO column_mappings (unit_adcode, kind, mapping, saved_by) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (unit_adcode, kind) DO UPDATE SET mapping = excluded.mapping,"
        " saved_by = excluded.saved_by, saved_at = excluded.saved_at",
        [unit or "", kind, json.dumps(mapping, ensure_ascii=False), by],
    )
