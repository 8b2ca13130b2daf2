"""No command prints a traceback; a held database is reported as held; writers never fail on
text already stored (control characters included)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import time
import zipfile

import openpyxl
import pandas as pd
import pytest

from analytics import inert, textsafe
from analytics.__main__ import main
from tests.conftest import ROOT
from tests.pg_mode import ON_POSTGRES, store_conn

DIRTY = "急弯\x00陡坡\x01\x0b视距\x1f不良\ufffe"
if ON_POSTGRES:  # PostgreSQL text cannot hold NUL at all: the other control characters it can
    DIRTY = DIRTY.replace("\x00", "")
CLEAN = "急弯陡坡\n视距不良"


def test_clean_cell() -> None:
    assert textsafe.clean_cell(DIRTY) == CLEAN
    assert textsafe.clean_cell("普通文本\t第二列\r\n") == "普通文本\t第二列\r\n"  # legal in XML
    assert textsafe.clean_cell("\ud800孤立代理") == "孤立代理"
    assert textsafe.clean_value(3) == 3


def test_the_workbook_export_never_fails_on_stored_text() -> None:
    frame = pd.DataFrame({"隐患描述": [DIRTY, "=1+1", None], "数量": [1, 2, 3]})
    book = openpyxl.load_workbook(io.BytesIO(inert.workbook({"台账": frame})))
    assert [c.value for c in book["台账"]["A"]] == ["隐患描述", CLEAN, "'=1+1", None]


@pytest.fixture
def dirty_db(tmp_path, demo_db_path):
    """The demo with control characters stored in hazards' text (written before imports checked)."""
    path = tmp_path / "d.duckdb"
    shutil.copy(demo_db_path, path)
    conn = store_conn(path)
    conn.execute("UPDATE hazards SET road_name = ? || road_name, description = ?", [DIRTY, DIRTY])
    conn.close()
    return path


@pytest.mark.parametrize("suffix", ["docx", "xlsx"])
def test_a_bulletin_renders_stored_control_characters(dirty_db, tmp_path, capsys, suffix) -> None:
    out = tmp_path / f"通报.{suffix}"
    args = ["bulletin", "--db", str(dirty_db), "--period", "month", "--as-of", "2022-09-15"]
    assert main([*args, "--out", str(out)]) == 0
    if suffix == "xlsx":
        book = openpyxl.load_workbook(out)
        text = "".join(str(v) for ws in book for r in ws.iter_rows(values_only=True) for v in r)
    else:
        with zipfile.ZipFile(out) as z:
            text = z.read("word/document.xml").decode("utf-8")
    assert "界首市急弯陡坡" in text  # the stored road name, without its control characters
    assert not textsafe.has_illegal(text)


def test_an_unexpected_error_is_a_reference_not_a_traceback(
    tmp_path, demo_db_path, capsys, monkeypatch
) -> None:
    from analytics.ledger import metrics

    path = tmp_path / "d.duckdb"
    shutil.copy(demo_db_path, path)

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(metrics, "overview", broken)
    assert main(["overview", "--db", str(path), "--as-of", "2022-09-15"]) == 2
    err = capsys.readouterr().err
    ref = re.fullmatch(
        r"错误：程序内部出错，操作未完成（参考号 ([0-9a-f]{8})）。详细信息已记录在 (.+)，"
        r"请将参考号告知系统管理员。\n",
        err,
    )
    assert ref and "Traceback" not in err
    log = (tmp_path / "logs" / "analytics-errors.log").read_text(encoding="utf-8")
    assert ref[2] == str(tmp_path / "logs" / "analytics-errors.log")
    assert f"unexpected error (ref {ref[1]}) in: python -m analytics overview" in log
    assert "Traceback" in log and "ZeroDivisionError: a bug" in log


def test_a_held_database_is_reported_as_held(tmp_path) -> None:
    """Another process holds the file: every command says so, and nothing about backups."""
    path = tmp_path / "held.duckdb"
    assert main(["migrate", "--db", str(path)]) == 0
    csv = tmp_path / "a.csv"
    csv.write_text("隐患编号\nA\n", encoding="utf-8")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
            " print('held', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        for args in (["import", "hazards", str(csv)], ["migrate"], ["info"]):
            t = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "analytics", *args, "--db", str(path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert time.perf_counter() - t < 30
            assert done.returncode == 2
            assert done.stderr == (
                f"错误：数据库文件 {path} 正被另一个程序（进程号 {holder.pid}）占用。"
                "请先关闭正在使用它的看板或命令行程序，再重试。\n"
            )
    finally:
        holder.kill()
        holder.wait()


def test_a_hostile_file_through_the_command_line(tmp_path) -> None:
    from bench import bombs

    name, data = bombs.far_cell()
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics",
            "import",
            "hazards",
            str(path),
            "--db",
            str(tmp_path / "x.duckdb"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(
        "错误：文件 far-cell.xlsx 有 1048576 行，超过单次导入上限 200000 行"
    )
