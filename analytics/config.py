"""Every setting of the product, declared once with its default and help line.

A setting is read from the environment variable ``HAZARDS_<NAME>`` (upper case) when present,
otherwise its default applies. docs/operations.md lists each of them (a test checks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "HAZARDS_"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    help_zh: str
    label_zh: str  # the setting's Chinese name (数据与设置 shows it first)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "db_path",
        str(PROJECT_ROOT / "data" / "hazards.duckdb"),
        "DuckDB database file. Created (with demo data when auto_demo is on) on first start.",
        "数据库文件；首次启动时自动创建（开启自动演示数据时写入演示城市）",
        "数据库文件",
    ),
    Setting(
        "database_url",
        "",
        "PostgreSQL URL (postgresql://user:password@host:port/database) of the shared store; "
        "set it to run several app processes and commands on one database. Empty: the DuckDB "
        "file db_path.",
        "共享数据库（PostgreSQL）连接地址；设置后多个看板进程与命令行共用该数据库，留空则使用数据库文件",
        "共享数据库地址",
    ),
    Setting(
        "city_file",
        str(PROJECT_ROOT / "data" / "city.toml"),
        "City configuration: name, units and aliases, map centre, boundary file, basemap.",
        "城市配置文件：城市名称、所辖单位及别名、地图中心、边界文件、底图",
        "城市配置文件",
    ),
    Setting(
        "auto_demo",
        "1",
        "1: when the database file does not exist, the app creates it with the demo city. "
        "0: the app creates an empty database instead.",
        "1：数据库文件不存在时自动生成演示城市；0：创建空数据库",
        "自动生成演示数据",
    ),
    Setting(
        "demo_seed",
        "2022",
        "Seed of the demo city generator (same seed, same data).",
        "演示数据生成种子（同一种子生成相同数据）",
        "演示数据种子",
    ),
    Setting(
        "timezone",
        "Asia/Shanghai",
        "Time zone of 'today' and of timestamps the app records (IANA name).",
        "时区：用于确定“今天”和系统记录的时间",
        "时区",
    ),
    Setting(
        "big_screen_refresh_seconds",
        "60",
        "How often the command-centre wall (大屏) refreshes its figures, in seconds.",
        "指挥中心大屏自动刷新间隔（秒）",
        "大屏刷新间隔（秒）",
    ),
    Setting(
        "evidence_dir",
        str(PROJECT_ROOT / "data" / "evidence"),
        "Folder of evidence files (photos, PDFs), stored by content hash.",
        "证明材料（照片、PDF）存放目录，按内容哈希保存",
        "证明材料目录",
    ),
    Setting(
        "evidence_max_mb",
        "10",
        "Largest evidence file accepted, in MB.",
        "单个证明材料文件大小上限（MB）",
        "证明材料大小上限（MB）",
    ),
    Setting(
        "uploads_dir",
        str(PROJECT_ROOT / "data" / "uploads"),
        "Folder keeping every imported file as uploaded, by content hash (for audit).",
        "导入原始文件存放目录（按内容哈希保存，供审计）",
        "导入原始文件目录",
    ),
    Setting(
        "import_max_mb",
        "50",
        "Largest spreadsheet accepted for import, in MB.",
        "导入文件大小上限（MB）",
        "导入文件大小上限（MB）",
    ),
    Setting(
        "import_max_rows",
        "200000",
        "Most rows accepted in one import.",
        "单次导入行数上限",
        "导入行数上限",
    ),
    Setting(
        "import_max_columns",
        "100",
        "Most columns a sheet may span to be imported (wider files are refused before parsing).",
        "导入表格的列数上限（超过时在解析前拒收）",
        "导入列数上限",
    ),
    Setting(
        "deadline_horizon_years",
        "5",
        "Imports refuse a 完成时限 (deadline) later than this many years after today.",
        "导入时完成时限最晚可在今天之后多少年（超过视为填写错误）",
        "完成时限最远年数",
    ),
    Setting(
        "backup_dir",
        str(PROJECT_ROOT / "data" / "backups"),
        "Folder of backups (python -m analytics backup, and before every schema upgrade).",
        "备份目录（手动备份及每次数据库结构升级前的自动备份）",
        "备份目录",
    ),
    Setting(
        "session_idle_minutes",
        "30",
        "Sign-out after this many minutes without activity.",
        "无操作多少分钟后自动退出登录",
        "无操作退出（分钟）",
    ),
    Setting(
        "session_max_hours",
        "12",
        "Sign-out after this many hours in all.",
        "登录最长保持小时数",
        "登录最长保持（小时）",
    ),
    Setting(
        "max_failed_logins",
        "5",
        "Failed sign-ins in a row that lock an account.",
        "连续输错密码多少次锁定账号",
        "密码错误锁定次数",
    ),
    Setting(
        "lockout_minutes",
        "15",
        "How long a locked account stays locked.",
        "账号锁定时长（分钟）",
        "账号锁定时长（分钟）",
    ),
    Setting(
        "initial_admin_password",
        "",
        "When set and the database has no accounts, the app creates the account 'admin' "
        "(支队管理员) with this password on start. Unset it afterwards.",
        "数据库中没有任何账号时，用此密码自动创建管理员账号 admin（创建后请删除此设置）",
        "初始管理员密码",
    ),
    Setting(
        "due_soon_days",
        "15",
        "Warning horizon: a hazard not closed whose deadline is within this many days is 临期.",
        "临期预警天数：未销号且完成时限在此天数内的隐患为“临期”",
        "临期预警天数",
    ),
    Setting(
        "effect_months",
        "12",
        "治理成效: months compared before a hazard's listing and after its closing.",
        "治理成效：比较入单前与销号后各多少个月的事故",
        "治理成效比较月数",
    ),
    Setting(
        "effect_buffer_m",
        "200",
        "治理成效: metres added to each end of a hazard's stretch (or radius around its point).",
        "治理成效：隐患路段两端各外延的米数（无桩号时为隐患点周围的半径）",
        "治理成效外延距离（米）",
    ),
    Setting(
        "bulletin_issuer",
        "",
        "Issuing body named on bulletins (通报) and in their signature; empty: the detachment "
        "of the city file.",
        "通报的发文单位（版头与落款）；留空则使用城市配置中的支队名称",
        "通报发文单位",
    ),
    Setting(
        "bulletin_recipients",
        "各县（市、区）交警大（中）队",
        "Recipients (主送) of bulletins.",
        "通报的主送单位",
        "通报主送单位",
    ),
    Setting(
        "bulletin_hotspot_preset",
        "",
        "Rule (a preset of the accident-prone site analysis) bulletins use for their new and "
        "no-longer-present sites; empty: the city file's [hotspots] default_preset.",
        "通报中事故多发点段变化所用的识别口径（预设名称）；留空则使用城市配置中的默认口径",
        "通报点段识别口径",
    ),
    Setting(
        "keep_freed_mb",
        "256",
        "Freed memory (MB, 64 to 2047) each heap of an app process keeps for the next analysis "
        "instead of handing it back to the system (glibc's malloc; one heap a core): faster "
        "province-scale analyses, resident memory near the peak. 0: the system's default. "
        "MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_, MALLOC_TOP_PAD_, MALLOC_ARENA_MAX or "
        "glibc.malloc tunables, when set, win.",
        "每个看板进程（每个处理器核一块内存堆）释放后保留、供下次分析再用的内存上限（MB，64–2047）：大数据量分析更快，常驻内存接近峰值；0 为系统默认",
        "进程保留空闲内存（MB）",
    ),
)


@dataclass(frozen=True)
class Settings:
    db_path: Path
    database_url: str
    city_file: Path
    auto_demo: bool
    demo_seed: int
    timezone: str
    big_screen_refresh_seconds: int
    evidence_dir: Path
    evidence_max_mb: int
    uploads_dir: Path
    import_max_mb: int
    import_max_rows: int
    import_max_columns: int
    deadline_horizon_years: int
    backup_dir: Path
    session_idle_minutes: int
    session_max_hours: int
    max_failed_logins: int
    lockout_minutes: int
    initial_admin_password: str
    due_soon_days: int
    effect_months: int
    effect_buffer_m: int
    bulletin_issuer: str
    bulletin_recipients: str
    bulletin_hotspot_preset: str
    keep_freed_mb: int

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Read every setting from ``env`` (default: os.environ); keyword overrides win."""
        env = os.environ if env is None else env
        raw = {s.name: env.get(ENV_PREFIX + s.name.upper(), s.default) for s in SETTINGS}
        values = {
            "db_path": Path(raw["db_path"]),
            "database_url": _parse_url(raw["database_url"]),
            "city_file": Path(raw["city_file"]),
            "auto_demo": _parse_bool(raw["auto_demo"], "auto_demo"),
            "demo_seed": _parse_int(raw["demo_seed"], "demo_seed"),
            "timezone": _parse_timezone(raw["timezone"]),
            "big_screen_refresh_seconds": _parse_int(
                raw["big_screen_refresh_seconds"], "big_screen_refresh_seconds", minimum=5
            ),
            "evidence_dir": Path(raw["evidence_dir"]),
            "evidence_max_mb": _parse_int(raw["evidence_max_mb"], "evidence_max_mb", minimum=1),
            "uploads_dir": Path(raw["uploads_dir"]),
            "import_max_mb": _parse_int(raw["import_max_mb"], "import_max_mb", minimum=1),
            "import_max_rows": _parse_int(raw["import_max_rows"], "import_max_rows", minimum=1),
            "import_max_columns": _parse_int(
                raw["import_max_columns"], "import_max_columns", minimum=1
            ),
            "deadline_horizon_years": _parse_int(
                raw["deadline_horizon_years"], "deadline_horizon_years", minimum=0
            ),
            "backup_dir": Path(raw["backup_dir"]),
            "session_idle_minutes": _parse_int(
                raw["session_idle_minutes"], "session_idle_minutes", minimum=1
            ),
            "session_max_hours": _parse_int(
                raw["session_max_hours"], "session_max_hours", minimum=1
            ),
            "max_failed_logins": _parse_int(
                raw["max_failed_logins"], "max_failed_logins", minimum=1
            ),
            "lockout_minutes": _parse_int(raw["lockout_minutes"], "lockout_minutes", minimum=1),
            "initial_admin_password": raw["initial_admin_password"],
            "due_soon_days": _parse_int(raw["due_soon_days"], "due_soon_days", minimum=0),
            "effect_months": _parse_int(raw["effect_months"], "effect_months", minimum=1),
            "effect_buffer_m": _parse_int(raw["effect_buffer_m"], "effect_buffer_m", minimum=0),
            "bulletin_issuer": raw["bulletin_issuer"].strip(),
            "bulletin_recipients": raw["bulletin_recipients"].strip()
            or "各县（市、区）交警大（中）队",
            "bulletin_hotspot_preset": raw["bulletin_hotspot_preset"].strip(),
            "keep_freed_mb": _parse_int(raw["keep_freed_mb"], "keep_freed_mb", minimum=0),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def now(self) -> datetime:
        """The local time in the configured zone, without tzinfo (as the database stores it)."""
        return datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def today(self) -> date:
        """Today's date in the configured time zone (the server clock may run on UTC)."""
        return self.now().date()

    def as_shown(self, name: str) -> str:
        """A setting's value as the settings page shows it (secrets hidden)."""
        return _shown(name, getattr(self, name))

    def as_rows(self) -> list[dict[str, str]]:
        """The settings in force with their Chinese name, environment variable and Chinese help."""
        declared = {s.name: s for s in SETTINGS}
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            rows.append(
                {
                    "name": f.name,
                    "label": declared[f.name].label_zh,
                    "env": ENV_PREFIX + f.name.upper(),
                    "value": _shown(f.name, value),
                    "default": declared[f.name].default,
                    "help": declared[f.name].help_zh,
                }
            )
        return rows


def _shown(name: str, value: object) -> str:
    if name == "initial_admin_password":
        return "（已设置）" if value else ""
    if name == "database_url":  # the password never shows
        return redact_url(str(value))
    return str(int(value)) if isinstance(value, bool) else str(value)


class SettingError(ValueError):
    """A setting has a value that cannot be used."""


def _parse_timezone(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"设置 {ENV_PREFIX}TIMEZONE 的值“{value}”不是有效的时区名称") from None
    return value.strip()


def redact_url(url: str) -> str:
    """A database URL without its password, for pages, messages and logs."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def _parse_url(value: str) -> str:
    v = value.strip()
    if v and not v.startswith(("postgresql://", "postgres://")):
        raise SettingError(
            f"设置 {ENV_PREFIX}DATABASE_URL 应以 postgresql:// 开头（当前值无效），或留空使用数据库文件"
        )
    return v


def _parse_bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise SettingError(f"设置 {ENV_PREFIX}{name.upper()} 的值“{value}”无效，应为 1 或 0")


def _parse_int(value: str, name: str, minimum: int | None = None) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise SettingError(f"设置 {ENV_PREFIX}{name.upper()} 的值“{value}”无效，应为整数") from None
    if minimum is not None and n < minimum:
        raise SettingError(f"设置 {ENV_PREFIX}{name.upper()} 不能小于 {minimum}")
    return n
