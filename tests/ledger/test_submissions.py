"""One submission, one record: a form sent twice (double click, two tabs) writes once."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from analytics.accounts import auth
from analytics.ledger import workflow
from analytics.ledger.workflow import DuplicateSubmission, Upload
from tests.conftest import app_as
from tests.hostile_text import png
from tests.pg_mode import store_conn

NOW = datetime(2022, 12, 31, 9, 0)
ADMIN = auth.User("admin", "支队秩序科（演示）", "admin", None)
FIELDS = {
    "road_name": "测试路",
    "hazard_type": "急弯陡坡",
    "description": "双击测试",
    "source": "日常排查",
}
FIVE = {
    "goal": "消除隐患",
    "lead_leader": "王某",
    "responsible_unit": "交通局",
    "completion_standard": "达标",
    "deadline": date(2023, 3, 31),
}


@pytest.fixture
def store(demo_store):  # ANN201
    return demo_store


def _counts(conn) -> tuple[int, int]:
    return conn.execute(
        "SELECT (SELECT count(*) FROM hazards), (SELECT count(*) FROM hazard_events)"
    ).fetchone()


def _report(conn, token: str | None) -> str:
    county = auth.get_user(conn, "yingshang")
    return workflow.report(
        conn,
        county,
        unit_adcode="341226",
        fields=FIELDS,
        found_date=date(2022, 12, 30),
        now=NOW,
        token=token,
    )


def test_the_same_report_twice_makes_one_hazard_and_one_event(store) -> None:
    before = _counts(store)
    hid = _report(store, "t-1")
    with pytest.raises(DuplicateSubmission) as refused:
        _report(store, "t-1")
    assert refused.value.hazard_id == hid
    assert "已提交，勿重复提交" in str(refused.value) and hid in str(refused.value)
    assert _counts(store) == (before[0] + 1, before[1] + 1)


def test_distinct_submissions_are_distinct_hazards(store) -> None:
    before = _counts(store)
    assert _report(store, "t-1") != _report(store, "t-2")
    assert _report(store, None) != _report(store, None)  # without a token: no check
    assert _counts(store) == (before[0] + 4, before[1] + 4)


def test_the_token_is_unique_in_the_database(store) -> None:
    _report(store, "t-1")
    with pytest.raises(duckdb.ConstraintException):
        store.execute(
            "INSERT INTO submissions (token, action, hazard_id, actor, submitted_at)"
            " VALUES ('t-1', 'report', 'x', 'y', now())"
        )


def test_a_submission_committed_by_a_twin_session_is_refused(store) -> None:
    """Two sessions at once: the second's transaction finds the first's token."""
    hid = _report(store, "t-1")
    other = store.cursor()  # another script run's cursor
    with pytest.raises(DuplicateSubmission) as refused:
        _report(other, "t-1")
    assert refused.value.hazard_id == hid


def _assigned(conn) -> str:
    hid = _report(conn, None)
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 12, 30),
        now=NOW,
    )
    workflow.assign(conn, ADMIN, hid, 2, elements=FIVE, reward_penalty=None, now=NOW)
    return hid


def _events(conn, hid: str) -> int:
    return conn.execute("SELECT count(*) FROM hazard_events WHERE hazard_id = ?", [hid]).fetchone()[
        0
    ]


def test_progress_twice_with_one_token_is_one_entry(store, tmp_path) -> None:
    hid = _assigned(store)
    county = auth.get_user(store, "yingshang")
    args = {
        "text": "护栏已装",
        "measures": None,
        "temporary_controls": None,
        "now": NOW,
        "files": [Upload("a.png", png())],
        "evidence_dir": tmp_path / "ev",
        "token": "p-1",
    }
    event = workflow.record_progress(store, county, hid, 3, **args)
    with pytest.raises(DuplicateSubmission) as refused:
        workflow.record_progress(store, county, hid, 3, **args)
    assert refused.value.event_id == event
    assert _events(store, hid) == 4
    attached = "SELECT count(*) FROM event_attachments WHERE event_id = ?"
    assert store.execute(attached, [event]).fetchone()[0] == 1


def test_versioned_actions_without_a_token_are_already_written_once(store, tmp_path) -> None:
    """The version check alone refuses the second of two identical submissions."""
    hid = _assigned(store)
    county = auth.get_user(store, "yingshang")
    workflow.record_progress(
        store, county, hid, 3, text="护栏已装", measures=None, temporary_controls=None, now=NOW
    )
    with pytest.raises(workflow.ConflictError):
        workflow.record_progress(
            store, county, hid, 3, text="护栏已装", measures=None, temporary_controls=None, now=NOW
        )
    assert _events(store, hid) == 4


def test_signoff_request_twice_with_one_token_is_one_request(store, tmp_path) -> None:
    hid = _assigned(store)
    county = auth.get_user(store, "yingshang")
    workflow.record_progress(
        store, county, hid, 3, text="进展", measures=None, temporary_controls=None, now=NOW
    )
    args = {
        "note": "已完成",
        "now": NOW,
        "files": [Upload("b.png", png())],
        "evidence_dir": tmp_path / "ev",
        "token": "s-1",
    }
    workflow.request_signoff(store, county, hid, 4, **args)
    with pytest.raises(DuplicateSubmission):
        workflow.request_signoff(store, county, hid, 4, **args)
    requests = "SELECT count(*) FROM hazard_events WHERE hazard_id = ? AND action = '申请销号'"
    assert store.execute(requests, [hid]).fetchone()[0] == 1


# --- the pages -----------------------------------------------------------------------------


def _db_counts(path) -> tuple[int, int]:
    conn = store_conn(path)
    try:
        return _counts(conn)
    finally:
        conn.close()


def _fill_report(at) -> None:
    next(w for w in at.text_input if w.label == "道路名称").set_value("双击路")
    next(w for w in at.text_area if w.label == "隐患描述").set_value("双击上报测试")
    next(w for w in at.text_input if w.label == "路线编码").set_value("S305")
    next(w for w in at.text_input if w.label == "桩号或桩号范围").set_value("K50+800")


def test_the_report_form_submitted_twice_makes_one_hazard(demo_env) -> None:
    at = app_as("yingshang").run()
    at.switch_page("pages/tasks.py").run()
    before = _db_counts(demo_env)
    _fill_report(at)
    submit = next(b for b in at.button if b.label == "上报")
    submit.click().run()
    assert not at.exception
    assert any("已上报" in s.value for s in at.success)
    hid = next(s.value for s in at.success if "已上报" in s.value).split("隐患编号 ")[1][:18]
    submit = next(b for b in at.button if b.label == "上报")
    submit.click().run()  # the same form, sent again
    assert not at.exception
    assert any("已提交，勿重复提交" in w.value for w in at.warning)
    assert any(b.label == f"打开已上报的隐患 {hid}" for b in at.button)
    assert _db_counts(demo_env) == (before[0] + 1, before[1] + 1)


def test_a_second_tab_sending_the_same_report_makes_no_second_hazard(demo_env) -> None:
    before = _db_counts(demo_env)
    for _tab in range(2):  # two sessions, the same form filled the same way
        at = app_as("yingshang").run()
        at.switch_page("pages/tasks.py").run()
        _fill_report(at)
        next(b for b in at.button if b.label == "上报").click().run()
        assert not at.exception
    assert any("已提交，勿重复提交" in w.value for w in at.warning)
    assert _db_counts(demo_env) == (before[0] + 1, before[1] + 1)


def test_an_action_form_submitted_twice_writes_once(demo_env) -> None:
    conn = store_conn(demo_env)
    hid = conn.execute(
        "SELECT hazard_id FROM hazards WHERE unit_adcode = '341226' AND state = '整改中'"
        " ORDER BY hazard_id LIMIT 1"
    ).fetchone()[0]
    conn.close()
    at = app_as("yingshang", id=hid).run()
    at.switch_page("pages/hazard.py").run()
    before = _db_counts(demo_env)
    next(w for w in at.text_area if w.label == "整改进展").set_value("双击进展")
    # a double click: the second request carries the same form and the version first seen
    seen = at.session_state[f"seen_version_{hid}"]
    at.button(key="submit_progress").click().run()
    assert not at.exception
    at.session_state[f"seen_version_{hid}"] = seen
    next(w for w in at.text_area if w.label == "整改进展").set_value("双击进展")
    at.button(key="submit_progress").click().run()
    assert not at.exception
    assert any("已提交，勿重复提交" in w.value for w in at.warning), [e.value for e in at.error]
    assert _db_counts(demo_env) == (before[0], before[1] + 1)
