"""Defects found by review of the source-hazard ledger, each as a test: identical lists of two
units, a list dated before a hand clearing, sightings after the list's date, what a brigade sees
of another unit's history and enterprises, and what an unmasked download records."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from analytics.accounts import auth
from analytics.ingest import sources as src
from analytics.sources import cases, figures
from analytics.sources import config as sources_config
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
YINGSHANG = auth.User("yingshang", "颍上县大队", "county", "341226")
YINGZHOU = auth.User("yingzhou", "颍州区大队", "county", "341202")
HEAD = "号牌号码,使用性质,处理状态"


@pytest.fixture
def conn(tmp_path, fuyang):  # ANN201
    c = db.open_store(tmp_path / "s.duckdb", fuyang)
    yield c
    c.close()


def run(
    conn, fuyang, rows: list[str], as_of: str, user=YINGSHANG, indicator="V_INSPECTION", **kw
):  # ANN201
    data = ("\n".join([kw.pop("head", HEAD), *rows]) + "\n").encode("utf-8")
    return src.import_snapshot(
        conn,
        fuyang,
        user,
        f"{indicator}_{as_of}.csv",
        data,
        now=NOW,
        indicator=indicator,
        as_of=date.fromisoformat(as_of),
        **kw,
    )


def open_cases(conn) -> list[tuple]:
    return conn.execute(
        "SELECT unit_adcode, subject_key FROM source_cases WHERE state <> '已清零' ORDER BY 1, 2"
    ).fetchall()


def test_two_units_may_send_the_same_empty_list(conn, fuyang) -> None:
    run(conn, fuyang, ["皖K10001,旅游客运,"], "2022-06-30", YINGSHANG)
    run(conn, fuyang, ["皖K20001,旅游客运,"], "2022-06-30", YINGZHOU)
    # both units cleared everything: their July lists are the same bytes (the header only)
    a = run(conn, fuyang, [], "2022-07-31", YINGSHANG)
    b = run(conn, fuyang, [], "2022-07-31", YINGZHOU)
    assert (a.written, a.updated, b.duplicate_file, b.written, b.updated) == (
        True,
        1,
        False,
        True,
        1,
    )
    assert open_cases(conn) == []


def test_a_list_dated_before_a_hand_clearing_opens_no_second_case(conn, fuyang) -> None:
    run(conn, fuyang, ["皖K10001,旅游客运,"], "2022-07-31")
    (case_id,) = conn.execute("SELECT case_id FROM source_cases").fetchone()
    conn.execute(
        "INSERT INTO attachments (sha256, mime, size_bytes) VALUES (?, 'image/png', 1)", ["a" * 64]
    )
    cases.request_clear(conn, YINGSHANG, case_id, 1, "已检验", [("a" * 64, "a.png")], NOW)
    cases.accept_clear(conn, ADMIN, case_id, 2, "合格", NOW)  # cleared on 2022-09-20
    # August's list, imported after the acceptance, still names the vehicle: on 08-31 the case
    # that was cleared on 09-20 covered it — no new case, a warning instead
    r = run(conn, fuyang, ["皖K10001,旅游客运,"], "2022-08-31")
    assert (r.written, r.inserted, r.updated) == (True, 0, 0)
    assert [w.problem for w in r.warnings] == [
        "该对象的案件已于 2022-09-20 清零，晚于本清单日期，不新增案件"
    ]
    config = sources_config.load(fuyang)
    day = figures.figures(conn, config, date(2022, 7, 31), date(2022, 9, 1))
    assert (day.new.sum(), day.remaining.sum()) == (0, 1)  # one vehicle, counted once


def test_a_sighting_after_the_lists_date_is_a_problem(conn, fuyang) -> None:
    r = run(
        conn,
        fuyang,
        [
            "皖K10001,重中型货车,国道105线K872+300,2022-08-30 10:00",
            "皖K10002,重中型货车,国道105线K872+300,2030-01-01 10:00",
        ],
        "2022-08-31",
        indicator="V_DEREGISTERED_ON_ROAD",
        head="号牌号码,重点车辆类别,抓拍地点,抓拍时间",
    )
    assert [(p.row, p.problem) for p in r.problems] == [
        (3, "抓拍时间晚于清单日期 2022-08-31，请核对")
    ]
    assert not r.written


def test_a_brigade_sees_the_history_of_its_own_unit_only(conn, fuyang) -> None:
    run(conn, fuyang, ["皖K10001,旅游客运,"], "2022-06-30", YINGZHOU)
    run(conn, fuyang, [], "2022-07-31", YINGZHOU)  # cleared in 颍州
    run(conn, fuyang, ["皖K10001,旅游客运,"], "2022-07-31", YINGSHANG)  # now on 颍上's list
    (case_id,) = conn.execute(
        "SELECT case_id FROM source_cases WHERE unit_adcode = '341226'"
    ).fetchone()
    mine = cases.case_detail(conn, YINGSHANG, case_id, NOW)
    assert mine["other_cases"].empty
    assert [str(d) for d in mine["lists"].as_of.dt.date] == ["2022-07-31"]
    whole = cases.case_detail(conn, ADMIN, case_id, NOW)
    assert len(whole["other_cases"]) == 1 and len(whole["lists"]) == 2


def test_an_unmasked_download_records_what_it_holds(conn, fuyang) -> None:
    head = "姓名,身份证明号码,准驾车型"
    run(
        conn,
        fuyang,
        ["张三明,341226198001010017,A1", "李四,341226198505050020,B2"],
        "2022-08-31",
        indicator="D_REVIEW",
        head=head,
    )
    ids = [c for (c,) in conn.execute("SELECT case_id FROM source_cases ORDER BY 1").fetchall()]
    got = cases.case_export(conn, YINGSHANG, NOW, full=True, case_ids=ids[:1])
    assert got.name.tolist() == ["张三明"]
    assert conn.execute("SELECT what, subjects FROM pii_views").fetchall() == [("下载", 1)]


def test_an_unknown_unit_is_a_clear_refusal(conn, fuyang) -> None:
    with pytest.raises(src.SnapshotError, match="不是本市的单位"):
        run(conn, fuyang, [], "2022-08-31", ADMIN, unit="999999")
