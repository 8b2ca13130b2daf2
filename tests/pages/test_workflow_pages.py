"""Sign-in and every action form of the hazard page, through AppTest."""

from __future__ import annotations

import io
import shutil
from datetime import date, datetime, timedelta

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from analytics.accounts import auth
from analytics.ledger import workflow
from analytics.store import db
from tests.conftest import ROOT, app_as
from tests.pg_mode import store_conn
from ui.text import plain

NOW = datetime(2022, 12, 31, 9, 0)
ADMIN = auth.User("admin", "支队秩序科（演示）", "admin", None)
FIVE = {
    "goal": "消除隐患",
    "lead_leader": "王某",
    "responsible_unit": "交通局",
    "completion_standard": "达标",
    "deadline": date(2023, 3, 31),
}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def prepared(monkeypatch, tmp_path, demo_db_path, fuyang):
    """A demo copy with one hazard in each state the forms need, in 颍上县 (341226)."""
    path = tmp_path / "hazards.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.open_store(path, fuyang)
    county = auth.get_user(conn, "yingshang")
    fields = {
        "road_name": "测试路",
        "hazard_type": "急弯陡坡",
        "description": "测试",
        "source": "日常排查",
    }
    ids = {}
    ids["found"] = workflow.report(
        conn, county, unit_adcode="341226", fields=fields, found_date=date(2022, 12, 30), now=NOW
    )
    ids["listed"] = workflow.report(
        conn, county, unit_adcode="341226", fields=fields, found_date=date(2022, 12, 30), now=NOW
    )
    workflow.list_hazard(
        conn,
        ADMIN,
        ids["listed"],
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 12, 30),
        now=NOW,
    )
    ids["assigned"] = workflow.report(
        conn, county, unit_adcode="341226", fields=fields, found_date=date(2022, 12, 30), now=NOW
    )
    workflow.list_hazard(
        conn,
        ADMIN,
        ids["assigned"],
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 12, 30),
        now=NOW,
    )
    workflow.assign(conn, ADMIN, ids["assigned"], 2, elements=FIVE, reward_penalty=None, now=NOW)
    ids["requested"] = conn.execute(
        "SELECT hazard_id FROM hazards WHERE unit_adcode = '341226' AND state = '申请销号'"
        " ORDER BY hazard_id LIMIT 1"
    ).fetchone()[0]
    ids["rectifying"] = conn.execute(
        "SELECT hazard_id FROM hazards WHERE unit_adcode = '341226' AND state = '整改中'"
        " ORDER BY hazard_id LIMIT 1"
    ).fetchone()[0]
    conn.close()
    monkeypatch.setenv("HAZARDS_DB_PATH", str(path))
    monkeypatch.setenv("HAZARDS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return path, ids


def _hazard_page(username: str, hid: str) -> AppTest:
    at = app_as(username, id=hid).run()
    at.switch_page("pages/hazard.py").run()
    assert not at.exception
    return at


def _widget(elements, label: str):  # ANN202
    return next(w for w in elements if w.label == label)


def _state(path, hid: str) -> str:

    conn = store_conn(path)
    try:
        return conn.execute("SELECT state FROM hazards WHERE hazard_id = ?", [hid]).fetchone()[0]
    finally:
        conn.close()


# action, user, hazard, fill(at), state after
CASES = [
    ("list", "admin", "found", lambda at: None, "已入单"),
    (
        "assign",
        "admin",
        "listed",
        lambda at: [
            _widget(at.text_input, "工作目标").set_value("消除急弯隐患"),
            _widget(at.text_input, "牵头领导").set_value("王某（副县长）"),
            _widget(at.text_input, "责任单位").set_value("颍上县交通运输局"),
            _widget(at.text_area, "完成标准").set_value("设置警告标志和护栏"),
            _widget(at.date_input, "完成时限").set_value(date(2023, 2, 28)),
        ],
        "已交办",
    ),
    (
        "progress",
        "yingshang",
        "assigned",
        lambda at: [
            _widget(at.text_area, "整改进展").set_value("已完成标志设置"),
        ],
        "整改中",
    ),
    (
        "request_signoff",
        "yingshang",
        "rectifying",
        lambda at: [
            _widget(at.text_area, "整改完成情况").set_value("全部完成"),
        ],
        "申请销号",
    ),
    (
        "accept",
        "admin",
        "requested",
        lambda at: [
            _widget(at.text_input, "验收人").set_value("李四"),
            _widget(at.text_area, "验收结论及依据").set_value("现场核查合格"),
        ],
        "已销号",
    ),
    (
        "reject",
        "admin",
        "requested",
        lambda at: [
            _widget(at.text_area, "退回原因").set_value("标线未完成"),
        ],
        "整改中",
    ),
    (
        "void",
        "admin",
        "listed",
        lambda at: [
            _widget(at.text_area, "作废原因").set_value("重复上报"),
        ],
        "已作废",
    ),
    (
        "change_supervision",
        "admin",
        "listed",
        lambda at: [
            _widget(at.selectbox, "挂牌督办级别").set_value("市"),
            _widget(at.text_input, "调整原因").set_value("上级要求"),
        ],
        "已入单",
    ),
]


@pytest.mark.parametrize(
    ("action", "username", "which", "fill", "after"), CASES, ids=[c[0] for c in CASES]
)
def test_each_action_form(prepared, action, username, which, fill, after) -> None:
    path, ids = prepared
    hid = ids[which]
    at = _hazard_page(username, hid)
    fill(at)
    if action == "request_signoff":
        at.file_uploader(key=f"files_signoff_{hid}").set_value(("完工.png", _png(), "image/png"))
    at.button(key=f"submit_{action}").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert _state(path, hid) == after


def test_a_form_with_missing_input_says_why_and_keeps_the_input(prepared) -> None:
    path, ids = prepared
    at = _hazard_page("admin", ids["listed"])
    _widget(at.text_input, "工作目标").set_value("消除急弯隐患")
    at.button(key="submit_assign").click().run()
    assert "五要件缺少“牵头领导”" in at.error[0].value
    assert _widget(at.text_input, "工作目标").value == "消除急弯隐患"
    assert _state(path, ids["listed"]) == "已入单"


def test_a_county_user_cannot_open_another_units_hazard(prepared) -> None:
    _, ids = prepared
    at = _hazard_page("yingzhou", ids["listed"])
    assert "只能查看本单位的隐患明细" in at.error[0].value
    assert not [b for b in at.button if b.key and b.key.startswith("submit_")]


def test_a_leader_sees_no_action(prepared) -> None:
    _, ids = prepared
    at = _hazard_page("leader", ids["rectifying"])
    assert any("领导账号只能查看" in c.value for c in at.caption)


def test_sign_in_wrong_then_right(demo_env) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert at.title[0].value == "道路交通安全隐患治理系统"
    at.text_input(key="sign_in_username").set_value("admin")
    at.text_input(key="sign_in_password").set_value("wrong-123")
    at.button[0].click().run()
    assert at.error[0].value == (
        "登录失败：用户名或密码不正确，或账号已停用、暂时锁定。"
        "连续输错 5 次账号将锁定 15 分钟；如需帮助请联系支队管理员。"
    )
    at.text_input(key="sign_in_password").set_value("demo2022")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].role == "admin"
    at.switch_page("pages/overview.py").run()  # AppTest stays on the page it ran last
    assert at.title[0].value == "总览"
    assert any("演示账号已启用" in w.value for w in at.warning)


