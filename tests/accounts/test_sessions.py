"""Signed-in sessions in the database: one per sign-in, shared by every tab and process."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from analytics.accounts import auth, sessions
from analytics.store import db

T0 = datetime(2026, 12, 2, 9, 0)
IDLE, MAX = 30, 12  # minutes idle, hours in all


@pytest.fixture
def conn(tmp_path, tiny_city):
    c = db.open_store(tmp_path / "s.duckdb", tiny_city)
    auth.add_user(c, "cli", "zhao", "赵六", "admin", None, "road-safe-2022")
    auth.add_user(c, "cli", "qian", "钱七", "admin", None, "road-safe-2022")
    return c


def _look(conn, token: str, now: datetime) -> sessions.Lookup:
    return sessions.lookup(conn, sessions.token_hash(token), now, IDLE, MAX)


def test_a_session_is_stored_only_hashed(conn) -> None:
    token = sessions.create(conn, "zhao", T0)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert sessions.token_hash(token) == hashlib.sha256(token.encode("ascii")).hexdigest()
    rows = conn.execute("SELECT * FROM sessions").fetchall()
    assert len(rows) == 1 and token not in str(rows)
    assert rows[0][:4] == (sessions.token_hash(token), "zhao", T0, T0)
    found = _look(conn, token, T0 + timedelta(minutes=5))
    assert (found.username, found.created_at, found.reason) == ("zhao", T0, None)
    assert sessions.create(conn, "zhao", T0) != token  # every sign-in its own token


def test_an_unknown_token_finds_nothing(conn) -> None:
    found = _look(conn, "not-a-token", T0)
    assert (found.username, found.reason) == (None, None)


def test_last_seen_is_written_at_most_once_a_minute(conn) -> None:
    token = sessions.create(conn, "zhao", T0)

    def seen() -> datetime:
        return conn.execute("SELECT last_seen FROM sessions").fetchone()[0]

    _look(conn, token, T0 + timedelta(seconds=30))
    assert seen() == T0
    _look(conn, token, T0 + timedelta(seconds=61))
    assert seen() == T0 + timedelta(seconds=61)


def test_idle_expiry(conn) -> None:
    token = sessions.create(conn, "zhao", T0)
    assert _look(conn, token, T0 + timedelta(minutes=29)).username == "zhao"
    assert _look(conn, token, T0 + timedelta(minutes=58)).username == "zhao"  # active at 29
    found = _look(conn, token, T0 + timedelta(minutes=58 + 31))
    assert found.username is None and "超时" in found.reason
    assert conn.execute("SELECT end_reason FROM sessions").fetchone()[0] == "idle"
    # ended for good: a later request (a clock within the limit) does not revive it
    assert _look(conn, token, T0 + timedelta(minutes=60)).username is None


def test_absolute_expiry(conn) -> None:
    token = sessions.create(conn, "zhao", T0)
    for minutes in range(20, 12 * 60, 20):  # active all day
        assert _look(conn, token, T0 + timedelta(minutes=minutes)).username == "zhao"
    found = _look(conn, token, T0 + timedelta(hours=12, minutes=1))
    assert found.username is None and "超时" in found.reason
    assert conn.execute("SELECT end_reason FROM sessions").fetchone()[0] == "max_age"


def test_signing_out_ends_every_session_of_that_account(conn) -> None:
    a, b = sessions.create(conn, "zhao", T0), sessions.create(conn, "zhao", T0)
    other = sessions.create(conn, "qian", T0)
    sessions.end_all(conn, "zhao", "sign_out", T0 + timedelta(minutes=1))
    for token in (a, b):
        found = _look(conn, token, T0 + timedelta(minutes=2))
        assert found.username is None and "退出登录" in found.reason
    assert _look(conn, other, T0 + timedelta(minutes=2)).username == "qian"


def test_disabling_the_account_ends_its_sessions(conn) -> None:
    a, b = sessions.create(conn, "zhao", T0), sessions.create(conn, "zhao", T0)
    auth.set_disabled(conn, "admin", "zhao", True)
    assert conn.execute(
        "SELECT list(end_reason) FROM sessions WHERE ended_at IS NOT NULL"
    ).fetchone()[0] == ["disabled", "disabled"]
    auth.set_disabled(conn, "admin", "zhao", False)  # enabled again: the old sessions stay ended
    for token in (a, b):
        assert "停用" in _look(conn, token, T0 + timedelta(minutes=1)).reason


def test_a_disabled_account_is_refused_even_if_its_sessions_were_not_ended(conn) -> None:
    token = sessions.create(conn, "zhao", T0)
    conn.execute("UPDATE accounts SET disabled = true WHERE username = 'zhao'")  # e.g. a restore
    found = _look(conn, token, T0 + timedelta(minutes=1))
    assert found.username is None and "停用" in found.reason


def test_a_password_change_ends_every_session_of_that_account(conn) -> None:
    now = conn.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
    a, b = sessions.create(conn, "zhao", now), sessions.create(conn, "zhao", now)
    other = sessions.create(conn, "qian", now)
    auth.set_password(conn, "admin", "zhao", "new-pass-1234")
    for token in (a, b):
        found = _look(conn, token, now + timedelta(minutes=1))
        assert found.username is None and "密码已修改" in found.reason
    assert _look(conn, other, now + timedelta(minutes=1)).username == "qian"
    assert (
        _look(
            conn,
            sessions.create(conn, "zhao", now + timedelta(minutes=1)),
            now + timedelta(minutes=2),
        ).username
        == "zhao"
    )


def test_long_finished_sessions_are_purged_on_sign_in(conn) -> None:
    old = sessions.create(conn, "zhao", T0 - timedelta(days=40))
    sessions.create(conn, "zhao", T0)
    assert _look(conn, old, T0).username is None
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
