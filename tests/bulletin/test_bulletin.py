"""Bulletins (通报): content = the cockpit's figures; docx/xlsx read back; issue, number, archive."""

from __future__ import annotations

import io
import shutil
import threading
from dataclasses import replace
from datetime import date, datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from analytics.__main__ import main
from analytics.accidents import sites as hotspots
from analytics.accounts import auth
from analytics.bulletin import archive
from analytics.bulletin.model import DOC_ROWS, Bulletin
from analytics.ledger import hazard_list, metrics, workflow
from analytics.ledger.periods import Period
from analytics.store import backup, db

STORY = date(2022, 9, 15)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
LEADER = auth.User("leader", "支队领导", "leader", None)
OPTS = archive.Options(15, "阜阳市公安局交通警察支队", "各县（市、区）交警大（中）队", "阜阳市")
NOW = datetime(2022, 12, 31, 9, 0)


@pytest.fixture(scope="module")
def story(demo_db_path) -> tuple[Bulletin, archive.Files]:
    """The weekly draft as of the story date, rendered once (read from the pristine file)."""
    conn = db.open_for_reading(demo_db_path)
    content = archive.draft(conn, STORY, "week", OPTS, date(2022, 9, 16))
    files = archive.render(content)
    conn.close()
    return content, files


@pytest.fixture
def store(tmp_path, demo_db_path, fuyang):
    path = tmp_path / "b.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.open_store(path, fuyang)
    yield conn
    conn.close()


def test_summary_says_the_cockpits_figures(story, demo_db_path) -> None:
    content, _files = story
    conn = db.open_for_reading(demo_db_path)
    total = metrics.report(conn, STORY, 15)["total"]
    before = metrics.total(conn, date(2022, 9, 8), 15)
    conn.close()
    assert (content.figures["listed"], content.figures["closed"]) == (172, 85)
    assert {k: content.figures[k] for k in total} == total
    first = content.sections[0].paragraphs[0]
    assert first.startswith(
        "截至2022年9月15日，全市累计排查认定道路交通安全隐患172处，已整改销号85处，整改率49.4%，"
        "较上期末（2022年9月8日）"
    )
    points = round((85 / 172 - before["closed"] / before["listed"]) * 100, 1)
    assert f"上升{points:.1f}个百分点" in first
    assert (
        f"在办（尚未销号）87处，其中逾期未整改{total['overdue']}处，15日内到期{total['due_soon']}处。"
        in first
    )
    assert content.number_label == "2022年第1期（草稿）"
    assert content.title == "关于阜阳市道路交通安全隐患排查治理情况的周通报"
    assert [s.heading[:2] for s in content.sections] == [f"{n}、" for n in "一二三四五六七"]


def test_tables_are_the_analytics_results(story, demo_db_path) -> None:
    content, _files = story
    conn = db.open_for_reading(demo_db_path)
    ranking = metrics.unit_ranking(conn, Period.ending(STORY, "week"), 15)
    overdue = hazard_list.overdue(conn, STORY)
    listed = hazard_list.hazards_as_of(conn, STORY, 15)
    conn.close()
    ranked = ranking[ranking["rank"].notna()]
    rows = content.tables["单位排名"].rows
    assert [r[2] for r in rows] == list(ranked.unit_name)
    assert [r[0] for r in rows] == [int(x) for x in ranked["rank"]]
    assert rows[0][:6] == [1, "持平", "颍州区", 26, 19, "73.1%"]
    assert rows[-1][2] == "颍上县" and content.tables["单位排名"].marks[-1] == "red"
    assert "↑1" in [r[1] for r in rows] and "↓1" in [r[1] for r in rows]  # 颍泉区 up, 太和县 down
    o = content.tables["逾期隐患"]
    assert [r[1] for r in o.rows] == list(overdue.hazard_id)
    assert [r[-1] for r in o.rows] == sorted([r[-1] for r in o.rows], reverse=True)
    assert o.rows[0][1:3] == ["341282-YH-2022-007", "界首市"] and o.rows[0][-1] == 52
    assert o.rows[0][6] == "孙海涛（界首副市长）" and set(o.marks) == {"red"}
    assert len(content.tables["临期隐患"].rows) == (listed.standing == "临期").sum() == 4
    assert len(content.tables["本期新增"].rows) == content.figures["new_in_period"] == 7
    assert len(content.tables["本期销号"].rows) == content.figures["closed_in_period"] == 19
    sup = {r[0]: r[1:] for r in content.tables["挂牌督办"].rows}
    assert list(sup) == ["部级挂牌", "省级挂牌", "市级挂牌", "县级挂牌", "合计"]
    assert sup["合计"][:2] == [110, 56] and sup["市级挂牌"][:2] == [33, 17]
    acc = {r[0]: r[1:] for r in content.tables["事故情况"].rows}
    assert acc["事故起数（起）"][:3] == [21, 17, "+23.5%"]
    assert "事故起数上升23.5%" in content.sections[5].paragraphs[0]


