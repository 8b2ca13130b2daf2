"""Importing 人·车·企 lists (snapshots): small hand-worked sequences of lists and what each does to
the cases (opened, still open, cleared by absence or by a clearing word, reappeared), the row
checks of each subject, the date and unit refusals, previews and confirmations."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from analytics import access
from analytics.accounts import auth
from analytics.ingest import common
from analytics.ingest import sources as src
from analytics.ingest.template import sources_template
from analytics.sources import cases
from analytics.sources import config as sources_config
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
YINGSHANG = auth.User("yingshang", "颍上县大队", "county", "341226")
LEADER = auth.User("leader", "支队领导", "leader", None)

# Driver ID numbers with their check digits worked out by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9
# 10 5 8 4 2, sum mod 11 → "10X98765432"): 34122619800101001 sums to 192, 192 % 11 = 5 → "7";
# 34122619850505002 → 265 % 11 = 1 → "0"; 34122619900909003 → 314 % 11 = 6 → "6".
ID_A = "341226198001010017"
ID_B = "341226198505050020"
ID_C = "341226199009090036"


@pytest.fixture
def conn(tmp_path, fuyang):
    c = db.open_store(tmp_path / "s.duckdb", fuyang)
    yield c
    c.close()


def csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def run(conn, fuyang, data: bytes, indicator: str, as_of: str, user=YINGSHANG, **kw):
    name = kw.pop("name", f"{indicator}_{as_of}.csv")
    return src.import_snapshot(
        conn,
        fuyang,
        user,
        name,
        data,
        now=NOW,
        indicator=indicator,
        as_of=date.fromisoformat(as_of),
        **kw,
    )


def case_rows(conn, indicator: str) -> list[tuple]:
    return [
        (s, state, str(opened), None if cleared is None else str(cleared), how)
        for s, state, opened, cleared, how in conn.execute(
            "SELECT subject_key, state, opened_on, cleared_on, cleared_how FROM source_cases"
            " WHERE indicator = ? ORDER BY case_id",
            [indicator],
        ).fetchall()
    ]


VEHICLE_HEAD = "号牌号码,使用性质,处理状态"


def test_vehicles_opened_still_open_cleared_and_reappeared(conn, fuyang) -> None:
    # January: three vehicles on the list → three cases opened on 2022-01-31.
    jan = csv(VEHICLE_HEAD, "皖K10001,旅游客运,", "皖K10002,旅游客运,", "皖K10003,班线客运,")
    r = run(conn, fuyang, jan, "V_INSPECTION", "2022-01-31")
    assert (r.rows, r.accepted, r.inserted, r.updated, r.unchanged, r.written) == (
        3,
        3,
        3,
        0,
        0,
        True,
    )
    # February: K10001 still listed (still open); K10002 absent (cleared 未再列入清单); K10003
    # listed as 已检验 (cleared with that word); K10004 new. Previewed first: 1 new, 2 cleared.
    feb = csv(
        VEHICLE_HEAD, "皖K10001,旅游客运,未检验", "皖K10003,班线客运,已检验", "皖K10004,货运,"
    )
    preview = run(conn, fuyang, feb, "V_INSPECTION", "2022-03-31", dry_run=True)
    assert (preview.inserted, preview.updated, preview.unchanged, preview.written) == (
        1,
        2,
        1,
        False,
    )
    assert [(c.record_id, c.before, c.after) for c in preview.changes] == [
        ("皖K10003", "未清零", "已清零（已检验）"),
        ("皖K10002", "未清零", "已清零（未再列入清单）"),
    ]
    r = run(conn, fuyang, feb, "V_INSPECTION", "2022-02-28", expect=preview.fingerprint)
    assert (r.inserted, r.updated, r.unchanged, r.written) == (1, 2, 1, True)
    # March: K10002 listed again (a new case, noted as reappeared); K10001, K10004 absent.
    mar = csv(VEHICLE_HEAD, "皖K10002,旅游客运,")
    r = run(conn, fuyang, mar, "V_INSPECTION", "2022-03-31")
    assert (r.inserted, r.updated, r.unchanged) == (1, 2, 0)
    assert case_rows(conn, "V_INSPECTION") == [
        ("V:皖K10001", "已清零", "2022-01-31", "2022-03-31", "未再列入清单"),
        ("V:皖K10002", "已清零", "2022-01-31", "2022-02-28", "未再列入清单"),
        ("V:皖K10003", "已清零", "2022-01-31", "2022-02-28", "已检验"),
        ("V:皖K10004", "已清零", "2022-02-28", "2022-03-31", "未再列入清单"),
        ("V:皖K10002", "未清零", "2022-03-31", None, None),
    ]
    notes = conn.execute(
        "SELECT c.subject_key, e.action, e.note FROM source_case_events e JOIN source_cases c"
        " USING (case_id) WHERE e.note IS NOT NULL"
    ).fetchall()
    assert notes == [("V:皖K10002", "新增", "清零后再次列入清单")]
    # one snapshot per list (颍上县 only), with listed / cleared / opened as worked out above
    assert conn.execute(
        "SELECT unit_adcode, as_of::VARCHAR, listed, cleared, opened FROM source_snapshots"
        " ORDER BY as_of"
    ).fetchall() == [
        ("341226", "2022-01-31", 3, 0, 3),
        ("341226", "2022-02-28", 3, 2, 1),
        ("341226", "2022-03-31", 1, 2, 1),
    ]
    # the use nature chose the key kind: 旅游客运 → 旅游包车, 班线客运 → 三类以上班线客车, 货运 → 重中型货车
    assert conn.execute(
        "SELECT subject_key, vehicle_kind FROM source_subjects ORDER BY subject_key"
    ).fetchall() == [
        ("V:皖K10001", "旅游包车"),
        ("V:皖K10002", "旅游包车"),
        ("V:皖K10003", "三类以上班线客车"),
        ("V:皖K10004", "重中型货车"),
    ]


DRIVER_HEAD = "姓名,身份证明号码,准驾车型"


def test_drivers_ab_only_check_digit_and_masked_preview(conn, fuyang) -> None:
    # D_REVIEW counts A/B drivers only: the C1 row is a problem, and a list is whole → nothing.
    bad = csv(DRIVER_HEAD, f"张三明,{ID_A},A2", f"李四,{ID_B},C1", "王五,341226199009090035,B2")
    r = run(conn, fuyang, bad, "D_REVIEW", "2022-01-31")
    assert [(p.row, p.column, p.problem) for p in r.problems] == [
        (3, "准驾车型", "本指标只统计 A、B 类驾驶人（准驾车型含 A1/A2/A3/B1/B2）"),
        (4, "身份证明号码", "身份证明号码格式有误（应为 18 位，末位校验码须正确）"),
    ]
    assert (r.written, r.inserted) == (False, 0)
    assert conn.execute("SELECT count(*) FROM source_snapshots").fetchone() == (0,)
    # corrected: two drivers open; the next list drops 张三明 → the preview names him masked
    good = csv(DRIVER_HEAD, f"张三明,{ID_A},A2", f"王五,{ID_C},B2")
    assert run(conn, fuyang, good, "D_REVIEW", "2022-01-31").inserted == 2
    preview = run(
        conn, fuyang, csv(DRIVER_HEAD, f"王五,{ID_C},B2"), "D_REVIEW", "2022-02-28", dry_run=True
    )
    assert [(c.record_id, c.after) for c in preview.changes] == [
        ("张*明 3412**********0017", "已清零（未再列入清单）")
    ]
    # the subject is stored in full (masking is for showing), with its A/B mark
    assert conn.execute(
        "SELECT subject_key, name, licence_class, ab_class FROM source_subjects ORDER BY name"
    ).fetchall() == [(f"D:{ID_A}", "张三明", "A2", True), (f"D:{ID_C}", "王五", "B2", True)]


def test_violations_below_the_minimum_count_clear(conn, fuyang) -> None:
    head = "号牌号码,使用性质,违法未处理数"
    # min_count 3: K20001 (5) and K20002 (3) open; K20003 (2) is below: a clearing row without a
    # case, left alone with a warning.
    jan = csv(head, "皖K20001,货运,5", "皖K20002,货运,3", "皖K20003,货运,2")
    r = run(conn, fuyang, jan, "V_VIOLATIONS", "2022-01-31")
    assert (r.inserted, r.updated) == (2, 0)
    assert [w.problem for w in r.warnings] == ["1 行标注已清零，但没有对应的未清零案件，未作处理"]
    # February: K20001 down to 2 → cleared with the indicator's first clear word (已处理);
    # K20002 still 4 → still open.
    feb = csv(head, "皖K20001,货运,2", "皖K20002,货运,4")
    r = run(conn, fuyang, feb, "V_VIOLATIONS", "2022-02-28")
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 1)
    assert case_rows(conn, "V_VIOLATIONS") == [
        ("V:皖K20001", "已清零", "2022-01-31", "2022-02-28", "已处理"),
        ("V:皖K20002", "未清零", "2022-01-31", None, None),
    ]
    detail = conn.execute(
        "SELECT r.subject_key, r.detail FROM source_snapshot_rows r JOIN source_snapshots n"
        " USING (snapshot_id) WHERE n.as_of = '2022-02-28' ORDER BY r.subject_key"
    ).fetchall()
    assert [(s, json.loads(d)) for s, d in detail] == [
        ("V:皖K20001", {"count": 2}),
        ("V:皖K20002", {"count": 4}),
    ]


def test_sightings_of_one_vehicle_are_one_case(conn, fuyang) -> None:
    head = "号牌号码,使用性质,抓拍时间,抓拍地点"
    rows = csv(
        head,
        "皖K30001,货运,2022-01-05 08:00,颍上县城南路口",
        "皖K30002,货运,2022-01-06 09:30,G105 K871",
        "皖K30001,货运,2022-01-20 17:15,S237 K3",
    )
    r = run(conn, fuyang, rows, "V_DEREGISTERED_ON_ROAD", "2022-01-31")
    # three rows (sightings), two vehicles → two cases
    assert (r.rows, r.accepted, r.inserted) == (3, 3, 2)
    assert [s for s, *_ in case_rows(conn, "V_DEREGISTERED_ON_ROAD")] == [
        "V:皖K30001",
        "V:皖K30002",
    ]
    detail = dict(conn.execute("SELECT subject_key, detail FROM source_snapshot_rows").fetchall())
    assert json.loads(detail["V:皖K30001"]) == {
        "sightings": [
            ["2022-01-05 08:00:00", "颍上县城南路口"],
            ["2022-01-20 17:15:00", "S237 K3"],
        ]
    }
    assert conn.execute("SELECT listed, opened FROM source_snapshots").fetchall() == [(2, 2)]


def test_list_dates_must_advance_and_not_be_in_the_future(conn, fuyang) -> None:
    one = csv(VEHICLE_HEAD, "皖K10001,旅游客运,")
    run(conn, fuyang, one, "V_INSPECTION", "2022-02-28")
    other = csv(VEHICLE_HEAD, "皖K10009,旅游客运,")
    for as_of in ("2022-02-28", "2022-01-31"):
        with pytest.raises(src.SnapshotError) as refused:
            run(conn, fuyang, other, "V_INSPECTION", as_of)
        assert str(refused.value) == (
            f"颍上县已导入 2022-02-28 的“逾期未检验”清单；新清单的日期须晚于该日（本次为 {as_of}）"
        )
    with pytest.raises(src.SnapshotError, match="清单日期 2022-09-21 晚于今天，请核对"):
        run(conn, fuyang, other, "V_INSPECTION", "2022-09-21")
    # another indicator has its own dates
    assert run(conn, fuyang, other, "V_SCRAP", "2022-01-31").inserted == 1
    assert issubclass(src.SnapshotError, common.read.ReadError)


def test_units_and_roles(conn, fuyang) -> None:
    head = "号牌号码,使用性质,所属区县"
    mixed = csv(head, "皖K10001,旅游客运,颍上县", "皖K10002,旅游客运,阜南县")
    r = run(conn, fuyang, mixed, "V_INSPECTION", "2022-01-31")  # a brigade: its own unit only
    assert [(p.row, p.problem) for p in r.problems] == [
        (3, "区县大队账号只能导入本单位（颍上县）的数据")
    ]
    assert not r.written
    # the detachment importing 颍上县's list: the 阜南县 row does not belong to it
    r = run(conn, fuyang, mixed, "V_INSPECTION", "2022-01-31", user=ADMIN, unit="341226")
    assert [(p.row, p.problem) for p in r.problems] == [
        (3, "本次导入的是颍上县的清单，该行属于其他单位")
    ]
    with pytest.raises(access.PermissionDenied):
        run(conn, fuyang, mixed, "V_INSPECTION", "2022-01-31", user=LEADER)
    with pytest.raises(access.PermissionDenied):  # a brigade names another unit
        run(conn, fuyang, mixed, "V_INSPECTION", "2022-01-31", unit="341225")
    # the detachment's 全市 list: one snapshot for every unit (10), empty ones included
    r = run(conn, fuyang, mixed, "V_INSPECTION", "2022-01-31", user=ADMIN)
    assert (r.inserted, r.written) == (2, True)
    assert conn.execute(
        "SELECT count(*), sum(listed), count(*) FILTER (WHERE listed = 0) FROM source_snapshots"
    ).fetchone() == (10, 2, 8)
    assert case_rows(conn, "V_INSPECTION") == [
        ("V:皖K10001", "未清零", "2022-01-31", None, None),
        ("V:皖K10002", "未清零", "2022-01-31", None, None),
    ]
    assert dict(conn.execute("SELECT subject_key, unit_adcode FROM source_cases").fetchall()) == {
        "V:皖K10001": "341226",
        "V:皖K10002": "341225",
    }


def test_an_unchanged_list_next_month_a_dry_run_and_a_changed_plan(conn, fuyang) -> None:
    jan = csv(VEHICLE_HEAD, "皖K10001,旅游客运,", "皖K10002,旅游客运,")
    run(conn, fuyang, jan, "V_INSPECTION", "2022-01-31")
    with pytest.raises(src.SnapshotError, match="须晚于该日"):  # the same date again
        run(conn, fuyang, jan, "V_INSPECTION", "2022-01-31")
    # the same bytes exported a month later are February's list: nothing changed, still a list
    again = run(conn, fuyang, jan, "V_INSPECTION", "2022-02-28")
    assert (again.duplicate_file, again.written, again.unchanged, again.inserted) == (
        False,
        True,
        2,
        0,
    )
    assert conn.execute("SELECT count(*) FROM source_snapshots").fetchone() == (2,)
    # a dry run of March (K10002 absent → cleared) writes nothing
    feb = csv(VEHICLE_HEAD, "皖K10001,旅游客运,")
    before = conn.execute(
        "SELECT (SELECT count(*) FROM source_snapshots), (SELECT count(*) FROM source_case_events),"
        " (SELECT count(*) FROM imports)"
    ).fetchone()
    preview = run(conn, fuyang, feb, "V_INSPECTION", "2022-03-31", dry_run=True)
    assert (preview.updated, preview.dry_run, preview.written) == (1, True, False)
    assert (
        conn.execute(
            "SELECT (SELECT count(*) FROM source_snapshots), (SELECT count(*) FROM source_case_events),"
            " (SELECT count(*) FROM imports)"
        ).fetchone()
        == before
        == (2, 2, 2)
    )
    # meanwhile the brigade asks to clear K10002 by hand (its version moves): the plan agreed to
    # is no longer the plan, and nothing is written
    case_id, version = conn.execute(
        "SELECT case_id, version FROM source_cases WHERE subject_key = 'V:皖K10002'"
    ).fetchone()
    cases.request_clear(conn, YINGSHANG, case_id, version, "已检验", [("0" * 64, "a.jpg")], NOW)
    with pytest.raises(common.PlanChanged):
        run(conn, fuyang, feb, "V_INSPECTION", "2022-03-31", expect=preview.fingerprint)
    assert conn.execute("SELECT count(*) FROM source_snapshots").fetchone() == (2,)


def test_an_unknown_indicator_and_an_empty_configuration(conn, fuyang) -> None:
    with pytest.raises(src.SnapshotError, match="没有代码为“V_NONE”的指标"):
        run(conn, fuyang, csv(VEHICLE_HEAD), "V_NONE", "2022-01-31")
    with pytest.raises(src.SnapshotError):
        run(
            conn,
            fuyang,
            csv(VEHICLE_HEAD),
            "V_INSPECTION",
            "2022-01-31",
            config=sources_config.EMPTY,
        )


@pytest.mark.parametrize("subject", ["vehicle", "driver", "enterprise"])
def test_the_unchanged_template_is_an_empty_list(conn, fuyang, subject) -> None:
    cfg = sources_config.load(fuyang)
    indicator = cfg.of(subject)[0].code
    blank = sources_template(subject, fuyang, cfg, "341226")
    r = run(conn, fuyang, blank, indicator, "2022-01-31", name="模板.xlsx", dry_run=True)
    # the example row (its key begins with 示例) is skipped before any check: nothing refused
    assert (r.rows, r.accepted, r.rejected, r.problems, r.inserted, r.updated) == (
        1,
        0,
        0,
        [],
        0,
        0,
    )
    assert r.notes == ["第 2 行是模板中的示例行（编号以“示例”开头），已跳过"]


def test_an_empty_list_clears_the_units_cases_and_is_previewed(conn, fuyang) -> None:
    cfg = sources_config.load(fuyang)
    run(conn, fuyang, csv(VEHICLE_HEAD, "皖K10001,旅游客运,"), "V_INSPECTION", "2022-01-31")
    blank = sources_template("vehicle", fuyang, cfg, "341226")
    preview = run(conn, fuyang, blank, "V_INSPECTION", "2022-02-28", name="模板.xlsx", dry_run=True)
    assert (preview.inserted, preview.updated, preview.problems) == (0, 1, [])
    assert [c.record_id for c in preview.changes] == ["皖K10001"]


def test_a_status_that_nearly_says_cleared_is_warned_and_counted_as_a_hazard(conn, fuyang) -> None:
    """检验完毕 and 已 检验 are not this indicator's clearing words (已检验): the vehicle stays a
    hazard, and the row is warned so the brigade can correct the word; 未检验 is not warned."""
    jan = csv(VEHICLE_HEAD, "皖K10001,旅游客运,", "皖K10002,旅游客运,", "皖K10003,旅游客运,")
    run(conn, fuyang, jan, "V_INSPECTION", "2022-01-31")
    feb = csv(
        VEHICLE_HEAD,
        "皖K10001,旅游客运,检验完毕",
        "皖K10002,旅游客运,已 检验",
        "皖K10003,旅游客运,未检验",
    )
    r = run(conn, fuyang, feb, "V_INSPECTION", "2022-02-28")
    assert (r.inserted, r.updated, r.unchanged, r.written) == (0, 0, 3, True)
    assert [(w.row, w.column, w.value, w.problem) for w in r.warnings] == [
        (
            n,
            "处理状态",
            v,
            f"“{v}”不是本指标的清零用语（已检验、已报废、已注销），按仍存在隐患计；已清零的请改为清零用语后重新导入",
        )
        for n, v in ((2, "检验完毕"), (3, "已 检验"))
    ]
    assert [s for s, state, *_ in case_rows(conn, "V_INSPECTION") if state == "未清零"] == [
        "V:皖K10001",
        "V:皖K10002",
        "V:皖K10003",
    ]


@pytest.mark.parametrize(
    ("status", "words", "near"),
    [
        ("检验完毕", ("已检验",), True),
        ("已 检验", ("已检验",), True),
        ("已检验", ("已检验",), False),  # the word itself
        ("未检验", ("已检验",), False),
        ("处理中", ("已处理",), False),
        ("正在处理", ("已处理",), False),
        ("责令整改", ("已整改",), False),
        ("限期整改", ("已整改",), False),
        ("达到报废标准", ("已报废",), False),
        ("注销可恢复", ("已注销", "已恢复"), False),
        ("学习中", ("已学习",), False),
        ("处理完毕", ("已处理",), True),
        ("", ("已处理",), False),
        (None, ("已处理",), False),
    ],
)
def test_what_reads_as_nearly_cleared(status, words, near) -> None:
    assert src._nearly_cleared(status, words) is near


def test_below_the_threshold_a_near_miss_word_is_not_warned(conn, fuyang) -> None:
    """违法未处理 below the minimum count is cleared whatever its status says: no warning that
    would say the opposite."""
    head = "号牌号码,使用性质,违法未处理数,处理状态"
    run(conn, fuyang, csv(head, "皖K20001,旅游客运,5,"), "V_VIOLATIONS", "2022-01-31")
    r = run(conn, fuyang, csv(head, "皖K20001,旅游客运,1,处理完毕"), "V_VIOLATIONS", "2022-02-28")
    assert r.warnings == [] and r.updated == 1
    assert case_rows(conn, "V_VIOLATIONS")[0][1] == "已清零"
