"""操作日志 of 重点车辆与驾驶人: case events and the record of full views of personal information."""

from __future__ import annotations

from datetime import date, datetime

from analytics.accounts import auth
from analytics.ingest import sources as src
from analytics.sources import cases
from analytics.store import db
from tests.conftest import app_as
from tests.pages.test_upload_sources_page import _without_source_data

ADMIN = auth.User("admin", "支队秩序科", "admin", None)
ID_A = "341226198001010017"  # check digit worked out in tests/ingest/test_ingest_sources.py


def _seed(path, fuyang) -> int:
    """A driver list of 颍上县 (one case), then the administrator reveals the case in full."""
    _without_source_data(path)
    conn = db.open_store(path, fuyang)
    conn.execute("DELETE FROM pii_views")
    data = f"姓名,身份证明号码,准驾车型\n张三明,{ID_A},A2\n".encode()
    src.import_snapshot(
        conn,
        fuyang,
        ADMIN,
        "驾驶人.csv",
        data,
        now=datetime(2022, 9, 10, 9, 0),
        indicator="D_REVIEW",
        as_of=date(2022, 8, 31),
        unit="341226",
    )
    (case_id,) = conn.execute("SELECT case_id FROM source_cases").fetchone()
    detail = cases.case_detail(conn, ADMIN, case_id, datetime(2022, 9, 12, 15, 30), reveal=True)
    assert detail["subject"]["name"] == "张三明"  # shown in full, and so recorded
    conn.close()
    return case_id


def _log(view: str):
    at = app_as("admin").run()
    at.switch_page("pages/audit_log.py").run()
    at.radio(key="log_view").set_value(view).run()
    at.date_input(key="log_period").set_value((date(2022, 9, 1), date(2022, 9, 15))).run()
    assert not at.exception
    return at


def test_a_full_view_of_personal_information_shows_in_the_log(demo_env, fuyang) -> None:
    case_id = _seed(demo_env, fuyang)
    at = _log("pii")
    table = at.dataframe[0].value
    assert table.values.tolist() == [
        [
            "2022-09-12 15:30",
            "支队秩序科·admin",  # the actor: display name·username
            "案件详情",
            str(case_id),
            "驾驶人·逾期未审验",
            "颍上县",
            "张*明 3412**********0017",  # the log itself shows no personal information
            "1 人",
        ]
    ]


def test_case_events_show_in_the_log(demo_env, fuyang) -> None:
    case_id = _seed(demo_env, fuyang)
    at = _log("cases")
    table = at.dataframe[0].value
    assert table.values.tolist() == [
        [
            "2022-09-10 09:00",
            "支队秩序科·admin",  # the actor: display name·username
            "新增",
            str(case_id),
            "驾驶人·逾期未审验",
            "张*明 3412**********0017",
            "颍上县",
            "（无） → 未清零",
            "2022-08-31",
            "",
        ]
    ]
    at.selectbox(key="log_action").set_value("清零").run()
    assert at.info[-1].value == "所选范围内没有案件操作记录。"
