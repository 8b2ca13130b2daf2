"""Shared fixtures: the Fuyang city, a demo database built once per run, tiny databases."""

from __future__ import annotations

import ast
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from analytics import city as city_mod
from analytics.demo import build as demo
from analytics.store import db

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
D = date(2022, 3, 31)  # the as-of date of the tiny ledger


@pytest.fixture(scope="session")
def fuyang() -> city_mod.City:
    return city_mod.load_city(ROOT / "data" / "city.toml")


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory, fuyang: city_mod.City) -> Path:
    """The demo city (seed 2022) written once; tests that write must copy it first."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.create_database(path, fuyang, 2022)
    return path


@pytest.fixture
def demo_env(monkeypatch, tmp_path, demo_db_path) -> Path:
    """The app pointed (HAZARDS_DB_PATH) at a private copy of the demo database."""
    path = tmp_path / "hazards.duckdb"
    shutil.copy(demo_db_path, path)
    monkeypatch.setenv("HAZARDS_DB_PATH", str(path))
    return path


@pytest.fixture
def demo_store(tmp_path, demo_db_path, fuyang):  # ANN201
    """A writable store on a private copy of the demo database."""
    path = tmp_path / "hazards.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.open_store(path, fuyang)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def tiny_city() -> city_mod.City:
    return city_mod.load_city(FIXTURES / "tinycity" / "city.toml")


# --- a tiny ledger whose figures are worked out by hand in the tests -------------------------

COLS = "hazard_id, unit_adcode, state, found_date, listed_date, deadline, closed_date, voided_date"
FIVE = "goal, lead_leader, responsible_unit, completion_standard"
INSERT_HAZARD = (
    f"INSERT INTO hazards ({COLS}, {FIVE}) VALUES"  # fixed column lists  # noqa: S608
    " (?, ?, '整改中', ?, ?, ?, ?, ?, '目标', ?, '责任单位', '标准')"
)
# id, unit, found, listed, deadline, closed, voided, lead leader present
HAZARDS = [
    ("h1", "990101", "2022-01-08", "2022-01-10", "2022-02-28", "2022-02-20", None, True),  # on time
    ("h2", "990101", "2022-01-15", "2022-01-15", "2022-03-10", "2022-03-20", None, True),  # late
    ("h3", "990101", "2022-02-01", "2022-02-01", "2022-03-20", None, None, True),  # overdue 11 d
    ("h4", "990101", "2022-03-01", None, "2022-04-10", None, None, False),  # due soon, found date
    ("h5", "990101", "2022-02-01", "2022-02-01", None, None, "2022-03-01", True),  # voided
    ("h6", "990101", "2022-04-01", "2022-04-05", "2022-05-01", None, None, True),  # listed later
    (
        "h7",
        "990101",
        "2022-03-01",
        "2022-03-01",
        "2022-04-30",
        "2022-04-02",
        None,
        True,
    ),  # open at D
    ("h8", "990102", "2022-01-05", "2022-01-05", "2022-01-31", "2022-01-25", None, True),  # on time
    ("h9", "990102", "2022-03-01", "2022-03-01", "2022-03-31", None, None, True),  # due today
    (
        "h10",
        "990102",
        "2022-02-01",
        "2022-02-01",
        "2022-03-15",
        "2022-03-15",
        None,
        True,
    ),  # on the day
    ("h11", "990101", "2022-03-10", None, None, None, None, False),  # 待认定: never on the list
]
# id, time, unit, deaths, injuries, procedure
ACCIDENTS = [
    ("a1", "2022-01-02 08:00", "990101", 1, 0, "一般程序"),
    ("a2", "2022-03-31 23:59", "990101", 0, 2, "简易程序"),
    ("a3", "2022-04-01 00:00", "990101", 0, 0, "简易程序"),  # after D
    ("a4", "2021-03-31 10:00", "990102", 0, 0, "简易程序"),
    ("a5", "2021-04-01 00:00", "990102", 0, 0, "简易程序"),  # after D a year ago
    ("a6", "2021-02-10 12:00", None, 2, 1, "一般程序"),  # no unit
    ("a7", "2022-02-01 17:30", "990102", 0, 0, "简易程序"),
]


@pytest.fixture
def conn(tmp_path, tiny_city):
    c = db.open_store(tmp_path / "m.duckdb", tiny_city)
    for hid, unit, found, listed, deadline, closed, voided, leader in HAZARDS:
        c.execute(
            INSERT_HAZARD,
            [hid, unit, found, listed, deadline, closed, voided, "某领导" if leader else None],
        )
    c.execute("UPDATE hazards SET state = '待认定' WHERE hazard_id = 'h11'")
    for aid, at, unit, deaths, injuries, procedure in ACCIDENTS:
        c.execute(
            "INSERT INTO accidents (accident_id, occurred_at, unit_adcode, deaths, injuries,"
            " procedure, loss_yuan) VALUES (?, ?, ?, ?, ?, ?, 1000)",
            [aid, at, unit, deaths, injuries, procedure],
        )
    return c


# --- the app, signed in --------------------------------------------------------------------


def app_pages() -> list[tuple[str, str, str | None]]:
    """app.py's PAGES table as (page file stem, menu title, access action or None), read from its
    source (importing app.py would run it): the registry the menu is built from."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets
        ):
            table = ast.literal_eval(node.value)
            return [(f, title, action) for pages in table.values() for f, title, _, action in pages]
    raise AssertionError("app.py has no PAGES table")


def app_as(username: str | None = "admin", script: str = "app.py", **query: str):
    """An AppTest of app.py (or of another script, e.g. a page file run directly) whose session is
    signed in as ``username`` (None: signed out).

    The page re-reads the account from the database, so only the username matters here.
    """
    from zoneinfo import ZoneInfo

    from streamlit.testing.v1 import AppTest

    from analytics.accounts import auth

    at = AppTest.from_file(str(ROOT / script), default_timeout=30)
    if username:
        now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        at.session_state["user"] = auth.User(username, username, "admin", None)
        at.session_state["signed_in_at"] = now
        at.session_state["last_seen"] = now
    for key, value in query.items():
        at.query_params[key] = value
    return at


# --- PostgreSQL: a throwaway server for the shared-store tests (bench/pg_server.py) ----------


@pytest.fixture(scope="session")
def pg_server() -> str:  # the server's URL (its ``postgres`` database)
    """HAZARDS_TEST_POSTGRES names a running server; otherwise one is started for the run.
    With HAZARDS_REQUIRE_POSTGRES=1 (CI) a missing PostgreSQL fails instead of skipping."""
    import os

    from bench import pg_server as server

    given = os.environ.get("HAZARDS_TEST_POSTGRES")
    if given:
        yield given
        return
    if not server.available():
        if os.environ.get("HAZARDS_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL 15 is required here (apt-get install postgresql-15)")
        pytest.skip("PostgreSQL 15 is not installed")
    url, folder = server.start()
    yield url
    server.stop(folder)


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """A new, empty database on the test server."""
    import uuid

    from analytics.store import mirror

    return mirror.create_database(pg_server, "t_" + uuid.uuid4().hex[:20])
