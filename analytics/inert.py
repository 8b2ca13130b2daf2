"""Everything the product writes out is inert: no text cell runs as a formula.

A spreadsheet program treats a cell beginning with = + - @ (and, after a tab or a carriage
return, the same) as a formula, which can fetch URLs or run commands (CSV injection). Text such
cells are written with a leading single quote, the OWASP advice; real numbers stay numbers. Every
CSV goes through ``write_csv`` and every workbook cell through ``cell_value``, so that no writer
can forget it (a test checks that no other module writes CSV or xlsx itself). The importer
(ingest.values.text) drops that quote again, so an exported ledger imports back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

import pandas as pd
from openpyxl import Workbook

from analytics import textsafe

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text beginning like a formula gets a leading single quote; anything else is unchanged.

    "-5" stored as text is text and is quoted too; the number -5 is a number and is not.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A value as a workbook cell receives it: characters XML cannot hold removed, then
    neutralised."""
    return neutralise(textsafe.clean_value(value))


def _inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame whose text cells (and headers) are neutralised; numbers untouched."""
    out = frame.copy()
    out.columns = [cell_value(c) for c in out.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        kind = column.dtype
        if not (
            pd.api.types.is_numeric_dtype(kind)
            or pd.api.types.is_bool_dtype(kind)
            or pd.api.types.is_datetime64_any_dtype(kind)
        ):  # text, objects and categories (whose labels may be text)
            out.isetitem(i, column.astype(object).map(cell_value))
    return out


def write_csv(
    rows: pd.DataFrame | Iterable[Mapping[str, Any]],
    out: TextIO,
    fieldnames: Sequence[str] | None = None,
) -> None:
    """Rows (a DataFrame, or dicts with the given field names) as CSV on out, text neutralised."""
    if isinstance(rows, pd.DataFrame):
        fieldnames = [str(c) for c in rows.columns]
        records: Iterable[Mapping[str, Any]] = (
            dict(zip(fieldnames, r, strict=True)) for r in rows.itertuples(index=False, name=None)
        )
    else:
        records = rows
    if fieldnames is None:
        raise ValueError("fieldnames are required for rows given as dicts")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([cell_value(f) for f in fieldnames])
    for r in records:
        writer.writerow([cell_value(_csv_plain(r.get(f))) for f in fieldnames])


def _csv_plain(value: Any) -> Any:
    """Missing values as empty cells (pandas NA/NaT and None)."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # lists and arrays are not missing values
        pass
    return value


def csv_text(
    rows: pd.DataFrame | Iterable[Mapping[str, Any]], fieldnames: Sequence[str] | None = None
) -> str:
    buf = io.StringIO()
    write_csv(rows, buf, fieldnames)
    return buf.getvalue()


def new_workbook() -> Workbook:
    """An empty workbook for a writer that styles its sheets; its rows go in by append_row."""
    return Workbook()


def append_row(ws, values: Iterable[Any]) -> None:  # an openpyxl worksheet
    """Append a row to a worksheet, each text cell neutralised and kept as text."""
    ws.append([cell_value(v) for v in values])


def workbook(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """Tables as one .xlsx, a sheet each, every text cell neutralised and stored as text."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            _inert_frame(frame).to_excel(writer, sheet_name=name, index=False)
            for row in writer.sheets[name].iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # never: a neutralised text cannot start with "="
                        cell.data_type = "s"
    return buf.getvalue()
