"""Accounts: creating, signing in, locking out; who may do what is analytics/access.py.

Passwords are stored as Argon2id hashes; a new password has at least 10 characters, letters and
digits, is not in the shipped list of common passwords (analytics/data/common_passwords.txt), does not
contain the username, and is not the public demo password (allowed only for the demo accounts of
the demo database). Failed sign-ins count per account: each attempt is claimed (counted) before
its password is checked, and the claim reaching ``max_failures`` locks the account for
``lock_minutes``, so parallel guesses cannot check more (a refused attempt first waits for the
process's attempts still in flight: right passwords reset the count). Every refusal reads the
same and costs one Argon2 verification. Every change to an account and every sign-in attempt on
an existing account is appended to account_events.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from analytics import access
from analytics.accounts import sessions

USERNAME = re.compile(r"[A-Za-z0-9_.\-]{2,32}")
MIN_PASSWORD_LENGTH = 10
DEMO_PASSWORD = "demo2022"  # every demo account on the demo database, and nowhere else
PASSWORD_RULE = f"至少 {MIN_PASSWORD_LENGTH} 位，须同时含字母和数字，不能是常见密码，不能包含用户名"
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"
_hasher = PasswordHasher()


AuthError = access.AccessError  # sign-in or account problem; the message is Chinese
PermissionDenied = access.PermissionDenied
ROLES = access.ROLES


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    unit_adcode: str | None
    is_demo: bool = False

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    @property
    def actor(self) -> str:
        """How the user is named in histories: display name and username."""
        return f"{self.display_name}·{self.username}"


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lowercase; read once, on first use)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if (w := line.strip()) and not w.startswith("#"))


def password_problems(password: str, username: str = "", *, demo: bool = False) -> list[str]:
    """Why a new password is not acceptable (empty list: fine), every reason at once.

    ``demo``: the account is a demo account on the demo database, the one place the public
    demo password is allowed.
    """
    if demo and password == DEMO_PASSWORD:
        return []
    lowered = password.lower()
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("密码须同时包含字母和数字")
    if lowered.strip() in common_passwords():
        problems.append("密码过于常见，容易被猜中")
    if username and username.lower() in lowered:
        problems.append("密码不能包含用户名")
    if DEMO_PASSWORD in lowered:
        problems.append("不能使用公开的演示密码")
    return problems


def _demo_database(conn: duckdb.DuckDBPyConnection) -> bool:
    row = conn.execute("SELECT value FROM dataset WHERE key = 'is_demo'").fetchone()
    return bool(row and row[0] == "1")


def _check_password(
    conn: duckdb.DuckDBPyConnection, username: str, password: str, is_demo: bool
) -> None:
    demo = is_demo and _demo_database(conn)
    if problems := password_problems(password, username, demo=demo):
        raise AuthError("；".join(problems))


def add_user(
    conn: duckdb.DuckDBPyConnection,
    actor: str,
    username: str,
    display_name: str,
    role: str,
    unit_adcode: str | None,
    password: str,
    *,
    is_demo: bool = False,
) -> User:
    """Create an account (county accounts need their unit)."""
    if not USERNAME.fullmatch(username):
        raise AuthError("用户名须为 2–32 位字母、数字、下划线、点或短横线")
    if role not in ROLES:
        raise AuthError(f"无效的角色“{role}”（可用：{'、'.join(ROLES)}）")
    if role == "county":
        known = conn.execute("SELECT count(*) FROM units WHERE adcode = ?", [unit_adcode])
        if not unit_adcode or not known.fetchone()[0]:
            raise AuthError(f"区县大队账号须指定本市的单位代码（收到：{unit_adcode or '空'}）")
    else:
        unit_adcode = None
    _check_password(conn, username, password, is_demo)
    if conn.execute("SELECT count(*) FROM accounts WHERE username = ?", [username]).fetchone()[0]:
        raise AuthError(f"用户名“{username}”已存在")
    hashed = _demo_hash(password) if is_demo else _hash(password)
    conn.execute(
        "INSERT INTO accounts (username, display_name, role, unit_adcode, password_hash, is_demo)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [username, display_name, role, unit_adcode, hashed, is_demo],
    )
    _log(conn, username, actor, "创建", f"{ROLES[role]} {display_name}")
    return User(username, display_name, role, unit_adcode, is_demo)


def set_password(conn: duckdb.DuckDBPyConnection, actor: str, username: str, password: str) -> None:
    _require(conn, username)
    is_demo = conn.execute("SELECT is_demo FROM accounts WHERE username = ?", [username])
    _check_password(conn, username, password, is_demo.fetchone()[0])
    conn.execute(
        "UPDATE accounts SET password_hash = ?, password_changed_at = current_timestamp,"
        " failed_attempts = 0, locked_until = NULL WHERE username = ?",
        [_hash(password), username],
    )
    sessions.end_all(conn, username, "password")
    _log(conn, username, actor, "改密码")


def set_disabled(
    conn: duckdb.DuckDBPyConnection, actor: str, username: str, disabled: bool
) -> None:
    _require(conn, username)
    if disabled:
        me, admins = conn.execute(
            "SELECT count(*) FILTER (username = ?), count(*) FROM accounts"
            " WHERE role = 'admin' AND NOT disabled",
            [username],
        ).fetchone()
        if me == 1 and admins == 1:
            raise AuthError("不能停用最后一个启用的支队管理员账号，请先新建或启用另一个管理员")
    conn.execute("UPDATE accounts SET disabled = ? WHERE username = ?", [disabled, username])
    if disabled:
        sessions.end_all(conn, username, "disabled")
    _log(conn, username, actor, "停用" if disabled else "启用")


def unlock(conn: duckdb.DuckDBPyConnection, actor: str, username: str) -> None:
    """Clear an account's failed sign-ins and lock: it may sign in again at once."""
    _require(conn, username)
    with _SIGN_IN_LOCK:
        conn.execute(
            "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE username = ?",
            [username],
        )
    _log(conn, username, actor, "解锁")


