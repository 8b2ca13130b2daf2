"""数据上报 through AppTest: upload a file, see the problems, import, see the history."""

from __future__ import annotations

import io

import openpyxl

from analytics.store import db
from tests.conftest import app_as
from tests.ingest.test_ingest_hazards import _csv, _gbk
from tests.pg_mode import store_conn


def _upload_page(username: str = "yingshang"):
    at = app_as(username).run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    return at


def test_upload_problems_then_import(demo_env) -> None:
    at = _upload_page()
    bad = _csv("Y9,颍上县,G105,2022-06-10,2022-06-01,,,,,", "Z9,颍州区,G105,2022-06-10,,,,,,")
    at.file_uploader(key="ledger_file").set_value(("问题.csv", bad, "text/csv")).run()
    at.button(key="do_import").click().run()
    assert not at.exception
    assert "发现 2 个问题，整份文件未导入" in at.error[0].value
    problems = next(d.value for d in at.dataframe if "问题" in d.value.columns)
    assert problems["行号"].tolist() == [2, 3]
    assert problems["问题"].tolist()[1] == "区县大队账号只能导入本单位（颍上县）的数据"

    at.file_uploader(key="ledger_file").set_value(("颍上.csv", _gbk(), "text/csv")).run()
    at.button(key="do_import").click().run()
    assert "已导入：新增 2 条" in at.success[0].value
    history = at.dataframe[-1].value
    assert history["文件"].tolist()[0] == "颍上.csv"
    conn = store_conn(demo_env)
    assert conn.execute("SELECT count(*) FROM hazards WHERE hazard_id LIKE 'YS-%'").fetchone() == (
        2,
    )
    conn.close()


def test_the_template_imports_cleanly(demo_env, fuyang, tmp_path) -> None:
    from datetime import datetime

    from analytics.accounts import auth
    from analytics.ingest import hazards as ih
    from analytics.ingest.template import template

    data = template("hazards", fuyang)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["隐患台账", "选项", "填写说明"]
    assert book["隐患台账"].data_validations.count >= 6
    conn = db.open_store(tmp_path / "t.duckdb", fuyang)
    r = ih.import_hazards(
        conn,
        fuyang,
        auth.User("a", "a", "admin", None),
        "模板.xlsx",
        data,
        now=datetime(2022, 9, 20),
    )
    # the example row is recognised as one: read, skipped with a note, nothing written
    assert (r.rows, r.inserted, r.problems, r.written) == (1, 0, [], False)
    assert r.notes == ["第 2 行是模板中的示例行（编号以“示例”开头），已跳过"]
    conn.close()


def test_a_leader_has_no_upload_page(demo_env) -> None:
    import pytest

    at = app_as("leader").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/upload.py")


def test_upload_an_accident_extract(demo_env) -> None:
    from tests.ingest.test_ingest_accidents import ROWS

    at = _upload_page()
    at.radio(key="kind").set_value("accidents").run()
    data = "\n".join(ROWS[:3]).encode("gb18030")  # two 颍上县 accidents
    at.file_uploader(key="ledger_file").set_value(("事故.csv", data, "text/csv")).run()
    at.button(key="do_import").click().run()
    assert not at.exception
    assert "已导入：新增 2 条" in at.success[0].value
    assert at.subheader[-1].value == "导入记录（事故记录）"


def test_map_another_systems_columns_once(demo_env) -> None:
    at = _upload_page("admin")
    at.radio(key="kind").set_value("accidents").run()
    data = (
        b"ID,WHEN,LAT,LNG,KILLED,HURT\n"
        b"X1,2022-06-03 14:30,32.88,115.80,0,1\n"
        b"X2,2022-06-04 08:00,32.90,115.78,1,0\n"
    )
    at.file_uploader(key="ledger_file").set_value(("其他系统.csv", data, "text/csv")).run()
    for col, standard in (
        ("ID", "事故编号"),
        ("WHEN", "事故时间"),
        ("LAT", "纬度"),
        ("LNG", "经度"),
        ("KILLED", "死亡人数"),
        ("HURT", "受伤人数"),
    ):
        at.selectbox(key=f"map_accidents_{col}").set_value(standard)
    at.button(key="save_mapping_accidents").click().run()
    assert "已保存列映射" in at.success[0].value
    at.button(key="do_import").click().run()
    assert not at.exception
    assert "已导入：新增 2 条" in at.success[-1].value
    # the next upload of the same kind gets the mapping by itself
    again = data.replace(b"X1", b"X3").replace(b"X2", b"X4")
    at.file_uploader(key="ledger_file").set_value(("其他系统2.csv", again, "text/csv")).run()
    assert any("已套用本单位保存的列映射" in c.value for c in at.caption)
    at.button(key="do_import").click().run()
    assert "已导入：新增 2 条" in at.success[-1].value


