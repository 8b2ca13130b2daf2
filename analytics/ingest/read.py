"""Spreadsheet bytes to rows of cells: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and Excel.

Hostile by default: a file is bounded before any parser sees it. A workbook's zip is inflated
once, member by member, counting the real bytes (a zip directory can lie); the chosen sheet's
declared dimension and every cell position are checked while it streams by; an old .xls is
measured from its cell records. Only then does calamine read the one sheet, row by row.
"""

from __future__ import annotations

import csv
import html
import io
import operator
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from analytics.ingest import xls


class ReadError(ValueError):
    """The file cannot be read as a spreadsheet; the message is Chinese."""


@dataclass(frozen=True)
class Sheet:
    rows: list[list[object]]  # cells as read (str, numbers, datetimes, None)
    sheet_names: tuple[str, ...]
    encoding: str | None  # for CSV
    # known of a CSV file as a whole (None: not known): whether every character of every cell is
    # printable or a line break, and the most characters the text cells of one row hold together
    printable: bool | None = None
    longest_row: int | None = None


@dataclass(frozen=True)
class Limits:
    """How big a spreadsheet may be (settings import_max_rows, import_max_columns)."""

    rows: int = 200_000  # data rows; a few more are allowed for titles and the header
    columns: int = 100
    cells: int = 10_000_000  # rows × columns of a sheet's used range (calamine holds it dense)
    sheets: int = 100


HEADER_ROWS = 20  # rows beyond Limits.rows allowed for a title and a header above the data
MAX_UNPACKED = 500 * 2**20  # an xlsx is a zip: refuse one that unpacks beyond this
MAX_RATIO = 200  # or that unpacks to more than this many times its size
MAX_STRINGS = 100 * 2**20  # the shared strings part, unpacked (calamine keeps them all)
MAX_STRING_COUNT = 2_000_000  # distinct texts in it (about 120 bytes each in memory)
MAX_MEMBERS = 2_000  # parts in one workbook
MAX_TAG = 2**20  # one XML tag (or text run) longer than this is not a spreadsheet
CHUNK = 4 * 2**20
OLE2 = xls.OLE2  # old .xls, and every password-protected workbook


def decode(data: bytes) -> tuple[str, str]:
    """CSV bytes as text: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ReadError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel 文件")


def read(
    file_name: str, data: bytes, sheet: str | None = None, limits: Limits | None = None
) -> Sheet:
    """The rows of a CSV file or of one sheet of an Excel workbook (the first by default)."""
    limits = limits or Limits()
    name = file_name.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        text, encoding = decode(data)
        rows, longest = _csv_rows(file_name, text, limits)
        # (the separators and quotes are printable: one C pass over the text instead of a check
        # of every row)
        printable = text.replace("\r", "").replace("\n", "").isprintable()
        return Sheet(rows, (), encoding, printable, longest)
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        if data.startswith(OLE2):
            return _read_xls(file_name, data, sheet, limits)
        return _read_xlsx(file_name, data, sheet, limits)
    raise ReadError(f"不支持的文件类型：{file_name}（请上传 .csv、.xlsx 或 .xls 文件）")


def _too_big(file_name: str, rows: int, columns: int, limits: Limits) -> None:
    """Refuse a sheet whose used range exceeds the row, column or cell limits."""
    if rows > limits.rows + HEADER_ROWS:
        raise ReadError(
            f"文件 {file_name} 有 {rows} 行，超过单次导入上限 {limits.rows} 行"
            "（如有大量空行或格式化的空白区域，请删除后另存再上传）"
        )
    if columns > limits.columns:
        raise ReadError(
            f"文件 {file_name} 有 {columns} 列，超过上限 {limits.columns} 列"
            "（如有大量空列或格式化的空白区域，请删除后另存再上传）"
        )
    if rows * columns > limits.cells:
        raise ReadError(
            f"文件 {file_name} 的表格范围为 {rows} 行 × {columns} 列，超过上限 "
            f"{limits.cells:,} 个单元格：请删除多余的行列或分批上传"
        )


# --- CSV -------------------------------------------------------------------------------------


def _csv_rows(file_name: str, text: str, limits: Limits) -> tuple[list[list[object]], int]:
    """The rows, and the most characters one row's cells hold together."""
    rows: list[list[object]] = []
    reader = csv.reader(io.StringIO(text))
    n = 0  # rows beyond the limit are counted (for the message), not kept
    kept = limits.rows + HEADER_ROWS
    longest = 0
    try:
        for r in reader:
            n += 1
            width = len(r)
            while width and r[width - 1] == "":
                width -= 1
            if width > limits.columns or width > limits.cells:
                _too_big(file_name, 1, width, limits)
            if n <= kept:
                rows.append([c or None for c in r[: max(width, 1)]])  # (csv gives text only)
                longest = max(longest, sum(map(len, r)))
    except csv.Error as e:
        too_long = "field larger than field limit" in str(e)
        raise ReadError(
            f"文件 {file_name} 第 {reader.line_num} 行"
            + (
                f"有单元格内容超过 {csv.field_size_limit():,} 个字符，无法导入"
                if too_long
                else "格式错误，无法按 CSV 读取"
            )
            + "：请检查引号是否成对，或用 Excel 打开后另存"
        ) from None
    _too_big(file_name, n, 1, limits)
    width = max(map(len, rows), default=0)  # rectangular, as a sheet is
    for r in rows:
        if len(r) < width:
            r.extend([None] * (width - len(r)))
    return rows, longest


