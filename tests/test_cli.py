"""The command line: python -m analytics ..."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys

import pytest

from analytics import __main__ as cli
from analytics.__main__ import main
from tests.conftest import ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "analytics", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for command in ("demo", "migrate", "info", "overview"):
        assert command in out


def test_overview_as_json(tmp_path, demo_db_path, capsys) -> None:
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db_path, db)
    assert main(["overview", "--db", str(db), "--as-of", "2022-09-15"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["listed"], out["closed"]) == (172, 85)
    assert round(out["rectification_rate"], 3) == 0.494
    assert sum(u["listed"] for u in out["units"]) == 172


def test_overview_before_anything_is_listed_is_strict_json(tmp_path, demo_db_path, capsys) -> None:
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db_path, db)
    assert main(["overview", "--db", str(db), "--as-of", "2000-01-31"]) == 0
    text = capsys.readouterr().out

    def refuse(word: str) -> None:
        raise AssertionError(f"not JSON: {word}")

    out = json.loads(text, parse_constant=refuse)  # NaN or Infinity would be refused
    assert (out["listed"], out["rectification_rate"]) == (0, None)


def test_demo_refuses_to_overwrite_and_info_reports(tmp_path, capsys) -> None:
    db = tmp_path / "new.duckdb"
    assert main(["demo", "--db", str(db), "--seed", "3"]) == 0
    assert main(["demo", "--db", str(db)]) == 2
    assert "已存在" in capsys.readouterr().err
    assert main(["info", "--db", str(db)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["schema_version"] == 10
    assert info["dataset"] == {
        "city_adcode": "341200",
        "is_demo": "1",
        "demo_seed": "3",
        "clock_date": "2022-12-31",
    }
    assert info["rows"]["units"] == 10


def test_demo_for_another_city_is_refused_in_chinese(tmp_path, capsys) -> None:
    city = ROOT / "tests" / "fixtures" / "tinycity" / "city.toml"
    assert main(["demo", "--db", str(tmp_path / "t.duckdb"), "--city", str(city)]) == 2
    assert "演示数据只适用于阜阳市" in capsys.readouterr().err


def test_migrate_creates_an_empty_store(tmp_path, capsys) -> None:
    assert main(["migrate", "--db", str(tmp_path / "m.duckdb")]) == 0
    assert "数据库结构版本：10" in capsys.readouterr().out


def test_metrics_json_and_csv(tmp_path, demo_db_path, capsys) -> None:
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db_path, db)
    assert main(["metrics", "--db", str(db), "--as-of", "2022-09-15"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == "2022-09-15"
    assert out["settings"] == {"due_soon_days": 15}
    assert (out["total"]["listed"], out["total"]["closed"]) == (172, 85)
    assert round(out["total"]["rate"], 3) == 0.494
    assert sum(g["listed"] for g in out["groups"]) == 172
    zone = next(g for g in out["groups"] if g["unit_code"] == "341271")
    assert zone["rank"] is None and zone["rate"] is None
    ranks = sorted(g["rank"] for g in out["groups"] if g["rank"] is not None)
    assert ranks[0] == 1 and len(ranks) == 8
    assert (
        main(["metrics", "--db", str(db), "--as-of", "2022-09-15", "--by", "grade", "--csv"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("group,listed,closed,open,rate,")
    assert lines[-1].startswith("total,172,85,87,")
    assert {line.split(",")[0] for line in lines[1:-1]} == {"重大", "较大", "一般"}


def test_read_commands_do_not_upgrade_an_old_file(tmp_path, capsys) -> None:
    from analytics.store import db

    path = tmp_path / "old.duckdb"
    conn = db.connect(path)
    db.migrate(conn, target=1)
    conn.close()
    assert main(["overview", "--db", str(path)]) == 2
    assert "需要先升级：python -m analytics migrate" in capsys.readouterr().err
    conn = db.connect(path, read_only=True)
    assert db.schema_version(conn) == 1  # untouched
    conn.close()
    assert main(["info", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "数据库文件不存在" in capsys.readouterr().err


def test_user_commands_apply_the_password_rules(
    tmp_path, demo_db_path, capsys, monkeypatch
) -> None:
    import io

    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db_path, db)

    def user(*args: str, password: str | None = None) -> tuple[int, str, str]:
        if password is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        code = main(["user", *args, "--db", str(db)])
        out, err = capsys.readouterr()
        return code, out, err

    assert user("add", "zhao", "--role", "admin", "--password-stdin", password="woaini1314") == (
        2,
        "",
        "错误：密码过于常见，容易被猜中\n",
    )
    assert user("add", "zhao", "--role", "admin", "--password-stdin", password="demo2022") == (
        2,
        "",
        "错误：密码至少 10 位；不能使用公开的演示密码\n",
    )
    assert user("add", "zhao", "--role", "admin", "--password-stdin", password="Zhao-Road-2022")[
        2
    ] == ("错误：密码不能包含用户名\n")
    assert user("add", "zhao", "--role", "admin", "--password-stdin", password="Huaiyuan-K12")[
        :2
    ] == (0, "已创建账号 zhao（支队管理员）\n")
    # the demo accounts of the demo database may keep (or get back) the public password
    assert user("passwd", "taihe", "--password-stdin", password="demo2022")[:2] == (
        0,
        "已修改 taihe 的密码\n",
    )
    from datetime import datetime

    from analytics.accounts import auth
    from tests.pg_mode import store_conn

    conn = store_conn(db)
    for _ in range(5):
        try:
            auth.authenticate(conn, "zhao", "wrong-guess-1", datetime(2099, 1, 1))
        except auth.AuthError:
            pass
    conn.close()
    code, out, _ = user("list")
    assert "zhao\tzhao\t支队管理员\t—\t锁定至 2099-01-01 00:15\n" in out
    assert user("unlock", "zhao")[:2] == (0, "已解锁账号 zhao\n")
    code, out, _ = user("list")
    assert "zhao\tzhao\t支队管理员\t—\t启用\n" in out


def _subcommands() -> argparse._SubParsersAction:
    """The subcommands as the parser registers them (not a hand-kept list)."""
    (sub,) = [a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sub


COMMANDS = list(_subcommands().choices)


def test_the_command_registry_is_the_documented_one() -> None:
    assert COMMANDS == [
        "demo",
        "migrate",
        "migrate-store",
        "info",
        "metrics",
        "overview",
        "backup",
        "restore",
        "import",
        "bulletin",
        "hotspots",
        "user",
        "sources",
    ]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_chinese_help_and_help_exits_0(name: str, capsys) -> None:
    sub = _subcommands()
    parser = sub.choices[name]
    listed = {a.dest: a.help for a in sub._choices_actions}  # the top-level listing's line
    assert parser.description is not None and CJK.search(parser.description)
    assert listed[name] == parser.description
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m analytics {name} ")
    assert parser.description in out


def test_bulletin_defaults_follow_the_demos_today_after_an_import_dated_today(
    tmp_path, demo_db_path, capsys
) -> None:
    """On demo data the command's "today" is the demo's (2022-12-31), as on the pages: an
    accident imported with today's real date neither moves the default as-of date past it nor
    leaves the document date before the as-of date (the issue was refused)."""
    from datetime import date

    db = tmp_path / "d.duckdb"
    shutil.copy(demo_db_path, db)
    today = date.today().isoformat()
    f = tmp_path / "今天.csv"
    f.write_text(
        "事故编号,事故日期,时间,行政区划,经度,纬度,死亡人数,受伤人数\n"
        f"T001,{today},09:00,颍上县,116.27,32.63,0,1\n",
        encoding="utf-8",
    )
    assert main(["import", "accidents", str(f), "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 1
    out = tmp_path / "b.docx"
    args = ["bulletin", "--db", str(db), "--period", "month", "--out", str(out), "--issue"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "2022年第1期" in printed and "截至 2022-12-31" in printed
    assert out.read_bytes()[:2] == b"PK"
    from tests.pg_mode import store_conn

    conn = store_conn(db, read_only=True)
    issued = conn.execute("SELECT CAST(issued_at AS DATE), dated FROM bulletins").fetchall()
    conn.close()
    assert issued == [(date(2022, 12, 31), date(2022, 12, 31))]  # on the demo's day, as the page
    assert main(["overview", "--db", str(db)]) == 0  # the other commands' default as well
    assert json.loads(capsys.readouterr().out)["as_of"] == "2022-12-31"
