"""Open the database the settings point at, creating it (with the demo city) on first start."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from analytics import city as city_mod
from analytics.city import City
from analytics.config import Settings
from analytics.demo import build as demo
from analytics.store import backup, db, mirror, shared

log = logging.getLogger(__name__)


def open_configured(
    settings: Settings, progress: Callable[[str], None] = lambda step: None
) -> tuple[duckdb.DuckDBPyConnection, City]:
    """The city and an upgraded connection; a missing file is created first.

    With auto_demo on and a city the demo supports, the new file holds the demo city;
    otherwise it starts empty (units only). An existing file with an older schema is backed up
    (to the backup_dir setting) before it is upgraded. ``progress`` hears each step as it
    begins, in Chinese (the first start shows them).
    """
    progress("读取城市配置")
    city = city_mod.load_city(settings.city_file)
    if settings.database_url:
        return _open_shared(settings, city, progress), city
    if not settings.db_path.exists() and settings.auto_demo and demo.supports(city):
        log.info("creating demo database at %s (seed %s)", settings.db_path, settings.demo_seed)
        settings.db_path.parent.mkdir(parents=True, exist_ok=True)
        demo.create_database(settings.db_path, city, settings.demo_seed, progress)
    progress("检查数据库结构")
    backup.backup_before_migration(settings.db_path, settings.evidence_dir, settings.backup_dir)
    return db.open_store(settings.db_path, city, settings.timezone), city


def open_for_reading(settings: Settings) -> duckdb.DuckDBPyConnection | mirror.MirrorConnection:
    """The store for a read command: the file opened read-only, or a mirror of the shared store."""
    if settings.database_url:
        return mirror.open_reading(settings.database_url, settings.timezone)
    return db.open_for_reading(settings.db_path, settings.timezone)


def _open_shared(
    settings: Settings, city: City, progress: Callable[[str], None]
) -> mirror.MirrorConnection:
    """The PostgreSQL store (shared.py); an empty database gets the demo city when auto_demo is
    on, built in a temporary file and moved in as migrate-store does."""
    url = settings.database_url
    progress("连接共享数据库")
    if settings.auto_demo and demo.supports(city) and mirror.is_empty(url):
        with tempfile.TemporaryDirectory(prefix="hazards-demo-") as tmp:
            path = Path(tmp) / "demo.duckdb"
            log.info("creating the demo city in %s", shared.redact(url))
            demo.create_database(path, city, settings.demo_seed, progress)
            progress("写入共享数据库")
            try:
                mirror.copy_from_file(path, url)
            except db.StoreError:
                if mirror.is_empty(url):  # another process filled it meanwhile: use theirs
                    raise
    progress("加载数据")
    return mirror.open_store(
        url, city, settings.timezone, lambda v: _backup_shared(settings, v, progress)
    )


def _backup_shared(settings: Settings, version: int, progress: Callable[[str], None]) -> None:
    """Before an existing PostgreSQL store of schema version ``version`` is upgraded: a signed
    pg_dump backup (before-migration-vN in the backup_dir setting), as a file store gets one."""
    from analytics.store import pg_backup  # pg_dump and the key: only when an upgrade is due

    progress("升级数据库结构前备份")
    try:
        folder = pg_backup.backup_shared(
            settings.database_url,
            settings.evidence_dir,
            settings.backup_dir,
            backup.migration_label(version),
            key_file=pg_backup.default_key_file(settings),
        )
    except backup.BackupError as e:
        raise backup.upgrade_refused(e) from e
    log.info("backed up the shared store before upgrading it from version %s: %s", version, folder)