def _whole_session_state(at: AppTest) -> str:
    """Every value the session keeps: user keys, widget values by id, and pending values."""
    raw = object.__getattribute__(at.session_state._state, "_state")  # under SafeSessionState
    return repr(
        (raw._old_state, raw._new_session_state, raw._new_widget_state, dict(at.session_state))
    )


def test_the_password_is_not_kept_in_the_session(demo_env) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.text_input(key="sign_in_username").set_value("admin")
    at.text_input(key="sign_in_password").set_value("wrong-pass-123")
    at.button[0].click().run()
    assert at.error
    assert "wrong-pass-123" not in _whole_session_state(at)
    assert at.text_input(key="sign_in_password").value == ""  # typed again after a failure
    assert at.text_input(key="sign_in_username").value == "admin"  # the name stays
    at.text_input(key="sign_in_password").set_value("demo2022")
    at.button[0].click().run()
    assert at.session_state["user"].username == "admin"
    assert "demo2022" not in _whole_session_state(at)
    at.switch_page("pages/overview.py").run()
    assert "demo2022" not in _whole_session_state(at)


def test_an_idle_session_ends(demo_env) -> None:
    at = app_as("admin")
    at.session_state["last_seen"] = datetime.now() - timedelta(hours=2)
    at.run()
    assert at.title[0].value == "道路交通安全隐患治理系统"
    assert "登录已超时" in at.info[0].value


