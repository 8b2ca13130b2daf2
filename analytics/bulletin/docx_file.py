"""A bulletin as a Word document laid out as an official notice (GB/T 9704 conventions).

A4 with the official margins; masthead, issue-number line, issuer and date over a red rule;
the title in 小标宋, 主送, body in 仿宋_GB2312 三号 on a fixed 28-point line, first-level headings
in 黑体, notes in 楷体_GB2312; tables whose header row repeats on every page; the signature
block and date; page numbers "— N —". Fonts are named in the document (eastAsia attributes and
font-table entries with charset GB2312 and the everyday alternative), so Word substitutes sensibly
where a font is missing.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from analytics import fmt
from analytics.bulletin.model import DOC_ROWS, Bulletin, Table, mark_note

BODY_FONT, HEI, KAI, TITLE_FONT, LATIN = (
    "仿宋_GB2312",
    "黑体",
    "楷体_GB2312",
    "方正小标宋简体",
    "Times New Roman",
)
FONT_TABLE = {  # font: (everyday alternative Word may use, family, pitch)
    "仿宋_GB2312": ("仿宋", "modern", "fixed"),
    "楷体_GB2312": ("楷体", "modern", "fixed"),
    "黑体": ("SimHei", "modern", "fixed"),
    "方正小标宋简体": ("宋体", "auto", "variable"),
}
RED = RGBColor(0xC0, 0x00, 0x00)
FILLS = {"red": "F8D7DA", "yellow": "FFF3CD"}
SANHAO, SIHAO, XIAOWU, ERHAO = Pt(16), Pt(14), Pt(9), Pt(22)  # 三号, 四号, 小五, 二号
TEXT_WIDTH_MM = 210 - 28 - 26
CJK_MM, LATIN_MM, PAD_MM = 3.2, 1.6, 4.2  # characters at 小五 (9 pt), a cell's side margins


def render(content: Bulletin, charts: dict[str, bytes]) -> bytes:
    doc = Document()
    _page(doc)
    _styles(doc)
    _font_table(doc)
    _properties(doc, content)
    _masthead(doc, content)
    _para(doc, content.title, TITLE_FONT, ERHAO, align="center", before=Pt(16), line=Pt(36))
    span = f"（{fmt.date_cn(content.start)}至{fmt.date_cn(content.end)}）"
    _para(doc, span, KAI, SANHAO, align="center")
    _para(doc, "", BODY_FONT, SANHAO)
    _para(doc, f"{content.recipients}：", BODY_FONT, SANHAO)
    for section in content.sections:
        doc.add_paragraph(section.heading, style="Heading 1")
        for text in section.paragraphs:
            doc.add_paragraph(text)
        for key in section.charts:
            _chart(doc, charts[key])
        for key in section.tables:
            _table(doc, content.tables[key])
    _signature(doc, content)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _page(doc) -> None:  # a docx Document
    s = doc.sections[0]
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    s.footer_distance = Mm(20)
    s.start_type = WD_SECTION.NEW_PAGE
    footer = s.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", LATIN, SIHAO)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    field.append(r)
    footer._p.append(field)
    _run(footer, " —", LATIN, SIHAO)


def _fonts(rpr, east_asia: str, latin: str = LATIN) -> None:  # a w:rPr element
    """Name the fonts on an rPr: eastAsia for Chinese text, the Latin font for the rest."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr, value in (("ascii", latin), ("hAnsi", latin), ("eastAsia", east_asia), ("cs", latin)):
        fonts.set(qn(f"w:{attr}"), value)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = SANHAO
    _fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    pf = normal.paragraph_format
    pf.first_line_indent = Pt(32)  # two characters
    pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    pf.space_before = pf.space_after = Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for name, font in (("Heading 1", HEI), ("Heading 2", KAI)):
        h = doc.styles[name]
        h.font.size, h.font.bold, h.font.italic = SANHAO, False, False
        h.font.color.rgb = RGBColor(0, 0, 0)
        _fonts(h.element.get_or_add_rPr(), font)
        hf = h.paragraph_format
        hf.first_line_indent = Pt(32)
        hf.line_spacing_rule, hf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
        hf.space_before = hf.space_after = Pt(0)
        hf.keep_with_next = True
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr, BODY_FONT)


