"""Settings: defaults, environment overrides, errors, and docs/operations.md lists every one."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from analytics.config import PROJECT_ROOT, SETTINGS, SettingError, Settings


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.db_path == PROJECT_ROOT / "data" / "hazards.duckdb"
    assert s.city_file == PROJECT_ROOT / "data" / "city.toml"
    assert (s.auto_demo, s.demo_seed, s.due_soon_days) == (True, 2022, 15)
    assert s.timezone == "Asia/Shanghai"


def test_environment_overrides() -> None:
    s = Settings.from_env(
        {
            "HAZARDS_DB_PATH": "/srv/x.duckdb",
            "HAZARDS_AUTO_DEMO": "0",
            "HAZARDS_DEMO_SEED": "7",
            "HAZARDS_DUE_SOON_DAYS": " 30 ",
        }
    )
    assert s.db_path == Path("/srv/x.duckdb")
    assert (s.auto_demo, s.demo_seed, s.due_soon_days) == (False, 7, 30)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HAZARDS_DUE_SOON_DAYS": "abc"}, "HAZARDS_DUE_SOON_DAYS 的值“abc”无效，应为整数"),
        ({"HAZARDS_DUE_SOON_DAYS": "-1"}, "HAZARDS_DUE_SOON_DAYS 不能小于 0"),
        ({"HAZARDS_AUTO_DEMO": "maybe"}, "HAZARDS_AUTO_DEMO 的值“maybe”无效，应为 1 或 0"),
        ({"HAZARDS_TIMEZONE": "Mars/Olympus"}, "HAZARDS_TIMEZONE 的值“Mars/Olympus”不是有效的时区"),
        ({"HAZARDS_KEEP_FREED_MB": "256MB"}, "HAZARDS_KEEP_FREED_MB 的值“256MB”无效，应为整数"),
        ({"HAZARDS_KEEP_FREED_MB": "-256"}, "HAZARDS_KEEP_FREED_MB 不能小于 0"),
    ],
)
def test_bad_values_are_refused_in_chinese(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError, match=message):
        Settings.from_env(env)


def _documented_default(default: str) -> str:
    """A default as the settings table shows it: paths relative to the project, "(empty)"."""
    if not default:
        return "(empty)"
    path = Path(default)
    if path.is_absolute() and path.is_relative_to(PROJECT_ROOT):
        return f"`{path.relative_to(PROJECT_ROOT).as_posix()}`"
    return f"`{default}`"


def test_every_setting_is_a_field_and_documented_in_operations() -> None:
    doc = (PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    rows = Settings.from_env({}).as_rows()
    assert [r["name"] for r in rows] == [s.name for s in SETTINGS]
    assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS]  # and no undeclared one
    table = {
        cells[0]: cells[1]
        for line in doc.splitlines()
        if line.startswith("| `HAZARDS_")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    for s in SETTINGS:
        env = f"`HAZARDS_{s.name.upper()}`"
        assert env in table, f"docs/operations.md does not document {s.name}"
        assert table[env] == _documented_default(s.default), f"{s.name}: default differs"
    assert len(table) == len(SETTINGS), "docs/operations.md lists a setting that does not exist"


def test_every_setting_has_a_chinese_name_shown_before_its_variable() -> None:
    import re

    labels = [s.label_zh for s in SETTINGS]
    assert len(set(labels)) == len(labels)
    for s in SETTINGS:
        assert re.search(r"[\u4e00-\u9fff]", s.label_zh), s.name
        assert re.search(r"[\u4e00-\u9fff]", s.help_zh), s.name
    row = Settings.from_env({}).as_rows()[0]
    assert (row["label"], row["env"]) == ("数据库文件", "HAZARDS_DB_PATH")


def test_today_follows_the_time_zone() -> None:
    from datetime import UTC, datetime, timedelta

    shanghai = Settings.from_env({"HAZARDS_TIMEZONE": "Asia/Shanghai"}).today()
    utc_now = datetime.now(UTC)
    assert shanghai == (utc_now + timedelta(hours=8)).date()