# --- xlsx ------------------------------------------------------------------------------------


def _read_xlsx(file_name: str, data: bytes, sheet: str | None, limits: Limits) -> Sheet:
    if not data.startswith(b"PK"):
        raise ReadError(f"{file_name} 不是有效的 Excel 文件：请用 Excel 另存为 .xlsx 后再上传")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = _inspect_zip(file_name, z, data, sheet, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as e:
        if isinstance(e, ReadError):
            raise
        raise ReadError(f"无法读取 Excel 文件 {file_name}：文件已损坏") from None
    chosen = sheet if sheet is not None else names[0]
    return Sheet(_calamine_rows(file_name, data, chosen, limits), names, None)


def _inspect_zip(
    file_name: str, z: zipfile.ZipFile, data: bytes, sheet: str | None, limits: Limits
) -> tuple[str, ...]:
    """Inflate every member once, counting real bytes; scan the chosen sheet's cells.
    The sheet names in workbook order."""
    infos = z.infolist()
    declared = sum(i.file_size for i in infos)
    _bomb_check(file_name, declared, len(data))
    sheets = _sheet_parts(z)
    if not sheets:
        raise ReadError(f"无法读取 Excel 文件 {file_name}：文件已损坏或不含工作表")
    if len(sheets) > limits.sheets:
        raise ReadError(
            f"{file_name} 含有 {len(sheets)} 个工作表，超过上限 {limits.sheets} 个："
            "请只保留需要导入的工作表"
        )
    if len(infos) > MAX_MEMBERS:
        raise ReadError(f"{file_name} 含有 {len(infos)} 个部件，结构异常，已拒收")
    names = tuple(n for n, _ in sheets)
    if sheet is not None and sheet not in names:
        raise ReadError(f"工作簿中没有名为“{sheet}”的工作表（共有：{'、'.join(names)}）")
    part = dict(sheets)[sheet if sheet is not None else names[0]]
    unpacked = strings = 0
    for info in infos:
        scan = _CellScan(file_name, limits) if info.filename == part else None
        size = 0
        with z.open(info) as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                unpacked += len(chunk)
                _bomb_check(file_name, unpacked, len(data))
                if "sharedstrings" in info.filename.lower():
                    strings += sum(chunk.count(t) for t in (b"<si>", b"<si ", b":si>", b":si "))
                    if size > MAX_STRINGS or strings > MAX_STRING_COUNT:
                        raise ReadError(
                            f"{file_name} 的文本内容异常庞大（超过 {MAX_STRING_COUNT:,} 个不同文本"
                            f"或 {MAX_STRINGS // 2**20} MB），已拒收：请删除多余内容或分批上传"
                        )
                if scan is not None:
                    scan.feed(chunk)
        if scan is not None:
            scan.close()
    return names


def _bomb_check(file_name: str, unpacked: int, size: int) -> None:
    if unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(size, 1):
        raise ReadError(
            f"{file_name} 解压后异常庞大（{unpacked / 2**20:.0f} MB），疑似压缩炸弹，已拒收"
        )


_SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?sheet\b([^>]*)>")
_REL_TAG = re.compile(rb"<(?:[\w.-]+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(rb'([\w.:-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _attrs(text: bytes) -> dict[str, str]:
    return {
        m[1].decode(): html.unescape((m[2] or m[3] or b"").decode("utf-8", "replace"))
        for m in _ATTR.finditer(text)
    }


def _small_part(z: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = z.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > 16 * 2**20:
        raise ValueError(name)
    with z.open(info) as f:
        return f.read(16 * 2**20 + 1)[: 16 * 2**20]


def _sheet_parts(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip member) in workbook order, as calamine finds them."""
    workbook = _small_part(z, "xl/workbook.xml")
    rels = _small_part(z, "xl/_rels/workbook.xml.rels")
    targets = {}
    for m in _REL_TAG.finditer(rels):
        a = _attrs(m[1])
        target = a.get("Target", "")
        targets[a.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    out = []
    for m in _SHEET_TAG.finditer(workbook):
        a = _attrs(m[1])
        rid = next((v for k, v in a.items() if k == "id" or k.endswith(":id")), None)
        if "name" in a and rid in targets:
            out.append((a["name"], targets[rid]))
    return out


_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\b[^>]*?\bref="([^"]*)"')
_FAST_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9]\d{0,6})"')
_ANY_CELL = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")  # prefixed (<x:c …>) too: calamine reads them
_NOT_CELL = re.compile(rb"<c(?![ \t\n\r\x0b\x0c/>])")  # <c not followed by rb"[\s/>]"
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
_R_ATTR = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")  # either quote
_ANY_R = re.compile(rb"\sr\s*=")
_R_EQUALS = re.compile(rb"r\s*=")  # _ANY_R without the space before: a literal start, quick
_CELL_REF = re.compile(rb"([A-Za-z]{1,3})(\d{1,7})")
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)


def _only_own_r(buf: bytes, own: int) -> bool:
    """Whether the XML's r="…" attributes (_ANY_R) are only its own ones, own being how many
    <c r="…" (as _FAST_REF finds them) and <row r="…" it holds: each of those is an _ANY_R match
    and an r followed by =, so when the XML holds no other r followed by = (a quick count: a
    literal start) it holds no other r attribute either. (With any other own the quick count
    may be wrong.)"""
    return len(_R_EQUALS.findall(buf)) == own or len(_ANY_R.findall(buf)) == own


def column_number(letters: str | bytes) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        n = n * 26 + ord(ch) - 64
    return n


class _CellScan:
    """The extent of a worksheet's cells, from its XML as it streams by (never all at once).

    Every cell position counts: its r="B7" reference, or, where a writer leaves r out, its place
    after the previous cell or row (as calamine reads it). The declared <dimension> is checked
    first. A file is refused as soon as its extent passes the limits.
    """

    def __init__(self, file_name: str, limits: Limits) -> None:
        self.file_name, self.limits = file_name, limits
        self.carry = b""
        self.row = self.col = 0  # the position of the last row and cell seen
        self.lo_row = self.lo_col = 1 << 30
        self.hi_row = self.hi_col = 0
        self.dimension_seen = False

    def feed(self, chunk: bytes) -> None:
        buf = self.carry + chunk
        cut = buf.rfind(b"<")
        if cut < 0 or buf.find(b">", cut) >= 0:
            cut = len(buf)
        buf, self.carry = buf[:cut], buf[cut:]
        if len(self.carry) > MAX_TAG:
            self._odd()
        if not self.dimension_seen and (m := _DIMENSION.search(buf)):
            self.dimension_seen = True
            self._dimension(m[1].decode("ascii", "replace"))
        refs = _FAST_REF.findall(buf)
        if b":c" in buf:  # a namespace prefix may stand before c
            cells = len(_ANY_CELL.findall(buf))
        else:  # <c followed by whitespace, / or > (what _ANY_CELL finds), counted without it
            cells = buf.count(b"<c") - len(_NOT_CELL.findall(buf))
        # a second r="…" in a cell wins in calamine: every cell and row has only its own
        if len(refs) == cells and _only_own_r(buf, len(refs) + buf.count(b'<row r="')):
            # every cell says where it is, once
            if refs:
                rows = [int(r) for r in set(map(_SECOND, refs))]
                cols = [column_number(c) for c in set(map(_FIRST, refs))]
                self._extend(min(rows), max(rows), min(cols), max(cols))
                self.row, self.col = int(refs[-1][1]), column_number(refs[-1][0])  # the last
            return
        for m in _TAG.finditer(buf):  # some cells (or a namespace prefix): position each one
            r = _R_ATTR.findall(m[2])  # the last one counts, as in calamine
            ref = None if not r else (r[-1][0] or r[-1][1])
            if m[1] == b"row":
                if ref is not None and not ref.isdigit():
                    self._odd()
                self.row = int(ref) if ref else self.row + 1
                self.col = 0
                continue
            if ref is None:
                self.col += 1
            elif cell := _CELL_REF.fullmatch(ref):
                self.row, self.col = int(cell[2]), column_number(cell[1])
            else:
                self._odd()
            self._extend(self.row, self.row, self.col, self.col)

    def close(self) -> None:
        self.feed(b"")

    def _odd(self) -> None:
        raise ReadError(f"无法读取 Excel 文件 {self.file_name}：单元格位置格式异常，已拒收")

    def _dimension(self, ref: str) -> None:
        corners = [_REF.fullmatch(p) for p in ref.split(":")]
        if not all(corners):
            return
        rows = [int(c[2]) for c in corners]
        cols = [column_number(c[1]) for c in corners]
        _too_big(self.file_name, max(rows) - min(rows) + 1, max(cols) - min(cols) + 1, self.limits)
        _too_big(self.file_name, max(rows), 1, self.limits)
        _too_big(self.file_name, 1, max(cols), self.limits)

    def _extend(self, r0: int, r1: int, c0: int, c1: int) -> None:
        self.lo_row, self.hi_row = min(self.lo_row, r0), max(self.hi_row, r1)
        self.lo_col, self.hi_col = min(self.lo_col, c0), max(self.hi_col, c1)
        # calamine holds the used range densely, and its rows come padded from the first
        _too_big(self.file_name, self.hi_row, 1, self.limits)
        _too_big(self.file_name, 1, self.hi_col, self.limits)
        _too_big(self.file_name, self.hi_row, self.hi_col - self.lo_col + 1, self.limits)


def _calamine_rows(file_name: str, data: bytes, sheet: str, limits: Limits) -> list[list[object]]:
    import python_calamine  # only when a workbook is read

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return _rows(file_name, book.get_sheet_by_name(sheet).iter_rows(), limits)
    except ReadError:
        raise
    except Exception as e:  # corrupt, encrypted or not a workbook at all
        raise ReadError(f"无法读取 Excel 文件 {file_name}：文件已损坏、加密或不是表格文件") from e


def _rows(file_name: str, rows: Iterable[list[object]], limits: Limits) -> list[list[object]]:
    """Cells as the importers take them: '' → None, whole floats → int, dates → datetimes;
    reading stops at the limits (a second guard behind the scan)."""
    out: list[list[object]] = []
    for r in rows:
        _too_big(file_name, len(out) + 1, len(r), limits)
        out.append([c if type(c) is str and c else _cell(c) for c in r])  # most cells: text
    return out


def _cell(c: object) -> object:
    if c == "" or c is None:
        return None
    if isinstance(c, float) and c.is_integer():
        return int(c)
    if isinstance(c, date) and not isinstance(c, datetime):
        return datetime(c.year, c.month, c.day)
    return c


# --- xls -------------------------------------------------------------------------------------


def _read_xls(file_name: str, data: bytes, sheet: str | None, limits: Limits) -> Sheet:
    if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
        raise ReadError(f"{file_name} 设置了打开密码：请在 Excel 中取消密码后另存，再上传")
    try:
        extent = xls.extent(data)
    except xls.XlsError:
        raise ReadError(f"无法读取 Excel 文件 {file_name}：文件已损坏或不是 Excel 文件") from None
    if extent.sheets > limits.sheets:
        raise ReadError(
            f"{file_name} 含有 {extent.sheets} 个工作表，超过上限 {limits.sheets} 个："
            "请只保留需要导入的工作表"
        )
    for rows, columns in extent.ranges:
        _too_big(file_name, rows, columns, limits)
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = tuple(book.sheet_names)
    except Exception as e:
        raise ReadError(f"无法读取 Excel 文件 {file_name}：文件已损坏、加密或不是表格文件") from e
    if not names:
        raise ReadError(f"无法读取 Excel 文件 {file_name}：文件不含工作表")
    if sheet is not None and sheet not in names:
        raise ReadError(f"工作簿中没有名为“{sheet}”的工作表（共有：{'、'.join(names)}）")
    return Sheet(_calamine_rows(file_name, data, sheet or names[0], limits), names, None)
