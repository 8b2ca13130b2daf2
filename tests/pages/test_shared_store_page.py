"""The app on the shared PostgreSQL store: it opens (the demo city moved in on first start), and a
database that goes away mid-session gives the Chinese message, never a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit

from analytics.store import shared
from tests.conftest import app_as


def test_the_app_runs_on_postgresql_and_says_when_it_is_gone(
    pg_server, pg_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("HAZARDS_DATABASE_URL", pg_url)
    monkeypatch.setenv("HAZARDS_DB_PATH", str(tmp_path / "unused.duckdb"))
    monkeypatch.setenv("HAZARDS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    at = app_as("admin").run()
    assert not at.exception
    at.switch_page("pages/data_settings.py").run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert f"共享数据库（PostgreSQL）：`{pg_url}`" in shown
    assert not (tmp_path / "unused.duckdb").exists()  # nothing went to a file

    name = urlsplit(pg_url).path.lstrip("/")
    admin = shared._connect_pg(pg_server)
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] and "PostgreSQL 数据库不可用" in at.error[0].value
