"""Drafting, issuing and archiving bulletins: numbers per year without gaps, frozen copies.

A draft can be made by anyone signed in. Issuing (administrators only: auth "issue_bulletin")
takes the next number of the document date's year and stores the content JSON together with
the .docx and .xlsx bytes in one transaction; an archived bulletin is served from those bytes,
so it downloads identical however the ledger changes afterwards.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from analytics import access, fmt, textsafe
from analytics.accounts import auth
from analytics.bulletin import content as bulletin
from analytics.bulletin.model import BULLETIN_PERIODS, Bulletin, Previous, check_period
from analytics.ledger import periods
from analytics.sources import config as sources_config
from analytics.sources.config import SourceConfig
from analytics.store.db import transaction

log = logging.getLogger("hazards.bulletin")
ISSUE_ATTEMPTS = 5  # a concurrent issue took the number: take the next one
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BulletinError(ValueError):
    """A bulletin cannot be issued or found; the message is Chinese."""


@dataclass(frozen=True)
class Options:
    """What the settings and the city file decide about a bulletin."""

    horizon: int
    issuer: str
    recipients: str
    city: str
    hotspot_preset: str = (
        "point_500m_1y"  # the city file's default rule, unless a setting names one
    )
    sources: SourceConfig = sources_config.EMPTY  # 人·车·企 indicators (none: no such section)


def options(settings: Any, city: Any) -> Options:  # Settings, City
    return Options(
        settings.due_soon_days,
        settings.bulletin_issuer or city.detachment,
        settings.bulletin_recipients,
        city.name,
        settings.bulletin_hotspot_preset or city.hotspot_preset,
        sources_config.load(city),
    )


@dataclass(frozen=True)
class Files:
    docx: bytes
    xlsx: bytes


@dataclass(frozen=True)
class Issued:
    year: int
    number: int
    content: Bulletin
    files: Files
    issued_by: str
    issued_at: datetime


def next_number(conn: duckdb.DuckDBPyConnection, year: int) -> int:
    row = conn.execute("SELECT coalesce(max(number), 0) + 1 FROM bulletins WHERE year = ?", [year])
    return int(row.fetchone()[0])


def previous(conn: duckdb.DuckDBPyConnection, period: str, as_of: date) -> Previous | None:
    """The last bulletin of this kind issued for an earlier as-of date (its frozen figures)."""
    row = conn.execute(
        "SELECT year, number, as_of, content FROM bulletins WHERE period = ? AND as_of < ?"
        " ORDER BY as_of DESC, year DESC, number DESC LIMIT 1",
        [period, as_of],
    ).fetchone()
    if row is None:
        return None
    year, number, prev_as_of, raw = row
    content = Bulletin.from_json(raw)
    label = f"上期通报（{year}年第{number}期，截至{fmt.date_cn(prev_as_of)}）"
    return Previous(label, prev_as_of, content.figures, content.sites)


def sites(
    conn: duckdb.DuckDBPyConnection, as_of: date, preset: str
) -> tuple[list[dict], str] | None:
    """The accident-prone sites as of the date under the preset rule, or None without the
    analysis (analytics/accidents/sites.py absent)."""
    try:
        from analytics.accidents import sites as hotspots
    except ImportError:
        return None
    try:
        params = hotspots.preset(preset)
    except ValueError as e:
        raise BulletinError(f"设置 HAZARDS_BULLETIN_HOTSPOT_PRESET 无效：{e}") from None
    return bulletin.site_records(hotspots.find_sites(conn, as_of, params)), params.describe()


def draft(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    period: str,
    opts: Options,
    dated: date | None = None,
) -> Bulletin:
    """The bulletin as it would be issued now (number: the next free one, marked 草稿)."""
    check_period(period)
    dated = dated or as_of
    return bulletin.build(
        conn,
        as_of,
        period,
        horizon=opts.horizon,
        issuer=opts.issuer,
        recipients=opts.recipients,
        city=opts.city,
        dated=dated,
        previous=previous(conn, period, as_of),
        draft_number=next_number(conn, dated.year),
        sites=sites(conn, as_of, opts.hotspot_preset),
        sources=opts.sources,
    )


def render(content: Bulletin, charts: dict[str, bytes] | None = None) -> Files:
    """The .docx and .xlsx of a bulletin. The renderers (matplotlib, python-docx, openpyxl) are
    imported here, when a document is made, so a page showing a draft starts without them."""
    from analytics.bulletin import docx_file as bulletin_docx
    from analytics.bulletin import xlsx_file as bulletin_xlsx  # see above

    content = textsafe.clean_deep(content)  # stored text may hold what XML cannot
    charts = _png_charts(content) if charts is None else charts
    return Files(bulletin_docx.render(content, charts), bulletin_xlsx.render(content, charts))


def _png_charts(content: Bulletin) -> dict[str, bytes]:
    from analytics.bulletin import charts as bulletin_charts  # imported when a document is made

    return bulletin_charts.render_all(textsafe.clean_deep(content))


def issue(
    conn: duckdb.DuckDBPyConnection,
    user: auth.User,
    as_of: date,
    period: str,
    opts: Options,
    *,
    dated: date,
    now: datetime,
) -> Issued:
    """Issue the bulletin: check the permission, number it, render it, store it frozen."""
    access.check(user, "issue_bulletin")
    check_period(period)
    if dated < as_of:
        raise BulletinError(f"成文日期（{dated}）不能早于统计截至日期（{as_of}）。")
    _refuse_duplicate(conn, period, as_of)
    content = draft(conn, as_of, period, opts, dated)
    charts = _png_charts(content)
    for attempt in range(ISSUE_ATTEMPTS):
        try:
            with transaction(conn):
                _refuse_duplicate(conn, period, as_of)
                number = next_number(conn, dated.year)
                frozen = replace(content, number=number, draft_number=number)
                files = render(frozen, charts)
                conn.execute(
                    "INSERT INTO bulletins (year, number, period, as_of, dated, title, issued_by,"
                    " issued_at, content, docx, xlsx, docx_sha256, xlsx_sha256)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        dated.year,
                        number,
                        period,
                        as_of,
                        dated,
                        frozen.title,
                        user.actor,
                        now,
                        frozen.to_json(),
                        files.docx,
                        files.xlsx,
                        _sha(files.docx),
                        _sha(files.xlsx),
                    ],
                )
            return Issued(dated.year, number, frozen, files, user.actor, now)
        except (duckdb.ConstraintException, duckdb.TransactionException) as e:
            log.info("bulletin number taken concurrently (attempt %d): %s", attempt + 1, e)
            _refuse_duplicate(conn, period, as_of)
    raise BulletinError("同时有多份通报正在签发，本次未能取得期号，请稍后重试。")


def _refuse_duplicate(conn: duckdb.DuckDBPyConnection, period: str, as_of: date) -> None:
    row = conn.execute(
        "SELECT year, number, issued_by, issued_at FROM bulletins WHERE period = ? AND as_of = ?",
        [period, as_of],
    ).fetchone()
    if row:
        year, number, who, when = row
        label = BULLETIN_PERIODS[period]
        raise BulletinError(
            f"截至{fmt.date_cn(as_of)}的{label}通报已由{who}于{when:%Y-%m-%d %H:%M}签发"
            f"（{year}年第{number}期），请在通报存档中下载。"
        )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every issued bulletin, newest first (without the files)."""
    return conn.execute(
        "SELECT year, number, period, as_of, dated, title, issued_by, issued_at,"
        " octet_length(docx) AS docx_bytes, octet_length(xlsx) AS xlsx_bytes,"
        " docx_sha256, xlsx_sha256 FROM bulletins ORDER BY year DESC, number DESC"
    ).df()


def fetch(conn: duckdb.DuckDBPyConnection, year: int, number: int) -> Issued:
    """An issued bulletin exactly as it was issued."""
    row = conn.execute(
        "SELECT content, docx, xlsx, issued_by, issued_at FROM bulletins"
        " WHERE year = ? AND number = ?",
        [year, number],
    ).fetchone()
    if row is None:
        raise BulletinError(f"通报存档中没有{year}年第{number}期。")
    raw, docx, xlsx, who, when = row
    return Issued(year, number, Bulletin.from_json(raw), Files(bytes(docx), bytes(xlsx)), who, when)


def file_name(content: Bulletin, ext: str) -> str:
    """月通报_2022年第9期_2022-08-16至2022-09-15.docx (草稿 for drafts): the kind and the period,
    so a week's and a month's bulletin of the same day are two files."""
    label = content.number_label.replace("（草稿）", "草稿")
    kind = periods.PERIODS[content.period]
    return f"{kind}通报_{label}_{content.start}至{content.end}.{ext}"
