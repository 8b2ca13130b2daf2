"""The bulletin's section 重点车辆和驾驶人源头隐患清零情况 on the demo: its figures are
analytics.sources.figures' for the bulletin's period; Word and Excel carry it; a bulletin built
without the section (as issued before it existed) still renders."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from analytics.bulletin import archive
from analytics.bulletin import content as content_mod
from analytics.bulletin.model import Bulletin
from analytics.sources import config as sources_config
from analytics.sources import figures
from analytics.store import db

STORY = date(2022, 9, 15)
OPTS = archive.Options(15, "阜阳市公安局交通警察支队", "各县（市、区）交警大（中）队", "阜阳市")
HEADING = "七、重点车辆和驾驶人源头隐患清零情况"


@pytest.fixture(scope="module")
def built(demo_db_path, fuyang):
    """The monthly draft as of the story date with the section, rendered; and the figures."""
    config = sources_config.load(fuyang)
    conn = db.open_for_reading(demo_db_path)
    content = archive.draft(conn, STORY, "month", replace(OPTS, sources=config), date(2022, 9, 16))
    start = content.start - timedelta(days=1)
    period = figures.totals(figures.figures(conn, config, start, STORY), "unit_adcode", STORY)
    campaign = figures.totals(
        figures.figures(conn, config, date(2021, 12, 31), STORY), "unit_adcode", STORY
    )
    ents = figures.enterprises(conn, config, STORY)
    names = dict(conn.execute("SELECT adcode, name FROM units").fetchall())
    plain = archive.draft(conn, STORY, "month", OPTS, date(2022, 9, 16))
    conn.close()
    return content, archive.render(content), period, campaign, ents, names, plain


def test_the_section_stands_before_the_demands(built) -> None:
    content = built[0]
    assert [s.heading for s in content.sections][-2:] == [HEADING, "八、工作要求"]
    assert content.sections[-2].tables == ["源头隐患清零", "建议约谈企业"]


def test_unit_rows_are_the_figures_of_the_period(built) -> None:
    content, _files, period, campaign, _ents, names, _plain = built
    t = content.tables["源头隐患清零"]
    assert t.title == "表9　各单位重点车辆和驾驶人源头隐患清零情况"
    rate_since = dict(zip(campaign.unit_adcode, campaign.rate, strict=True))
    want = [
        [
            names[r.unit_adcode],
            r.stock,
            r.new,
            r.cleared,
            f"{r.rate * 100:.1f}%",
            r.remaining,
            f"{rate_since[r.unit_adcode] * 100:.1f}%",
        ]
        for r in period.sort_values("unit_adcode").itertuples()
    ]
    assert t.rows[:-1] == want
    city = t.rows[-1]
    assert city[0] == "全市"
    assert city[1:4] == [int(period.stock.sum()), int(period.new.sum()), int(period.cleared.sum())]
    assert city[5] == int(period.remaining.sum())
    # the demo's month (2022-08-16 … 2022-09-15) holds the lists of 2022-08-31
    assert city[2] > 0 and city[3] > 0
    assert city[1] + city[2] - city[3] == city[5]


def test_lagging_units_are_below_the_citys_rate_since_the_campaign_start(built) -> None:
    content, _files, _period, campaign, _ents, names, _plain = built
    whole = campaign.cleared.sum() / (campaign.stock.sum() + campaign.new.sum())
    lagging = [
        names[u] for u, r in zip(campaign.unit_adcode, campaign.rate, strict=True) if r < whole
    ]
    assert sorted(lagging) == ["太和县", "阜南县", "颍上县"]
    t = content.tables["源头隐患清零"]
    assert [r[0] for r, m in zip(t.rows, t.marks, strict=True) if m == "red"] == [
        n for n in names.values() if n in lagging
    ]
    assert (
        content.sections[-2]
        .paragraphs[1]
        .startswith(
            f"{'、'.join(r[0] for r, m in zip(t.rows, t.marks, strict=True) if m)}清零率低于全市平均水平"
        )
    )
    assert f"清零率{whole * 100:.1f}%" in content.sections[-2].paragraphs[0]


def test_enterprises_over_the_threshold(built) -> None:
    content, _files, _period, _campaign, ents, names, _plain = built
    over = ents[ents.open_cases >= 5]
    t = content.tables["建议约谈企业"]
    assert [r[1:4] for r in t.rows] == [
        [e, names[u], n]
        for e, u, n in zip(over.enterprise, over.unit_adcode, over.open_cases, strict=True)
    ]
    assert len(t.rows) == 6
    assert sum(r[6] for r in t.rows) >= 1  # a recorded 约谈 shows
    assert f"建议约谈的运输企业{len(t.rows)}家" in content.sections[-2].paragraphs[2]


def test_word_and_excel_carry_the_section(built) -> None:
    content, files, *_rest = built
    doc = Document(io.BytesIO(files.docx))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert HEADING in headings
    found = [
        t
        for t in doc.tables
        if t.rows[0].cells[0].text == "单位" and t.rows[-1].cells[0].text == "全市"
    ]
    assert len(found) == 1
    assert [c.text for c in found[0].rows[-1].cells] == [
        str(v) for v in content.tables["源头隐患清零"].rows[-1]
    ]
    wb = load_workbook(io.BytesIO(files.xlsx))
    assert {"源头隐患清零", "建议约谈企业"} <= set(wb.sheetnames)
    ws = wb["源头隐患清零"]
    assert [c.value for c in ws[2]] == content.tables["源头隐患清零"].columns
    rows = content.tables["源头隐患清零"].rows
    assert [[c.value for c in ws[3 + i]] for i in range(len(rows))] == rows
    assert ws.cell(2 + len(rows), 1).value == "全市"


def test_a_bulletin_without_the_section_still_renders(built) -> None:
    plain = built[6]
    assert HEADING not in [s.heading for s in plain.sections]
    assert [s.heading for s in plain.sections][-1] == "七、工作要求"
    frozen = Bulletin.from_json(plain.to_json())
    files = archive.render(frozen)
    assert "源头隐患清零" not in load_workbook(io.BytesIO(files.xlsx)).sheetnames
    assert Document(io.BytesIO(files.docx)).paragraphs


def test_a_brigades_copy_names_no_other_units_enterprise(built) -> None:
    content, _files, _period, _campaign, ents, names, _plain = built
    over = ents[ents.open_cases >= 5]
    mine = content_mod.for_unit(content, "颍上县")
    text = "".join(mine.sections[-2].paragraphs)
    others = [e for e, u in zip(over.enterprise, over.unit_adcode, strict=True) if u != "341226"]
    assert others and not [e for e in others if e in text]
    assert f"建议约谈的运输企业{len(over)}家（本单位的见表）。" in text
    assert {r[2] for r in mine.tables["建议约谈企业"].rows} <= {"颍上县"}
