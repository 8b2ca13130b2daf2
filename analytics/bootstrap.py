"""Open the database the settings point at, creating it (with the demo city) on first start."""

from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb

from analytics import city as city_mod
from analytics.city import City
from analytics.config import Settings
from analytics.demo import build as demo
from analytics.store import backup, db

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
    if not settings.db_path.exists() and settings.auto_demo and demo.supports(city):
        log.info("creating demo database at %s (seed %s)", settings.db_path, settings.demo_seed)
        settings.db_path.parent.mkdir(parents=True, exist_ok=True)
        demo.create_database(settings.db_path, city, settings.demo_seed, progress)
    progress("检查数据库结构")
    backup.backup_before_migration(settings.db_path, settings.evidence_dir, settings.backup_dir)
    return db.open_store(settings.db_path, city, settings.timezone), city
