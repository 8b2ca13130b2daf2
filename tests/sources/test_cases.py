"""Source-hazard cases: what a snapshot does (worked out by hand), clearing by hand with
acceptance, 约谈, and the figures of a small hand-made history."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from analytics import access
from analytics.accounts import auth
from analytics.sources import cases, figures
from analytics.sources import config as sources_config
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
EAST, WEST = "990101", "990102"
ADMIN = auth.User("a", "支队秩序科", "admin", None)
EAST_BRIGADE = auth.User("e", "东区大队", "county", EAST)
WEST_BRIGADE = auth.User("w", "西区大队", "county", WEST)
LEADER = auth.User("l", "领导甲", "leader", None)
CONFIG = sources_config.parse(
    {
        "campaign": {"name": "清零行动", "start": date(2022, 1, 1), "summons_threshold": 2},
        "indicators": [
            {"code": "V1", "name": "逾期未检验", "subject": "vehicle", "clear_words": ["已检验"]},
            {"code": "D1", "name": "逾期未审验", "subject": "driver", "clear_words": ["已审验"]},
        ],
    }
)


def test_a_snapshot_opens_keeps_and_clears_cases() -> None:
    # open before: A (case 1), B (case 2), C (case 3). The list names A as a hazard, B with the
    # clearing word, D and E anew (E was cleared once before), F with a clearing word and no case.
    out = cases.outcome(
        {"A": 1, "B": 2, "C": 3},
        {"A": None, "B": "已检验", "D": None, "E": None, "F": "已检验"},
        cleared_before={"E", "C"},
    )
    assert out.still_open == [1]
    assert out.opened == ["D", "E"] and out.reappeared == {"E"}
    assert out.cleared == [(2, "B", "已检验"), (3, "C", cases.ABSENT)]
    assert out.cleared_without_case == 1


def test_an_empty_list_clears_every_open_case() -> None:
    out = cases.outcome({"A": 1, "B": 2}, {}, set())
    assert out.cleared == [(1, "A", cases.ABSENT), (2, "B", cases.ABSENT)]
    assert (out.opened, out.still_open) == ([], [])


@pytest.fixture
def conn(tmp_path, tiny_city):  # ANN201
    c = db.open_store(tmp_path / "s.duckdb", tiny_city)
    yield c
    c.close()


def _subject(conn, key: str, unit: str, enterprise: str | None = None) -> None:
    kind = {"V": "vehicle", "D": "driver", "E": "enterprise"}[key[0]]
    conn.execute(
        "INSERT INTO source_subjects (subject_key, subject, unit_adcode, plate, name, id_number,"
        " phone, enterprise, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            key,
            kind,
            unit,
            key[2:] if kind == "vehicle" else None,
            "欧阳建华" if kind == "driver" else None,
            "341202199001011234" if kind == "driver" else None,
            "13812345678",
            enterprise,
            NOW,
        ],
    )


def _history(conn) -> dict[str, int]:
    """A hand-made history (east unless said):
    case 1 V1 皖K00001 opened 01-31, cleared 03-31 (list)
    case 2 V1 皖K00002 opened 01-31, still open
    case 3 V1 皖K00003 opened 02-28, cleared 04-30 (已检验)
    case 4 D1 driver    opened 03-31, still open
    case 5 V1 皖K00005 opened 01-31 in the west, cleared 02-28
    case 6 V1 皖K00001 opened 05-31 (reappeared), still open
    """
    for key, unit, ent in [
        ("V:皖K00001", EAST, "东运公司"),
        ("V:皖K00002", EAST, "东运公司"),
        ("V:皖K00003", EAST, "西运公司"),
        ("D:341202199001011234", EAST, "东运公司"),
        ("V:皖K00005", WEST, None),
    ]:
        _subject(conn, key, unit, ent)
    ids = {}
    for name, ind, key, unit, opened in [
        ("c1", "V1", "V:皖K00001", EAST, date(2022, 1, 31)),
        ("c2", "V1", "V:皖K00002", EAST, date(2022, 1, 31)),
        ("c3", "V1", "V:皖K00003", EAST, date(2022, 2, 28)),
        ("c4", "D1", "D:341202199001011234", EAST, date(2022, 3, 31)),
        ("c5", "V1", "V:皖K00005", WEST, date(2022, 1, 31)),
    ]:
        ids[name] = cases.open_case(conn, ind, key, unit, opened, "t", NOW)
    cases.clear_case(conn, ids["c1"], date(2022, 3, 31), cases.ABSENT, "t", NOW)
    cases.clear_case(conn, ids["c3"], date(2022, 4, 30), "已检验", "t", NOW)
    cases.clear_case(conn, ids["c5"], date(2022, 2, 28), cases.ABSENT, "t", NOW)
    ids["c6"] = cases.open_case(conn, "V1", "V:皖K00001", EAST, date(2022, 5, 31), "t", NOW)
    return ids


def test_figures_of_a_period_worked_out_by_hand(conn) -> None:
    _history(conn)
    # period (02-28, 05-31]:
    # east V1: open on 02-28: c1, c2, c3 (opened on 02-28) → 存量 3; new: c6 → 1;
    #   cleared: c1 (03-31), c3 (04-30) → 2; open on 05-31: c2, c6 → 余量 2; oldest c2 (01-31):
    #   120 days; 清零率 2 / 4 = 50%
    # east D1: 存量 0, new c4 (03-31), cleared 0, 余量 1, oldest 61 days, rate 0
    # west V1: c5 cleared on 02-28 (not after the start): 存量 0, new 0, cleared 0, 余量 0, no rate
    df = figures.figures(conn, CONFIG, date(2022, 2, 28), date(2022, 5, 31))
    got = {
        (r.unit_adcode, r.indicator): tuple(
            None if pd.isna(x) else x
            for x in (r.stock, r.new, r.cleared, r.remaining, r.oldest_days, r.rate)
        )
        for r in df.itertuples()
    }
    assert got == {
        (EAST, "V1"): (3, 1, 2, 2, 120, 0.5),
        (EAST, "D1"): (0, 1, 0, 1, 61, 0.0),
        (WEST, "V1"): (0, 0, 0, 0, None, None),
    }
    units = figures.rank_units(figures.totals(df, "unit_adcode", date(2022, 5, 31)))
    # east: 2 cleared of 3 + 2 = 40%, 余量 3; west: nothing to clear → ranked last
    assert units[["unit_adcode", "rank", "remaining"]].values.tolist() == [
        [EAST, 1, 3],
        [WEST, 2, 0],
    ]
    assert units.rate.iloc[0] == pytest.approx(0.4)


def test_enterprises_by_open_cases_and_summons(conn) -> None:
    _history(conn)
    # on 05-31 open: c2 (东运), c4 (driver, 东运), c6 (东运) → 东运 3; 西运's c3 cleared on 04-30
    ents = figures.enterprises(conn, CONFIG, date(2022, 5, 31))
    assert ents[["enterprise", "open_cases", "vehicles", "drivers"]].values.tolist() == [
        ["东运公司", 3, 2, 1]
    ]
    assert ents.for_summons.tolist() == [True]  # threshold 2
    sid = cases.record_summons(conn, ADMIN, "东运公司", EAST, date(2022, 9, 1), "约谈负责人", NOW)
    assert conn.execute(
        "SELECT enterprise, open_cases, recorded_by FROM source_summons WHERE summons_id = ?", [sid]
    ).fetchone() == ("东运公司", 3, "支队秩序科·a")
    later = figures.enterprises(conn, CONFIG, date(2022, 9, 15))
    assert (later.summons.iloc[0], later.last_summons.iloc[0].date()) == (1, date(2022, 9, 1))
    with pytest.raises(access.PermissionDenied):
        cases.record_summons(conn, EAST_BRIGADE, "东运公司", EAST, date(2022, 9, 1), "", NOW)
    with pytest.raises(cases.CaseError, match="晚于今天"):
        cases.record_summons(conn, ADMIN, "东运公司", EAST, date(2022, 9, 21), "", NOW)


def _evidence(conn) -> list[tuple[str, str]]:
    conn.execute(
        "INSERT INTO attachments (sha256, mime, size_bytes) VALUES (?, 'image/png', 10)",
        ["ab" * 32],
    )
    return [("ab" * 32, "检验合格证明.png")]


def test_clearing_by_hand_is_asked_with_evidence_and_accepted(conn) -> None:
    ids = _history(conn)
    c2 = ids["c2"]
    with pytest.raises(cases.CaseError, match="证明材料"):
        cases.request_clear(conn, EAST_BRIGADE, c2, 1, "已检验", [], NOW)
    with pytest.raises(cases.CaseError, match="情况说明"):
        cases.request_clear(conn, EAST_BRIGADE, c2, 1, "  ", _evidence(conn), NOW)
    with pytest.raises(access.PermissionDenied):
        cases.request_clear(conn, WEST_BRIGADE, c2, 1, "已检验", [("ab" * 32, "x.png")], NOW)
    cases.request_clear(conn, EAST_BRIGADE, c2, 1, "车辆已检验", [("ab" * 32, "证明.png")], NOW)
    assert conn.execute(
        "SELECT state, version FROM source_cases WHERE case_id = ?", [c2]
    ).fetchone() == (
        cases.REQUESTED,
        2,
    )
    with pytest.raises(cases.CaseError, match="刷新"):  # a stale form (double click)
        cases.request_clear(conn, EAST_BRIGADE, c2, 1, "车辆已检验", [("ab" * 32, "证明.png")], NOW)
    with pytest.raises(access.PermissionDenied):
        cases.accept_clear(conn, EAST_BRIGADE, c2, 2, "", NOW)
    # still open while waiting: 余量 counts it
    assert (
        figures.figures(conn, CONFIG, date(2022, 1, 1), date(2022, 9, 20))
        .query("unit_adcode == @EAST and indicator == 'V1'")
        .remaining.item()
        == 2
    )
    cases.accept_clear(conn, ADMIN, c2, 2, "材料齐全", NOW)
    assert conn.execute(
        "SELECT state, cleared_on, cleared_how FROM source_cases WHERE case_id = ?", [c2]
    ).fetchone() == (cases.CLEARED, date(2022, 9, 20), cases.BY_HAND)
    events = conn.execute(
        "SELECT action, from_state, to_state, actor, note FROM source_case_events WHERE case_id = ?"
        " ORDER BY event_id",
        [c2],
    ).fetchall()
    assert events == [
        ("新增", None, "未清零", "t", None),
        ("申请清零", "未清零", "待验收", "东区大队·e", "车辆已检验"),
        ("验收清零", "待验收", "已清零", "支队秩序科·a", "材料齐全"),
    ]
    detail = cases.case_detail(conn, ADMIN, c2, NOW)
    assert [e["file_name"] for e in detail["evidence"]] == ["证明.png"]


def test_a_rejected_hand_clearing_reopens_the_case(conn) -> None:
    ids = _history(conn)
    c4 = ids["c4"]
    cases.request_clear(conn, EAST_BRIGADE, c4, 1, "已审验", _evidence(conn), NOW)
    with pytest.raises(cases.CaseError, match="退回理由"):
        cases.reject_clear(conn, ADMIN, c4, 2, " ", NOW)
    cases.reject_clear(conn, ADMIN, c4, 2, "材料不清晰", NOW)
    assert conn.execute(
        "SELECT state, version FROM source_cases WHERE case_id = ?", [c4]
    ).fetchone() == (
        cases.OPEN,
        3,
    )
    with pytest.raises(cases.CaseError, match="没有待验收"):
        cases.accept_clear(conn, ADMIN, c4, 3, "", NOW)


def test_lists_are_masked_for_every_role_and_scoped_for_a_brigade(conn) -> None:
    _history(conn)
    for viewer in (ADMIN, LEADER, EAST_BRIGADE):
        df = cases.case_list(conn, viewer, indicator="D1")
        assert df[["name", "id_number", "phone"]].values.tolist() == [
            ["欧**华", "3412**********1234", "138****5678"]
        ]
    assert set(cases.case_list(conn, LEADER).unit_adcode) == {EAST, WEST}
    assert set(cases.case_list(conn, EAST_BRIGADE).unit_adcode) == {EAST}
    with pytest.raises(access.PermissionDenied):
        cases.case_list(conn, EAST_BRIGADE, unit=WEST)


def test_a_full_view_is_for_the_entitled_and_recorded(conn) -> None:
    ids = _history(conn)
    c4 = ids["c4"]
    masked = cases.case_detail(conn, LEADER, c4, NOW)
    assert (masked["subject"]["name"], masked["subject"]["id_number"]) == (
        "欧**华",
        "3412**********1234",
    )
    assert not masked["entitled"]
    with pytest.raises(access.PermissionDenied):
        cases.case_detail(conn, LEADER, c4, NOW, reveal=True)
    with pytest.raises(access.PermissionDenied):
        cases.case_detail(conn, WEST_BRIGADE, c4, NOW)
    assert conn.execute("SELECT count(*) FROM pii_views").fetchone() == (0,)
    full = cases.case_detail(conn, EAST_BRIGADE, c4, NOW, reveal=True)
    assert (full["subject"]["name"], full["subject"]["id_number"]) == (
        "欧阳建华",
        "341202199001011234",
    )
    assert conn.execute("SELECT actor, what, case_id, subject_key FROM pii_views").fetchall() == [
        ("东区大队·e", "案件详情", c4, "D:341202199001011234")
    ]
    # the reappeared vehicle's detail lists its earlier case
    detail = cases.case_detail(conn, ADMIN, ids["c6"], NOW)
    assert detail["other_cases"][["case_id", "cleared_how"]].values.tolist() == [
        [ids["c1"], cases.ABSENT]
    ]
