"""The command line of 人·车·企 lists: python -m analytics sources import | metrics | indicators."""

from __future__ import annotations

import json

import openpyxl
import pytest

from analytics.__main__ import main
from tests.pg_mode import store_conn

HEAD = "号牌号码,使用性质,处理状态"


def _file(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_bytes(("\n".join([HEAD, *rows]) + "\n").encode("utf-8"))
    return path


def _import(db, path, as_of: str, *more: str) -> int:
    return main(
        ["sources", "import", str(path), "--db", str(db), "--indicator", "V_INSPECTION"]
        + ["--as-of", as_of, "--unit", "颍上", *more]
    )


def test_import_dry_run_write_and_metrics(tmp_path, capsys) -> None:
    db = tmp_path / "s.duckdb"
    jan = _file(tmp_path, "一月.csv", "皖K10001,旅游客运,", "皖K10002,旅游客运,")
    assert _import(db, jan, "2022-01-31") == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "已导入：截至 2022-01-31 的清单，新增案件 2 件，清零 0 件，仍未清零 0 件。\n"
    )
    # February: K10002 absent, K10001 已检验 → both cleared; the dry run prints the plan only
    feb = _file(tmp_path, "二月.csv", "皖K10001,旅游客运,已检验")
    assert _import(db, feb, "2022-02-28", "--dry-run") == 0
    out = capsys.readouterr().out
    assert (
        "试运行（未写入）：截至 2022-02-28 的清单，新增案件 0 件，清零 2 件，仍未清零 0 件。" in out
    )
    assert "  皖K10001 清零状态：未清零 → 已清零（已检验）\n" in out
    assert "  皖K10002 清零状态：未清零 → 已清零（未再列入清单）\n" in out
    conn = store_conn(db)
    assert conn.execute("SELECT count(*) FROM source_snapshots").fetchone() == (1,)
    conn.close()
    assert _import(db, feb, "2022-02-28", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["inserted"], result["updated"], result["written"]) == (0, 2, True)
    # figures from 2022-01-01 to the latest list (2022-02-28): stock 0, new 2, cleared 2 → 100%
    assert main(["sources", "metrics", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["start"], report["end"]) == ("2022-01-01", "2022-02-28")
    assert [
        (r["indicator"], r["new"], r["cleared"], r["remaining"], r["rate"])
        for r in report["by_indicator"]
    ] == [("V_INSPECTION", 2, 2, 0, 1.0)]
    assert main(["sources", "metrics", "--db", str(db)]) == 0
    table = capsys.readouterr().out
    assert table.startswith("重点车辆和驾驶人源头隐患清零行动（2022-01-01 至 2022-02-28）\n")
    assert (
        "  车辆·逾期未检验\t存量 0\t新增 2\t已清零 2\t余量 0\t清零率 100.0%\t最久未清零 —\n"
        in table
    )


def test_import_refusals_and_exit_codes(tmp_path, capsys) -> None:
    db = tmp_path / "s.duckdb"
    jan = _file(tmp_path, "一月.csv", "皖K10001,旅游客运,")
    assert _import(db, jan, "2022-01-31") == 0
    capsys.readouterr()
    # a date not after the last list: refused before reading (exit 2)
    other = _file(tmp_path, "另一份.csv", "皖K10009,旅游客运,")
    assert _import(db, other, "2022-01-31") == 2
    assert capsys.readouterr().err == (
        "错误：颍上县已导入 2022-01-31 的“逾期未检验”清单；新清单的日期须晚于该日（本次为 2022-01-31）\n"
    )
    # a row problem refuses the whole list (exit 1), with the problem table written
    bad = _file(tmp_path, "有误.csv", "皖K10001,旅游客运,", "ABC,旅游客运,")
    errors = tmp_path / "问题.xlsx"
    assert _import(db, bad, "2022-02-28", "--errors", str(errors)) == 1
    assert "第 3 行 [号牌号码] ABC：号牌号码“ABC”格式有误（如 皖K12345）" in capsys.readouterr().err
    assert [c.value for c in openpyxl.load_workbook(errors).active[2]] == [
        3,
        "号牌号码",
        "ABC",
        "号牌号码“ABC”格式有误（如 皖K12345）",
        "拒收",
    ]
    # unknown indicator, unit, file
    assert (
        main(
            [
                "sources",
                "import",
                str(jan),
                "--db",
                str(db),
                "--indicator",
                "X",
                "--as-of",
                "2022-03-31",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err == "错误：没有代码为“X”的指标\n"
    assert _import(db, jan, "2022-03-31", "--unit", "合肥") == 2
    assert capsys.readouterr().err == "错误：合肥 不是本市的单位\n"
    assert _import(db, tmp_path / "无.csv", "2022-03-31") == 2
    assert capsys.readouterr().err.startswith("错误：找不到文件 ")
    # without --unit the local administrator imports a whole-city list, and is warned
    city = _file(tmp_path, "全市.csv")
    assert (
        main(
            [
                "sources",
                "import",
                str(city),
                "--db",
                str(db),
                "--indicator",
                "V_SCRAP",
                "--as-of",
                "2022-03-31",
            ]
        )
        == 0
    )
    assert (
        capsys.readouterr().err
        == "注意：本清单按全市导入，清单中没有的各单位未清零案件均按清单日期清零。\n"
    )


def test_indicators_are_the_configured_ones(capsys) -> None:
    assert main(["sources", "indicators"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11
    assert lines[0] == "V_INSPECTION\t车辆·逾期未检验\t清零词：已检验、已报废、已注销"
    assert lines[2] == "V_VIOLATIONS\t车辆·违法未处理\t清零词：已处理\t违法未处理数≥3"
    assert lines[6] == "D_REVIEW\t驾驶人·逾期未审验\t清零词：已审验、已注销\t只统计A、B类驾驶人"


@pytest.mark.parametrize("name", ["import", "metrics", "indicators"])
def test_every_sources_command_has_chinese_help(name: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sources", name, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m analytics sources {name} ")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out)
