"""Spreadsheet bytes to rows of cells: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and Excel."""

from __future__ import annotations

import csv
import io
import zipfile
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
        _check_workbook(file_name, data)
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


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and every password-protected workbook
MAX_UNPACKED = 500 * 2**20  # an xlsx is a zip: refuse one that unpacks beyond this
MAX_RATIO = 200  # or that unpacks to more than this many times its size


def _check_workbook(file_name: str, data: bytes) -> None:
    """Clear messages for encrypted workbooks and zip bombs, before any parser sees them."""
    if data.startswith(OLE2):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise ReadError(f"{file_name} 设置了打开密码：请在 Excel 中取消密码后另存，再上传")
        return  # a real .xls
    if not data.startswith(b"PK"):
        raise ReadError(f"{file_name} 不是有效的 Excel 文件：请用 Excel 另存为 .xlsx 后再上传")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise ReadError(f"无法读取 Excel 文件 {file_name}：文件已损坏") from None
    if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(len(data), 1):
        raise ReadError(
            f"{file_name} 解压后异常庞大（{unpacked / 2**20:.0f} MB），疑似压缩炸弹，已拒收"
        )
