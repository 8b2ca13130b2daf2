"""数据上报 of 重点车辆与驾驶人清单 through AppTest: a list that only opens cases is written at once;
a list that clears cases is previewed (every case it clears) and written only when confirmed."""

from __future__ import annotations

from datetime import date

from tests.conftest import app_as
from tests.pg_mode import store_conn

HEAD = "号牌号码,使用性质,处理状态"
WIPE = (
    "DELETE FROM source_case_events",
    "DELETE FROM source_cases",
    "DELETE FROM source_snapshot_rows",
    "DELETE FROM source_snapshots",
)


def _without_source_data(path) -> None:
    """The demo's own lists (if any) removed: the figures below are this test's alone."""
    from analytics import city as city_mod
    from analytics.store import db
    from tests.conftest import ROOT

    conn = db.open_store(path, city_mod.load_city(ROOT / "data" / "city.toml"))
    for statement in WIPE:
        conn.execute(statement)
    conn.close()


def _list_page(username: str = "admin"):
    at = app_as(username).run()
    at.switch_page("pages/upload.py").run()
    at.radio(key="kind").set_value("sources").run()
    assert not at.exception
    return at


def _upload(at, name: str, as_of: str, *rows: str):
    at.date_input(key="source_as_of").set_value(date.fromisoformat(as_of)).run()
    data = ("\n".join([HEAD, *rows]) + "\n").encode("utf-8")
    at.file_uploader(key="ledger_file").set_value((name, data, "text/csv")).run()
    at.button(key="do_import").click().run()
    assert not at.exception
    return at


def test_a_list_is_previewed_when_it_clears_cases(demo_env) -> None:
    _without_source_data(demo_env)
    at = _list_page()
    assert at.selectbox(key="source_indicator").value == "V_INSPECTION"
    assert any("全市各单位的完整名单" in w.value for w in at.warning)  # 全市 is the default
    at.selectbox(key="source_unit").set_value("341226").run()
    assert not any("全市各单位的完整名单" in w.value for w in at.warning)
    # September: two vehicles → two cases, written at once (nothing is cleared)
    _upload(at, "九月.csv", "2022-09-30", "皖K10001,旅游客运,", "皖K10002,旅游客运,")
    assert at.success[0].value == (
        "已导入截至 2022-09-30 的清单：新增案件 2 件，清零 0 件，仍未清零 0 件。"
    )
    # October: K10002 absent → cleared; previewed, nothing written yet
    _upload(at, "十月.csv", "2022-10-31", "皖K10001,旅游客运,")
    changes = next(d.value for d in at.dataframe if "原值" in d.value.columns)
    assert changes[["记录编号", "原值", "新值"]].values.tolist() == [
        ["皖K10002", "未清零", "已清零（未再列入清单）"]
    ]
    assert any("1 件案件将按清单日期 2022-10-31 清零" in w.value for w in at.warning)
    conn = store_conn(demo_env)
    assert conn.execute("SELECT count(*) FROM source_snapshots").fetchone() == (1,)
    conn.close()
    at.button(key="confirm_import").click().run()
    assert not at.exception
    assert at.success[0].value == (
        "已导入截至 2022-10-31 的清单：新增案件 0 件，清零 1 件，仍未清零 1 件。"
    )
    history = at.dataframe[-1].value
    assert history[["指标", "清单日期", "列入", "新增案件", "清零", "文件"]].values.tolist() == [
        ["车辆·逾期未检验", "2022-10-31", 1, 0, 1, "十月.csv"],
        ["车辆·逾期未检验", "2022-09-30", 2, 2, 0, "九月.csv"],
    ]
    conn = store_conn(demo_env)
    assert conn.execute(
        "SELECT subject_key, state, cleared_how FROM source_cases ORDER BY subject_key"
    ).fetchall() == [("V:皖K10001", "未清零", None), ("V:皖K10002", "已清零", "未再列入清单")]
    conn.close()


def test_a_row_problem_refuses_the_list_and_a_date_error_is_shown(demo_env) -> None:
    _without_source_data(demo_env)
    at = _list_page("yingshang")  # a brigade: its own unit, no unit choice
    assert not [s for s in at.selectbox if s.key == "source_unit"]
    _upload(at, "有误.csv", "2022-09-30", "皖K10001,旅游客运,", "ABC,旅游客运,")
    assert at.error[0].value == (
        "发现 1 个问题，整份清单未导入（清单须完整无误才能导入）。请改正后重新上传。"
    )
    _upload(at, "九月.csv", "2022-09-30", "皖K10001,旅游客运,")
    assert "新增案件 1 件" in at.success[0].value
    _upload(at, "九月二.csv", "2022-09-30", "皖K10003,旅游客运,")
    assert at.error[0].value.replace("\\", "") == (  # shown as text (Markdown escaped)
        "颍上县已导入 2022-09-30 的“逾期未检验”清单；新清单的日期须晚于该日（本次为 2022-09-30）"
    )