def _font_table(doc) -> None:
    """Declare the Chinese fonts (charset GB2312, an alternative name) in word/fontTable.xml."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    for name, (alt, family, pitch) in FONT_TABLE.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (
            ("altName", alt),
            ("charset", "86"),
            ("family", family),
            ("pitch", pitch),
        ):
            etree.SubElement(font, qn(f"w:{tag}")).set(qn("w:val"), value)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _properties(doc, content: Bulletin) -> None:
    p = doc.core_properties
    p.title = f"{content.title}（{content.number_label}）"
    p.author = p.last_modified_by = content.issuer
    p.subject = "道路交通安全隐患治理通报"
    stamp = datetime(content.dated.year, content.dated.month, content.dated.day)
    p.created = p.modified = stamp
    p.revision = 1


def _run(paragraph, text: str, font: str, size, *, bold: bool = False, colour=None):  # ANN202
    run = paragraph.add_run(text)
    run.font.size, run.font.bold = size, bold
    _fonts(run._r.get_or_add_rPr(), font)
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _para(
    doc,
    text: str,
    font: str,
    size,
    *,
    align: str = "left",
    before=None,
    line=None,  # ANN202
    colour=None,
    bold: bool = False,
):
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Pt(0)
    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    if before is not None:
        p.paragraph_format.space_before = before
    if line is not None:
        p.paragraph_format.line_spacing = line
    if text:
        _run(p, text, font, size, colour=colour, bold=bold)
    return p


def _masthead(doc, content: Bulletin) -> None:
    """版头: the red masthead, the issue-number line, issuer and date over a red rule."""
    _para(
        doc, "道路交通安全隐患治理通报", TITLE_FONT, Pt(36), align="center", line=Pt(54), colour=RED
    )
    _para(doc, content.number_label, BODY_FONT, SANHAO, align="center", before=Pt(12))
    p = _para(doc, "", BODY_FONT, SANHAO, before=Pt(6))
    p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    _run(p, f"{content.issuer}\t{fmt.date_cn(content.dated)}", BODY_FONT, SANHAO)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("val", "single"), ("sz", "18"), ("space", "4"), ("color", "C00000")):
        bottom.set(qn(f"w:{attr}"), value)
    border.append(bottom)
    ppr.append(border)


def _chart(doc, image: bytes) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(6)
    p.add_run().add_picture(io.BytesIO(image), width=Mm(150))


def _widths(t: Table) -> list[float]:
    """Column widths in mm filling the text width. Columns without Chinese text (ids, dates,
    numbers) keep their longest value on one line; the text columns share the rest, the short
    ones on one line where they fit, the long ones wrapping (CJK characters count double)."""

    def mm(v: object) -> float:
        return sum(CJK_MM if ord(c) > 0x2E80 else LATIN_MM for c in str(v))

    def cjk(v: object) -> bool:
        return any(ord(c) > 0x2E80 for c in str(v))

    n = len(t.columns)
    rigid = [bool(t.rows) and not any(cjk(r[i]) for r in t.rows) for i in range(n)]
    need = [
        max(2 * CJK_MM, *(mm(r[i]) for r in t.rows)) + PAD_MM
        if rigid[i]
        else max([min(mm(c), 4 * CJK_MM), *(min(mm(r[i]), 15 * CJK_MM) for r in t.rows)]) + PAD_MM
        for i, c in enumerate(t.columns)
    ]
    if sum(need) <= TEXT_WIDTH_MM:
        return [TEXT_WIDTH_MM * x / sum(need) for x in need]
    widths = [need[i] if rigid[i] else 0.0 for i in range(n)]
    free = [i for i in range(n) if not rigid[i]]
    left = TEXT_WIDTH_MM - sum(widths)
    while free:  # water-filling: text columns narrower than a fair share keep their width
        share = left / len(free)
        fits = [i for i in free if need[i] <= share]
        if not fits:
            for i in free:
                widths[i] = share
            break
        for i in fits:
            widths[i] = need[i]
            left -= need[i]
        free = [i for i in free if i not in fits]
    return widths


def _table(doc, t: Table) -> None:
    title = _para(doc, t.title, HEI, SIHAO, align="center", before=Pt(8))
    title.paragraph_format.keep_with_next = True
    if not t.rows:
        doc.add_paragraph(t.empty)
        return
    shown = t.rows[:DOC_ROWS]
    table = doc.add_table(rows=1 + len(shown), cols=len(t.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = _widths(replace(t, rows=shown))  # fitted to the rows the document shows
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)  # the grid: what LibreOffice and WPS lay out by
    for r, (row, values) in enumerate(zip(table.rows, [t.columns, *shown], strict=True)):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            trpr.append(OxmlElement("w:tblHeader"))  # repeated at the top of every page
        mark = None if r == 0 else t.marks[r - 1]
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = Mm(widths[c])
            p = cell.paragraphs[0]
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(p, "" if value is None else str(value), HEI if r == 0 else BODY_FONT, XIAOWU)
            fill = "D9D9D9" if r == 0 else FILLS.get(mark or "")
            if fill:
                shading = OxmlElement("w:shd")
                for attr, v in (("val", "clear"), ("color", "auto"), ("fill", fill)):
                    shading.set(qn(f"w:{attr}"), v)
                cell._tc.get_or_add_tcPr().append(shading)
    if len(t.rows) > DOC_ROWS:
        doc.add_paragraph(
            f"（共{len(t.rows)}项，文中列出前{DOC_ROWS}项；完整清单见同期Excel版通报。）"
        )
    if t.note:
        _para(doc, t.note, KAI, Pt(12), before=Pt(4))
    if note := mark_note(t):
        _para(doc, note, KAI, Pt(12), before=Pt(2))


def _signature(doc, content: Bulletin) -> None:
    """The issuing body and the date, right-aligned, the date four characters from the margin."""
    _para(doc, "", BODY_FONT, SANHAO)
    _para(doc, "", BODY_FONT, SANHAO)
    issuer = _para(doc, content.issuer, BODY_FONT, SANHAO, align="right")
    issuer.paragraph_format.right_indent = Pt(32)
    date_line = _para(doc, fmt.date_cn(content.dated), BODY_FONT, SANHAO, align="right")
    date_line.paragraph_format.right_indent = Pt(64)
