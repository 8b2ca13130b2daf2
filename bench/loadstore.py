"""The database a load run's app processes use (bench/load.py): the demo city, with an account
for each simulated user, in a DuckDB file (one process) or moved into PostgreSQL (several
processes share it: a throwaway server from bench/pg_server.py, or ``--database-url``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# own accounts: leaders, administrators and brigades (unit adcodes of the demo city) in turn
ROLES = (
    ("leader", None),
    ("county", "341202"),
    ("admin", None),
    ("county", "341203"),
    ("county", "341222"),
    ("county", "341221"),
    ("county", "341225"),
    ("county", "341282"),
)
OWN_PASSWORD = "Huaihe-load-bench-2022"


def own_accounts(n: int) -> tuple[tuple[str, str], ...]:
    """One account a user, as officers have: load01, load02, … (roles in the order of ROLES)."""
    return tuple((f"load{i + 1:02d}", OWN_PASSWORD) for i in range(n))


def demo_database(folder: Path, accounts: int) -> Path:
    """The demo city at folder/hazards.duckdb (kept when there), with own_accounts(accounts)."""
    from analytics import city
    from analytics.accounts import auth
    from analytics.demo import build
    from analytics.store import db

    path = folder / "hazards.duckdb"
    fuyang = city.load_city(ROOT / "data" / "city.toml")
    if not path.exists():
        build.create_database(path, fuyang, 2022)
    if accounts:
        conn = db.open_store(path, fuyang)
        try:
            for i, (name, password) in enumerate(own_accounts(accounts)):
                role, unit = ROLES[i % len(ROLES)]
                auth.add_user(conn, "压力测试", name, f"压测账号{i + 1:02d}", role, unit, password)
        finally:
            conn.close()
    return path


def seed(folder: Path, database_url: str | None, accounts: int) -> int:
    """Prepare the store; return how many own accounts it holds (0: only the demo accounts).

    Without a URL: the DuckDB file. With one: the file is moved into the PostgreSQL database when
    that is empty; a database already holding a store is used as it is."""
    from analytics.store import mirror

    if database_url and not mirror.is_empty(database_url):
        return 0
    path = demo_database(folder, accounts)
    if database_url:
        mirror.copy_from_file(path, database_url)
    return accounts


@dataclass
class Postgres:
    """A throwaway PostgreSQL server (bench/pg_server.py) and a new database on it per use."""

    url: str
    folder: Path
    made: int = 0

    def new_database(self) -> str:
        from analytics.store import mirror

        self.made += 1
        return mirror.create_database(self.url, f"load_{os.getpid()}_{self.made}")

    def cpu_seconds(self) -> float:
        """CPU time of the server: the postmaster, its ended backends and the live ones."""
        tick = os.sysconf("SC_CLK_TCK")
        main = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                pid, parent = int(stat.parent.name), int(fields[1])
                if pid == main:
                    total += sum(int(f) for f in fields[11:15]) / tick  # with reaped children
                elif parent == main:
                    total += (int(fields[11]) + int(fields[12])) / tick
        return total


@contextlib.contextmanager
def throwaway_postgres(needed: bool) -> Iterator[Postgres | None]:
    if not needed:
        yield None
        return
    from bench import pg_server

    if not pg_server.available():
        raise SystemExit(
            "several processes need PostgreSQL: apt-get install postgresql-15, "
            "or give --database-url postgresql://…"
        )
    url, folder = pg_server.start()
    try:
        yield Postgres(url, folder)
    finally:
        pg_server.stop(folder)
