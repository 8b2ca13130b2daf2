"""Command line: python -m analytics <command> --db PATH ... (see --help)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from analytics import city as city_mod
from analytics import db, demo, metrics
from analytics.city import CityConfigError
from analytics.config import SettingError, Settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.db:
            settings = replace(settings, db_path=Path(args.db))
        if args.city:
            settings = replace(settings, city_file=Path(args.city))
        return args.run(args, settings)
    except (db.StoreError, CityConfigError, SettingError, demo.DemoNotAvailable) as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m analytics",
        description="道路交通安全隐患“一单四制”台账与事故分析 — command line",
    )
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, help_text: str, run) -> argparse.ArgumentParser:  # noqa: ANN001
        c = sub.add_parser(name, help=help_text, description=help_text)
        c.add_argument("--db", help="database file (default: setting HAZARDS_DB_PATH)")
        c.add_argument("--city", help="city file (default: setting HAZARDS_CITY_FILE)")
        c.set_defaults(run=run)
        return c

    c = command("demo", "create a database holding the deterministic demo city", _demo)
    c.add_argument("--seed", type=int, help="generator seed (default: setting HAZARDS_DEMO_SEED)")
    c.add_argument("--force", action="store_true", help="replace an existing file")
    command("migrate", "create the database or upgrade its schema to the latest version", _migrate)
    command("info", "schema version, dataset facts and row counts", _info)
    c = command(
        "metrics", "ledger figures as of a date by unit, type, grade, ... (JSON or CSV)", _metrics
    )
    c.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: latest data)")
    c.add_argument("--by", choices=list(metrics.GROUPINGS), default="unit")
    fmt_group = c.add_mutually_exclusive_group()
    fmt_group.add_argument("--json", dest="format", action="store_const", const="json")
    fmt_group.add_argument("--csv", dest="format", action="store_const", const="csv")
    c = command("overview", "the overview figures as of a date (JSON)", _overview)
    c.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: latest data)")
    return p


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
    city = city_mod.load_city(settings.city_file)
    conn = db.open_store(settings.db_path, city, settings.timezone)
    print(f"数据库结构版本：{db.schema_version(conn)}（{settings.db_path}）")
    conn.close()
    return 0


def _info(args: argparse.Namespace, settings: Settings) -> int:
    conn = db.open_for_reading(settings.db_path, settings.timezone)
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
    conn = db.open_for_reading(settings.db_path, settings.timezone)
    as_of = args.as_of or metrics.latest_date(conn) or settings.today()
    out = metrics.report(conn, as_of, settings.due_soon_days, by=args.by)
    conn.close()
    if args.format == "csv":
        key = "unit_code" if args.by == "unit" else "group"
        rows = [*out["groups"], {key: "total", **out["total"]}]
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _overview(args: argparse.Namespace, settings: Settings) -> int:
    conn = db.open_for_reading(settings.db_path, settings.timezone)
    as_of = args.as_of or metrics.latest_date(conn) or settings.today()
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


if __name__ == "__main__":
    sys.exit(main())