def list_users(conn: duckdb.DuckDBPyConnection, now: datetime | None = None) -> pd.DataFrame:
    """Every account; ``locked``: locked at ``now`` (never, without a time)."""
    return conn.execute(
        "SELECT a.username, a.display_name, a.role, a.unit_adcode, u.name AS unit_name,"
        " a.disabled, a.is_demo, a.failed_attempts, a.locked_until,"
        " coalesce(a.locked_until > ?::TIMESTAMP, false) AS locked, a.created_at"
        " FROM accounts a LEFT JOIN units u ON u.adcode = a.unit_adcode ORDER BY a.username",
        [now],
    ).df()


def get_user(conn: duckdb.DuckDBPyConnection, username: str) -> User | None:
    row = conn.execute(
        "SELECT username, display_name, role, unit_adcode, is_demo FROM accounts"
        " WHERE username = ? AND NOT disabled",
        [username],
    ).fetchone()
    return User(*row) if row else None


def sign_in_failed_message(max_failures: int = 5, lock_minutes: int = 15) -> str:
    """The one answer to every refused sign-in: nothing tells which part was wrong."""
    return (
        "登录失败：用户名或密码不正确，或账号已停用、暂时锁定。"
        f"连续输错 {max_failures} 次账号将锁定 {lock_minutes} 分钟；如需帮助请联系支队管理员。"
    )


# Sign-in counters are claimed under this lock: DuckDB allows one writing process, so the lock
# covers every session of the app (each a thread with its own cursor). It is held for short
# statements only, never for the Argon2 check.
_SIGN_IN_LOCK = threading.Lock()
# At most this many Argon2 computations at once (each takes 64 MiB): a burst of sign-ins queues
# instead of exhausting memory.
_HASHING = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
# Claimed attempts of this process whose password is still being checked, per account. An
# attempt refused while some are in flight waits for them (at most _WAIT_FOR_CLAIMS_S) and claims
# again: many tabs signing in at once with the right password all get in, while wrong guesses
# still check at most max_failures passwords (the retry is refused while the lock holds).
_IN_FLIGHT: dict[str, int] = {}
_SETTLED = threading.Condition(_SIGN_IN_LOCK)
_WAIT_FOR_CLAIMS_S = 30.0

