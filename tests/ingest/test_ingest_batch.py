"""Checking rows column by column (analytics.ingest.batch) against the row-by-row check
(rules.check_row), the one authority: on generated rows of valid, odd and hostile cells of every
type a reader gives, every row the row check finds clean gets the very same record from the
batch, and every other row is left to the row check. Then whole imports with and without it."""

from __future__ import annotations

import io
import math
import random
from datetime import date, datetime

import pandas as pd
import pytest

from analytics.accounts import auth
from analytics.ingest import batch, checks, hazards, headers, rules
from analytics.store import db
from tests.ingest import test_fuzz_imports as fuzz

ADMIN = auth.User("admin", "支队秩序科", "admin", None)
YINGSHANG = auth.User("yingshang", "颍上县大队", "county", "341226")
NOW = datetime(2022, 9, 20, 9, 0)

VALID = {
    "hazard_id": ["H1", "H2", " H3 ", "'=H4", "H\u30005"],
    "unit": ["颍上县", "颍上", "341226", "临泉县", "颍州区", None],
    "road_name": ["G105", "S202", " 颍河路 "],
    "stakes": [None, None, "K12+300-K12+800", "K5+000", "12公里至13公里"],
    "start_stake": [None, "K12+300", "K0+000", 12.5, "123公里500米"],
    "end_stake": [None, "K12+800", 13, "K12+300"],
    "found_date": ["2022-06-03", "2022/6/3", "2022年6月3日", 44714, datetime(2022, 6, 3, 8)],
    "listed_date": [None, "2022-06-10", date(2022, 6, 10)],
    "deadline": [None, "2022-09-30", 44834.0, "2030-01-01"],
    "closed_date": [None, None, "2022-08-01"],
    "accepted_date": [None, "2022-08-05"],
    "risk_grade": [None, "重大", "一级", "III级", "较大隐患"],
    "supervision_level": [None, "", "省级", "市挂牌督办", "无"],
    "funds_wan": [None, "12.5", 3, 0.0, "1,200"],
    "state": [None, "整改中", "已销号", "待认定", "已入单"],
    "closed": [None, "是", "否", 0, 1],
    "coord_system": [None, "GCJ02", "WGS84", "BD09"],
}
# the property test's odd texts (tests/ingest/test_fuzz_imports.py), a few more, and the other
# types a reader gives
ODD = [
    *fuzz.ODD,
    None,
    "2031-01-01",
    "1999-12-31",
    "坏",
    "火星",
    0,
    -0.0,
    1,
    1.0,
    True,
    False,
    math.nan,
    1e308,
    44834,
    date(2022, 6, 3),
    datetime(1999, 1, 1),
]
FIELDS = list(headers.HAZARD_HEADERS)
ALWAYS = ("hazard_id", "unit", "road_name", "found_date")  # (else no row is clean)
POINTS = [(None, None), ("115.81", "32.63"), (115.81, 32.63), ("0", 0), ("32.63", "115.81")]


def _rows(seed: int, n: int, odd: float) -> tuple[list[dict], dict[str, str]]:
    """n rows of a file with a random set of the columns: mostly valid cells, some odd."""
    rnd = random.Random(seed)
    present = [f for f in FIELDS if f in ALWAYS or rnd.random() < 0.8]
    names = {f: headers.HAZARD_HEADERS[f][0] for f in present}
    file_system = rnd.choice([None, None, "GCJ02", "火星"])
    raws = []
    for _ in range(n):
        raw = {
            f: rnd.choice(ODD) if rnd.random() < odd else rnd.choice(VALID.get(f, ["文字", None]))
            for f in present
        }
        if "lon" in raw and "lat" in raw and rnd.random() > odd:
            raw["lon"], raw["lat"] = rnd.choice(POINTS)
        raw["_file_coord_system"] = file_system
        raws.append(raw)
    return raws, names


def _batch(raws: list[dict], names: dict[str, str], context: checks.Context) -> list:
    """batch.check_rows of rows given as the row check takes them."""
    fields = {f for raw in raws for f in raw}
    columns = {f: [raw.get(f) for raw in raws] for f in fields}
    return batch.check_rows(hazards.ROWS, columns, len(raws), names, context)


@pytest.mark.parametrize("user", [ADMIN, YINGSHANG], ids=["admin", "county"])
@pytest.mark.parametrize("seed", range(6))
def test_every_clean_row_gets_the_row_checks_record_and_no_other(fuyang, user, seed) -> None:
    raws, names = _rows(seed, 1500, odd=(0.002, 0.01, 0.05)[seed % 3])
    fast = _batch(raws, names, checks.Context(fuyang, user))
    context = checks.Context(fuyang, user)  # (a fresh one: the batch fills its unit cache)
    slow = [rules.check_row(hazards.ROWS, raw, names, n, context) for n, raw in enumerate(raws, 2)]
    clean = [
        i
        for i, (rec, problems, warnings) in enumerate(slow)
        if not (problems or warnings or rec["_if_new"])
    ]
    assert [i for i, rec in enumerate(fast) if rec is not None] == clean
    assert all(fast[i] == slow[i][0] for i in clean)
    assert all(fast[i]["_names"] is names and fast[i]["_if_new"] == [] for i in clean)
    # the generator makes both kinds (the comparison is not of empty lists)
    assert 0.05 * len(raws) < len(clean) < len(raws)


