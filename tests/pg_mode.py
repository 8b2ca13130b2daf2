"""The whole suite on PostgreSQL (HAZARDS_TEST_STORE=postgres): which database stands for which
store file. A module of its own (not conftest.py, which pytest may import twice under two names)
so every test sees one registry.

Every store a test opens by file path (db.open_store / db.open_for_reading, in this process) is
then a PostgreSQL database of its own on the test server, seeded from the file when the file
exists (as migrate-store does); reopening the same path reopens the same database. Servers the
e2e tests start get the database's URL (HAZARDS_DATABASE_URL) the same way.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

from analytics.store import db

ON_POSTGRES = os.environ.get("HAZARDS_TEST_STORE") == "postgres"
DATABASES: dict[str, str] = {}  # resolved file path -> database URL
SEEDING: set[str] = set()  # files being copied in (read as files, not as databases)


def store_url_for(server: str, path: Path) -> str:
    """The PostgreSQL database standing for the store file ``path`` (made on first use)."""
    from analytics.store import mirror

    key = str(Path(path).resolve())
    if key not in DATABASES:
        name = "f_" + hashlib.sha1(key.encode()).hexdigest()[:24]
        url = urlsplit(server)._replace(path=f"/{name}").geturl()
        if not mirror.database_exists(server, name):
            if Path(path).exists():
                mirror.create_database(server, name, template=_template(server, path))
            else:
                mirror.create_database(server, name)
        DATABASES[key] = url
    return DATABASES[key]


def _template(server: str, path: Path) -> str:
    """A database seeded once from the file's content (as migrate-store does) that copies of the
    same file are created from: most tests start from the same demo file."""
    from analytics.store import mirror

    name = "tpl_" + hashlib.sha1(Path(path).read_bytes()).hexdigest()[:24]
    if not mirror.database_exists(server, name):
        key = str(Path(path).resolve())
        url = mirror.create_database(server, name)
        SEEDING.add(key)
        try:
            mirror.copy_from_file(path, url)
        finally:
            SEEDING.discard(key)
    return name


def store_conn(path: Path, read_only: bool = False):
    """A connection to the store at ``path`` for a test to look at (or change) behind the app's
    back: the file itself, or on PostgreSQL a mirror of its database."""
    if ON_POSTGRES:
        from analytics.store import mirror

        return mirror.open_reading(store_url_for(os.environ["HAZARDS_TEST_POSTGRES"], path))
    return db.connect(path, read_only=read_only)
