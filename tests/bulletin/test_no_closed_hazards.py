"""A bulletin drafts on a ledger where nothing has been closed yet (a new real database)."""

from __future__ import annotations

from datetime import date

from analytics.bulletin import content


def test_a_ledger_with_nothing_closed_still_drafts(conn):
    conn.execute("UPDATE hazards SET closed_date = NULL, state = '整改中' WHERE state <> '待认定'")
    conn.execute("UPDATE hazards SET voided_date = NULL")
    b = content.build(
        conn,
        date(2022, 3, 31),
        "month",
        horizon=15,
        issuer="支队",
        recipients="各大队",
        city="测试市",
    )
    assert b.figures["closed_in_period"] == 0
    # listed in March: h4 (no 入单日期: its 排查日期 03-01), h7 and h9 (03-01); h11 is 待认定, h6 April
    assert b.figures["new_in_period"] == 3
