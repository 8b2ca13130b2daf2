"""Personal information (个人信息保护法): how names, ID numbers and phone numbers read in lists
(masked) and who may see them in full (the access policy's view_pii: the detachment, and a brigade
for its own unit). Every full view is recorded in pii_views (操作日志)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from analytics import access

PERSONAL = ("name", "id_number", "phone")  # the subject fields masked in lists


def mask_name(name: str | None) -> str | None:
    """张*明, 李*, 欧阳**华: the first and last character kept (one character: *)."""
    if not isinstance(name, str) or not name:  # None, or a table's missing value (NaN)
        return name
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_number(number: str | None) -> str | None:
    """3412**********1234 (ID numbers), 138****5678 (phones): the first 4 (a phone's 3) and the
    last 4 kept; 8 characters or fewer: all masked."""
    if not isinstance(number, str) or not number:  # None, or a table's missing value (NaN)
        return number
    n = len(number)
    if n <= 8:
        return "*" * n
    head = 3 if n == 11 and number.isdigit() else 4
    return number[:head] + "*" * (n - head - 4) + number[-4:]


MASKS = {"name": mask_name, "id_number": mask_number, "phone": mask_number}


def masked(subject: str, record: dict) -> dict:
    """The record with its personal fields masked. An enterprise's name is not personal; a
    vehicle's owner named as a person (no enterprise) is."""
    out = dict(record)
    for f in PERSONAL:
        if f in out and not (f == "name" and subject == "enterprise"):
            out[f] = MASKS[f](out[f])
    return out


def entitled(user: access.UserLike, unit: str | None) -> bool:
    """Whether ``user`` may see the personal information of ``unit``'s subjects in full."""
    return access.can(user, "view_pii", unit)


def log_view(
    conn: duckdb.DuckDBPyConnection,
    actor: str,
    what: str,
    now: datetime,
    *,
    case_id: int | None = None,
    subject_key: str | None = None,
    subjects: int = 1,
) -> None:
    """Record one full view (案件详情) or unmasked download (下载) of personal information."""
    conn.execute(
        "INSERT INTO pii_views (viewed_at, actor, what, case_id, subject_key, subjects)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [now, actor, what, case_id, subject_key, subjects],
    )
