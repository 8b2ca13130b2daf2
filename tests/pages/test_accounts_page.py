"""账号管理 and the account box, through AppTest: passwords are not kept, names are text."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analytics.accounts import auth
from analytics.store import db
from tests.conftest import app_as
from tests.pg_mode import store_conn


def _whole_session_state(at: AppTest) -> str:
    raw = object.__getattribute__(at.session_state._state, "_state")  # under SafeSessionState
    return repr(
        (raw._old_state, raw._new_session_state, raw._new_widget_state, dict(at.session_state))
    )


def _accounts_page() -> AppTest:
    at = app_as("admin").run()
    at.switch_page("pages/accounts.py").run()
    assert at.title[0].value == "账号管理"
    return at


def test_creating_an_account_checks_the_password_and_keeps_none(demo_env) -> None:
    at = _accounts_page()
    at.text_input(key="new_username").set_value("zhaoliu")
    at.text_input(key="new_display_name").set_value("颍上县大队·赵六")
    at.selectbox(key="new_role").set_value("county")
    at.selectbox(key="new_unit").set_value("341226")
    at.text_input(key="new_password").set_value("woaini1314")
    at.button(key="create_account").click().run()
    assert [e.value for e in at.error] == ["密码过于常见，容易被猜中"]
    assert "woaini1314" not in _whole_session_state(at)
    assert at.text_input(key="new_username").value == "zhaoliu"  # kept to correct the password
    at.text_input(key="new_password").set_value("Yingshang-K12-road")
    at.button(key="create_account").click().run()
    assert not at.error
    assert [s.value for s in at.success] == ["已创建账号 zhaoliu"]
    assert "Yingshang-K12-road" not in _whole_session_state(at)
    conn = store_conn(demo_env)
    try:
        assert conn.execute(
            "SELECT display_name, role, unit_adcode FROM accounts WHERE username = 'zhaoliu'"
        ).fetchone() == ("颍上县大队·赵六", "county", "341226")
    finally:
        conn.close()


def test_a_new_password_is_checked_and_not_kept(demo_env) -> None:
    at = _accounts_page()
    at.selectbox(key="change_target").set_value("yingshang")
    at.text_input(key="change_password").set_value("yingshang-2022")
    at.button(key="save_account").click().run()
    assert [e.value for e in at.error] == ["密码不能包含用户名"]
    at.text_input(key="change_password").set_value("Huaiyuan-Rd-K12")
    at.button(key="save_account").click().run()
    assert [s.value for s in at.success] == ["已保存"]
    state = _whole_session_state(at)
    assert "yingshang-2022" not in state and "Huaiyuan-Rd-K12" not in state


def test_a_locked_account_is_shown_and_unlocked(demo_env, fuyang) -> None:
    from analytics.config import Settings

    conn = db.open_store(demo_env, fuyang)
    now = Settings.from_env().now()  # the app's clock
    for _ in range(5):
        try:
            auth.authenticate(conn, "taihe", "wrong-guess-1", now)
        except auth.AuthError:
            pass
    conn.close()
    at = _accounts_page()
    table = at.dataframe[0].value.set_index("用户名")
    assert table.loc["taihe", "状态"] == "锁定中"
    assert table.loc["taihe", "连续失败"] == 5
    assert table.loc["funan", "状态"] == "启用"
    at.selectbox(key="change_target").set_value("taihe")
    at.radio(key="change_status").set_value("解锁")
    at.button(key="save_account").click().run()
    assert [s.value for s in at.success] == ["已保存"]
    table = at.dataframe[0].value.set_index("用户名")
    assert table.loc["taihe", "状态"] == "启用"
    assert table.loc["taihe", "连续失败"] == 0


def test_a_display_name_is_shown_as_text(demo_env, fuyang) -> None:
    conn = db.open_store(demo_env, fuyang)
    auth.add_user(
        conn,
        "cli",
        "mark",
        "**粗** [链接](http://x) :red[红] $x$",
        "admin",
        None,
        "Huaiyuan-Rd-K12",
    )
    conn.close()
    at = app_as("mark").run()
    assert at.sidebar.markdown[0].value == (
        "**\\*\\*粗\\*\\* \\[链接\\]\\(http\\:\u2060\\/\\/x\\) \\:red\\[红\\] \\$x\\$**  \n"
        "支队管理员 · mark"
    )


def test_a_form_sent_after_the_admin_was_disabled_does_nothing(demo_env, fuyang) -> None:
    conn = db.open_store(demo_env, fuyang)
    auth.add_user(conn, "cli", "boss", "支队管理员乙", "admin", None, "Huaiyuan-Rd-K12")
    conn.close()
    at = app_as("boss").run()
    at.switch_page("pages/accounts.py").run()
    at.text_input(key="new_username").set_value("sneaky")
    at.text_input(key="new_password").set_value("Yingshang-K12-road")
    conn = db.open_store(demo_env, fuyang)  # meanwhile another administrator disables boss
    auth.set_disabled(conn, "admin", "boss", True)
    conn.close()
    at.button(key="create_account").click().run()
    assert at.title[0].value == "道路交通安全隐患治理系统"  # the sign-in form
    assert at.info[0].value == "账号已停用，请联系支队管理员。"
    conn = db.open_store(demo_env, fuyang)
    try:
        assert auth.get_user(conn, "sneaky") is None
    finally:
        conn.close()
