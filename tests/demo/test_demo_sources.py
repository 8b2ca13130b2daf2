"""The demo's 人·车·企 source-hazard lists (analytics/demo/sources.py, snapshots.py): replayed
through the real importer they give exactly the demo's snapshots, rows, cases and events; the
story figures (lagging units, reappearances, 约谈) hold, recomputed here with SQL."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest

from analytics.accounts import auth
from analytics.demo import build as demo
from analytics.demo import snapshots as demo_snapshots
from analytics.demo import sources as demo_sources
from analytics.ingest import sources as ingest_sources
from analytics.sources import config as sources_config
from analytics.store import db

ADMIN = auth.User("admin", "支队秩序科", "admin", None)
REPLAYED = "341226"
EMPTY_HEADER = {
    "vehicle": ["号牌号码", "号牌种类", "处理状态"],
    "driver": ["姓名", "身份证明号码", "准驾车型", "处理状态"],
    "enterprise": ["企业名称", "经营许可证号", "处理状态"],
}  # a lagging unit: clearings by word and by absence, reappearances


@pytest.fixture(scope="module")
def con(demo_db_path):
    conn = db.connect(demo_db_path, read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def config(fuyang):
    return sources_config.load(fuyang)


def _csv(title: str, rows: list[dict], header: list[str]) -> bytes:
    out = io.StringIO()
    out.write(title + "\n")
    w = csv.DictWriter(out, fieldnames=header)
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def _replay(conn, fuyang, config, lists, unit: str) -> None:
    for as_of in demo_sources.LIST_DATES:
        for ind in config.indicators:
            rows = lists.lists[(as_of, ind.code, unit)]
            file_rows = demo_sources.file_rows(ind, rows, lists.subjects)
            header = list(file_rows[0]) if file_rows else EMPTY_HEADER[ind.subject]
            # the platform's title line names the date: an unchanged (or empty) list is not a repeat
            title = f"{ind.label}清单（截至{as_of:%Y年%m月%d日}）"
            data = _csv(title, file_rows, header)
            result = ingest_sources.import_snapshot(
                conn,
                fuyang,
                ADMIN,
                f"{ind.code}-{as_of}.csv",
                data,
                now=demo_snapshots.imported_at(as_of),
                indicator=ind.code,
                as_of=as_of,
                unit=unit,
            )
            assert result.written, (ind.code, as_of, result.problems[:3])


def _cases(conn, unit: str) -> list[tuple]:
    return conn.execute(
        "SELECT c.indicator, c.subject_key, c.opened_on, c.state, c.cleared_on, c.cleared_how,"
        " c.version, n.as_of, m.as_of FROM source_cases c"
        " JOIN source_snapshots n ON n.snapshot_id = c.opened_snapshot"
        " LEFT JOIN source_snapshots m ON m.snapshot_id = c.cleared_snapshot"
        " WHERE c.unit_adcode = ? ORDER BY ALL",
        [unit],
    ).fetchall()


def _snapshots(conn, unit: str) -> list[tuple]:
    return conn.execute(
        "SELECT indicator, as_of, listed, cleared, opened FROM source_snapshots"
        " WHERE unit_adcode = ? ORDER BY ALL",
        [unit],
    ).fetchall()


def _rows(conn, unit: str) -> list[tuple]:
    rows = conn.execute(
        "SELECT n.indicator, n.as_of, r.subject_key, r.status, r.detail::VARCHAR"
        " FROM source_snapshot_rows r JOIN source_snapshots n USING (snapshot_id)"
        " WHERE n.unit_adcode = ? ORDER BY ALL",
        [unit],
    ).fetchall()
    return [(*r[:4], json.loads(r[4])) for r in rows]


def _events(conn, unit: str) -> list[tuple]:
    return conn.execute(
        "SELECT c.indicator, c.subject_key, c.opened_on, e.action, e.from_state, e.to_state,"
        " n.as_of, e.note FROM source_case_events e JOIN source_cases c USING (case_id)"
        " JOIN source_snapshots n ON n.snapshot_id = e.snapshot_id"
        " WHERE c.unit_adcode = ? ORDER BY ALL",
        [unit],
    ).fetchall()


def _subjects(conn, unit: str) -> list[tuple]:
    return conn.execute(
        "SELECT subject_key, subject, unit_adcode, plate, plate_kind, vehicle_kind, vehicle_type,"
        " use_nature, seats, name, id_number, licence_class, ab_class, phone, enterprise,"
        " licence_no, enterprise_kind FROM source_subjects WHERE unit_adcode = ? ORDER BY ALL",
        [unit],
    ).fetchall()


def test_replaying_a_units_lists_through_the_importer_gives_the_demos_cases(
    con, fuyang, config, tmp_path
):
    lists = demo.source_lists(fuyang, 2022)
    fresh = db.open_store(tmp_path / "replay.duckdb", fuyang)
    try:
        _replay(fresh, fuyang, config, lists, REPLAYED)
        assert _snapshots(fresh, REPLAYED) == _snapshots(con, REPLAYED)
        assert _rows(fresh, REPLAYED) == _rows(con, REPLAYED)
        assert _cases(fresh, REPLAYED) == _cases(con, REPLAYED)
        assert _events(fresh, REPLAYED) == _events(con, REPLAYED)
        assert _subjects(fresh, REPLAYED) == _subjects(con, REPLAYED)
    finally:
        fresh.close()


# --- the story, recomputed with SQL ----------------------------------------------------------


def test_lists_cover_every_unit_and_indicator_monthly(con, config):
    rows = con.execute(
        "SELECT indicator, unit_adcode, list(as_of ORDER BY as_of) FROM source_snapshots"
        " GROUP BY ALL"
    ).fetchall()
    assert len(rows) == 8 * len(config.indicators)
    assert {r[2][0] for r in rows} == {date(2021, 12, 31)}
    assert {len(r[2]) for r in rows} == {12}
    assert {r[2][-1] for r in rows} == {date(2022, 11, 30)}


def test_sizes_and_subjects_are_plausible(con):
    counts = dict(
        con.execute(
            "SELECT s.subject, count(DISTINCT c.case_id) FROM source_cases c"
            " JOIN source_subjects s USING (subject_key) GROUP BY 1"
        ).fetchall()
    )
    assert 300 <= counts["vehicle"] <= 500
    assert 150 <= counts["driver"] <= 300
    plates = [
        p
        for (p,) in con.execute(
            "SELECT plate FROM source_subjects WHERE plate IS NOT NULL"
        ).fetchall()
    ]
    assert all(re.fullmatch(r"皖K[A-Z0-9]{5}", p) for p in plates)
    ids = [
        n
        for (n,) in con.execute(
            "SELECT id_number FROM source_subjects WHERE id_number IS NOT NULL"
        ).fetchall()
    ]
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    for n in ids:
        assert n.startswith("3412") and len(n) == 18
        assert (
            n[-1]
            == "10X98765432"[sum(int(d) * w for d, w in zip(n[:17], weights, strict=True)) % 11]
        )
    (not_ab,) = con.execute(
        "SELECT count(*) FROM source_cases c JOIN source_subjects s USING (subject_key)"
        " WHERE c.indicator = 'D_REVIEW' AND NOT s.ab_class"
    ).fetchone()
    assert not_ab == 0
    (enterprises,) = con.execute(
        "SELECT count(DISTINCT coalesce(enterprise, CASE WHEN subject = 'enterprise' THEN name END))"
        " FROM source_subjects"
    ).fetchone()
    assert 24 <= enterprises <= 60


def test_most_units_clear_and_two_lag(con):
    def remaining(unit: str, d: date) -> int:
        return con.execute(
            "SELECT count(*) FROM source_cases WHERE unit_adcode = ?"
            " AND opened_on <= ? AND (cleared_on IS NULL OR cleared_on > ?)",
            [unit, d, d],
        ).fetchone()[0]

    start, end = date(2021, 12, 31), date(2022, 11, 30)
    units = [
        u
        for (u,) in con.execute(
            "SELECT DISTINCT unit_adcode FROM source_cases ORDER BY 1"
        ).fetchall()
    ]
    falling = {u for u in units if remaining(u, end) < remaining(u, start)}
    assert falling == set(units) - {"341225", "341226"}
    assert all(remaining(u, end) > remaining(u, start) for u in ("341225", "341226"))


def test_reappearances_follow_an_earlier_clearing(con):
    rows = con.execute(
        "SELECT c.case_id, (SELECT max(p.cleared_on) FROM source_cases p WHERE p.subject_key ="
        " c.subject_key AND p.indicator = c.indicator AND p.case_id <> c.case_id)"
        " FROM source_case_events e JOIN source_cases c USING (case_id)"
        " WHERE e.note = '清零后再次列入清单'"
    ).fetchall()
    assert 2 <= len(rows) <= 20
    assert all(before is not None for _c, before in rows)


def test_sightings_prove_vehicles_on_the_road(con):
    details = [
        json.loads(d)
        for (d,) in con.execute(
            "SELECT r.detail::VARCHAR FROM source_snapshot_rows r JOIN source_snapshots n"
            " USING (snapshot_id) WHERE n.indicator = 'V_DEREGISTERED_ON_ROAD'"
        ).fetchall()
    ]
    assert details
    for d in details:
        assert d["sightings"]
        for at, place in d["sightings"]:
            assert re.fullmatch(r"2022-\d\d-\d\d \d\d:\d\d:00", at) or at.startswith("2021-12")
            assert re.search(r"K\d+\+\d{3}$", place)


def test_two_summons_of_enterprises_over_the_threshold(con, config):
    rows = con.execute(
        "SELECT enterprise, summoned_on, open_cases FROM source_summons ORDER BY summoned_on"
    ).fetchall()
    assert [r[1] for r in rows] == [date(2022, 6, 20), date(2022, 8, 18)]
    for ent, on, n in rows:
        (now_open,) = con.execute(
            "SELECT count(*) FROM source_cases c JOIN source_subjects s USING (subject_key)"
            " WHERE coalesce(s.enterprise, CASE WHEN s.subject = 'enterprise' THEN s.name END) = ?"
            " AND c.opened_on <= ? AND (c.cleared_on IS NULL OR c.cleared_on > ?)",
            [ent, on, on],
        ).fetchone()
        assert n == now_open >= config.summons_threshold


def test_ids_continue_after_the_demo(demo_store):
    (top,) = demo_store.execute("SELECT max(case_id) FROM source_cases").fetchone()
    (nxt,) = demo_store.execute("SELECT nextval('source_case_seq')").fetchone()
    assert nxt == top + 1
