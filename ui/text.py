"""Text a user typed or a file brought, shown literally: in Markdown (plain), in st.table
(plain_table), in cells (text_cells) and in static HTML tables (html_table)."""

from __future__ import annotations

import html
import re

import pandas as pd

_MARKDOWN_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_SHORTCODE = re.compile(r":(?=[\w/+-]+:)")  # :smile: and :material/icon: (emoji and icons)
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)  # GFM autolinks


def plain(value: object) -> str:
    """Text a user typed or a file brought, made safe to put into Streamlit Markdown (st.markdown,
    captions, alerts, titles, labels, st.table cells): it then reads literally.

    Every ASCII punctuation character is backslash-escaped (CommonMark shows an escaped
    character as itself), which disarms links, images, autolinks, HTML, emphasis, tables,
    headings, LaTeX ($), :color[...] directives. Emoji and :material/...: shortcodes and GFM's
    autolinks (http://…, www.…, a@b.c) are matched on the text after unescaping (checked in a
    browser: an escaped URL still became a live link), so an invisible word joiner (U+2060)
    breaks them: after such a colon, in "://", after "www", before "@". Line breaks stay;
    indentation becomes no-break spaces (an indented line would be a code block).
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = _SHORTCODE.sub(":\u2060", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    text = _AUTOLINK.sub(lambda m: (m.group(1) or "") + "\u2060", text)
    text = _MARKDOWN_PUNCT.sub(r"\\\1", text)
    text = _INDENT.sub(lambda m: "\u00a0" * len(m.group()), text)  # no code block (shows "\\")
    return text.replace("\n", "  \n")


def plain_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame for st.table (which renders every cell, header and index as Markdown) whose
    cells, headers and index read literally."""
    out = frame.map(plain)
    out.columns = [plain(c) for c in frame.columns]
    out.index = pd.Index([plain(i) for i in frame.index], name=plain(frame.index.name) or None)
    return out


def text_cells(values: list) -> list[str]:
    """Cells as text, blanks for missing values (a styled table would print "None")."""
    return ["" if v is None else str(v) for v in values]


def _cell_html(value: object) -> str:
    """One cell as HTML text: escaped (quotes too), line breaks as <br>."""
    text = "" if value is None else str(value)
    return html.escape(text).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def html_table(columns: list[str], rows: list[list], row_styles: list[str], css_class: str) -> str:
    """A static table for st.html: every header and cell escaped (no tag, entity or script of a
    cell survives), a line break kept as <br>; row_styles: each row's inline style (from the
    page's own constants, never from data). A static table costs a millisecond where a styled
    st.dataframe (pandas' Styler, cell by cell) cost tens."""
    head = "".join(f"<th>{_cell_html(c)}</th>" for c in columns)
    body = "".join(
        (f'<tr style="{html.escape(style)}">' if style else "<tr>")
        + "".join(f"<td>{_cell_html(v)}</td>" for v in row)
        + "</tr>"
        for row, style in zip(rows, row_styles, strict=True)
    )
    return (
        f'<div class="{html.escape(css_class)}"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )
