"""Command line: python -m analytics <command> --db PATH ... (see --help)."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import uuid
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import duckdb

from analytics import bootstrap, inert
from analytics import city as city_mod
from analytics.accidents import rules as hotspot_rules
from analytics.accidents import site_tables as hotspot_tables
from analytics.accidents import sites as hotspots
from analytics.accounts import auth
from analytics.city import CityConfigError
from analytics.config import PROJECT_ROOT, SettingError, Settings
from analytics.demo import build as demo
from analytics.geo import format_stake
from analytics.ledger import metrics
from analytics.store import backup, db, mirror, pg_backup, shared

log = logging.getLogger("hazards.cli")
LOG_NAME = "analytics-errors.log"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = None
    try:
        settings = Settings.from_env()
        target = getattr(args, "db", None)
        if target and shared.is_url(target):
            settings = replace(settings, database_url=target)
        elif target:
            settings = replace(settings, db_path=Path(target), database_url="")
        if getattr(args, "city", None):
            settings = replace(settings, city_file=Path(args.city))
        return args.run(args, settings)
    except (
        db.StoreError,
        CityConfigError,
        SettingError,
        demo.DemoNotAvailable,
        backup.BackupError,
    ) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (… | head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception:  # no traceback reaches the user: a reference, and the detail in the log
        ref = uuid.uuid4().hex[:8]
        where = _log_unexpected(ref, settings, argv if argv is not None else sys.argv[1:])
        print(
            f"错误：程序内部出错，操作未完成（参考号 {ref}）。详细信息已记录在 {where}，"
            "请将参考号告知系统管理员。",
            file=sys.stderr,
        )
        return 2


def _log_unexpected(ref: str, settings: Settings | None, argv: list[str]) -> str:
    """The traceback appended to <the database's folder>/logs/analytics-errors.log (the
    standard error log when that cannot be written); where it went, for the message."""
    folder = (settings.db_path.parent if settings else PROJECT_ROOT / "data") / "logs"
    detail = f"unexpected error (ref {ref}) in: python -m analytics {' '.join(argv)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / LOG_NAME, encoding="utf-8")
        where = str(folder / LOG_NAME)
    except OSError:
        handler, where = logging.NullHandler(), "系统日志"
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    try:
        log.exception(detail)
    finally:
        log.removeHandler(handler)
        handler.close()
    return where


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analytics",
        description="道路交通安全隐患“一单四制”台账与事故分析 — 命令行",
    )
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, help_text: str, run, db: bool = True) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text)
        if db:  # migrate-store names its two stores itself and needs no city
            c.add_argument("--db", help=DB_HELP)
            c.add_argument("--city", help="city file (default: setting HAZARDS_CITY_FILE)")
        c.set_defaults(run=run)
        return c

    c = command("demo", "创建数据库并生成演示城市（结果固定，可重复）", _demo)
    c.add_argument("--seed", type=int, help="generator seed (default: setting HAZARDS_DEMO_SEED)")
    c.add_argument("--force", action="store_true", help="replace an existing file")
    command("migrate", "创建数据库，或将其结构升级到最新版本", _migrate)
    c = command(
        "migrate-store",
        "将数据库文件迁入新建的空 PostgreSQL 数据库（共享数据库），并逐表核对行数与内容",
        _migrate_store,
        db=False,
    )
    c.add_argument("--from", dest="source", required=True, help="the DuckDB database file")
    c.add_argument("--to", dest="target", required=True, help="postgresql://… of an empty database")
    command("info", "数据库结构版本、数据概况和各表行数", _info)
    c = command("metrics", "截至某日的台账指标，按单位、类型、等级等分组（JSON 或 CSV）", _metrics)
    c.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: latest data)")
    c.add_argument("--by", choices=list(metrics.GROUPINGS), default="unit")
    fmt_group = c.add_mutually_exclusive_group()
    fmt_group.add_argument("--json", dest="format", action="store_const", const="json")
    fmt_group.add_argument("--csv", dest="format", action="store_const", const="csv")
    c = command("overview", "截至某日的总览指标（JSON）", _overview)
    c.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: latest data)")
    c = command("backup", "备份数据库和佐证材料文件（一致的副本）", _backup)
    c.add_argument("--out", help="backup folder (default: setting HAZARDS_BACKUP_DIR)")
    c.add_argument("--key", help=KEY_HELP)
    c = command("restore", "将备份文件夹恢复到 --db 指定的数据库（连同佐证材料文件）", _restore)
    c.add_argument("backup_dir", help="a folder written by the backup command")
    c.add_argument(
        "--force",
        action="store_true",
        help="replace an existing database file (a PostgreSQL restore only fills a new, empty "
        "database)",
    )
    c.add_argument("--key", help=KEY_HELP)
    c = command("import", "导入区县隐患台账、事故数据或道路数据（csv、xlsx、xls）", _import)
    c.add_argument("kind", choices=["hazards", "accidents", "roads"], help="what the file holds")
    c.add_argument("file")
    c.add_argument("--as", dest="as_user", help="act as this account (its role and unit apply)")
    c.add_argument("--unit", help="without --as: the uploading unit (name, short name or adcode)")
    c.add_argument(
        "--coords",
        help="coordinate system of the file when it has no 坐标系 column "
        "(WGS84, GCJ02, BD09; default WGS84)",
    )
    c.add_argument("--sheet", help="the worksheet to read (default: the first)")
    c.add_argument("--mapping", help='a JSON file {"the file\'s column": "standard column", ...}')
    c.add_argument(
        "--accept-valid",
        action="store_true",
        help="import the valid rows even when others are rejected",
    )
    c.add_argument("--errors", help="write the problem table to this .xlsx or .csv file")
    c.add_argument("--json", action="store_true", help="print the result as one JSON object")
    c.add_argument(
        "--dry-run",
        action="store_true",
        help="check the file and print the plan (new records, every change before -> after, "
        "refused rows) without writing anything",
    )
    c.add_argument(
        "--override-protected",
        action="store_true",
        help="administrators: also write changes to fields only the 一单四制 workflow changes "
        "(state, grade, 挂牌督办, five elements, acceptance, unit); needs --reason",
    )
    c.add_argument("--reason", help="with --override-protected: why (recorded in every event)")
    c = command("bulletin", "生成通报（.docx 或 .xlsx）；加 --issue 则编号并归档", _bulletin)
    c.add_argument("--period", choices=["week", "month", "quarter"], required=True)
    c.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: latest data)")
    c.add_argument(
        "--date",
        dest="dated",
        type=date.fromisoformat,
        help="成文日期 YYYY-MM-DD（默认：今天与统计截至日期中较晚的一天；演示数据以演示的“今天”为准）",
    )
    c.add_argument("--out", required=True, help="FILE.docx or FILE.xlsx")
    c.add_argument(
        "--issue", action="store_true", help="issue it: take the next number, archive it"
    )
    c.add_argument("--as", dest="as_user", help="--issue as this account (default: local admin)")
    c = command("hotspots", "截至某日的事故多发点段", _hotspots)
    c.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: latest data)")
    c.add_argument(
        "--preset",
        choices=list(hotspot_rules.PRESETS),
        help="a named rule (default: the city file's [hotspots] default_preset, else "
        f"{hotspot_rules.DEFAULT_PRESET}); options below override it",
    )
    c.add_argument("--mode", choices=list(hotspot_rules.MODES))
    c.add_argument("--window-m", type=int, help="stake window L in metres")
    c.add_argument("--radius-m", type=float, help="coordinates mode: radius R in metres")
    c.add_argument("--days", type=int, help="time window T in days, ending on the as-of date")
    c.add_argument("--measure", choices=list(hotspot_rules.MEASURES))
    c.add_argument("--threshold", type=float)
    c.add_argument("--weights", help="score weights fatal,injury,property (e.g. 12,3,1)")
    c.add_argument("--unit", help="only this unit's accidents (adcode)")
    fmt_group = c.add_mutually_exclusive_group()
    fmt_group.add_argument("--json", dest="format", action="store_const", const="json")
    fmt_group.add_argument("--csv", dest="format", action="store_const", const="csv")
    c = command(
        "user",
        "管理账号：add 新增、passwd 改密码、disable 停用、enable 启用、unlock 解锁、list 列出",
        _user,
    )
    c.add_argument("op", choices=["add", "passwd", "disable", "enable", "unlock", "list"])
    c.add_argument("username", nargs="?")
    c.add_argument("--role", choices=list(auth.ROLES), help="add: leader | admin | county")
    c.add_argument("--unit", help="add: the unit's adcode (county accounts)")
    c.add_argument("--name", help="add: display name (default: the username)")
    c.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    _sources_parser(command("sources", SOURCES_HELP, None, db=False))
    return p


SOURCES_HELP = (
    "重点车辆与驾驶人（人·车·企源头隐患）：import 导入清单、metrics 清零指标、indicators 指标"
)


def _sources_parser(parent: argparse.ArgumentParser) -> None:
    sub = parent.add_subparsers(required=True, metavar="SOURCES_COMMAND")

    def command(name: str, help_text: str, run) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text)
        c.add_argument("--db", help=DB_HELP)
        c.add_argument("--city", help="city file (default: setting HAZARDS_CITY_FILE)")
        c.set_defaults(run=run)
        return c

    c = command(
        "import",
        "导入某一指标截至某日的完整清单：名单上的对象新增案件，上次有、本次无或标明已清零的案件清零",
        _sources_import,
    )
    c.add_argument("file")
    c.add_argument("--indicator", required=True, help="the indicator's code (sources indicators)")
    c.add_argument(
        "--as-of", type=date.fromisoformat, required=True, help="the list's date YYYY-MM-DD"
    )
    c.add_argument(
        "--unit",
        help="the unit whose list it is (name, short name or adcode); without it and without "
        "--as: every unit (a whole-city list clears the cases of units absent from it)",
    )
    c.add_argument("--as", dest="as_user", help="act as this account (its role and unit apply)")
    c.add_argument("--sheet", help="the worksheet to read (default: the first)")
    c.add_argument("--mapping", help='a JSON file {"the file\'s column": "standard column", ...}')
    c.add_argument("--errors", help="write the problem table to this .xlsx or .csv file")
    c.add_argument("--json", action="store_true", help="print the result as one JSON object")
    c.add_argument(
        "--dry-run",
        action="store_true",
        help="check the list and print the plan (cases opened, every case cleared) without "
        "writing anything",
    )
    c = command(
        "metrics", "各指标、各单位的存量、新增、清零、余量和清零率（JSON 或表格）", _sources_metrics
    )
    c.add_argument("--start", type=date.fromisoformat, help="YYYY-MM-DD (default: campaign start)")
    c.add_argument("--end", type=date.fromisoformat, help="YYYY-MM-DD (default: the latest list)")
    c.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    command("indicators", "列出配置的指标（代码、名称、清零词）", _sources_indicators)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    path = settings.db_path
    if path.exists() and not args.force:
        print(f"错误：{path} 已存在；如需覆盖请加 --force", file=sys.stderr)
        return 2
    city = city_mod.load_city(settings.city_file)
    seed = settings.demo_seed if args.seed is None else args.seed
    if path.exists():
        db.connect(path).close()  # fail clearly if another process holds it
        path.unlink()
    demo.create_database(path, city, seed)
    print(f"已生成演示数据库：{path}（种子 {seed}）")
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    conn, _city = bootstrap.open_configured(replace(settings, auto_demo=False))
    print(f"数据库结构版本：{db.schema_version(conn)}（{settings.db_path}）")
    conn.close()
    return 0


def _user(args: argparse.Namespace, settings: Settings) -> int:
    conn, _city = bootstrap.open_configured(replace(settings, auto_demo=False))
    try:
        if args.op == "list":
            for r in auth.list_users(conn, settings.now()).itertuples():
                locked = f"锁定至 {r.locked_until:%Y-%m-%d %H:%M}" if r.locked else "启用"
                state = "停用" if r.disabled else locked
                unit = r.unit_name if isinstance(r.unit_name, str) else "—"
                demo_mark = " 演示" if r.is_demo else ""
                print(
                    f"{r.username}\t{r.display_name}\t{auth.ROLES[r.role]}\t{unit}\t{state}{demo_mark}"
                )
            return 0
        if not args.username:
            print("错误：请指定用户名", file=sys.stderr)
            return 2
        actor = "命令行"
        if args.op == "add":
            if not args.role:
                print("错误：新建账号须指定 --role", file=sys.stderr)
                return 2
            name = args.name or args.username
            password = _password(args.password_stdin)
            auth.add_user(conn, actor, args.username, name, args.role, args.unit, password)
            print(f"已创建账号 {args.username}（{auth.ROLES[args.role]}）")
        elif args.op == "passwd":
            auth.set_password(conn, actor, args.username, _password(args.password_stdin))
            print(f"已修改 {args.username} 的密码")
        elif args.op == "unlock":
            auth.unlock(conn, actor, args.username)
            print(f"已解锁账号 {args.username}")
        else:
            auth.set_disabled(conn, actor, args.username, args.op == "disable")
            print(f"已{'停用' if args.op == 'disable' else '启用'}账号 {args.username}")
        return 0
    except auth.AuthError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    finally:
        conn.close()


DB_HELP = (
    "database file (default: setting HAZARDS_DB_PATH), or postgresql://… of the shared store "
    "(default: setting HAZARDS_DATABASE_URL)"
)
KEY_HELP = (
    "the backup key file that signs and checks backups (default: beside the database, "
    f"<name>.backup-key; for PostgreSQL {pg_backup.KEY_NAME} in the parent of the backup "
    "folder setting); keep it out of the backup folder and carry it separately"
)


def _migrate_store(args: argparse.Namespace, settings: Settings) -> int:
    source, url = Path(args.source), args.target
    if not shared.is_url(url):
        print("错误：--to 须为 postgresql:// 开头的数据库地址", file=sys.stderr)
        return 2
    checked = mirror.copy_from_file(source, url)
    print(f"已将 {source} 迁移到 {shared.redact(url)}：")
    for table, (rows, _digest) in checked.items():
        print(f"  {table}\t{rows:,} 行\t行数与内容哈希一致")
    print(f"共 {len(checked)} 个数据表，迁移前后行数与内容哈希全部一致。")
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out or settings.backup_dir)
    key = Path(args.key) if args.key else pg_backup.default_key_file(settings)
    for folder in backup.clean_partials(out):
        print(f"已清理上次未完成的备份残留：{folder}", file=sys.stderr)
    conn = None if settings.database_url else bootstrap.open_for_reading(settings)
    try:
        folder = pg_backup.make_backup(settings, conn, out, key_file=key)
    finally:
        if conn is not None:
            conn.close()
    print(f"已备份到 {folder}")
    print(
        f"备份清单已用密钥文件 {key} 签名；在其他服务器恢复时须另行带上此密钥文件（勿放入备份目录）。"
    )
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    key = Path(args.key) if args.key else pg_backup.default_key_file(settings)
    if settings.database_url:
        return _restore_shared(args, settings, key)
    counts = backup.restore(
        Path(args.backup_dir),
        settings.db_path,
        settings.evidence_dir,
        key_file=key,
        overwrite=args.force,
    )
    print(
        f"已恢复到 {settings.db_path}：隐患 {counts.get('hazards', 0)} 条，"
        f"事件 {counts.get('hazard_events', 0)} 条，附件 {counts.get('attachments', 0)} 个"
    )
    return 0


def _restore_shared(args: argparse.Namespace, settings: Settings, key: Path) -> int:
    url = settings.database_url
    if args.force:
        print(
            "错误：共享数据库（PostgreSQL）只恢复到新建的空数据库，不覆盖已有数据，不能使用 --force。",
            file=sys.stderr,
        )
        return 2
    city = city_mod.load_city(settings.city_file)
    counts = pg_backup.restore(
        Path(args.backup_dir), url, settings.evidence_dir, city, key_file=key
    )
    print(
        f"已恢复到 {shared.redact(url)}：隐患 {counts.get('hazards', 0)} 条，"
        f"事件 {counts.get('hazard_events', 0)} 条，附件 {counts.get('attachments', 0)} 个"
    )
    print("使用该数据库：将设置 HAZARDS_DATABASE_URL 指向它，然后重启本系统。")
    return 0


def _import_limits(settings: Settings) -> dict:
    """The import options every command takes from the settings (bounds, horizon, kept files)."""
    return {
        "max_bytes": settings.import_max_mb * 2**20,
        "max_rows": settings.import_max_rows,
        "max_columns": settings.import_max_columns,
        "deadline_years": settings.deadline_horizon_years,
        "keep_in": settings.uploads_dir,
    }


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from analytics.ingest import accidents as ingest_accidents
    from analytics.ingest import hazards as ingest_hazards
    from analytics.ingest import roads as ingest_roads
    from analytics.ingest import summary
    from analytics.ingest.common import PlanChanged
    from analytics.ingest.read import ReadError

    importer = {
        "hazards": ingest_hazards.import_hazards,
        "accidents": ingest_accidents.import_accidents,
        "roads": ingest_roads.import_roads,
    }[args.kind]

    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 2
    mapping = None
    if args.mapping:
        from analytics.ingest.common import load_mapping

        try:
            mapping = load_mapping(Path(args.mapping).read_text(encoding="utf-8"))
        except (OSError, ReadError) as e:
            print(f"错误：无法读取列映射文件 {args.mapping}：{e}", file=sys.stderr)
            return 2
    conn, city = bootstrap.open_configured(replace(settings, auto_demo=False))
    try:
        if args.as_user:
            user = auth.get_user(conn, args.as_user)
            if user is None:
                print(f"错误：账号“{args.as_user}”不存在或已停用", file=sys.stderr)
                return 2
        else:
            user = auth.User("cli", "命令行（本机管理员）", "admin", None)
            if args.unit:  # the administrator uploads on behalf of this unit
                unit = city.resolve_unit(args.unit)
                if unit is None:
                    print(f"错误：{args.unit} 不是本市的单位", file=sys.stderr)
                    return 2
                user = auth.User("cli", f"命令行（代{unit.name}上报）", "admin", unit.adcode)
        if problem := summary.override_problem(args.override_protected, args.reason, user):
            print(f"错误：{problem}", file=sys.stderr)
            return 2
        result = importer(
            conn,
            city,
            user,
            path.name,
            path.read_bytes(),
            now=settings.now(),
            sheet=args.sheet,
            accept_valid=args.accept_valid,
            **_import_limits(settings),
            mapping=mapping,
            coord_system=args.coords,
            dry_run=args.dry_run,
            override_reason=args.reason if args.override_protected else None,
        )
    except (ReadError, PlanChanged) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    if args.errors and (result.problems or result.warnings):
        summary.write_problems(Path(args.errors), result)
    out = summary.as_json(result)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        summary.print_result(result)
    nothing_to_do = not (
        result.problems or result.needs_override or result.inserted or result.updated
    )
    if result.duplicate_file or nothing_to_do or (result.dry_run and not result.problems):
        return 0
    return 0 if result.written else 1


def _today(conn: duckdb.DuckDBPyConnection, settings: Settings) -> date:
    """Today as the pages take it: the demo's last day on demo data, else the local date."""
    return db.clock_date(db.dataset_facts(conn)) or settings.today()


def _default_as_of(conn: duckdb.DuckDBPyConnection, settings: Settings) -> date:
    """The as-of date a command takes when none is given: the latest data, at most today."""
    return metrics.default_as_of(metrics.latest_date(conn), _today(conn, settings))


def _bulletin(args: argparse.Namespace, settings: Settings) -> int:
    from analytics.bulletin import archive

    out = Path(args.out)
    kind = out.suffix.lower().lstrip(".")
    if kind not in ("docx", "xlsx"):
        print("错误：--out 须为 .docx 或 .xlsx 文件", file=sys.stderr)
        return 2
    if args.issue:
        conn, city = bootstrap.open_configured(replace(settings, auto_demo=False))
    else:
        conn = bootstrap.open_for_reading(settings)
        city = city_mod.load_city(settings.city_file)
    try:
        today = _today(conn, settings)
        as_of = args.as_of or metrics.default_as_of(metrics.latest_date(conn), today)
        dated = args.dated or max(today, as_of)  # as 通报's page proposes
        opts = archive.options(settings, city)
        if args.issue:
            user = auth.User("cli", "命令行（本机管理员）", "admin", None)
            if args.as_user and (user := auth.get_user(conn, args.as_user)) is None:
                print(f"错误：账号“{args.as_user}”不存在或已停用", file=sys.stderr)
                return 2
            now = datetime.combine(today, settings.now().time())  # as the page records it
            issued = archive.issue(conn, user, as_of, args.period, opts, dated=dated, now=now)
            content, files = issued.content, issued.files
        else:
            content = archive.draft(conn, as_of, args.period, opts, dated)
            files = archive.render(content)
    except (archive.BulletinError, auth.AuthError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(files.docx if kind == "docx" else files.xlsx)
    print(
        f"已{'签发' if args.issue else '生成草稿'}：{content.number_label}（截至 {as_of}）→ {out}"
    )
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"密码（{auth.PASSWORD_RULE}）：")
    if first != getpass.getpass("再次输入密码："):
        raise auth.AuthError("两次输入的密码不一致")
    return first


