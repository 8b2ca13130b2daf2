"""重点车辆与驾驶人 (AppTest): figures, ranking and enterprises as worked out by hand for the lists
of tests/source_seed.py; masked case lists for every role; the full view and the full download
recorded; a brigade sees its own cases only; clearing by hand asked and accepted."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import pytest
from PIL import Image

from analytics.store import db
from tests import source_seed as seed
from tests.conftest import app_as
from tests.pg_mode import store_conn

PAGE = "pages/sources.py"
AS_OF = date(2022, 9, 15)
USERS = {"admin": "admin", "leader": "leader", "county": "yingshang"}


@pytest.fixture
def seeded(monkeypatch, tmp_path, demo_db_path, fuyang):
    """A demo copy holding only the seeded lists (whatever source data the demo may bring is
    removed first, so the hand-worked figures hold)."""
    path = tmp_path / "hazards.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.open_store(path, fuyang)
    _empty_sources(conn)
    seed.seed(conn, fuyang)
    global BASE  # the seeded cases' ids follow whatever ids the demo's cases took
    BASE = conn.execute("SELECT min(case_id) FROM source_cases").fetchone()[0]
    conn.close()
    monkeypatch.setenv("HAZARDS_DB_PATH", str(path))
    return path


SOURCE_TABLES = (
    "DELETE FROM source_snapshot_rows",
    "DELETE FROM source_snapshots",
    "DELETE FROM source_event_attachments",
    "DELETE FROM source_case_events",
    "DELETE FROM source_cases",
    "DELETE FROM source_subjects",
    "DELETE FROM source_summons",
    "DELETE FROM pii_views",
)


BASE = 1


def c(n: int) -> int:
    """The id of the seeded case numbered n (1 to 6) in tests/source_seed.py."""
    return BASE + n - 1


def _empty_sources(conn) -> None:
    for statement in SOURCE_TABLES:
        conn.execute(statement)


def _open(role: str):  # ANN202
    at = app_as(USERS[role]).run()
    at.switch_page(PAGE).run()
    at.date_input(key="as_of").set_value(AS_OF).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _frame(at, first_column: str):  # ANN202
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def _cases(at):  # ANN202
    return _frame(at, "案件编号")


def test_empty_store_says_what_to_do(monkeypatch, tmp_path, demo_db_path, fuyang) -> None:
    path = tmp_path / "hazards.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.open_store(path, fuyang)
    _empty_sources(conn)
    conn.close()
    monkeypatch.setenv("HAZARDS_DB_PATH", str(path))
    at = app_as("admin").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "重点车辆与驾驶人"
    assert [i.value for i in at.info] == ["尚未导入重点车辆与驾驶人清单：请在“数据上报”导入。"]
    assert not at.dataframe


def test_figures_as_worked_out_by_hand(seeded) -> None:
    at = _open("admin")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "存量": "0 件",
        "新增": "6 件",
        "已清零": "2 件",
        "余量": "4 件",
        "清零率": "33.3%",
    }
    by_indicator = _frame(at, "指标")
    assert by_indicator.to_dict("records") == [
        {
            "指标": "车辆·逾期未检验",
            "存量（件）": 0,
            "新增（件）": 4,
            "已清零（件）": 2,
            "清零率": "50.0%",
            "余量（件）": 2,
            "最久未清零（天）": "227",  # K22222, open since 2022-01-31
        },
        {
            "指标": "驾驶人·逾期未审验",
            "存量（件）": 0,
            "新增（件）": 2,
            "已清零（件）": 0,
            "清零率": "0.0%",
            "余量（件）": 2,
            "最久未清零（天）": "168",  # since 2022-03-31
        },
        {
            "指标": "合计",
            "存量（件）": 0,
            "新增（件）": 6,
            "已清零（件）": 2,
            "清零率": "33.3%",
            "余量（件）": 4,
            "最久未清零（天）": "227",
        },
    ]
    ranking = _frame(at, "排名")
    assert ranking[["排名", "单位", "已清零（件）", "清零率", "余量（件）"]].to_dict("records") == [
        {"排名": 1, "单位": "颍上县", "已清零（件）": 2, "清零率": "66.7%", "余量（件）": 1},
        {"排名": 2, "单位": "颍州区", "已清零（件）": 0, "清零率": "0.0%", "余量（件）": 3},
    ]
    # nothing cleared in the 13 weeks before 2022-09-15 (the clearings were on 2022-02-28)
    assert list(ranking["清零预计"]) == ["近期无销号，无法预计"] * 2
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "按指标余量与已清零（截至 2022-09-15）"
    bars = {t["name"]: dict(zip(t["y"], t["x"], strict=True)) for t in spec["data"]}
    assert bars == {
        "余量": {"车辆·逾期未检验": 2, "驾驶人·逾期未审验": 2},
        "已清零": {"车辆·逾期未检验": 2, "驾驶人·逾期未审验": 0},
    }
    assert spec["layout"]["xaxis"]["title"]["text"] == "案件数（件）"


def test_subject_filter_and_chart_by_unit(seeded) -> None:
    at = _open("admin")
    at.selectbox(key="source_subject").set_value("driver").run()
    assert {m.label: m.value for m in at.metric}["余量"] == "2 件"
    assert list(_frame(at, "指标")["指标"]) == ["驾驶人·逾期未审验", "合计"]
    assert sorted(_cases(at)["案件编号"]) == [c(5), c(6)]
    at.radio(key="source_chart_by").set_value("按单位").run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert dict(zip(spec["data"][0]["y"], spec["data"][0]["x"], strict=True)) == {
        "颍州区": 1,
        "颍上县": 1,
    }


def test_enterprises_and_summons(seeded) -> None:
    at = _open("admin")
    ents = _frame(at, "建议")
    assert ents[["企业", "未清零案件（件）", "车辆（辆）", "驾驶人（人）"]].to_dict("records") == [
        {"企业": "阜阳危货运输有限公司", "未清零案件（件）": 3, "车辆（辆）": 2, "驾驶人（人）": 1},
        {"企业": "颍上客运有限公司", "未清零案件（件）": 1, "车辆（辆）": 0, "驾驶人（人）": 1},
    ]
    assert list(ents["建议"]) == ["", ""]  # the threshold is 5
    at.selectbox(key="summons_enterprise").set_value("阜阳危货运输有限公司")
    at.date_input(key="summons_on").set_value(date(2022, 9, 10))  # on or before the as-of date
    at.text_area[0].set_value("约谈企业负责人")
    next(b for b in at.button if b.label == "记录约谈").click().run()
    assert not at.exception and not at.error
    done = _frame(at, "约谈日期")
    assert done[["企业", "当时未清零（件）", "说明"]].to_dict("records") == [
        {"企业": "阜阳危货运输有限公司", "当时未清零（件）": 3, "说明": "约谈企业负责人"}
    ]
    assert _frame(at, "建议")["约谈次数"].tolist() == [1, 0]


def test_leader_and_county_may_not_record_summons(seeded) -> None:
    for role in ("leader", "county"):
        at = _open(role)
        assert "记录约谈" not in [b.label for b in at.button]


@pytest.mark.parametrize("role", list(USERS))
def test_every_role_sees_a_masked_list(seeded, role) -> None:
    at = _open(role)
    table = _cases(at)
    text = table.to_csv()
    for secret in (seed.DRIVER_ID, seed.OTHER_DRIVER_ID, seed.PHONE, seed.OWNER, seed.DRIVER):
        assert secret not in text
    driver = table[table["案件编号"] == c(6)].iloc[0]
    assert (driver["对象"], driver["身份证明号码"], driver["联系电话"]) == (
        "李*华",
        seed.DRIVER_ID[:4] + "*" * 10 + seed.DRIVER_ID[-4:],
        "138****5678",
    )
    assert table[table["案件编号"] == c(1)].iloc[0]["所有人"] == "张*明"


def test_a_county_sees_only_its_own_cases_and_every_units_figures(seeded) -> None:
    at = _open("county")
    assert sorted(_cases(at)["案件编号"]) == [c(1), c(3), c(6)]  # 颍上县's
    assert set(_cases(at)["单位"]) == {"颍上县"}
    assert list(_frame(at, "排名")["单位"]) == ["颍上县", "颍州区"]
    assert {m.label: m.value for m in at.metric}["余量"] == "4 件"
    # enterprises are counted over the brigade's own cases: 阜阳危货's are all 颍州区's
    assert _frame(at, "建议")[["企业", "未清零案件（件）"]].values.tolist() == [
        ["颍上客运有限公司", 1]
    ]


def _pii_views(path) -> list[tuple]:
    conn = store_conn(path)
    try:
        return conn.execute(
            "SELECT actor, what, case_id, subjects FROM pii_views ORDER BY view_id"
        ).fetchall()
    finally:
        conn.close()


def _subject_table(at) -> str:
    return at.table[0].value.to_csv()


def test_admin_reveals_a_case_and_the_view_is_recorded(seeded) -> None:
    at = _open("admin")
    at.selectbox(key="case_pick").set_value(c(6)).run()
    assert seed.DRIVER_ID not in _subject_table(at).replace("\\", "")
    assert _pii_views(seeded) == []
    next(b for b in at.button if b.label == "显示完整信息").click().run()
    assert not at.exception
    shown = _subject_table(at).replace("\\", "")
    assert seed.DRIVER_ID in shown and seed.PHONE in shown and seed.DRIVER in shown
    assert seed.DRIVER_ID not in _cases(at).to_csv()  # the list stays masked
    assert _pii_views(seeded) == [("支队秩序科（演示）·admin", "案件详情", c(6), 1)]
    at.run()  # the next run shows the masked values again
    assert seed.DRIVER_ID not in _subject_table(at).replace("\\", "")


def test_a_leader_has_no_reveal_button(seeded) -> None:
    at = _open("leader")
    at.selectbox(key="case_pick").set_value(c(6)).run()
    assert "显示完整信息" not in [b.label for b in at.button]
    assert "下载含完整个人信息的案件清单（将记入操作日志）" not in [c.label for c in at.checkbox]


def test_a_full_download_is_recorded(seeded) -> None:
    at = _open("admin")
    at.checkbox(key="case_full_download").check().run()
    next(b for b in at.button if b.label == "生成含完整个人信息的下载文件").click().run()
    assert not at.exception
    assert _pii_views(seeded) == [("支队秩序科（演示）·admin", "下载", None, 3)]  # 3 people


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def _state(path, case_id: int) -> str:
    conn = store_conn(path)
    try:
        return conn.execute(
            "SELECT state FROM source_cases WHERE case_id = ?", [case_id]
        ).fetchone()[0]
    finally:
        conn.close()


def _attachments(path) -> list[tuple]:
    conn = store_conn(path)
    try:
        return conn.execute(
            "SELECT e.case_id, e.action, a.file_name FROM source_event_attachments a"
            " JOIN source_case_events e USING (event_id)"
        ).fetchall()
    finally:
        conn.close()


def test_clearing_by_hand_asked_then_accepted(seeded) -> None:
    at = _open("county")
    at.selectbox(key="case_pick").set_value(c(6)).run()
    submit = next(b for b in at.button if b.label == "申请人工清零")
    submit.click().run()
    assert [e.value for e in at.error] == ["无法提交：请填写清零情况说明。"]
    at.text_area[0].set_value("已完成审验")
    at.file_uploader(key=f"request_files_{c(6)}").set_value(("审验证明.png", _png(), "image/png"))
    next(b for b in at.button if b.label == "申请人工清零").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _state(seeded, c(6)) == "待验收"

    at = _open("admin")
    at.selectbox(key="case_pick").set_value(c(6)).run()
    assert _attachments(seeded) == [(c(6), "申请清零", "审验证明.png")]
    next(b for b in at.button if b.label == "验收清零").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _state(seeded, c(6)) == "已清零"
