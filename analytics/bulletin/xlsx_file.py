"""A bulletin as a workbook: 通报正文 (the text and the figures), one sheet per table, 图表.

Each table sheet has its title on row 1, the header on row 2 (frozen, filterable), widths fitted
to the text, and the red (逾期, worst) and yellow (临期) rows marked by fill and by their words.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from analytics import fmt, inert
from analytics.bulletin.model import Bulletin, Table

FILLS = {
    "red": PatternFill("solid", fgColor="F8D7DA"),
    "yellow": PatternFill("solid", fgColor="FFF3CD"),
}
MARK_FONTS = {"red": Font(color="C00000"), "yellow": Font(color="9C6500")}
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FIGURES = (
    ("listed", "入单隐患（处）"),
    ("closed", "已销号（处）"),
    ("rate", "整改率"),
    ("open", "在办（处）"),
    ("overdue", "逾期（处）"),
    ("due_soon", "临期（处）"),
    ("on_time_rate", "按期整改率"),
    ("new_in_period", "本期新增入单（处）"),
    ("closed_in_period", "本期整改销号（处）"),
)


def _styles(wb: Workbook) -> None:
    """One named style per kind of table cell: assigning a name is far cheaper than setting a
    cell's border, fill and font one by one (tens of thousands of rows at a province's size)."""
    wb.add_named_style(NamedStyle("cell", border=BOX))
    for mark, fill in FILLS.items():
        wb.add_named_style(NamedStyle(f"cell_{mark}", border=BOX, fill=fill, font=MARK_FONTS[mark]))


def render(content: Bulletin, charts: dict[str, bytes]) -> bytes:
    wb = inert.new_workbook()
    _styles(wb)
    _text_sheet(wb.active, content)
    for section in content.sections:
        for key in section.tables:
            _table_sheet(wb.create_sheet(key), content.tables[key])
    if charts:
        _chart_sheet(wb.create_sheet("图表"), charts)
    wb.properties.title = f"{content.title}（{content.number_label}）"
    wb.properties.creator = content.issuer
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text_sheet(ws, c: Bulletin) -> None:  # a worksheet
    ws.title = "通报正文"
    rows = [
        ("期号", c.number_label),
        ("标题", c.title),
        ("统计周期", f"{c.start} 至 {c.end}"),
        ("统计截至", c.as_of.isoformat()),
        ("成文日期", c.dated.isoformat()),
        ("发文单位", c.issuer),
        ("主送", c.recipients),
        ("比较基准", c.previous["label"] if c.previous else "—"),
    ]
    for key, label in FIGURES:
        v = c.figures.get(key)
        rows.append((label, fmt.percent(v) if key.endswith("rate") else v))
    for label, value in rows:
        inert.append_row(ws, [label, value])
    inert.append_row(ws, [])
    for s in c.sections:
        inert.append_row(ws, [s.heading])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        for p in s.paragraphs:
            inert.append_row(ws, ["", p])
            ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=1, max_row=len(rows)):
        row[0].font = Font(bold=True)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 100


def _width(v: object) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v))


def _table_sheet(ws, t: Table) -> None:
    inert.append_row(ws, [t.title])
    ws.cell(1, 1).font = Font(bold=True, size=13)
    inert.append_row(ws, t.columns)
    for cell in ws[2]:
        cell.font, cell.fill, cell.border = Font(bold=True), HEADER_FILL, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, (values, mark) in enumerate(zip(t.rows, t.marks, strict=True), start=3):
        inert.append_row(ws, ["" if v is None else v for v in values])
        style = f"cell_{mark}" if mark else "cell"
        for c in range(1, len(values) + 1):  # (ws[r] and ws.max_row rescan the whole sheet)
            ws.cell(r, c).style = style
    if not t.rows:
        inert.append_row(ws, [t.empty])
    if t.note:
        inert.append_row(ws, [])
        inert.append_row(ws, [t.note])
    ws.freeze_panes = "A3"
    if t.rows:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(t.columns))}{len(t.rows) + 2}"
    for i, name in enumerate(t.columns, start=1):
        longest = max([_width(name), *(_width(r[i - 1]) for r in t.rows)])
        ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 6), 48)


def _chart_sheet(ws, charts: dict[str, bytes]) -> None:
    row = 1
    for png in charts.values():
        image = Image(io.BytesIO(png))
        image.width, image.height = image.width // 2, image.height // 2
        ws.add_image(image, f"A{row}")
        row += image.height // 20 + 2