def test_a_stale_form_is_refused_and_keeps_what_was_typed(prepared) -> None:
    path, ids = prepared
    hid = ids["listed"]
    at = _hazard_page("admin", hid)  # admin opens the hazard (version 2)
    _widget(at.text_area, "作废原因").set_value("重复上报")
    # meanwhile another administrator changes the supervision level

    other = store_conn(path)
    workflow.change_supervision(other, ADMIN, hid, 2, level="县", reason="调整", now=NOW)
    other.close()
    at.button(key="submit_void").click().run()
    # the message is shown as text (escaped for Markdown): what the user reads is the plain one
    assert plain("已被支队秩序科（演示）·admin于2022-12-31 09:00修改") in at.error[0].value
    assert _widget(at.text_area, "作废原因").value == "重复上报"
    assert _state(path, hid) == "已入单"
    at.button(key="submit_void").click().run()  # having seen the change, submit again
    assert not at.error
    assert _state(path, hid) == "已作废"


@pytest.mark.file_store
def test_opening_an_old_database_backs_it_up_first(tmp_path, fuyang, monkeypatch) -> None:
    from analytics import bootstrap
    from analytics.config import Settings

    path = tmp_path / "old.duckdb"
    conn = db.connect(path)
    db.migrate(conn, target=1)
    conn.close()
    settings = Settings.from_env(
        {
            "HAZARDS_DB_PATH": str(path),
            "HAZARDS_BACKUP_DIR": str(tmp_path / "bk"),
            "HAZARDS_EVIDENCE_DIR": str(tmp_path / "ev"),
        }
    )
    conn, _ = bootstrap.open_configured(settings)
    assert db.schema_version(conn) == db.LATEST_VERSION
    conn.close()
    backups = list((tmp_path / "bk").iterdir())
    assert len(backups) == 1 and backups[0].name.endswith("before-migration-v1")


def test_a_conflict_keeps_text_typed_over_prefilled_fields(prepared) -> None:
    path, ids = prepared
    hid = ids["rectifying"]
    at = _hazard_page("yingshang", hid)
    _widget(at.text_area, "整改进展").set_value("A 的进展")
    _widget(at.text_area, "整改措施（如有调整）").set_value("A 的措施")

    other = store_conn(path)
    county = auth.get_user(other, "yingshang")
    version = workflow.hazard(other, hid)["version"]
    workflow.record_progress(
        other,
        county,
        hid,
        version,
        text="B 的进展",
        measures="B 的措施",
        temporary_controls="B 的管控",
        now=NOW,
    )
    other.close()
    at.button(key="submit_progress").click().run()
    assert "您看到的是旧版本" in at.error[0].value
    assert _widget(at.text_area, "整改措施（如有调整）").value == "A 的措施"
    assert _widget(at.text_area, "整改进展").value == "A 的进展"
