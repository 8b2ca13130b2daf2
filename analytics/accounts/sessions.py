"""Signed-in sessions, kept in the database so a reload, a new tab or a link stays signed in.

Signing in makes a random token (32 bytes); the browser keeps it in a cookie and the table
``sessions`` keeps only its SHA-256. Every tab of that browser, and every app process sharing the
database, finds the session from the cookie. A session ends after ``idle_minutes`` without activity
or ``max_hours`` in all, and at once for every session of an account when it signs out, is
disabled or has its password changed; an ended session is never revived. ``last_seen`` is written
at most once a minute (so the idle limit may end a session up to a minute early).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

COOKIE = "hazards_session"
TOKEN_BYTES = 32
TOUCH_EVERY = timedelta(minutes=1)
KEEP_ENDED = timedelta(days=30)  # finished sessions older than this are removed at a sign-in
REASONS = {
    "sign_out": "已退出登录，请重新登录。",
    "idle": "登录已超时，请重新登录。",
    "max_age": "登录已超时（超过最长保持时间），请重新登录。",
    "disabled": "账号已停用，请联系支队管理员。",
    "password": "账号密码已修改，请用新密码重新登录。",
    "restore": "数据已从备份恢复，请重新登录。",
}
_RETRIES = 5  # concurrent writes to one row conflict in DuckDB: the loser tries again


@dataclass(frozen=True)
class Lookup:
    """What a token finds: a live session's account, or why the session ended (both None:
    no such session)."""

    username: str | None = None
    created_at: datetime | None = None
    reason: str | None = None


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(conn: duckdb.DuckDBPyConnection, username: str, now: datetime) -> str:
    """Start a session for ``username``; return the token (stored nowhere but the cookie)."""
    token = new_token()
    conn.execute("DELETE FROM sessions WHERE coalesce(ended_at, last_seen) < ?", [now - KEEP_ENDED])
    conn.execute(
        "INSERT INTO sessions (token_hash, username, created_at, last_seen) VALUES (?, ?, ?, ?)",
        [token_hash(token), username, now, now],
    )
    return token


def lookup(
    conn: duckdb.DuckDBPyConnection,
    hashed: str,
    now: datetime,
    idle_minutes: int,
    max_hours: int,
) -> Lookup:
    """The live session with this token hash (its last_seen moved to ``now``, at most once a
    minute), or why it ended; a session found past a limit, or whose account was disabled or
    had its password changed since, is ended here."""
    row = conn.execute(
        "SELECT s.username, s.created_at, s.last_seen, s.end_reason,"
        " a.username IS NULL OR a.disabled,"
        " a.password_changed_at > a.created_at AND a.password_changed_at > s.created_at"
        " FROM sessions s LEFT JOIN accounts a ON a.username = s.username"
        " WHERE s.token_hash = ?",
        [hashed],
    ).fetchone()
    if row is None:
        return Lookup()
    username, created_at, last_seen, ended, disabled, password_changed = row
    if ended is None:
        if disabled:
            ended = "disabled"
        elif password_changed:
            ended = "password"
        elif now - created_at > timedelta(hours=max_hours):
            ended = "max_age"
        elif now - last_seen > timedelta(minutes=idle_minutes):
            ended = "idle"
        if ended:
            _write(
                conn,
                "UPDATE sessions SET ended_at = ?, end_reason = ?"
                " WHERE token_hash = ? AND ended_at IS NULL",
                [now, ended, hashed],
            )
    if ended:
        return Lookup(reason=REASONS.get(ended, REASONS["sign_out"]))
    if now - last_seen >= TOUCH_EVERY:
        _write(
            conn,
            "UPDATE sessions SET last_seen = ? WHERE token_hash = ? AND ended_at IS NULL"
            " AND last_seen < ?",
            [now, hashed, now],
        )
    return Lookup(username, created_at)


def end_all(
    conn: duckdb.DuckDBPyConnection, username: str, reason: str, now: datetime | None = None
) -> None:
    """End every live session of the account (``now``: the database's clock when not given)."""
    _write(
        conn,
        "UPDATE sessions SET ended_at = coalesce(?::TIMESTAMP, current_timestamp::TIMESTAMP),"
        " end_reason = ? WHERE username = ? AND ended_at IS NULL",
        [now, reason, username],
    )


def _write(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> None:
    for attempt in range(_RETRIES):
        try:
            conn.execute(sql, params)
            return
        except duckdb.TransactionException:
            if attempt == _RETRIES - 1:
                raise


def end_all_restored(conn: duckdb.DuckDBPyConnection) -> None:
    """End every session of a database just restored from a backup: the backup predates any
    sign-out, disabling or password change since, which must not be undone for a session."""
    conn.execute(
        "UPDATE sessions SET ended_at = current_timestamp::TIMESTAMP, end_reason = 'restore'"
        " WHERE ended_at IS NULL"
    )
