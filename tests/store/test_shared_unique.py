"""A mirror catches up on tables with a UNIQUE constraint besides their key (bulletins, units):
another process's new and changed rows arrive (DuckDB refuses INSERT OR REPLACE on them)."""

from __future__ import annotations

from analytics.store import mirror

BULLETIN = (
    "INSERT INTO bulletins (year, number, period, as_of, dated, title, issued_by, issued_at,"
    " content, docx, xlsx, docx_sha256, xlsx_sha256) VALUES (2022, ?, 'week', ?, ?, ?, 'admin',"
    " TIMESTAMP '2022-03-31 10:00', '{}', '\\x00'::BLOB, '\\x00'::BLOB, 'a', 'b')"
)


def test_new_and_changed_rows_of_a_table_with_a_second_unique_constraint_arrive(
    pg_url, tiny_city
) -> None:
    a = mirror.open_store(pg_url, tiny_city)
    b = mirror.open_store(pg_url, tiny_city)
    a.execute(BULLETIN, [1, "2022-03-07", "2022-03-07", "第1期"])
    b.sync()
    a.execute(BULLETIN, [2, "2022-03-14", "2022-03-14", "第2期"])
    a.execute("UPDATE bulletins SET title = '第1期（更正）' WHERE number = 1")
    a.execute("UPDATE units SET name = '东城区' WHERE adcode = '990101'")
    b.sync()
    assert b.execute("SELECT number, title FROM bulletins ORDER BY number").fetchall() == [
        (1, "第1期（更正）"),
        (2, "第2期"),
    ]
    assert b.execute("SELECT name FROM units WHERE adcode = '990101'").fetchall() == [("东城区",)]
    a.close()
    b.close()