def _info(args: argparse.Namespace, settings: Settings) -> int:
    conn = bootstrap.open_for_reading(settings)
    out = {
        "db": str(settings.db_path),
        "schema_version": db.schema_version(conn),
        "dataset": db.dataset_facts(conn),
        "rows": db.table_counts(conn),
    }
    conn.close()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _metrics(args: argparse.Namespace, settings: Settings) -> int:
    conn = bootstrap.open_for_reading(settings)
    as_of = args.as_of or _default_as_of(conn, settings)
    out = metrics.report(conn, as_of, settings.due_soon_days, by=args.by)
    conn.close()
    if args.format == "csv":
        key = "unit_code" if args.by == "unit" else "group"
        rows = [*out["groups"], {key: "total", **out["total"]}]
        inert.write_csv(rows, sys.stdout, list(rows[0]))
    else:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _overview(args: argparse.Namespace, settings: Settings) -> int:
    conn = bootstrap.open_for_reading(settings)
    as_of = args.as_of or _default_as_of(conn, settings)
    o = metrics.overview(conn, as_of, settings.due_soon_days)
    conn.close()
    out = {
        "as_of": as_of.isoformat(),
        "due_soon_days": o.due_soon_days,
        "listed": o.listed,
        "closed": o.closed,
        "rectification_rate": o.rectification_rate,
        "overdue": o.overdue,
        "due_soon": o.due_soon,
        "accidents_ytd": o.accidents,
        "accidents_ytd_last_year": o.accidents_last_year,
        "units": [
            {
                "unit": r.unit_name,
                "listed": int(r.listed),
                "closed": int(r.closed),
                "overdue": int(r.overdue),
            }
            for r in o.by_unit.itertuples()
        ],
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _hotspots(args: argparse.Namespace, settings: Settings) -> int:
    try:
        weights = tuple(float(w) for w in args.weights.split(",")) if args.weights else None
        if weights is not None and len(weights) != 3:
            raise ValueError("--weights 须为三个数：死亡事故,伤人事故,财产损失事故")
        preset = args.preset or city_mod.load_city(settings.city_file).hotspot_preset
        params = hotspot_rules.from_options(
            preset,
            mode=args.mode,
            window_m=args.window_m,
            radius_m=args.radius_m,
            days=args.days,
            measure=args.measure,
            threshold=args.threshold,
            weights=weights,
        )
    except (ValueError, city_mod.CityConfigError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    conn = bootstrap.open_for_reading(settings)
    try:
        as_of = args.as_of or _default_as_of(conn, settings)
        sites = hotspots.find_sites(conn, as_of, params, unit_adcode=args.unit)
    finally:
        conn.close()
    rows = hotspot_tables.records(sites)
    if args.format == "json":
        out = {
            "as_of": as_of.isoformat(),
            "parameters": hotspot_rules.as_dict(params),
            "sites": rows,
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        fields = list(dict.fromkeys(k for r in rows for k in r)) or ["site_key"]
        joined = ({**r, "covered_by": " ".join(r["covered_by"])} for r in rows)
        inert.write_csv(joined, sys.stdout, fields)
    else:
        print(f"事故多发点段（截至 {as_of}，{params.describe()}）：{len(rows)} 处")
        for r in rows:
            where = (
                f"{r['route']} {format_stake(r['start_m'])}–{format_stake(r['end_m'])}"
                if "route" in r
                else f"({r['lon']}, {r['lat']}) 半径{r['radius_m']:g}米"
            )
            cover = "、".join(r["covered_by"]) or "未入单"
            print(
                f"{r['rank']:>3}. {where} {r['unit']}：事故{r['accidents']}起，死亡事故"
                f"{r['fatal_accidents']}起，死亡{r['deaths']}人，受伤{r['injuries']}人；{cover}"
            )
    return 0


def _sources_import(args: argparse.Namespace, settings: Settings) -> int:
    from analytics import access
    from analytics.ingest import sources as ingest_sources
    from analytics.ingest import summary
    from analytics.ingest.common import PlanChanged, load_mapping
    from analytics.ingest.read import ReadError

    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 2
    try:
        mapping = load_mapping(Path(args.mapping).read_text("utf-8")) if args.mapping else None
    except (OSError, ReadError) as e:
        print(f"错误：无法读取列映射文件 {args.mapping}：{e}", file=sys.stderr)
        return 2
    conn, city = bootstrap.open_configured(replace(settings, auto_demo=False))
    try:
        user = auth.User("cli", "命令行（本机管理员）", "admin", None)
        if args.as_user and (user := auth.get_user(conn, args.as_user)) is None:
            print(f"错误：账号“{args.as_user}”不存在或已停用", file=sys.stderr)
            return 2
        unit = None
        if args.unit:
            if (found := city.resolve_unit(args.unit)) is None:
                print(f"错误：{args.unit} 不是本市的单位", file=sys.stderr)
                return 2
            unit = found.adcode
        result = ingest_sources.import_snapshot(
            conn,
            city,
            user,
            path.name,
            path.read_bytes(),
            now=settings.now(),
            indicator=args.indicator,
            as_of=args.as_of,
            unit=unit,
            sheet=args.sheet,
            **_import_limits(settings),
            mapping=mapping,
            dry_run=args.dry_run,
        )
    except (ReadError, PlanChanged, access.AccessError) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    if args.errors and (result.problems or result.warnings):
        summary.write_problems(Path(args.errors), result)
    if args.json:
        print(json.dumps(summary.as_json(result), ensure_ascii=False, indent=2, default=str))
    else:
        if unit is None and access.home_unit(user) is None and not result.duplicate_file:
            print(
                "注意：本清单按全市导入，清单中没有的各单位未清零案件均按清单日期清零。",
                file=sys.stderr,
            )
        if not (result.duplicate_file or result.problems):
            print(
                f"{'试运行（未写入）' if result.dry_run else '已导入'}：截至 {args.as_of} 的清单，"
                f"新增案件 {result.inserted} 件，清零 {result.updated} 件，"
                f"仍未清零 {result.unchanged} 件。"
            )
        summary.print_result(result)
        for w in result.warnings:
            print(f"  提示：{w.problem}", file=sys.stderr)
    if result.duplicate_file or (result.dry_run and not result.problems):
        return 0
    return 0 if result.written else 1


def _sources_metrics(args: argparse.Namespace, settings: Settings) -> int:
    from analytics import fmt
    from analytics.sources import config as sources_config
    from analytics.sources import figures
    from analytics.sources import log as sources_log

    city = city_mod.load_city(settings.city_file)
    cfg = sources_config.load(city)
    if not cfg.indicators:
        print("错误：本市未配置重点车辆与驾驶人指标（城市配置文件的 [sources]）", file=sys.stderr)
        return 2
    conn = bootstrap.open_for_reading(settings)
    try:
        end = args.end or sources_log.latest_list(conn) or _today(conn, settings)
        start = args.start or cfg.start
        if start >= end:
            print(f"错误：起始日期 {start} 须早于截止日期 {end}", file=sys.stderr)
            return 2
        out = figures.report(conn, cfg, start, end)
    finally:
        conn.close()
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    names = {u.adcode: u.name for u in city.units}

    def line(label: str, r: dict) -> str:
        oldest = "—" if r["oldest_days"] is None else f"{r['oldest_days']} 天"
        return (
            f"{label}\t存量 {r['stock']}\t新增 {r['new']}\t已清零 {r['cleared']}\t"
            f"余量 {r['remaining']}\t清零率 {fmt.percent(r['rate'])}\t最久未清零 {oldest}"
        )

    print(f"{out['campaign']}（{start} 至 {end}）")
    print("按指标：")
    for r in out["by_indicator"]:
        print("  " + line(r["name"], r))
    print("按单位（按清零率排名）：")
    for r in out["by_unit"]:
        print(f"  {r['rank']:>2}. " + line(names.get(r["unit"], r["unit"]), r))
    if out["city"]:
        print("  全市\t" + line("合计", out["city"]).split("\t", 1)[1])
    summons = "、".join(f"{e['enterprise']}（{e['open_cases']} 件）" for e in out["for_summons"])
    print(f"待约谈企业：{summons or '无'}")
    return 0


def _sources_indicators(args: argparse.Namespace, settings: Settings) -> int:
    from analytics.sources import config as sources_config

    cfg = sources_config.load(city_mod.load_city(settings.city_file))
    if not cfg.indicators:
        print("本市未配置重点车辆与驾驶人指标（城市配置文件的 [sources]）。")
        return 0
    for i in cfg.indicators:
        extra = [
            *([f"{i.count_label}≥{i.min_count}"] if i.min_count is not None else []),
            *(["只统计A、B类驾驶人"] if i.ab_only else []),
            *(["每行一次抓拍"] if i.sightings else []),
            *(["存量清零"] if i.stock else []),
            *([f"车辆类别：{i.vehicle_kind}"] if i.vehicle_kind else []),
        ]
        words = "、".join(i.clear_words) or "—"
        print(f"{i.code}\t{i.label}\t清零词：{words}" + (f"\t{'；'.join(extra)}" if extra else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
