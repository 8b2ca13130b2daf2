"""The Store: one connection, views with their own cursor and revision, the result cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pytest

from analytics.store import db
from analytics.store.store import Store

CALLS: list[tuple] = []


def hazard_count(cur, unit: str | None = None, *, state: str | None = None) -> int:
    CALLS.append((unit, state))
    return cur.execute(
        "SELECT count(*) FROM hazards WHERE (? IS NULL OR unit_adcode = ?)"
        " AND (? IS NULL OR state = ?)",
        [unit, unit, state, state],
    ).fetchone()[0]


def hazard_frame(cur) -> pd.DataFrame:
    CALLS.append(("frame",))
    return cur.execute("SELECT hazard_id, state FROM hazards ORDER BY hazard_id").df()


def echo(cur, *args: object, **kwargs: object) -> tuple:
    CALLS.append(("echo", args))
    return args, kwargs


@pytest.fixture
def store(conn):  # the tiny ledger of conftest
    CALLS.clear()
    return Store(conn)


def test_a_second_call_is_a_hit(store) -> None:
    view = store.view()
    assert view.cached(hazard_count, "990101") == 8
    assert view.cached(hazard_count, "990101") == 8
    assert store.view().cached(hazard_count, "990101") == 8  # another run, same revision
    assert CALLS == [("990101", None)]
    assert (store.hits, store.misses, len(store)) == (2, 1, 1)


def test_different_arguments_are_different_entries(store) -> None:
    view = store.view()
    assert view.cached(hazard_count, "990101") == 8
    assert view.cached(hazard_count, "990102") == 3
    assert view.cached(hazard_count) == 11
    assert view.cached(hazard_count, "990101", state="待认定") == 1
    assert view.cached(hazard_count, unit="990101") == 8  # a keyword is not the positional call
    assert view.cached(hazard_count, "990101", state="待认定") == 1
    assert CALLS == [
        ("990101", None),
        ("990102", None),
        (None, None),
        ("990101", "待认定"),
        ("990101", None),
    ]
    assert (store.hits, store.misses) == (1, 5)


def test_arguments_of_another_type_or_unhashable_ones_are_keys_too(store) -> None:
    view = store.view()
    view.cached(echo, 1)
    view.cached(echo, 1.0)
    view.cached(echo, True)
    view.cached(echo, {"b": [1, 2], "a": 1})
    assert view.cached(echo, {"a": 1, "b": [1, 2]}) == (({"a": 1, "b": [1, 2]},), {})  # a hit
    view.cached(echo, [1, 2])
    view.cached(echo, (1, 2))
    assert CALLS == [
        ("echo", (1,)),
        ("echo", (1.0,)),
        ("echo", (True,)),
        ("echo", ({"b": [1, 2], "a": 1},)),
        ("echo", ([1, 2],)),
        ("echo", ((1, 2),)),
    ]
    with pytest.raises(TypeError, match="must be hashable: DataFrame"):
        view.cached(echo, pd.DataFrame())


def test_a_write_changes_the_revision_and_the_next_view_computes_again(store) -> None:
    view = store.view()
    assert view.cached(hazard_count, "990101") == 8
    view.cur.execute(
        "INSERT INTO hazards (hazard_id, unit_adcode, state) VALUES ('h12', '990101', '待认定')"
    )
    assert view.cached(hazard_count, "990101") == 8  # a view keeps the revision it opened with
    later = store.view()
    assert later.revision != view.revision
    assert later.revision == (None, None, 12, 7, 0, 3, 0, None, 0)
    assert later.cached(hazard_count, "990101") == 9
    assert CALLS == [("990101", None), ("990101", None)]


def test_the_revision_is_the_databases(store, conn) -> None:
    assert store.view().revision == db.revision(conn) == (None, None, 11, 7, 0, 3, 0, None, 0)


def test_the_least_recently_used_entry_goes_first(conn) -> None:
    CALLS.clear()
    store = Store(conn, max_entries=2)
    view = store.view()
    view.cached(echo, "a")
    view.cached(echo, "b")
    view.cached(echo, "a")  # a hit: "b" is now the least recently used
    view.cached(echo, "c")  # evicts "b"
    assert len(store) == 2
    view.cached(echo, "a")
    view.cached(echo, "c")
    view.cached(echo, "b")  # computed again
    assert CALLS == [("echo", ("a",)), ("echo", ("b",)), ("echo", ("c",)), ("echo", ("b",))]
    assert (store.hits, store.misses, len(store)) == (3, 4, 2)


def test_the_default_bound_is_512_entries(conn) -> None:
    CALLS.clear()
    store = Store(conn)
    view = store.view()
    for i in range(600):
        view.cached(echo, i)
    assert len(store) == 512
    view.cached(echo, 599)
    view.cached(echo, 0)  # evicted long ago
    assert CALLS[600:] == [("echo", (0,))]
    with pytest.raises(ValueError, match="at least 1"):
        Store(conn, max_entries=0)


def test_a_caller_changing_its_frame_does_not_change_the_next_hit(store) -> None:
    view = store.view()
    first = view.cached(hazard_frame)
    first.loc[0, "state"] = "改掉了"
    del first["hazard_id"]
    second = view.cached(hazard_frame)
    assert list(second.columns) == ["hazard_id", "state"]
    assert second.loc[0].tolist() == ["h1", "整改中"]
    second["state"] = "又改了"
    third = view.cached(hazard_frame)
    assert third.state.tolist()[:2] == ["整改中", "整改中"]
    assert third is not second
    assert CALLS == [("frame",)]


@dataclass(frozen=True)
class Figures:
    frame: pd.DataFrame
    counts: dict[str, int]
    names: list[str]


def figures(cur) -> Figures:
    CALLS.append(("figures",))
    frame = cur.execute("SELECT unit_adcode, count(*) AS n FROM hazards GROUP BY 1 ORDER BY 1").df()
    return Figures(frame, {"all": int(frame.n.sum())}, list(frame.unit_adcode))


def test_a_caller_changing_what_a_result_holds_does_not_change_the_next_hit(store) -> None:
    view = store.view()
    first = view.cached(figures)
    first.frame.loc[0, "n"] = 0
    first.frame["extra"] = 1
    first.counts["all"] = -1
    first.names.append("990103")
    pair = view.cached(echo, [1, 2], {"a": [3]})
    pair[0][0][0] = 99
    pair[0][1]["a"].clear()
    again = view.cached(figures)
    assert again.frame.to_dict("list") == {"unit_adcode": ["990101", "990102"], "n": [8, 3]}
    assert (again.counts, again.names) == ({"all": 11}, ["990101", "990102"])
    assert view.cached(echo, [1, 2], {"a": [3]}) == (([1, 2], {"a": [3]}), {})
    assert CALLS == [("figures",), ("echo", ([1, 2], {"a": [3]}))]


def test_a_result_of_none_is_cached_too(store) -> None:
    view = store.view()
    assert view.cached(echo) == ((), {})
    assert view.cached(none_of, 1) is None
    assert view.cached(none_of, 1) is None
    assert CALLS == [("echo", ()), ("none", 1)]


def none_of(cur, n: int) -> None:
    CALLS.append(("none", n))


def test_a_failed_call_is_not_cached(store) -> None:
    def fails(cur, n: int) -> int:
        CALLS.append(("fails", n))
        raise RuntimeError("boom")

    view = store.view()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="boom"):
            view.cached(fails, 1)
    assert CALLS == [("fails", 1), ("fails", 1)]
    assert len(store) == 0


def test_threads_computing_the_same_call_compute_it_once(store) -> None:
    def slow(cur, n: int) -> int:
        CALLS.append(("slow", n))
        time.sleep(0.2)
        return n * 2

    results = []

    def run() -> None:
        view = store.view()  # a view (a cursor) per thread, as each script run has
        results.append(view.cached(slow, 21))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42, 42, 42, 42]
    assert CALLS == [("slow", 21)]
    assert (store.hits, store.misses) == (3, 1)


def test_rows_of_plain_values_are_copied_and_their_values_shared(store) -> None:
    rows = [["H1", 3, 2.5, None, date(2022, 9, 15)], ("H2", True)]
    view = store.view()
    first = view.cached(echo, rows)[0][0]
    assert first == rows
    first[0][1] = 99  # the caller's own row
    first[0].append("extra")
    again = view.cached(echo, rows)[0][0]
    assert again == [["H1", 3, 2.5, None, date(2022, 9, 15)], ("H2", True)]
    assert again[0] is not first[0] and again[0][4] is first[0][4]  # a date cannot change
    assert again[1] is first[1]  # nor can a tuple of plain values
    assert CALLS == [("echo", (rows,))]


def test_kept_builds_once_per_revision_and_key(store, conn) -> None:
    built = []

    def build(text: str) -> str:
        built.append(text)
        return text * 2

    view = store.view()
    assert view.kept(("map", 1), lambda: build("a")) == "aa"
    assert store.view().kept(("map", 1), lambda: build("b")) == "aa"  # a rerun: only drawn
    assert view.kept(("map", 2), lambda: build("c")) == "cc"
    assert view.kept(("map", [1]), lambda: build("d")) == "dd"  # a list is not a tuple
    assert view.cached(echo, ("map", 1)) == ((("map", 1),), {})  # not the same entry
    conn.execute(
        "INSERT INTO hazards (hazard_id, unit_adcode, state) VALUES ('h12', '990101', '待认定')"
    )
    assert store.view().kept(("map", 1), lambda: build("e")) == "ee"  # a write: built afresh
    assert built == ["a", "c", "d", "e"]
