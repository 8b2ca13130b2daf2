"""Accounts: creating, signing in, locking out (the permission matrix: tests/test_access.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from analytics.accounts import auth
from analytics.store import db

OWN = "990101"


@pytest.fixture
def conn(tmp_path, tiny_city):
    return db.open_store(tmp_path / "a.duckdb", tiny_city)


def test_accounts_and_passwords(conn) -> None:
    user = auth.add_user(conn, "cli", "dongqu", "东区大队", "county", OWN, "road-safe-2022")
    assert user == auth.User("dongqu", "东区大队", "county", OWN, False)
    stored = conn.execute("SELECT password_hash FROM accounts").fetchone()[0]
    assert stored.startswith("$argon2id$") and "road-safe-2022" not in stored
    now = datetime(2022, 9, 15, 9, 0)
    assert auth.authenticate(conn, "dongqu", "road-safe-2022", now) == user
    with pytest.raises(auth.AuthError, match=f"^{FAILED}$"):
        auth.authenticate(conn, "dongqu", "wrong-pass1", now)
    with pytest.raises(auth.AuthError, match=f"^{FAILED}$"):
        auth.authenticate(conn, "nobody", "road-safe-2022", now)
    auth.set_password(conn, "admin", "dongqu", "another-4567")
    assert auth.authenticate(conn, "dongqu", "another-4567", now).username == "dongqu"
    auth.set_disabled(conn, "admin", "dongqu", True)
    with pytest.raises(auth.AuthError, match=f"^{FAILED}$"):
        auth.authenticate(conn, "dongqu", "another-4567", now)
    assert auth.get_user(conn, "dongqu") is None
    actions = [
        r[0] for r in conn.execute("SELECT action FROM account_events ORDER BY event_id").fetchall()
    ]
    assert actions == ["创建", "登录成功", "登录失败", "改密码", "登录成功", "停用", "登录被拒"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x", "甲", "county", OWN, "road-safe-2022"), "用户名须为 2–32 位"),
        (("abc", "甲", "boss", None, "road-safe-2022"), "无效的角色“boss”"),
        (("abc", "甲", "county", None, "road-safe-2022"), "区县大队账号须指定本市的单位代码"),
        (("abc", "甲", "county", "341226", "road-safe-2022"), "区县大队账号须指定本市的单位代码"),
    ],
)
def test_bad_accounts_are_refused(conn, args, message) -> None:
    with pytest.raises(auth.AuthError, match=message):
        auth.add_user(conn, "cli", *args)


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("abc", "short-1a", "密码至少 10 位"),
        ("abc", "onlyletters", "密码须同时包含字母和数字"),
        ("abc", "woaini1314", "密码过于常见，容易被猜中"),
        ("abc", "WoAiNi1314", "密码过于常见，容易被猜中"),  # the list is matched ignoring case
        ("abc", " woaini1314 ", "密码过于常见，容易被猜中"),  # and surrounding spaces
        ("abc", "123456789a", "密码过于常见，容易被猜中"),
        ("abc", "qq123456", "密码至少 10 位；密码过于常见，容易被猜中"),
        ("abc", "a123456789", "密码过于常见，容易被猜中"),
        ("abc", "P@ssw0rd123", "密码过于常见，容易被猜中"),
        ("zhangsan", "ZhangSan-2022", "密码不能包含用户名"),
        ("abc", "demo2022", "密码至少 10 位；不能使用公开的演示密码"),
        ("abc", "Demo2022-road", "不能使用公开的演示密码"),
        ("abc", "1234567", "密码至少 10 位；密码须同时包含字母和数字；密码过于常见，容易被猜中"),
    ],
)
def test_weak_passwords_are_refused(conn, username, password, message) -> None:
    assert "；".join(auth.password_problems(password, username)) == message
    with pytest.raises(auth.AuthError) as e:
        auth.add_user(conn, "cli", username, "甲", "admin", None, password)
    assert str(e.value) == message
    auth.add_user(conn, "cli", username, "甲", "admin", None, "road-safe-2022")
    with pytest.raises(auth.AuthError) as e:
        auth.set_password(conn, "cli", username, password)
    assert str(e.value) == message


def test_the_common_password_list_is_shipped() -> None:
    common = auth.common_passwords()
    assert len(common) > 3000
    assert {"123456789a", "woaini1314", "qq123456", "a123456789", "1qaz2wsx3edc"} <= common
    assert all(p == p.lower() and p == p.strip() and p for p in common)
    assert "road-safe-2022" not in common
    assert auth.password_problems("Huaiyuan-Rd-K12", "admin") == []


def _make_demo(conn) -> None:
    conn.execute("INSERT OR REPLACE INTO dataset (key, value) VALUES ('is_demo', '1')")


def test_the_demo_password_is_only_for_demo_accounts_on_the_demo_database(conn) -> None:
    from analytics.demo import build as demo

    assert demo.DEMO_PASSWORD == auth.DEMO_PASSWORD == "demo2022"
    refused = "密码至少 10 位；不能使用公开的演示密码"
    with pytest.raises(auth.AuthError) as e:  # not a demo database
        auth.add_user(conn, "cli", "admin", "甲", "admin", None, "demo2022", is_demo=True)
    assert str(e.value) == refused
    _make_demo(conn)
    with pytest.raises(auth.AuthError) as e:  # a real account on the demo database
        auth.add_user(conn, "cli", "zhao", "赵六", "admin", None, "demo2022")
    assert str(e.value) == refused
    demo_admin = auth.add_user(conn, "cli", "admin", "甲", "admin", None, "demo2022", is_demo=True)
    assert demo_admin.is_demo
    now = datetime(2022, 9, 15, 9, 0)
    assert auth.authenticate(conn, "admin", "demo2022", now) == demo_admin
    auth.set_password(conn, "cli", "admin", "demo2022")  # a demo account may get it back
    auth.add_user(conn, "cli", "zhao", "赵六", "admin", None, "road-safe-2022")
    with pytest.raises(auth.AuthError) as e:
        auth.set_password(conn, "cli", "zhao", "demo2022")
    assert str(e.value) == refused


FAILED = (
    "登录失败：用户名或密码不正确，或账号已停用、暂时锁定。"
    "连续输错 5 次账号将锁定 15 分钟；如需帮助请联系支队管理员。"
)


def test_lock_out_after_repeated_failures(conn) -> None:
    auth.add_user(conn, "cli", "zhang", "张三", "admin", None, "road-safe-2022")
    t = datetime(2022, 9, 15, 9, 0)
    for _ in range(5):
        with pytest.raises(auth.AuthError) as e:
            auth.authenticate(conn, "zhang", "bad-pass-1", t, max_failures=5, lock_minutes=15)
        assert str(e.value) == FAILED
    assert _lock_state(conn) == (5, datetime(2022, 9, 15, 9, 15))
    # even the right password is refused while locked, with the same message
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(conn, "zhang", "road-safe-2022", t + timedelta(minutes=14))
    assert str(e.value) == FAILED
    assert auth.authenticate(conn, "zhang", "road-safe-2022", t + timedelta(minutes=16)).role == (
        "admin"
    )
    assert _lock_state(conn) == (0, None)
    actions = conn.execute(
        "SELECT action, note FROM account_events WHERE username = 'zhang' ORDER BY event_id"
    ).fetchall()
    assert actions == [
        ("创建", "支队管理员 张三"),
        *[("登录失败", f"第 {n} 次") for n in range(1, 5)],
        ("锁定", "第 5 次"),
        ("登录被拒", "账号已锁定"),
        ("登录成功", None),
    ]


def test_a_failure_count_restarts_after_the_lock_ends(conn) -> None:
    auth.add_user(conn, "cli", "zhang", "张三", "admin", None, "road-safe-2022")
    t = datetime(2022, 9, 15, 9, 0)
    for _ in range(3):
        with pytest.raises(auth.AuthError):
            auth.authenticate(conn, "zhang", "bad-pass-1", t, max_failures=3, lock_minutes=10)
    with pytest.raises(auth.AuthError):
        auth.authenticate(conn, "zhang", "bad-pass-1", t + timedelta(minutes=11), 3, 10)
    assert _lock_state(conn) == (1, None)


def test_a_lowered_limit_locks_at_the_next_failure(conn) -> None:
    """Failures counted under a higher limit do not leave the account stuck unlocked-but-refused."""
    auth.add_user(conn, "cli", "zhang", "张三", "admin", None, "road-safe-2022")
    t = datetime(2022, 9, 15, 9, 0)
    for _ in range(4):
        with pytest.raises(auth.AuthError):
            auth.authenticate(conn, "zhang", "bad-pass-1", t, max_failures=5)
    with pytest.raises(auth.AuthError):  # the limit is now 3: this failure locks
        auth.authenticate(conn, "zhang", "bad-pass-1", t, max_failures=3, lock_minutes=10)
    assert _lock_state(conn) == (5, datetime(2022, 9, 15, 9, 10))
    later = t + timedelta(minutes=11)
    assert auth.authenticate(conn, "zhang", "road-safe-2022", later, max_failures=3).role == (
        "admin"
    )


def _count_verifications(monkeypatch) -> list[str]:
    """Patch the hasher: every Argon2 verification is recorded as the hash it checked against."""
    from argon2 import PasswordHasher

    checked: list[str] = []
    real_verify = PasswordHasher.verify

    def verify(self: PasswordHasher, hash_: str, password: str) -> bool:
        checked.append(hash_)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    return checked


def _stored_hash(conn, username: str) -> str:
    return conn.execute(
        "SELECT password_hash FROM accounts WHERE username = ?", [username]
    ).fetchone()[0]


def _lock_state(conn) -> tuple:
    return conn.execute(
        "SELECT failed_attempts, locked_until FROM accounts WHERE username = 'zhang'"
    ).fetchone()


def _event_counts(conn) -> dict[str, int]:
    return dict(
        conn.execute(
            "SELECT action, count(*) FROM account_events WHERE username = 'zhang' GROUP BY action"
        ).fetchall()
    )


def _sign_ins_at_once(conn, passwords: list[str], t: datetime) -> tuple[list[str], list[str]]:
    """Each password tried for zhang by its own thread (a cursor each: one connection per
    process), all released together; (usernames signed in, refusal messages)."""
    import threading

    start = threading.Barrier(len(passwords))
    users: list[str] = []
    refused: list[str] = []

    def sign_in(password: str) -> None:
        cur = conn.cursor()
        start.wait()
        try:
            users.append(auth.authenticate(cur, "zhang", password, t, max_failures=5).username)
        except auth.AuthError as e:
            refused.append(str(e))
        finally:
            cur.close()

    threads = [threading.Thread(target=sign_in, args=(p,)) for p in passwords]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return users, refused


def test_parallel_guesses_check_at_most_max_failures_passwords(conn, monkeypatch) -> None:
    auth.add_user(conn, "cli", "zhang", "张三", "admin", None, "road-safe-2022")
    verified = _count_verifications(monkeypatch)
    stored = _stored_hash(conn, "zhang")
    t = datetime(2022, 9, 15, 9, 0)
    users, messages = _sign_ins_at_once(conn, [f"guess-{n:04d}" for n in range(40)], t)
    assert users == []
    assert verified.count(stored) == 5  # the other 35 were checked against a dummy hash
    assert len(verified) == 40
    assert messages == [FAILED] * 40
    assert _lock_state(conn) == (5, datetime(2022, 9, 15, 9, 15))
    assert _event_counts(conn) == {"创建": 1, "登录失败": 4, "锁定": 1, "登录被拒": 35}
    with pytest.raises(auth.AuthError):  # the right password waits for the lock to end
        auth.authenticate(conn, "zhang", "road-safe-2022", t + timedelta(minutes=1))
    assert verified.count(stored) == 5


def test_many_tabs_signing_in_at_once_with_the_right_password_all_get_in(conn) -> None:
    """More parallel sign-ins than max_failures: the claims past the limit wait for those in
    flight to settle (each success resets the count), then claim again."""
    auth.add_user(conn, "cli", "zhang", "张三", "admin", None, "road-safe-2022")
    t = datetime(2022, 9, 15, 9, 0)
    users, refused = _sign_ins_at_once(conn, ["road-safe-2022"] * 12, t)
    assert (users, refused) == (["zhang"] * 12, [])
    assert _lock_state(conn) == (0, None)
    assert _event_counts(conn) == {"创建": 1, "登录成功": 12}
    assert not auth._IN_FLIGHT  # every claimed attempt settled


def test_unknown_disabled_locked_and_wrong_look_the_same(conn, monkeypatch) -> None:
    auth.add_user(conn, "cli", "zhang", "张三", "admin", None, "road-safe-2022")
    auth.add_user(conn, "cli", "li", "李四", "admin", None, "road-safe-2022")
    auth.add_user(conn, "cli", "wang", "王五", "admin", None, "road-safe-2022")
    auth.set_disabled(conn, "cli", "li", True)
    t = datetime(2022, 9, 15, 9, 0)
    for _ in range(5):
        with pytest.raises(auth.AuthError):
            auth.authenticate(conn, "wang", "bad-pass-1", t)
    verified = _count_verifications(monkeypatch)
    messages = []
    for username, password in [
        ("nobody", "road-safe-2022"),  # unknown
        ("li", "road-safe-2022"),  # disabled, right password
        ("wang", "road-safe-2022"),  # locked, right password
        ("zhang", "bad-pass-1"),  # wrong password
    ]:
        with pytest.raises(auth.AuthError) as e:
            auth.authenticate(conn, username, password, t)
        messages.append(str(e.value))
    assert messages == [FAILED] * 4
    assert str(e.value) == auth.sign_in_failed_message(5, 15)
    # each cost exactly one Argon2 verification; only the last used an account's own hash
    assert len(verified) == 4
    assert verified[:3] == [auth._dummy_hash()] * 3
    assert verified[3] == _stored_hash(conn, "zhang")


def test_unknown_users_cost_a_password_check(conn, monkeypatch) -> None:
    """An unknown name takes as long as a wrong password: both pay one Argon2 verification."""
    import time

    auth.add_user(conn, "cli", "zhang", "张三", "admin", None, "road-safe-2022")
    auth.add_user(conn, "cli", "li", "李四", "admin", None, "road-safe-2022")
    auth.set_disabled(conn, "cli", "li", True)
    t = datetime(2022, 9, 15, 9, 0)
    reference = auth._hasher.hash("x-reference-1")

    def timed(call) -> float:
        began = time.perf_counter()
        try:
            call()
        except auth.AuthError:
            pass
        return time.perf_counter() - began

    calls = {
        "argon2": lambda: auth._verify(reference, "x-reference-2"),
        "wrong": lambda: auth.authenticate(conn, "zhang", "bad-pass-1", t, max_failures=99),
        "unknown": lambda: auth.authenticate(conn, "nobody", "bad-pass-1", t),
        "disabled": lambda: auth.authenticate(conn, "li", "bad-pass-1", t),
    }
    rounds = [{name: timed(call) for name, call in calls.items()} for _ in range(5)]
    # the fastest of interleaved rounds: other work on the machine slows single runs only
    argon2, wrong, unknown, disabled = (min(r[name] for r in rounds) for name in calls)
    for spent in (wrong, unknown, disabled):
        assert spent > 0.5 * argon2
    assert max(wrong, unknown, disabled) < 4 * min(wrong, unknown, disabled)


def test_session_expiry() -> None:
    start = datetime(2022, 9, 15, 8, 0)
    assert not auth.session_expired(
        start, start + timedelta(minutes=29), start + timedelta(minutes=58), 30, 12
    )
    assert auth.session_expired(start, start, start + timedelta(minutes=31), 30, 12)
    assert auth.session_expired(
        start, start + timedelta(hours=12), start + timedelta(hours=12, minutes=1), 30, 12
    )


def test_a_password_change_is_seen_by_older_sessions(conn) -> None:
    auth.add_user(conn, "cli", "zhao", "赵六", "admin", None, "road-safe-2022")
    signed_in = conn.execute("SELECT CAST(current_timestamp AS TIMESTAMP)").fetchone()[0]
    assert not auth.password_changed_since(conn, "zhao", signed_in - timedelta(minutes=1))
    auth.set_password(conn, "cli", "zhao", "new-pass-1234")
    assert auth.password_changed_since(conn, "zhao", signed_in - timedelta(seconds=1))
    assert not auth.password_changed_since(conn, "zhao", signed_in + timedelta(minutes=1))
