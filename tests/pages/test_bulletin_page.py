"""通报 through AppTest: the draft preview, issuing (administrators only), the archive."""

from __future__ import annotations

import json
from datetime import date

from streamlit.testing.v1 import AppTest

from analytics.bulletin import archive
from analytics.bulletin.model import DOC_ROWS
from analytics.config import Settings
from tests.conftest import ROOT, app_as
from tests.html_tables import page_tables, read
from tests.pg_mode import store_conn
from ui.text import plain

STORY = date(2022, 9, 15)


def _bulletin(user: str) -> AppTest:
    at = app_as(user).run()
    at.switch_page("pages/bulletin.py").run()
    at.date_input(key="as_of").set_value(STORY).run()
    at.date_input(key="bulletin_dated").set_value(date(2022, 9, 16)).run()
    assert not at.exception and not at.error
    return at


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_the_draft_preview_says_the_cockpits_figures(demo_env) -> None:
    at = _bulletin("leader")
    assert at.title[0].value == "通报"
    texts = _texts(at)
    assert any("2022年第1期（草稿）" in t for t in texts)
    said = plain("全市累计排查认定道路交通安全隐患172处，已整改销号85处，整改率49.4%")
    assert any(said in t for t in texts)  # the paragraph is shown as text (escaped Markdown)
    assert "**一、总体情况**" in texts and "**八、工作要求**" in texts
    assert "**七、重点车辆和驾驶人源头隐患清零情况**" in texts  # the city configures indicators
    tables = {t.columns[0]: t for t in page_tables(at)}  # static, as the document prints them
    assert list(tables["排名"]["单位"])[:2] == ["颍州区", "颍东区"]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]  # drawn in the browser
    assert [c["layout"]["title"]["text"] for c in charts] == [
        "近12周新增入单与整改销号（截至2022年9月15日）",
        "各单位隐患整改率（截至2022年9月15日）",
    ]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["下载草稿（Word）", "下载草稿（Excel）"]
    assert not at.get("form")  # a leader previews but does not issue
    assert any("须由支队管理员" in i.value for i in at.info)


def test_the_preview_tables_list_the_documents_rows_and_shade_its_marked_ones(
    demo_env, fuyang
) -> None:
    at = _bulletin("admin")
    shown = [read(h.value) for h in at.html if "bulletin-table" in h.value]
    conn = store_conn(demo_env)
    opts = archive.options(Settings.from_env(), fuyang)
    content = archive.draft(conn, STORY, "week", opts, date(2022, 9, 16))
    conn.close()
    tables = [
        content.tables[n] for s in content.sections for n in s.tables if content.tables[n].rows
    ]
    assert len(shown) == len(tables) > 5
    red, yellow = "background-color: #f8d7da", "background-color: #fff3cd"
    for parsed, t in zip(shown, tables, strict=True):
        assert parsed.tags.count("table") == 1
        frame = parsed.tables[0]
        assert list(frame.columns) == t.columns
        rows = t.rows[:DOC_ROWS]
        assert frame.values.tolist() == [["" if v is None else str(v) for v in r] for r in rows]
        wanted = [{"red": red, "yellow": yellow}.get(m, "") for m in t.marks[: len(rows)]]
        assert parsed.row_styles[0] == wanted
    # what the shading means, under the tables the Word document explains it for
    notes = [c.value for c in at.caption if c.value.startswith("注：")]
    assert notes == [
        "注：红色底纹为逾期或排名末位。",  # 逾期隐患: every row overdue
        "注：黄色底纹为临期或未按期销号。",  # 临期隐患: every row due soon
        "注：黄色底纹为临期或未按期销号。",  # 本期销号: some closed late
    ]
    ranking = next(p for p in shown if p.tables[0].columns[0] == "排名")
    ranks = ranking.tables[0]["排名"].astype(int).tolist()
    # the last-ranked unit (the worst rate) is shaded red, every other unit plain
    assert ranking.row_styles[0] == [red if r == max(ranks) else "" for r in ranks]
    assert red in ranking.row_styles[0]


def test_an_administrator_issues_and_the_archive_serves_the_original(demo_env) -> None:
    at = _bulletin("admin")
    at.checkbox(key="issue_confirm").check()
    at.button(key="FormSubmitter:issue_bulletin-签发").click().run()
    assert not at.exception and not at.error
    assert any("已签发 2022年第1期" in s.value for s in at.success)
    assert any("2022年第2期（草稿）" in t for t in _texts(at))  # the next draft
    archived = [d.value for d in at.dataframe if "期号" in d.value.columns][0]
    assert list(archived["期号"]) == ["2022年第1期"]
    assert list(archived["签发人"]) == ["支队秩序科（演示）·admin"]
    labels = [b.label for b in at.get("download_button")]
    assert "下载存档原件（Word）" in labels and "下载存档原件（Excel）" in labels
    conn = store_conn(demo_env)
    issued = archive.fetch(conn, 2022, 1)
    conn.close()
    assert issued.content.figures["listed"] == 172 and issued.content.as_of == STORY
    # issuing the same bulletin again is refused with who issued it
    at.checkbox(key="issue_confirm").check()
    at.date_input(key="bulletin_dated").set_value(date(2022, 9, 17)).run()
    at.checkbox(key="issue_confirm").check()
    at.button(key="FormSubmitter:issue_bulletin-签发").click().run()
    assert any("已由支队秩序科（演示）·admin" in e.value for e in at.error)


def test_issuing_needs_the_confirmation(demo_env) -> None:
    at = _bulletin("admin")
    at.button(key="FormSubmitter:issue_bulletin-签发").click().run()
    assert any("请先勾选" in w.value for w in at.warning)
    conn = store_conn(demo_env)
    assert archive.archive(conn).empty
    conn.close()


def test_the_page_run_directly_without_a_session_shows_the_sign_in_form(demo_env) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "bulletin.py"), default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "道路交通安全隐患治理系统"
    assert at.text_input(key="sign_in_username").value == ""


def test_a_brigade_reads_only_its_own_rows(demo_env) -> None:
    leader = _bulletin("leader")
    county = _bulletin("yingshang")
    row_tables = {"逾期天数", "按期", "变化"}  # a column each hazard or site table has

    def unit_sets(at: AppTest) -> list[set[str]]:
        return [
            set(t["单位"])
            for t in page_tables(at)
            if "单位" in t.columns and row_tables & set(t.columns)
        ]

    assert any(len(units) > 1 for units in unit_sets(leader))  # the leader sees every unit
    assert unit_sets(county) and all(units <= {"颍上县"} for units in unit_sets(county))
    # figures and the ranking are the same for both
    ranking = [t for t in page_tables(county) if "排名" in t.columns]
    assert len(ranking[0]) == 8
    overdue_leader = [t for t in _texts(leader) if "其中逾期时间最长的是" in t]
    assert overdue_leader and "其中逾期时间最长的是颍上县" not in overdue_leader[0]
    assert not any("其中逾期时间最长的是" in t for t in _texts(county))
    assert any("本表仅列出本单位（颍上县）的明细" in c.value for c in county.caption)