def test_the_accident_template_imports_cleanly(fuyang, tmp_path) -> None:
    from datetime import datetime

    from analytics.accounts import auth
    from analytics.ingest import accidents
    from analytics.ingest.template import template

    data = template("accidents", fuyang)
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["事故记录", "选项", "填写说明"]
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    r = accidents.import_accidents(
        conn,
        fuyang,
        auth.User("a", "a", "admin", None),
        "模板.xlsx",
        data,
        now=datetime(2022, 9, 20),
    )
    assert (r.rows, r.inserted, r.problems, r.notes != []) == (1, 0, [], True)
    conn.close()


def test_the_road_template_imports_cleanly(fuyang, tmp_path) -> None:
    from datetime import datetime

    from analytics.accounts import auth
    from analytics.ingest import roads
    from analytics.ingest.template import template

    conn = db.open_store(tmp_path / "r.duckdb", fuyang)
    r = roads.import_roads(
        conn,
        fuyang,
        auth.User("a", "a", "admin", None),
        "模板.xlsx",
        template("roads", fuyang),
        now=datetime(2022, 9, 20),
    )
    assert (r.rows, r.inserted, r.problems, r.notes != []) == (1, 0, [], True)
    conn.close()


def _open_hazard(path, unit: str) -> tuple[str, str, object, str]:
    """A demo hazard of ``unit`` in rectification: id, progress, deadline, unit name."""
    conn = store_conn(path)
    row = conn.execute(
        "SELECT h.hazard_id, h.progress, h.deadline, u.name FROM hazards h"
        " JOIN units u ON u.adcode = h.unit_adcode WHERE h.unit_adcode = ? AND h.state = '整改中'"
        " ORDER BY h.hazard_id LIMIT 1",
        [unit],
    ).fetchone()
    conn.close()
    return row


def _events(path, hid: str) -> list[tuple]:
    conn = store_conn(path)
    rows = conn.execute(
        "SELECT action, changes, note FROM hazard_events WHERE hazard_id = ? ORDER BY event_id",
        [hid],
    ).fetchall()
    conn.close()
    return rows


def test_an_update_is_previewed_and_written_only_when_confirmed(demo_env) -> None:
    import json

    hid, progress, _deadline, _name = _open_hazard(demo_env, "341226")
    before = _events(demo_env, hid)
    at = _upload_page()
    data = f"隐患编号,所属区县,整改进展\n{hid},颍上县,护栏已安装（导入）\n".encode()
    at.file_uploader(key="ledger_file").set_value(("进展.csv", data, "text/csv")).run()
    at.button(key="do_import").click().run()
    assert not at.exception
    changes = next(d.value for d in at.dataframe if "字段" in d.value.columns)
    assert changes.values.tolist() == [[hid, "整改进展", progress or "", "护栏已安装（导入）", ""]]
    assert [m.value for m in at.metric] == ["1 行", "0 行", "1 行", "0 行", "0 行"]
    assert _events(demo_env, hid) == before  # nothing written yet
    at.button(key="confirm_import").click().run()
    assert not at.exception
    assert "已导入：新增 0 条，更新 1 条，未变 0 条。" in at.success[0].value
    action, change, note = _events(demo_env, hid)[-1]
    assert (action, json.loads(change), note) == (
        "导入",
        {"progress": [progress, "护栏已安装（导入）"]},
        "导入文件：进展.csv",
    )


def test_a_county_cannot_touch_another_units_hazard_on_the_page(demo_env) -> None:
    hid, _progress, _deadline, name = _open_hazard(demo_env, "341202")
    before = _events(demo_env, hid)
    at = _upload_page()
    data = f"隐患编号,所属区县,整改进展,挂牌督办\n{hid},颍上县,已完成,部\n".encode()
    at.file_uploader(key="ledger_file").set_value(("越界.csv", data, "text/csv")).run()
    at.button(key="do_import").click().run()
    assert not at.exception
    assert "发现 1 个问题，整份文件未导入" in at.error[0].value
    problems = next(d.value for d in at.dataframe if "问题" in d.value.columns)
    assert problems["问题"].tolist() == [
        f"隐患编号 {hid} 属于{name}，区县大队账号不能修改其他单位的记录"
    ]
    assert not any(b.key == "confirm_import" for b in at.button)
    assert _events(demo_env, hid) == before


