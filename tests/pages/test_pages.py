"""Every page renders without exception (AppTest), with the figures the data gives."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import FIXTURES, app_as

PAGES = ["pages/overview.py", "pages/data_settings.py"]


def _app() -> AppTest:
    return app_as("admin")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(demo_env, page) -> None:
    at = _app().run()
    at.switch_page(page).run()
    assert not at.exception
    assert not at.error
    assert "演示数据" in at.warning[0].value


def test_overview_as_of_story_date(demo_env, demo_db_path) -> None:
    at = _app().run()
    assert _metrics(at)["入单隐患"] == "225 处"  # default: the latest date, 2022-12-31
    at.date_input(key="as_of").set_value(date(2022, 9, 15)).run()
    m = _metrics(at)
    assert (m["入单隐患"], m["已销号"], m["整改率"]) == ("172 处", "85 处", "49.4%")
    assert m["实施里程"] == "547.795 公里"
    assert m["投入资金"] == "7,854 万元"
    overdue, due_soon = _independent_overdue_and_due_soon(demo_db_path, date(2022, 9, 15), 15)
    assert (m["逾期"], m["临期"]) == (f"{overdue} 处", f"{due_soon} 处")
    table = at.dataframe[0].value
    assert table["入单（处）"].sum() == 172
    assert table["已销号（处）"].sum() == 85
    zone = table.loc[table["单位"] == "阜合现代产业园区"]
    assert (zone["整改率"].item(), zone["事故同比"].item()) == ("—", "—")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "各单位隐患整改情况（截至 2022-09-15）"
    bars = {trace["name"]: sum(trace["x"]) for trace in spec["data"]}
    assert bars["已销号"] == 85
    assert bars["逾期"] == table["逾期（处）"].sum()
    assert "统计截至 2022年9月15日" in at.caption[0].value


def _independent_overdue_and_due_soon(path, d: date, horizon: int) -> tuple[int, int]:
    """Counted in pandas from the raw rows, not with the product's SQL."""
    conn = duckdb.connect(str(path), read_only=True)
    h = conn.execute("SELECT * FROM hazards").df()
    conn.close()
    ts = pd.Timestamp(d)
    listed_on = h.listed_date.fillna(h.found_date).where(h.state != "待认定")
    is_open = (listed_on <= ts) & ~(h.voided_date <= ts) & ~(h.closed_date <= ts)
    overdue = int((is_open & (h.deadline < ts)).sum())
    soon = int(
        (is_open & (h.deadline >= ts) & (h.deadline <= ts + pd.Timedelta(days=horizon))).sum()
    )
    return overdue, soon


def test_first_start_creates_the_demo_database(monkeypatch, tmp_path) -> None:
    path = tmp_path / "sub" / "hazards.duckdb"
    monkeypatch.setenv("HAZARDS_DB_PATH", str(path))
    at = _app().run()
    assert not at.exception
    assert path.exists()
    assert _metrics(at)["入单隐患"] == "225 处"


def test_a_second_city_starts_empty(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HAZARDS_CITY_FILE", str(FIXTURES / "tinycity" / "city.toml"))
    monkeypatch.setenv("HAZARDS_DB_PATH", str(tmp_path / "tiny.duckdb"))
    monkeypatch.setenv("HAZARDS_INITIAL_ADMIN_PASSWORD", "first-boss-2022")
    at = _app().run()
    assert not at.exception
    assert not at.warning  # no demo label: this database holds no demo data
    assert "示例市公安局交通警察支队" in at.caption[0].value
    assert "还没有隐患和事故记录" in at.info[0].value
    assert _metrics(at)["入单隐患"] == "0 处"
    assert _metrics(at)["整改率"] == "—"
    assert at.dataframe[0].value["单位"].tolist() == ["东区", "西区", "示例新区"]
    at.switch_page("pages/data_settings.py").run()
    assert not at.exception


def test_a_missing_city_file_is_explained(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HAZARDS_CITY_FILE", str(tmp_path / "missing.toml"))
    at = _app().run()
    assert not at.exception
    assert "找不到城市配置文件" in at.error[0].value


def test_a_locked_database_is_explained(monkeypatch, tmp_path) -> None:
    path = tmp_path / "locked.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('ready', flush=True);"
            " sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv("HAZARDS_DB_PATH", str(path))
        at = _app().run()
        assert not at.exception
        assert f"正被另一个程序（进程号 {holder.pid}）占用" in at.error[0].value
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
