"""Hostile spreadsheets, small on disk and enormous once parsed: the shapes the reader must
refuse quickly and within bounded memory (tests/ingest/test_hostile_files.py and python -m bench).

Each builder returns (file name, bytes). The xlsx files are written by hand (zipfile), the way
an attacker would, because no spreadsheet program writes them.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{overrides}</Types>"
)
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_NS = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def sheet_xml(cells: str, dimension: str | None = None) -> bytes:
    """A worksheet part around the given <row>…</row> XML."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS}>{dim}'
        f"<sheetData>{cells}</sheetData></worksheet>"
    ).encode()


def xlsx(
    sheets: list[tuple[str, bytes | int]],
    shared: bytes | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A workbook of the given worksheet parts (and shared strings part)."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
        for i in range(1, len(sheets) + 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    listed = "".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
        for i, (name, _) in enumerate(sheets, start=1)
    )
    if shared is not None:
        overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_STRINGS_TYPE}"/>'
        rels += f'<Relationship Id="rIdS" Type="{_REL}sharedStrings" Target="sharedStrings.xml"/>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        z.writestr("[Content_Types].xml", _TYPES.format(overrides=overrides))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {_NS}>'
            f"<sheets>{listed}</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>",
        )
        for i, (_, part) in enumerate(sheets, start=1):
            if isinstance(part, int):  # that many MB of spaces inside a worksheet, streamed
                with z.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as f:
                    f.write(sheet_xml("")[:-24])
                    for _ in range(part):
                        f.write(b" " * 2**20)
                    f.write(b"</sheetData></worksheet>")
            else:
                z.writestr(f"xl/worksheets/sheet{i}.xml", part)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
    return buf.getvalue()


def _one_cell(ref: str, dimension: str | None = None) -> bytes:
    row = "".join(ch for ch in ref if ch.isdigit())
    return sheet_xml(
        f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>', dimension
    )


def far_cell() -> tuple[str, bytes]:
    """The one data cell at the last cell of a sheet, XFD1048576 (seen: a 550 GB allocation)."""
    return "far-cell.xlsx", xlsx([("Sheet1", _one_cell("XFD1048576", "XFD1048576"))])


def far_cell_no_dimension() -> tuple[str, bytes]:
    """A cell at ZZ150000 and no <dimension> element: only the cell reference tells."""
    return "zz150000.xlsx", xlsx([("Sheet1", _one_cell("ZZ150000"))])


def corners() -> tuple[str, bytes]:
    """Cells at A1 and at the last row and column a ledger may have: a dense range between."""
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>隐患编号</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    return "corners.xlsx", xlsx([("Sheet1", sheet_xml(cells))])


def huge_dimension() -> tuple[str, bytes]:
    """A declared dimension of the whole sheet around a single cell at A1."""
    return "dimension.xlsx", xlsx([("Sheet1", _one_cell("A1", "A1:XFD1048576"))])


def many_sheets(n: int = 5000) -> tuple[str, bytes]:
    """Thousands of sheets, each a far cell."""
    part = _one_cell("ZZ150000")
    return "sheets.xlsx", xlsx([(f"S{i}", part) for i in range(n)])


def huge_shared_strings(n: int = 3_000_000) -> tuple[str, bytes]:
    """Millions of distinct shared strings (random, so the zip ratio looks ordinary)."""
    strings = "".join(f"<si><t>{os.urandom(6).hex()}</t></si>" for _ in range(n))
    shared = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst {_NS} count="{n}" '
        f'uniqueCount="{n}">{strings}</sst>'
    ).encode()
    return "strings.xlsx", xlsx([("Sheet1", _one_cell("A1"))], shared)


def deep_nesting(depth: int = 2_000_000) -> tuple[str, bytes]:
    """A worksheet whose one cell sits two million elements deep."""
    inner = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    cells = "<x>" * depth + inner + "</x>" * depth
    return "nested.xlsx", xlsx([("Sheet1", sheet_xml(cells))])


def zip_bomb(mb: int = 1024) -> tuple[str, bytes]:
    """A workbook whose sheet inflates to a gigabyte of whitespace (deflate packs it ~1000:1)."""
    return "zip-bomb.xlsx", xlsx([("Sheet1", mb)])


def lying_zip(mb: int = 1024) -> tuple[str, bytes]:
    """A zip bomb whose directory claims a tiny uncompressed size (the header lies)."""
    name, data = zip_bomb(mb)
    out = bytearray(data)
    # the central directory's uncompressed size of the one member, rewritten to 1 KB
    central = out.rfind(b"PK\x01\x02")
    extra_len = int.from_bytes(out[central + 30 : central + 32], "little")
    name_len = int.from_bytes(out[central + 28 : central + 30], "little")
    extra = central + 46 + name_len
    # zip64: the real sizes live in the extra field (tag 0x0001): uncompressed first
    if out[extra : extra + 2] == b"\x01\x00" and extra_len >= 12:
        out[extra + 4 : extra + 12] = (1024).to_bytes(8, "little")
    else:
        out[central + 24 : central + 28] = (1024).to_bytes(4, "little")
    return "lying-zip.xlsx", bytes(out)


def huge_xls() -> tuple[str, bytes]:
    """An Excel 97 workbook with cells at A1 and at its last cell, IV65536 (xlwt writes it)."""
    import xlwt  # a development dependency

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    sheet.write(0, 0, "隐患编号")
    sheet.write(65535, 255, 1)
    buf = io.BytesIO()
    book.save(buf)
    return "huge.xls", buf.getvalue()


def huge_csv_field(mb: int = 20) -> tuple[str, bytes]:
    """A CSV whose one field is megabytes long (Python's csv module refuses beyond 128 KB)."""
    return "field.csv", "隐患编号\n".encode() + b'"' + b"x" * (mb * 2**20) + b'"\n'


BOMBS: dict[str, Callable[[], tuple[str, bytes]]] = {
    "far cell XFD1048576": far_cell,
    "far cell ZZ150000, no dimension": far_cell_no_dimension,
    "cells at A1 and XFD1048576": corners,
    "declared dimension A1:XFD1048576": huge_dimension,
    "5,000 sheets": many_sheets,
    "3,000,000 shared strings": huge_shared_strings,
    "XML nested 2,000,000 deep": deep_nesting,
    "zip bomb (1 GB of spaces)": zip_bomb,
    "zip bomb with a lying directory": lying_zip,
    "xls with cells at A1 and IV65536": huge_xls,
    "CSV with a 20 MB field": huge_csv_field,
}