def test_protected_changes_need_the_administrators_reason(demo_env) -> None:
    hid, _progress, deadline, _name = _open_hazard(demo_env, "341226")
    at = _upload_page("admin")
    data = f"隐患编号,所属区县,完成时限\n{hid},颍上县,2023-06-30\n".encode()
    at.file_uploader(key="ledger_file").set_value(("延期.csv", data, "text/csv")).run()
    at.button(key="do_import").click().run()
    changes = next(d.value for d in at.dataframe if "字段" in d.value.columns)
    assert changes.values.tolist() == [[hid, "完成时限", str(deadline), "2023-06-30", "是"]]
    assert any("须经“一单四制”流程办理的字段" in w.value for w in at.warning)
    at.button(key="confirm_import").click().run()
    assert at.error[0].value == "请填写修改理由后再确认。"
    assert [e for e in _events(demo_env, hid) if e[2] and "延期.csv" in e[2]] == []
    at.text_input(key="override_reason").input("市政府批复同意延期").run()
    at.button(key="confirm_import").click().run()
    assert not at.exception
    assert "更新 1 条" in at.success[0].value
    note = _events(demo_env, hid)[-1][2]
    assert (
        note == "导入文件：延期.csv；管理员确认修改受保护字段（完成时限），理由：市政府批复同意延期"
    )


def test_the_unchanged_template_on_the_page_writes_nothing(demo_env, fuyang) -> None:
    from analytics.ingest.template import template

    at = _upload_page("admin")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at.file_uploader(key="ledger_file").set_value(("模板.xlsx", template("hazards", fuyang), xlsx))
    at.run()
    at.button(key="do_import").click().run()
    assert not at.exception
    infos = [i.value for i in at.info]
    assert "第 2 行是模板中的示例行（编号以“示例”开头），已跳过" in infos
    assert "没有需要写入的新增或修改，数据库未做改动。" in infos
    assert not at.success
    conn = store_conn(demo_env)
    assert conn.execute(
        "SELECT count(*) FROM imports WHERE file_name = '模板.xlsx'"
    ).fetchone() == (0,)
    conn.close()


def test_a_hostile_workbook_is_refused_on_the_page(demo_env) -> None:
    """The 2 KB workbook that once took the server down for every user: a Chinese refusal."""
    from bench import bombs

    at = _upload_page()
    name, data = bombs.corners()
    at.file_uploader(key="ledger_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    assert at.error[0].value.startswith(  # the file name is escaped: it is shown as typed
        "文件 corners\\.xlsx 有 1048576 行，超过单次导入上限 200000 行"
    )


def test_the_preview_shows_the_files_own_header(demo_env) -> None:
    """数据上报's preview: the file's header as the column names (its title rows as a caption),
    the first rows below the header as the rows."""
    from tests.ingest.test_ingest_hazards import (
        FILLED_BY,
        TITLE,
        TITLED_HEADER,
        TITLED_ROWS,
        titled_csv,
    )

    at = _upload_page()
    at.file_uploader(key="ledger_file").set_value(("颍上.csv", titled_csv(), "text/csv")).run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview.columns.tolist() == TITLED_HEADER
    assert preview.values.tolist() == [
        ["" if c is None else str(c) for c in r] for r in TITLED_ROWS
    ]
    assert f"表头上方：{TITLE}；{FILLED_BY}" in [c.value for c in at.caption]


def test_the_preview_names_duplicate_and_blank_columns(demo_env) -> None:
    at = _upload_page()
    data = "隐患编号,所属区县,道路名称,备注,,备注,排查日期\nY1,颍上县,G105,甲,乙,丙,2022-06-10\n"
    at.file_uploader(key="ledger_file").set_value(("重名.csv", data.encode(), "text/csv")).run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview.columns.tolist() == [
        "隐患编号",
        "所属区县",
        "道路名称",
        "备注",
        "第5列",
        "备注（2）",
        "排查日期",
    ]
    assert preview.values.tolist() == [["Y1", "颍上县", "G105", "甲", "乙", "丙", "2022-06-10"]]


def test_the_preview_of_a_file_without_a_known_header(demo_env) -> None:
    """Another system's columns: its first non-empty row is taken as its header."""
    at = _upload_page("admin")
    data = b"\nID,WHEN,LAT\nX1,2022-06-03 14:30,32.88\n"
    at.file_uploader(key="ledger_file").set_value(("其他系统.csv", data, "text/csv")).run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert preview.columns.tolist() == ["ID", "WHEN", "LAT"]
    assert preview.values.tolist() == [["X1", "2022-06-03 14:30", "32.88"]]