def test_docx_reads_back_as_an_official_notice(story) -> None:
    content, files = story
    doc = Document(io.BytesIO(files.docx))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "道路交通安全隐患治理通报"
    assert texts[1] == "2022年第1期（草稿）"
    assert texts[2] == "阜阳市公安局交通警察支队\t2022年9月16日"
    assert texts[3] == content.title
    assert "各县（市、区）交警大（中）队：" in texts
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [s.heading for s in content.sections]
    assert content.sections[0].paragraphs[0] in texts
    assert texts[-2:] == ["阜阳市公安局交通警察支队", "2022年9月16日"]
    shown = [k for s in content.sections for k in s.tables if content.tables[k].rows]
    assert len(doc.tables) == len(shown)
    for table, key in zip(doc.tables, shown, strict=True):
        t = content.tables[key]
        assert [c.text for c in table.rows[0].cells] == t.columns
        assert len(table.rows) == 1 + len(t.rows)
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
        assert table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    assert [c.text for c in doc.tables[0].rows[1].cells][:3] == ["1", "持平", "颍州区"]
    assert len(doc.inline_shapes) == 2  # the trend and the ranking charts
    fonts = {
        name: doc.styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
        for name in ("Normal", "Heading 1", "Heading 2")
    }
    assert fonts == {"Normal": "仿宋_GB2312", "Heading 1": "黑体", "Heading 2": "楷体_GB2312"}
    title_run = doc.paragraphs[3].runs[0]
    assert title_run._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    font_table = next(
        p for p in doc.part.package.iter_parts() if p.partname.endswith("fontTable.xml")
    )
    assert "仿宋_GB2312" in font_table.blob.decode() and 'w:val="86"' in font_table.blob.decode()
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.left_margin.mm) == 28


def test_xlsx_reads_back_one_sheet_per_table(story) -> None:
    content, files = story
    wb = load_workbook(io.BytesIO(files.xlsx))
    keys = [k for s in content.sections for k in s.tables]
    assert wb.sheetnames == ["通报正文", *keys, "图表"]
    text = wb["通报正文"]
    assert [text.cell(1, 1).value, text.cell(1, 2).value] == ["期号", "2022年第1期（草稿）"]
    assert any(content.sections[0].paragraphs[0] == c.value for c in text["B"])
    ws = wb["逾期隐患"]
    assert ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]] == content.tables["逾期隐患"].columns
    assert ws.max_row == 2 + len(content.tables["逾期隐患"].rows)
    assert ws.cell(3, 2).value == "341282-YH-2022-007" and ws.cell(3, 9).value == 52
    assert ws.cell(3, 1).fill.fgColor.rgb.endswith("F8D7DA")  # red: overdue
    assert wb["临期隐患"].cell(3, 1).fill.fgColor.rgb.endswith("FFF3CD")  # yellow: due soon
    assert ws.column_dimensions["B"].width >= 18
    assert len(wb["图表"]._images) == 2


def test_issue_numbers_freezes_and_compares_with_the_last_bulletin(store) -> None:
    first = archive.issue(store, ADMIN, STORY, "week", OPTS, dated=date(2022, 9, 16), now=NOW)
    assert (first.year, first.number, first.content.number_label) == (2022, 1, "2022年第1期")
    assert Document(io.BytesIO(first.files.docx)).paragraphs[1].text == "2022年第1期"
    # the ledger changes after issuing: the archived files stay byte for byte
    overdue_id = first.content.tables["逾期隐患"].rows[0][1]
    h = workflow.hazard(store, overdue_id)
    workflow.change_supervision(
        store, ADMIN, overdue_id, h["version"], level="部", reason="逾期挂牌", now=NOW
    )
    redo = archive.draft(store, STORY, "week", OPTS, date(2022, 9, 16))
    assert redo.tables["挂牌督办"].rows != first.content.tables["挂牌督办"].rows
    again = archive.fetch(store, 2022, 1)
    assert again.files == first.files
    assert again.content.to_json() == first.content.to_json()
    # the next bulletin compares with the frozen figures of the first
    second = archive.issue(
        store, ADMIN, date(2022, 9, 22), "week", OPTS, dated=date(2022, 9, 23), now=NOW
    )
    assert second.number == 2
    assert (
        "较上期通报（2022年第1期，截至2022年9月15日）" in second.content.sections[0].paragraphs[0]
    )
    assert second.content.previous["figures"]["listed"] == 172
    # a new year starts again at 1; the archive lists every bulletin, newest first
    third = archive.issue(
        store, ADMIN, date(2022, 12, 31), "month", OPTS, dated=date(2023, 1, 3), now=NOW
    )
    assert (third.year, third.number) == (2023, 1)
    listed = archive.archive(store)
    assert list(zip(listed.year, listed.number, strict=True)) == [(2023, 1), (2022, 2), (2022, 1)]
    with pytest.raises(archive.BulletinError, match="已由支队秩序科·admin.*2022年第1期"):
        archive.issue(store, ADMIN, STORY, "week", OPTS, dated=date(2022, 9, 20), now=NOW)
    assert len(archive.archive(store)) == 3


