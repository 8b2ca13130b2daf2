"""A bulletin as data: the tables, charts, sections and the bulletin itself, and what it compares
with. Shared by the builder (content), the wording and the renderers (docx, xlsx, charts, archive),
so none of them needs another's module for its types.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

BULLETIN_PERIODS: dict[str, str] = {"week": "周", "month": "月", "quarter": "季度"}
MASTHEAD = "道路交通安全隐患治理通报"
DOC_ROWS = 100  # rows of a table the Word document (and the page preview) lists; the .xlsx has all
FORMAT_VERSION = 1


@dataclass
class Table:
    """A table as the documents show it: cells are text or numbers, marks colour whole rows."""

    key: str  # sheet name in the xlsx
    title: str  # 表N　… (numbered in order of appearance)
    columns: list[str]
    rows: list[list[Any]]
    marks: list[str | None]  # per row: "red" (逾期, worst), "yellow" (临期) or None
    empty: str = ""  # what the document says when there are no rows
    note: str = ""


# what a table's shading means, said under the tables whose shading needs saying
MARK_MEANINGS = {"red": "红色底纹为逾期或排名末位", "yellow": "黄色底纹为临期或未按期销号"}
_EXPLAINED = ("逾期隐患", "临期隐患", "本期销号")


def mark_note(t: Table) -> str | None:
    """The note under a table saying what its shaded rows mean (the Word document and the page's
    preview print the same), or None."""
    meanings = [MARK_MEANINGS[m] for m in dict.fromkeys(m for m in t.marks if m)]
    if not meanings or t.key not in _EXPLAINED:
        return None
    return "注：" + "；".join(meanings) + "。"


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar_h" (one series, categories down) | "lines" (series over buckets)
    categories: list[str]
    series: dict[str, list[float | None]]
    x_label: str = ""
    y_label: str = ""


@dataclass
class Section:
    heading: str  # 一、总体情况
    paragraphs: list[str]
    tables: list[str] = field(default_factory=list)  # keys into Bulletin.tables, in order
    charts: list[str] = field(default_factory=list)  # keys into Bulletin.charts


@dataclass
class Bulletin:
    period: str
    as_of: date
    start: date
    end: date
    dated: date  # the document's date (成文日期); its year numbers the issue
    number: int | None  # None: a draft
    draft_number: int  # the number it would get if issued now
    issuer: str
    recipients: str
    city: str
    title: str
    horizon: int
    figures: dict[str, Any]  # the summary figures (also the base of the next bulletin's change)
    previous: dict[str, Any] | None  # the last issued bulletin compared with (label, figures)
    sections: list[Section]
    tables: dict[str, Table]
    charts: dict[str, Chart]
    sites: list[dict[str, Any]] | None = None  # accident-prone sites (None: not analysed)
    site_rule: str = ""

    @property
    def year(self) -> int:
        return self.dated.year

    @property
    def number_label(self) -> str:
        if self.number is None:
            return f"{self.year}年第{self.draft_number}期（草稿）"
        return f"{self.year}年第{self.number}期"

    @property
    def is_draft(self) -> bool:
        return self.number is None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, default=_json_default, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Bulletin:
        d = json.loads(raw)
        for k in ("as_of", "start", "end", "dated"):
            d[k] = date.fromisoformat(d[k])
        d["sections"] = [Section(**s) for s in d["sections"]]
        d["tables"] = {k: Table(**t) for k, t in d["tables"].items()}
        d["charts"] = {k: Chart(**c) for k, c in d["charts"].items()}
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def check_period(period: str) -> None:
    if period not in BULLETIN_PERIODS:
        raise ValueError(f"无效的通报周期“{period}”（可用：week 周、month 月、quarter 季度）")


@dataclass(frozen=True)
class Previous:
    """What the bulletin compares with: the last issued bulletin, or the previous period's end."""

    label: str  # 上期通报（2022年第8期，截至2022年9月8日）| 上期末（2022年9月8日）
    as_of: date
    figures: dict[str, Any]
    sites: list[dict[str, Any]] | None
