"""The static HTML tables a page hands to st.html (ui.text.html_table), read back with the
standard library's parser: what a browser would show, and every tag the markup holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pandas as pd


@dataclass
class Parsed:
    tags: list[str] = field(default_factory=list)  # every start tag, in order
    tables: list[pd.DataFrame] = field(default_factory=list)
    row_styles: list[list[str]] = field(default_factory=list)  # per table, each body row's style


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self.styles: list[str] = []
        self.cell: list[str] | None = None
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.out.tags.append(tag)
        if tag == "table":
            self.head, self.rows, self.styles = [], [], []
        elif tag == "tr":
            self.rows.append([])
            self.styles.append(dict(attrs).get("style") or "")
        elif tag in ("th", "td"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")
        elif tag == "style":
            self.in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None:
            text = "".join(self.cell)
            (self.head if tag == "th" else self.rows[-1]).append(text)
            self.cell = None
        elif tag == "table":
            body = [r for r in self.rows if r]
            styles = [s for r, s in zip(self.rows, self.styles, strict=True) if r]
            self.out.tables.append(pd.DataFrame(body, columns=self.head))
            self.out.row_styles.append(styles)
        elif tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.in_style:
            self.cell.append(data)


def read(markup: str) -> Parsed:
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return reader.out


def page_tables(at) -> list[pd.DataFrame]:  # ANN001: an AppTest
    """Every static table the page drew with st.html, as text cells."""
    return [t for h in at.html for t in read(h.value).tables]