# Claim one attempt: count it (and lock the account when it is the last one allowed) before the
# password is checked, in one statement. Only a claimed attempt checks the password, and the claim
# that reaches max_failures locks the account in the same statement, so parallel guesses check at
# most max_failures passwords before the lock. An expired lock starts a new count. (A lowered
# limit locks at the next failure.)
_CLAIM_ATTEMPT = """
UPDATE accounts SET
    failed_attempts = CASE WHEN locked_until IS NULL THEN failed_attempts + 1 ELSE 1 END,
    locked_until = CASE
        WHEN (CASE WHEN locked_until IS NULL THEN failed_attempts + 1 ELSE 1 END) >= $max_failures
        THEN $lock_until END
WHERE username = $username AND NOT disabled AND (locked_until IS NULL OR locked_until <= $now)
RETURNING password_hash, failed_attempts
"""


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown, disabled and locked accounts."""
    return _hasher.hash(secrets.token_urlsafe(24))


def _verify(password_hash: str, password: str) -> bool:
    with _HASHING:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def authenticate(
    conn: duckdb.DuckDBPyConnection,
    username: str,
    password: str,
    now: datetime,
    max_failures: int = 5,
    lock_minutes: int = 15,
) -> User:
    """The user for these credentials, or AuthError; counts failures and locks the account.

    Unknown, disabled, locked and wrong-password attempts get the same message and cost the
    same: one Argon2 verification each.
    """
    refused = AuthError(sign_in_failed_message(max_failures, lock_minutes))
    dummy = _dummy_hash()  # made on the first sign-in of the process, whoever signs in
    lock_until = now + timedelta(minutes=lock_minutes)
    params = {
        "username": username,
        "now": now,
        "max_failures": max_failures,
        "lock_until": lock_until,
    }
    with _SETTLED:
        claimed = conn.execute(_CLAIM_ATTEMPT, params).fetchone()
        deadline = time.monotonic() + _WAIT_FOR_CLAIMS_S
        while claimed is None and _IN_FLIGHT.get(username) and time.monotonic() < deadline:
            # the lock may be only the count of this process's attempts still being checked
            # (many tabs signing in at once): wait for them to settle, then claim again
            _SETTLED.wait(timeout=deadline - time.monotonic())
            claimed = conn.execute(_CLAIM_ATTEMPT, params).fetchone()
        if claimed is not None:
            _IN_FLIGHT[username] = _IN_FLIGHT.get(username, 0) + 1
        else:
            state = conn.execute(
                "SELECT disabled FROM accounts WHERE username = ?", [username]
            ).fetchone()
            if state is not None:
                _log(
                    conn, username, username, "登录被拒", "账号已停用" if state[0] else "账号已锁定"
                )
    if claimed is None:
        _verify(dummy, password)
        raise refused
    password_hash, attempt = claimed
    right = False
    try:
        right = _verify(password_hash, password)
    finally:
        with _SETTLED:  # this attempt has settled (a right one resets the count): wake the waiting
            try:
                if right:
                    conn.execute(
                        "UPDATE accounts SET failed_attempts = 0, locked_until = NULL"
                        " WHERE username = ?",
                        [username],
                    )
            finally:
                _IN_FLIGHT[username] -= 1
                if not _IN_FLIGHT[username]:
                    del _IN_FLIGHT[username]
                _SETTLED.notify_all()
    if not right:
        _log(
            conn,
            username,
            username,
            "锁定" if attempt >= max_failures else "登录失败",
            f"第 {attempt} 次",
        )
        raise refused
    _log(conn, username, username, "登录成功")
    user = get_user(conn, username)
    if user is None:  # disabled while the password was being checked
        raise refused
    return user


def session_expired(
    signed_in_at: datetime,
    last_seen: datetime,
    now: datetime,
    idle_minutes: int,
    max_hours: int,
) -> bool:
    """A session ends after ``idle_minutes`` without activity or ``max_hours`` in all."""
    return now - last_seen > timedelta(minutes=idle_minutes) or now - signed_in_at > timedelta(
        hours=max_hours
    )


def password_changed_since(conn: duckdb.DuckDBPyConnection, username: str, t: datetime) -> bool:
    """Whether the account's password was changed after ``t`` (sessions from before then end)."""
    row = conn.execute(
        "SELECT password_changed_at > created_at AND password_changed_at > ? FROM accounts"
        " WHERE username = ?",
        [t, username],
    ).fetchone()
    return bool(row and row[0])


def demo_accounts_active(conn: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        conn.execute("SELECT count(*) FROM accounts WHERE is_demo AND NOT disabled").fetchone()[0]
    )


def account_count(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT count(*) FROM accounts").fetchone()[0]


def _require(conn: duckdb.DuckDBPyConnection, username: str) -> None:
    if not conn.execute("SELECT count(*) FROM accounts WHERE username = ?", [username]).fetchone()[
        0
    ]:
        raise AuthError(f"账号“{username}”不存在")


def _hash(password: str) -> str:
    with _HASHING:
        return _hasher.hash(password)


@functools.cache
def _demo_hash(password: str) -> str:
    """One hash for every demo account: their password is public, and ten slow hashes were
    three seconds of the first start."""
    return _hash(password)


def _log(
    conn: duckdb.DuckDBPyConnection, username: str, actor: str, action: str, note: str | None = None
) -> None:
    conn.execute(
        "INSERT INTO account_events (username, actor, action, note) VALUES (?, ?, ?, ?)",
        [username, actor, action, note],
    )
