"""Imports obey 一单四制 and the unit: each attack seen in the field, as a test."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from analytics import access
from analytics.accounts import auth
from analytics.ingest import accidents as ia
from analytics.ingest import common
from analytics.ingest import hazards as ih
from analytics.ingest import roads as ir
from analytics.ledger import vocabulary as ledger
from analytics.store import db
from tests.pg_mode import store_conn

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
YINGSHANG = auth.User("yingshang", "颍上县大队", "county", "341226")

# id, unit, state, deadline, closed, accepted by
SEED = [
    ("YS-1", "341226", "已销号", "2022-08-31", "2022-08-20", "张三"),
    ("YS-2", "341226", "整改中", "2022-09-30", None, None),
    ("YZ-1", "341202", "整改中", "2022-10-31", None, None),
]


@pytest.fixture
def conn(tmp_path, fuyang):
    c = db.open_store(tmp_path / "t.duckdb", fuyang)
    for hid, unit, state, deadline, closed, by in SEED:
        c.execute(
            "INSERT INTO hazards (hazard_id, unit_adcode, road_name, state, found_date,"
            " listed_date, risk_grade, supervision_level, goal, lead_leader, responsible_unit,"
            " completion_standard, deadline, closed_date, accepted_by, progress) VALUES"
            " (?, ?, '国道105线', ?, '2022-06-01', '2022-06-02', '一般', '无', '消除隐患',"
            " '王某', '交通局', '达标', ?, ?, ?, '已设置警示标志')",
            [hid, unit, state, deadline, closed, by],
        )
    for aid, unit in (("A-YS", "341226"), ("A-YZ", "341202")):
        c.execute(
            "INSERT INTO accidents (accident_id, occurred_at, unit_adcode, road_name, deaths,"
            " injuries, severity, procedure) VALUES (?, '2022-06-03 14:30', ?, '国道105线', 1, 2,"
            " '死亡事故', '一般程序')",
            [aid, unit],
        )
    for sid, unit in (("R-YS", "341226"), ("R-YZ", "341202")):
        c.execute(
            "INSERT INTO road_segments (segment_id, route_code, name, start_m, end_m, unit_adcode,"
            " path) VALUES (?, 'G105', '国道105线', 0, 1000, ?, [[115.8, 32.88], [115.81, 32.89]])",
            [sid, unit],
        )
    yield c
    c.close()


def _hazard(conn, hid: str) -> tuple:
    return conn.execute(
        "SELECT unit_adcode, state, risk_grade, supervision_level, goal, lead_leader, deadline,"
        " closed_date, accepted_by, progress, version FROM hazards WHERE hazard_id = ?",
        [hid],
    ).fetchone()


def _nothing_written(conn) -> bool:
    events = conn.execute("SELECT count(*) FROM hazard_events").fetchone()[0]
    imports = conn.execute("SELECT count(*) FROM imports").fetchone()[0]
    return (events, imports) == (0, 0)


YS1 = (
    "341226",
    "已销号",
    "一般",
    "无",
    "消除隐患",
    "王某",
    date(2022, 8, 31),
    date(2022, 8, 20),
    "张三",
    "已设置警示标志",
    1,
)
YS2 = (
    "341226",
    "整改中",
    "一般",
    "无",
    "消除隐患",
    "王某",
    date(2022, 9, 30),
    None,
    None,
    "已设置警示标志",
    1,
)


def _file(head: str, *rows: str) -> bytes:
    return "\n".join([head, *rows]).encode("utf-8")


# --- a county account ---------------------------------------------------------------------


def test_a_county_cannot_overwrite_another_units_hazard_by_its_id(conn, fuyang) -> None:
    data = _file("隐患编号,所属区县,道路名称,整改进展", "YZ-1,颍上县,国道105线,改好了")
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "越界.csv", data, now=NOW)
    assert [(p.row, p.column, p.value, p.problem) for p in r.problems] == [
        (2, "隐患编号", "YZ-1", "隐患编号 YZ-1 属于颍州区，区县大队账号不能修改其他单位的记录"),
    ]
    assert (r.written, r.rejected, r.updated) == (False, 1, 0)
    assert _hazard(conn, "YZ-1")[9] == "已设置警示标志"
    assert _nothing_written(conn)


def test_a_county_cannot_overwrite_another_units_accident_or_segment(conn, fuyang) -> None:
    data = _file(
        "事故编号,事故时间,所属区县,道路名称,路线编码,公里数,米数,死亡人数,受伤人数",
        "A-YZ,2022-06-03 14:30,颍上县,国道105线,G105,871,500,0,0",
    )
    r = ia.import_accidents(conn, fuyang, YINGSHANG, "事故.csv", data, now=NOW)
    assert [(p.row, p.problem) for p in r.problems] == [
        (2, "事故编号 A-YZ 属于颍州区，区县大队账号不能修改其他单位的记录"),
    ]
    assert conn.execute("SELECT deaths FROM accidents WHERE accident_id = 'A-YZ'").fetchone() == (
        1,
    )
    data = _file(
        "路段编号,路线编码,起止桩号,所属区县,路径",
        'R-YZ,G105,K0+000-K0+500,颍上县,"116.2,32.6;116.21,32.61"',
    )
    r = ir.import_roads(conn, fuyang, YINGSHANG, "路段.csv", data, now=NOW)
    assert [(p.row, p.problem) for p in r.problems] == [
        (2, "路段编号 R-YZ 属于颍州区，区县大队账号不能修改其他单位的记录"),
    ]
    assert conn.execute("SELECT end_m FROM road_segments WHERE segment_id = 'R-YZ'").fetchone() == (
        1000,
    )
    assert conn.execute("SELECT count(*) FROM imports").fetchone() == (0,)


def test_a_county_cannot_close_void_or_regrade_its_own_hazard(conn, fuyang) -> None:
    head = "隐患编号,所属区县,整改状态,销号日期,验收人,风险等级,挂牌督办,完成时限"
    data = _file(
        head,
        "YS-2,颍上县,已销号,2022-09-10,颍上县大队,,,",  # closes itself, itself the acceptor
        "YS-2B,颍上县,,,,,,",
    ).replace(b"YS-2B", b"YS-1")  # a closed hazard, nothing changed: fine
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "销号.csv", data, now=NOW)
    assert [(p.row, p.column, p.problem) for p in r.problems] == [
        (2, "整改状态", "导入不能销号：请在隐患详情页“申请销号”并上传整改材料，由支队验收销号"),
    ]
    data = _file(head, "YS-2,颍上县,已作废,,,,,")
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "作废.csv", data, now=NOW)
    assert [(p.row, p.problem) for p in r.problems] == [
        (2, "导入不能作废隐患：作废须由支队在隐患详情页办理并说明原因"),
    ]
    data = _file(head, "YS-2,颍上县,,,,重大,部,2024-12-31")  # within the horizon: 2099 is absurd
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "督办.csv", data, now=NOW)
    assert [(p.row, p.column, p.problem) for p in r.problems] == [
        (2, "风险等级", "风险等级（一般 → 重大）须通过一单四制流程办理，导入不能修改"),
        (2, "挂牌督办", "挂牌督办（无 → 部）须通过一单四制流程办理，导入不能修改"),
        (2, "完成时限", "完成时限（2022-09-30 → 2024-12-31）须通过一单四制流程办理，导入不能修改"),
    ]
    assert _hazard(conn, "YS-2") == YS2
    assert _hazard(conn, "YS-1") == YS1
    assert _nothing_written(conn)


def test_a_countys_new_hazards_await_confirmation(conn, fuyang) -> None:
    head = "隐患编号,所属区县,道路名称,排查日期,风险等级,挂牌督办,整改状态,销号日期,验收人"
    data = _file(head, "YS-9,颍上县,S237,2022-09-01,重大,省,已销号,2022-09-10,颍上县大队")
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "新增.csv", data, now=NOW)
    assert (r.problems, r.inserted) == ([], 1)
    assert [(w.row, w.problem) for w in r.warnings] == [
        (
            2,
            "新上报的隐患为“待认定”，须由支队认定入单、交办；文件中的风险等级、挂牌督办、流程状态、"
            "销号日期、验收人未采用",
        ),
    ]
    row = conn.execute(
        "SELECT state, risk_grade, supervision_level, closed_date, accepted_by FROM hazards"
        " WHERE hazard_id = 'YS-9'"
    ).fetchone()
    assert row == (ledger.FOUND, None, "无", None, None)
    event = conn.execute(
        "SELECT action, from_state, to_state, actor FROM hazard_events WHERE hazard_id = 'YS-9'"
    ).fetchone()
    assert event == ("导入", None, ledger.FOUND, "颍上县大队·yingshang")


# --- what a file leaves out -----------------------------------------------------------------


def test_absent_columns_and_empty_cells_never_change_stored_values(conn, fuyang) -> None:
    data = _file(
        "隐患编号,所属区县,道路名称,整改进展,完成时限",
        "YS-2,颍上县,国道105线,护栏已安装,",  # the deadline cell is empty
        "YS-1,颍上县,国道105线,,",  # closed: nothing given that differs
    )
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "四列.csv", data, now=NOW)
    assert (r.problems, r.updated, r.unchanged, r.written) == ([], 1, 1, True)
    assert _hazard(conn, "YS-2") == (*YS2[:9], "护栏已安装", 2)
    assert _hazard(conn, "YS-1") == YS1
    event = conn.execute(
        "SELECT action, from_state, to_state, changes, note FROM hazard_events"
    ).fetchall()
    assert [(e[0], e[1], e[2], json.loads(e[3]), e[4]) for e in event] == [
        (
            "导入",
            "整改中",
            "整改中",
            {"progress": ["已设置警示标志", "护栏已安装"]},
            "导入文件：四列.csv",
        ),
    ]


def test_a_re_import_never_reopens_or_wipes_a_closed_hazard(conn, fuyang) -> None:
    data = _file("隐患编号,所属区县,道路名称,排查日期", "YS-1,颍上县,国道105线,2022-06-01")
    r = ih.import_hazards(conn, fuyang, ADMIN, "四列.csv", data, now=NOW)
    assert (r.problems, r.unchanged, r.updated) == ([], 1, 0)
    assert _hazard(conn, "YS-1") == YS1


def test_an_accident_re_import_keeps_what_the_file_leaves_out(conn, fuyang) -> None:
    data = _file("事故编号,所属区县,受伤人数,天气", "A-YS,颍上县,3,")
    r = ia.import_accidents(conn, fuyang, YINGSHANG, "补充.csv", data, now=NOW)
    assert (r.problems, r.updated) == ([], 1)
    assert [(c.record_id, c.field, c.before, c.after) for c in r.changes] == [
        ("A-YS", "injuries", 2, 3),
    ]
    row = conn.execute(
        "SELECT deaths, injuries, severity, road_name, procedure FROM accidents"
        " WHERE accident_id = 'A-YS'"
    ).fetchone()
    assert row == (1, 3, "死亡事故", "国道105线", "一般程序")
    note = conn.execute("SELECT note FROM imports").fetchone()[0]
    assert json.loads(note) == {"changes": {"A-YS": {"injuries": [2, 3]}}}


# --- the administrator ------------------------------------------------------------------------


def test_an_administrators_protected_changes_need_a_reason(conn, fuyang) -> None:
    data = _file("隐患编号,所属区县,完成时限,整改进展", "YS-2,颍上县,2022-12-31,延期整改")
    r = ih.import_hazards(conn, fuyang, ADMIN, "延期.csv", data, now=NOW)
    assert (r.written, r.needs_override, r.problems) == (False, True, [])
    assert [(c.record_id, c.field, c.before, c.after, c.protected) for c in r.changes] == [
        ("YS-2", "deadline", date(2022, 9, 30), date(2022, 12, 31), True),
        ("YS-2", "progress", "已设置警示标志", "延期整改", False),
    ]
    assert _nothing_written(conn)
    r = ih.import_hazards(
        conn, fuyang, ADMIN, "延期.csv", data, now=NOW, override_reason="市政府同意延期"
    )
    assert (r.written, r.updated) == (True, 1)
    assert _hazard(conn, "YS-2")[6] == date(2022, 12, 31)
    changes, note = conn.execute("SELECT changes, note FROM hazard_events").fetchone()
    assert json.loads(changes) == {
        "deadline": ["2022-09-30", "2022-12-31"],
        "progress": ["已设置警示标志", "延期整改"],
    }
    assert note == "导入文件：延期.csv；管理员确认修改受保护字段（完成时限），理由：市政府同意延期"
    assert conn.execute("SELECT note FROM imports").fetchone() == (
        "管理员确认修改受保护字段，理由：市政府同意延期",
    )


def test_a_county_account_cannot_override(conn, fuyang) -> None:
    assert not access.can(YINGSHANG, "import_override", "341226")
    assert access.can(ADMIN, "import_override", "341226")
    data = _file("隐患编号,所属区县,完成时限", "YS-2,颍上县,2099-12-31")
    r = ih.import_hazards(
        conn, fuyang, YINGSHANG, "延期.csv", data, now=NOW, override_reason="我说可以"
    )
    assert (r.written, [p.column for p in r.problems]) == (False, ["完成时限"])
    assert _hazard(conn, "YS-2") == YS2


def test_a_dry_run_plans_without_writing_and_the_write_rechecks(conn, fuyang) -> None:
    data = _file(
        "隐患编号,所属区县,道路名称,整改进展,排查日期",
        "YS-2,颍上县,国道105线,护栏已安装,",
        "YS-7,颍上县,S237,,2022-09-01",
    )
    plan = ih.import_hazards(conn, fuyang, YINGSHANG, "计划.csv", data, now=NOW, dry_run=True)
    assert (plan.written, plan.inserted, plan.updated, plan.unchanged) == (False, 1, 1, 0)
    assert [(c.record_id, c.field, c.after) for c in plan.changes] == [
        ("YS-2", "progress", "护栏已安装"),
    ]
    assert _nothing_written(conn) and _hazard(conn, "YS-2") == YS2
    conn.execute("UPDATE hazards SET version = 2, progress = '他人更新' WHERE hazard_id = 'YS-2'")
    with pytest.raises(common.PlanChanged, match="预览后数据已被他人修改"):
        ih.import_hazards(
            conn, fuyang, YINGSHANG, "计划.csv", data, now=NOW, expect=plan.fingerprint
        )
    assert _nothing_written(conn)
    assert conn.execute("SELECT count(*) FROM hazards WHERE hazard_id = 'YS-7'").fetchone() == (0,)


def test_the_unchanged_template_imports_nothing(demo_env, fuyang) -> None:
    from analytics.ingest.template import TEMPLATES, template

    conn = db.open_store(demo_env, fuyang)
    before = conn.execute("SELECT * FROM hazards ORDER BY hazard_id").fetchall()
    events = conn.execute("SELECT count(*) FROM hazard_events").fetchone()
    for kind, fn in (
        ("hazards", ih.import_hazards),
        ("accidents", ia.import_accidents),
        ("roads", ir.import_roads),
    ):
        example_id = TEMPLATES[kind][2][TEMPLATES[kind][1][0]]
        assert example_id.startswith("示例")
        r = fn(conn, fuyang, ADMIN, "模板.xlsx", template(kind, fuyang), now=NOW)
        assert (r.rows, r.inserted, r.updated, r.problems, r.written) == (1, 0, 0, [], False)
        assert r.notes == ["第 2 行是模板中的示例行（编号以“示例”开头），已跳过"]
    assert conn.execute("SELECT * FROM hazards ORDER BY hazard_id").fetchall() == before
    assert conn.execute("SELECT count(*) FROM hazard_events").fetchone() == events
    conn.close()


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def store(tmp_path, fuyang):
    """A database file with the seeded records and a 颍上县 brigade account."""
    path = tmp_path / "cli.duckdb"
    c = db.open_store(path, fuyang)
    for hid, unit, state, deadline, closed, by in SEED:
        c.execute(
            "INSERT INTO hazards (hazard_id, unit_adcode, road_name, state, found_date, deadline,"
            " closed_date, accepted_by, progress) VALUES (?, ?, '国道105线', ?, '2022-06-01', ?,"
            " ?, ?, '已设置警示标志')",
            [hid, unit, state, deadline, closed, by],
        )
    auth.add_user(c, "测试", "yingshang", "颍上县大队", "county", "341226", "Huaihe-river-2022")
    c.close()
    return path


def _cli_file(tmp_path, text: str):
    f = tmp_path / "台账.csv"
    f.write_text(text, encoding="utf-8")
    return str(f)


def test_the_command_line_as_a_county_account(store, tmp_path, capsys) -> None:
    from analytics.__main__ import main

    f = _cli_file(
        tmp_path,
        "隐患编号,所属区县,整改状态,销号日期,验收人\n"
        "YS-2,颍上县,已销号,2022-09-10,颍上县大队\nYZ-1,颍上县,,,\n",
    )
    args = ["import", "hazards", f, "--db", str(store), "--as", "yingshang"]
    assert main([*args, "--override-protected", "--reason", "我说可以"]) == 2
    assert capsys.readouterr().err == (
        "错误：当前账号（区县大队·颍上县大队）无权在导入时修改受保护字段\n"
    )
    assert main(args) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "  第 2 行 [整改状态] 已销号：导入不能销号：请在隐患详情页“申请销号”并上传整改材料，"
        "由支队验收销号",
        "  第 3 行 [隐患编号] YZ-1：隐患编号 YZ-1 属于颍州区，区县大队账号不能修改其他单位的记录",
    ]
    conn = store_conn(store, read_only=True)
    assert conn.execute("SELECT count(*) FROM hazard_events").fetchone() == (0,)
    conn.close()


def test_the_command_line_dry_run_and_override(store, tmp_path, capsys) -> None:
    from analytics.__main__ import main

    f = _cli_file(tmp_path, "隐患编号,所属区县,完成时限\nYS-2,颍上县,2022-12-31\n")
    args = ["import", "hazards", f, "--db", str(store)]
    assert main([*args, "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["dry_run"], out["written"], out["updated"], out["needs_override"]) == (
        True,
        False,
        1,
        True,
    )
    assert out["changes"] == [
        {
            "record_id": "YS-2",
            "field": "deadline",
            "label": "完成时限",
            "before": "2022-09-30",
            "after": "2022-12-31",
            "protected": True,
        }
    ]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "读取 1 行：新增 0，更新 0，未变 0，拒收 0。",
        "  YS-2 完成时限：2022-09-30 → 2022-12-31（受保护）",
    ]
    assert "--override-protected --reason" in captured.err
    assert main([*args, "--override-protected"]) == 2
    assert "须用 --reason" in capsys.readouterr().err
    assert main([*args, "--override-protected", "--reason", "市政府同意延期"]) == 0
    capsys.readouterr()
    conn = store_conn(store, read_only=True)
    assert conn.execute("SELECT deadline FROM hazards WHERE hazard_id = 'YS-2'").fetchone() == (
        date(2022, 12, 31),
    )
    assert conn.execute("SELECT actor, note FROM hazard_events").fetchall() == [
        (
            "命令行（本机管理员）·cli",
            "导入文件：台账.csv；管理员确认修改受保护字段（完成时限），理由：市政府同意延期",
        ),
    ]
    conn.close()


def test_a_segment_re_import_keeps_what_the_file_leaves_out(conn, fuyang) -> None:
    data = _file("路段编号,所属区县,路段名称,路径", "R-YS,颍上县,国道105线（城区段）,")
    r = ir.import_roads(conn, fuyang, YINGSHANG, "路段.csv", data, now=NOW)
    assert (r.problems, r.updated, r.written) == ([], 1, True)
    row = conn.execute(
        "SELECT route_code, name, start_m, end_m, unit_adcode, path FROM road_segments"
        " WHERE segment_id = 'R-YS'"
    ).fetchone()
    assert row == (
        "G105",
        "国道105线（城区段）",
        0,
        1000,
        "341226",
        [[115.8, 32.88], [115.81, 32.89]],
    )
    note = conn.execute("SELECT note FROM imports").fetchone()[0]
    assert json.loads(note) == {"changes": {"R-YS": {"name": ["国道105线", "国道105线（城区段）"]}}}


def test_a_brigades_template_names_its_own_unit(fuyang) -> None:
    import io

    from openpyxl import load_workbook

    from analytics.ingest.template import template

    for adcode, name in (("341226", "颍上县"), (None, fuyang.units[0].name)):
        sheet = load_workbook(io.BytesIO(template("hazards", fuyang, adcode))).active
        headers = [c.value for c in sheet[1]]
        assert sheet.cell(2, headers.index("所属区县") + 1).value == name