def test_only_administrators_issue(store) -> None:
    for user in (LEADER, auth.User("yingshang", "颍上县大队", "county", "341226")):
        with pytest.raises(auth.PermissionDenied, match="签发通报"):
            archive.issue(store, user, STORY, "week", OPTS, dated=STORY, now=NOW)
    assert archive.archive(store).empty
    archive.draft(store, STORY, "week", OPTS)  # a draft is anyone's


def test_concurrent_issues_take_consecutive_numbers(store) -> None:
    days = [date(2022, 9, 15), date(2022, 9, 22), date(2022, 9, 29), date(2022, 10, 6)]
    results, errors = [], []

    def go(d: date) -> None:
        cur = store.cursor()
        try:
            results.append(archive.issue(cur, ADMIN, d, "week", OPTS, dated=d, now=NOW).number)
        except Exception as e:  # collected and asserted below
            errors.append(e)
        finally:
            cur.close()

    threads = [threading.Thread(target=go, args=(d,)) for d in days]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [1, 2, 3, 4]
    stored = store.execute("SELECT number FROM bulletins WHERE year = 2022 ORDER BY 1").fetchall()
    assert stored == [(1,), (2,), (3,), (4,)]


def test_backups_keep_the_archive(store, tmp_path) -> None:
    issued = archive.issue(store, ADMIN, STORY, "week", OPTS, dated=STORY, now=NOW)
    key = tmp_path / "b.backup-key"
    folder = backup.backup(store, tmp_path / "evidence", tmp_path / "backups", key_file=key)
    target = tmp_path / "restored.duckdb"
    backup.restore(folder, target, tmp_path / "evidence2", key_file=key)
    conn = db.open_for_reading(target)
    assert archive.fetch(conn, 2022, 1).files == issued.files
    conn.close()


def test_accident_prone_sites_new_and_gone_since_the_last_bulletin(store) -> None:
    opts = replace(OPTS, hotspot_preset="city_3y")
    params = hotspots.preset("city_3y")
    first = archive.issue(store, ADMIN, STORY, "quarter", opts, dated=STORY, now=NOW)
    assert len(first.content.sites) == len(hotspots.find_sites(store, STORY, params)) == 40
    later = archive.draft(store, date(2022, 12, 31), "quarter", opts)
    prev, cur = (hotspots.find_sites(store, d, params) for d in (STORY, date(2022, 12, 31)))
    new, gone = hotspots.site_changes(prev, cur)
    rows = later.tables["多发点段变化"].rows
    assert sum(r[0] == "新增" for r in rows) == len(new)
    assert sum(r[0] == "不再构成" for r in rows) == len(gone) > 0
    text = later.sections[5].paragraphs[1]
    assert text.startswith(f"按{params.describe()}的标准，全市现有事故多发点段{len(cur)}处。")
    assert f"不再构成事故多发点段的{len(gone)}处" in text


def test_cli_drafts_and_issues(tmp_path, demo_db_path, capsys) -> None:
    path = tmp_path / "c.duckdb"
    shutil.copy(demo_db_path, path)
    out = tmp_path / "draft.docx"
    args = ["bulletin", "--db", str(path), "--period", "week", "--as-of", "2022-09-15"]
    assert main([*args, "--out", str(out)]) == 0
    assert "已生成草稿：2022年第1期（草稿）" in capsys.readouterr().out
    assert "172处" in "".join(p.text for p in Document(str(out)).paragraphs)
    issued = tmp_path / "issued.xlsx"
    assert main([*args, "--out", str(issued), "--issue", "--date", "2022-09-16"]) == 0
    assert "已签发：2022年第1期" in capsys.readouterr().out
    conn = db.open_for_reading(path)
    assert archive.fetch(conn, 2022, 1).files.xlsx == issued.read_bytes()
    conn.close()
    assert main([*args, "--out", str(issued), "--issue"]) == 2
    assert "已由" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "x.pdf")]) == 2
    assert main([*args, "--out", str(out), "--issue", "--as", "leader"]) == 2
    assert "无权执行“签发通报”" in capsys.readouterr().err


def test_long_tables_list_the_first_rows_in_word_and_every_row_in_excel(story) -> None:
    from analytics.bulletin.model import Table

    rows = [[f"H{i:04d}", i] for i in range(250)]
    long = Table("逾期隐患", "表1　逾期", ["隐患编号", "逾期天数"], rows, ["red"] * 250, "无")
    content = replace(story[0], tables={**story[0].tables, "逾期隐患": long})
    files = archive.render(content)
    doc = Document(io.BytesIO(files.docx))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "隐患编号")
    assert len(table.rows) == 1 + DOC_ROWS
    assert table.rows[-1].cells[0].text == f"H{DOC_ROWS - 1:04d}"
    assert any(
        p.text == f"（共250项，文中列出前{DOC_ROWS}项；完整清单见同期Excel版通报。）"
        for p in doc.paragraphs
    )
    ws = load_workbook(io.BytesIO(files.xlsx))["逾期隐患"]
    assert ws.max_row == 2 + 250 and ws.cell(252, 1).value == "H0249"
    assert ws.cell(252, 1).fill.fgColor.rgb.endswith("F8D7DA")