def test_each_clean_row_has_its_own_list_of_new_id_problems(fuyang) -> None:
    raws, names = _rows(1, 50, odd=0.0)
    fast = [r for r in _batch(raws, names, checks.Context(fuyang, ADMIN)) if r]
    assert len({id(r["_if_new"]) for r in fast}) == len(fast) > 1


@pytest.mark.parametrize("flag", [0, 0.0, "", "否", False])
def test_a_closed_flag_that_is_only_zeros_or_blanks_is_still_read(fuyang, flag) -> None:
    """是否销号 of 0 is a flag (否: 整改中), a blank one none (the state is derived)."""
    raws = [
        {"hazard_id": f"H{i}", "unit": "颍上县", "road_name": "G105", "found_date": "2022-06-03"}
        | {"closed": flag if i % 2 else None}
        for i in range(4)
    ]
    names = {f: f for f in raws[0]}
    fast = _batch(raws, names, checks.Context(fuyang, ADMIN))
    context = checks.Context(fuyang, ADMIN)
    slow = [rules.check_row(hazards.ROWS, raw, names, n, context)[0] for n, raw in enumerate(raws)]
    assert fast == slow
    assert [r["state"] for r in fast] == (
        ["已入单", "整改中"] * 2 if flag not in ("",) else ["已入单"] * 4
    )


def _ledger(n: int) -> pd.DataFrame:
    """A ledger with clean rows and rows the row check must see (bad dates, an unknown unit, a
    swapped point, a missing road, a duplicate id)."""
    rnd = random.Random(7)
    rows = []
    for i in range(n):
        rows.append(
            {
                "隐患编号": f"Q{i:04d}" if i != 17 else "Q0003",
                "所属区县": rnd.choice(
                    ["颍上县", "临泉县", "颍州区", "合肥" if i % 97 == 5 else "颍上"]
                ),
                "道路名称": "" if i % 89 == 3 else f"G{100 + i % 7}",
                "起止桩号": rnd.choice(["K1+000-K1+500", "", "K坏"]) if i % 13 == 0 else "",
                "排查日期": "2022-02-30" if i % 71 == 9 else "2022-05-0" + str(1 + i % 9),
                "完成时限": "2022-04-01" if i % 53 == 2 else "2022-12-31",
                "风险等级": rnd.choice(["重大", "较大", "一般", "四级" if i % 41 == 1 else "一般"]),
                "经度": "32.6" if i % 37 == 4 else ("115.81" if i % 5 == 0 else ""),
                "纬度": "115.81" if i % 37 == 4 else ("32.63" if i % 5 == 0 else ""),
                "整改状态": rnd.choice(["整改中", "", "已入单"]),
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("accept_valid", [False, True])
def test_an_import_is_the_same_with_and_without_the_batch(
    tmp_path, fuyang, monkeypatch, kind, accept_valid
) -> None:
    """The same file into two empty stores: the result (every problem and warning, in order)
    and every stored hazard and event are equal."""
    frame = _ledger(400)
    if kind == "csv":
        data, name = frame.to_csv(index=False).encode(), "台账.csv"
    else:
        buf = io.BytesIO()
        frame.to_excel(buf, index=False)
        data, name = buf.getvalue(), "台账.xlsx"
    outcomes = []
    for use_batch in (True, False):
        if not use_batch:
            monkeypatch.setattr(batch, "check_rows", lambda d, columns, n, names, env: [None] * n)
        store = db.open_store(tmp_path / f"{use_batch}.duckdb", fuyang)
        result = hazards.import_hazards(
            store, fuyang, ADMIN, name, data, now=NOW, accept_valid=accept_valid
        )
        stored = store.execute(
            "SELECT * EXCLUDE (import_id) FROM hazards ORDER BY hazard_id"
        ).fetchall()
        events = store.execute(
            "SELECT * EXCLUDE (event_id) FROM hazard_events ORDER BY hazard_id"
        ).fetchall()
        store.close()
        outcomes.append(
            (result.problems, result.warnings, result.rejected, result.inserted, stored, events)
        )
    assert outcomes[0] == outcomes[1]
    problems, warnings, rejected, inserted, stored, _ = outcomes[0]
    assert rejected > 0 and warnings and problems
    assert inserted == (400 - rejected if accept_valid else 0) and len(stored) == inserted


def test_a_declaration_with_a_check_that_has_no_twin_leaves_every_row_to_the_row_check() -> None:
    def untwinned(row: rules.RowCheck) -> None:
        row.out["x"] = 1

    declared = rules.Declaration(steps=(rules.Column("code"), untwinned), stored=("code",))
    assert batch.check_rows(declared, {"code": ["A", "B"]}, 2, {"code": "编号"}) == [None, None]
    twinned = rules.Declaration(steps=(rules.Column("code"),), stored=("code",))
    rows = batch.check_rows(twinned, {"code": ["A", " "]}, 2, {"code": "编号"})
    assert [(r["code"], r["_given"]) for r in rows] == [("A", {"code"}), (None, frozenset())]
