"""Spreadsheet bytes to rows of cells: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and Excel."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd


class ReadError(ValueError):
    """The file cannot be read as a spreadsheet; the message is Chinese."""


@dataclass(frozen=True)
class Sheet:
    rows: list[list[object]]  # cells as read (str, numbers, datetimes, None)
    sheet_names: tuple[str, ...]
    encoding: str | None  # for CSV


def decode(data: bytes) -> tuple[str, str]:
    """CSV bytes as text: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ReadError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel 文件")


def read(file_name: str, data: bytes, sheet: str | None = None) -> Sheet:
    """The rows of a CSV file or of one sheet of an Excel workbook (the first by default)."""
    name = file_name.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        text, encoding = decode(data)
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
        return Sheet([[c if c != "" else None for c in r] for r in rows], (), encoding)
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        try:
            book = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object,
                                 engine="calamine")  # fmt: skip
        except Exception as e:  # corrupt, encrypted or not a workbook at all
            raise ReadError(
                f"无法读取 Excel 文件 {file_name}：文件已损坏、加密或不是表格文件"
            ) from e
        names = tuple(book)
        if sheet is not None and sheet not in book:
            raise ReadError(f"工作簿中没有名为“{sheet}”的工作表（共有：{'、'.join(names)}）")
        frame = book[sheet if sheet is not None else names[0]]
        rows = [[None if pd.isna(c) else c for c in r] for r in frame.itertuples(index=False)]
        return Sheet(rows, names, None)
    raise ReadError(f"不支持的文件类型：{file_name}（请上传 .csv、.xlsx 或 .xls 文件）")
