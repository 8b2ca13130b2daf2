"""数据上报 through AppTest: upload a file, see the problems, import, see the history."""

from __future__ import annotations

import io

import openpyxl

from analytics import db
from tests.conftest import app_as
from tests.test_ingest_hazards import _csv, _gbk


def _upload_page(username: str = "yingshang"):  # noqa: ANN202
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
    conn = db.connect(demo_env, read_only=False)
    assert conn.execute("SELECT count(*) FROM hazards WHERE hazard_id LIKE 'YS-%'").fetchone() == (
        2,
    )
    conn.close()


def test_the_template_imports_cleanly(demo_env, fuyang, tmp_path) -> None:
    from datetime import datetime

    from analytics import auth
    from analytics.ingest import hazards as ih
    from analytics.ingest.template import template

    data = template("hazards", fuyang)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["隐患台账", "选项", "填写说明"]
    assert book["隐患台账"].data_validations.count >= 6
    conn = db.open_store(tmp_path / "t.duckdb", fuyang)
    r = ih.import_hazards(conn, fuyang, auth.User("a", "a", "admin", None), "模板.xlsx", data,
                          now=datetime(2022, 9, 20))  # fmt: skip
    assert (r.inserted, r.problems) == (1, [])
    conn.close()


def test_a_leader_has_no_upload_page(demo_env) -> None:
    import pytest

    at = app_as("leader").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/upload.py")


def test_upload_an_accident_extract(demo_env) -> None:
    from tests.test_ingest_accidents import ROWS

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
    data = (b"ID,WHEN,LAT,LNG,KILLED,HURT\n"
            b"X1,2022-06-03 14:30,32.88,115.80,0,1\n"
            b"X2,2022-06-04 08:00,32.90,115.78,1,0\n")  # fmt: skip
    at.file_uploader(key="ledger_file").set_value(("其他系统.csv", data, "text/csv")).run()
    for col, standard in (("ID", "事故编号"), ("WHEN", "事故时间"), ("LAT", "纬度"),
                          ("LNG", "经度"), ("KILLED", "死亡人数"), ("HURT", "受伤人数")):  # fmt: skip
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

    from analytics import auth
    from analytics.ingest import accidents
    from analytics.ingest.template import template

    data = template("accidents", fuyang)
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["事故记录", "选项", "填写说明"]
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    r = accidents.import_accidents(conn, fuyang, auth.User("a", "a", "admin", None), "模板.xlsx",
                                   data, now=datetime(2022, 9, 20))  # fmt: skip
    assert (r.inserted, r.problems) == (1, [])
    conn.close()


def test_the_road_template_imports_cleanly(fuyang, tmp_path) -> None:
    from datetime import datetime

    from analytics import auth
    from analytics.ingest import roads
    from analytics.ingest.template import template

    conn = db.open_store(tmp_path / "r.duckdb", fuyang)
    r = roads.import_roads(conn, fuyang, auth.User("a", "a", "admin", None), "模板.xlsx",
                           template("roads", fuyang), now=datetime(2022, 9, 20))  # fmt: skip
    assert (r.inserted, r.problems) == (1, [])
    conn.close()


def test_a_hostile_workbook_is_refused_on_the_page(demo_env) -> None:
    """The 2 KB workbook that once took the server down for every user: a Chinese refusal."""
    from bench import bombs

    at = _upload_page()
    name, data = bombs.corners()
    at.file_uploader(key="ledger_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    assert at.error[0].value.startswith(
        "文件 corners.xlsx 有 1048576 行，超过单次导入上限 200000 行"
    )
