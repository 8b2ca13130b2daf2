"""The 一单四制 workflow: the state machine exhaustively, then every action on a real store."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from PIL import Image

from analytics.accounts import auth
from analytics.ledger import evidence, workflow
from analytics.ledger import vocabulary as ledger
from analytics.ledger.workflow import Upload
from analytics.store import db

S = ledger
ALLOWED = {
    ("发现", None): S.FOUND,
    ("入单", S.FOUND): S.LISTED,
    ("交办", S.LISTED): S.ASSIGNED,
    ("进展", S.ASSIGNED): S.RECTIFYING,
    ("进展", S.RECTIFYING): S.RECTIFYING,
    ("申请销号", S.RECTIFYING): S.SIGNOFF_REQUESTED,
    ("退回", S.SIGNOFF_REQUESTED): S.RECTIFYING,
    ("销号", S.SIGNOFF_REQUESTED): S.CLOSED,
    ("作废", S.FOUND): S.VOIDED,
    ("作废", S.LISTED): S.VOIDED,
    ("作废", S.ASSIGNED): S.VOIDED,
    ("作废", S.RECTIFYING): S.VOIDED,
    ("调整督办", S.LISTED): S.LISTED,
    ("调整督办", S.ASSIGNED): S.ASSIGNED,
    ("调整督办", S.RECTIFYING): S.RECTIFYING,
    ("调整督办", S.SIGNOFF_REQUESTED): S.SIGNOFF_REQUESTED,
    **{("更正", s): s for s in S.STATES},  # basic fields are corrected in any state
}


@pytest.mark.parametrize("state", [None, *S.STATES])
@pytest.mark.parametrize("action", list(S.TRANSITIONS))
def test_state_machine(state, action) -> None:
    if (action, state) in ALLOWED:
        assert S.next_state(action, state) == ALLOWED[(action, state)]
    else:
        with pytest.raises(ValueError, match=f"当前状态“{state or '无'}”下不能执行“{action}”"):
            S.next_state(action, state)


NOW = datetime(2022, 9, 15, 10, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
EAST = auth.User("east", "东区大队", "county", "990101")
WEST = auth.User("west", "西区大队", "county", "990102")
LEADER = auth.User("boss", "领导", "leader", None)
FIVE = {
    "goal": "消除隐患",
    "lead_leader": "王某（副区长）",
    "responsible_unit": "东区交通局",
    "completion_standard": "护栏达标",
    "deadline": date(2022, 10, 31),
}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def store(tmp_path, tiny_city):
    conn = db.open_store(tmp_path / "w.duckdb", tiny_city)
    hid = workflow.report(
        conn,
        EAST,
        unit_adcode="990101",
        found_date=date(2022, 9, 1),
        now=NOW,
        fields={
            "road_name": "东环路",
            "hazard_type": "急弯陡坡",
            "description": "急弯无警告标志",
            "source": "日常排查",
        },
    )
    return conn, hid, tmp_path / "evidence"


def _version(conn, hid) -> int:
    return workflow.hazard(conn, hid)["version"]


def test_the_whole_way_to_closing(store) -> None:
    conn, hid, folder = store
    assert hid == "990101-YH-2022-001"
    assert workflow.hazard(conn, hid)["state"] == S.FOUND
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="较大",
        supervision_level="市",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    with pytest.raises(workflow.WorkflowError, match="五要件缺少“牵头领导”"):
        workflow.assign(
            conn, ADMIN, hid, 2, elements={**FIVE, "lead_leader": " "}, reward_penalty=None, now=NOW
        )
    workflow.assign(conn, ADMIN, hid, 2, elements=FIVE, reward_penalty="逾期约谈", now=NOW)
    event = workflow.record_progress(
        conn,
        EAST,
        hid,
        3,
        text="护栏已完成一半",
        measures=None,
        temporary_controls=None,
        now=NOW,
        files=[Upload("现场.png", _png())],
        evidence_dir=folder,
    )
    files = evidence.for_events(conn, [event])[event]
    assert [f["file_name"] for f in files] == ["现场.png"]
    with pytest.raises(workflow.WorkflowError, match="申请销号须上传整改后的照片或验收材料"):
        workflow.request_signoff(conn, EAST, hid, 4, note="完成", now=NOW)
    workflow.request_signoff(
        conn,
        EAST,
        hid,
        4,
        note="完成",
        now=NOW,
        files=[Upload("完工.png", _png())],
        evidence_dir=folder,
    )
    workflow.reject(conn, ADMIN, hid, 5, reason="标线未施划", now=NOW)
    workflow.record_progress(
        conn, EAST, hid, 6, text="标线已施划", measures=None, temporary_controls=None, now=NOW
    )
    workflow.request_signoff(
        conn,
        EAST,
        hid,
        7,
        note="全部完成",
        now=NOW,
        files=[Upload("完工2.png", _png())],
        evidence_dir=folder,
    )
    with pytest.raises(workflow.WorkflowError, match="请填写验收人"):
        workflow.accept(
            conn,
            ADMIN,
            hid,
            8,
            accepted_by="",
            accept_unit="秩序科",
            accepted_date=date(2022, 9, 15),
            conclusion="合格",
            now=NOW,
        )
    workflow.accept(
        conn,
        ADMIN,
        hid,
        8,
        accepted_by="李四",
        accept_unit="秩序科",
        accepted_date=date(2022, 9, 15),
        conclusion="现场核查合格",
        now=NOW,
    )
    h = workflow.hazard(conn, hid)
    assert (h["state"], h["closed_date"], h["accepted_by"], h["version"]) == (
        S.CLOSED,
        date(2022, 9, 15),
        "李四",
        9,
    )
    events = conn.execute(
        "SELECT action, from_state, to_state FROM hazard_events WHERE hazard_id = ?"
        " ORDER BY event_id",
        [hid],
    ).fetchall()
    assert [e[0] for e in events] == [
        "发现",
        "入单",
        "交办",
        "进展",
        "申请销号",
        "退回",
        "进展",
        "申请销号",
        "销号",
    ]
    state = None
    for action, before, after in events:  # the history replays to the current state
        assert before == state
        state = S.next_state(action, state)
        assert state == after
    assert state == h["state"]
    assign = conn.execute(
        "SELECT changes FROM hazard_events WHERE hazard_id = ? AND action = '交办'", [hid]
    ).fetchone()[0]
    assert json.loads(assign)["lead_leader"] == [None, "王某（副区长）"]


def test_a_stale_version_is_a_conflict_and_writes_nothing(store) -> None:
    conn, hid, _ = store
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    before = conn.execute("SELECT count(*) FROM hazard_events").fetchone()[0]
    with pytest.raises(workflow.ConflictError, match="已被支队秩序科·admin于2022-09-15 10:00修改"):
        workflow.void(conn, ADMIN, hid, 1, reason="重复上报", now=NOW)
    assert conn.execute("SELECT count(*) FROM hazard_events").fetchone()[0] == before
    assert workflow.hazard(conn, hid)["state"] == S.LISTED


def test_bad_evidence_rolls_the_whole_action_back(store) -> None:
    conn, hid, folder = store
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    workflow.assign(conn, ADMIN, hid, 2, elements=FIVE, reward_penalty=None, now=NOW)
    with pytest.raises(evidence.EvidenceError, match="只能上传 JPG、PNG 图片或 PDF 文件"):
        workflow.record_progress(
            conn,
            EAST,
            hid,
            3,
            text="进展",
            measures=None,
            temporary_controls=None,
            now=NOW,
            files=[Upload("好.png", _png()), Upload("坏.jpg", b"MZ\x90\x00")],
            evidence_dir=folder,
        )
    h = workflow.hazard(conn, hid)
    assert (h["state"], h["version"], h["progress"]) == (S.ASSIGNED, 3, None)
    assert conn.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("user", "call", "message"),
    [
        (
            WEST,
            lambda c, h: workflow.record_progress(
                c, WEST, h, 3, text="x", measures=None, temporary_controls=None, now=NOW
            ),
            "无权对东区的隐患执行“记录整改进展”",
        ),
        (
            LEADER,
            lambda c, h: workflow.void(c, LEADER, h, 3, reason="x", now=NOW),
            "领导·领导）无权执行“作废”",
        ),
        (
            EAST,
            lambda c, h: workflow.accept(
                c,
                EAST,
                h,
                3,
                accepted_by="x",
                accept_unit="y",
                accepted_date=date(2022, 9, 15),
                conclusion="z",
                now=NOW,
            ),
            "无权执行“验收销号”",
        ),
    ],
)
def test_permissions_are_enforced_in_the_workflow(store, user, call, message) -> None:
    conn, hid, _ = store
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    workflow.assign(conn, ADMIN, hid, 2, elements=FIVE, reward_penalty=None, now=NOW)
    with pytest.raises(auth.PermissionDenied, match=message):
        call(conn, hid)
    assert _version(conn, hid) == 3


def test_wrong_state_void_and_supervision(store) -> None:
    conn, hid, _ = store
    with pytest.raises(workflow.WorkflowError, match="当前状态“待认定”下不能执行“交办”"):
        workflow.assign(conn, ADMIN, hid, 1, elements=FIVE, reward_penalty=None, now=NOW)
    with pytest.raises(workflow.WorkflowError, match="当前状态“待认定”下不能执行“调整督办”"):
        workflow.change_supervision(conn, ADMIN, hid, 1, level="省", reason="上级要求", now=NOW)
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="重大",
        supervision_level="市",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    workflow.change_supervision(conn, ADMIN, hid, 2, level="省", reason="上级要求", now=NOW)
    assert workflow.hazard(conn, hid)["supervision_level"] == "省"
    with pytest.raises(workflow.WorkflowError, match="请填写作废原因"):
        workflow.void(conn, ADMIN, hid, 3, reason=" ", now=NOW)
    workflow.void(conn, ADMIN, hid, 3, reason="重复上报", now=NOW)
    h = workflow.hazard(conn, hid)
    assert (h["state"], h["voided_date"], h["void_reason"]) == (S.VOIDED, NOW.date(), "重复上报")


def test_report_checks_its_unit_and_fields(store) -> None:
    conn, _, _ = store
    with pytest.raises(auth.PermissionDenied, match="无权对西区的隐患执行“上报隐患”"):
        workflow.report(
            conn,
            EAST,
            unit_adcode="990102",
            found_date=date(2022, 9, 1),
            now=NOW,
            fields={
                "road_name": "x",
                "hazard_type": "急弯陡坡",
                "description": "y",
                "source": "日常排查",
            },
        )
    with pytest.raises(workflow.WorkflowError, match="请填写道路名称；请填写隐患描述"):
        workflow.report(
            conn,
            EAST,
            unit_adcode="990101",
            found_date=date(2022, 9, 1),
            now=NOW,
            fields={"road_name": "", "hazard_type": "急弯陡坡", "source": "日常排查"},
        )
    second = workflow.report(
        conn,
        ADMIN,
        unit_adcode="990101",
        found_date=date(2022, 9, 3),
        now=NOW,
        fields={
            "road_name": "西环路",
            "hazard_type": "视距不良",
            "description": "遮挡",
            "source": "群众举报",
        },
    )
    assert second == "990101-YH-2022-002"


def test_changes_read_in_chinese() -> None:
    text = json.dumps({"progress": [None, "完成一半"], "state": ["已交办", "整改中"]})
    assert S.describe_changes(text) == "整改进展：（空） → 完成一半；流程状态：已交办 → 整改中"
    assert S.describe_changes(None) == ""


def test_the_last_administrator_cannot_be_disabled(store) -> None:
    conn, _, _ = store
    auth.add_user(conn, "cli", "boss1", "管理员甲", "admin", None, "road-safe-2022")
    auth.add_user(conn, "cli", "boss2", "管理员乙", "admin", None, "road-safe-2022")
    auth.set_disabled(conn, "boss1", "boss2", True)
    with pytest.raises(auth.AuthError, match="不能停用最后一个启用的支队管理员账号"):
        auth.set_disabled(conn, "boss2", "boss1", True)


def test_acceptance_cannot_be_dated_before_the_request(store) -> None:
    conn, hid, folder = store
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    workflow.assign(conn, ADMIN, hid, 2, elements=FIVE, reward_penalty=None, now=NOW)
    workflow.record_progress(
        conn, EAST, hid, 3, text="完成", measures=None, temporary_controls=None, now=NOW
    )
    workflow.request_signoff(
        conn,
        EAST,
        hid,
        4,
        note="完成",
        now=NOW,
        files=[Upload("a.png", _png())],
        evidence_dir=folder,
    )
    with pytest.raises(workflow.WorkflowError, match="验收日期不能早于申请销号日期（2022-09-15）"):
        workflow.accept(
            conn,
            ADMIN,
            hid,
            5,
            accepted_by="李四",
            accept_unit="秩序科",
            accepted_date=date(2022, 9, 3),
            conclusion="合格",
            now=NOW,
        )
    with pytest.raises(workflow.WorkflowError, match="入单日期不能早于排查日期"):
        other = workflow.report(
            conn,
            EAST,
            unit_adcode="990101",
            found_date=date(2022, 9, 10),
            now=NOW,
            fields={
                "road_name": "x",
                "hazard_type": "急弯陡坡",
                "description": "y",
                "source": "日常排查",
            },
        )
        workflow.list_hazard(
            conn,
            ADMIN,
            other,
            1,
            risk_grade="一般",
            supervision_level="无",
            listed_date=date(2022, 9, 1),
            now=NOW,
        )


def test_the_size_limit_setting_reaches_the_evidence(store) -> None:
    conn, hid, folder = store
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    workflow.assign(conn, ADMIN, hid, 2, elements=FIVE, reward_penalty=None, now=NOW)
    with pytest.raises(evidence.EvidenceError, match="超过上限"):
        workflow.record_progress(
            conn,
            EAST,
            hid,
            3,
            text="完成",
            measures=None,
            temporary_controls=None,
            now=NOW,
            evidence_dir=folder,
            files=[Upload("a.png", _png())],
            max_bytes=10,
        )


def test_the_same_progress_again_is_refused_not_an_empty_entry(store) -> None:
    conn, hid, folder = store
    workflow.list_hazard(
        conn,
        ADMIN,
        hid,
        1,
        risk_grade="一般",
        supervision_level="无",
        listed_date=date(2022, 9, 2),
        now=NOW,
    )
    workflow.assign(conn, ADMIN, hid, 2, elements=FIVE, reward_penalty=None, now=NOW)
    kw = {"measures": None, "temporary_controls": None, "now": NOW}
    workflow.record_progress(conn, EAST, hid, 3, text="护栏已完成一半", **kw)
    events = conn.execute("SELECT count(*) FROM hazard_events WHERE hazard_id = ?", [hid])
    before = events.fetchone()[0]
    with pytest.raises(workflow.WorkflowError, match="整改进展与上次记录相同"):
        workflow.record_progress(conn, EAST, hid, 4, text=" 护栏已完成一半 ", **kw)
    after = conn.execute("SELECT count(*) FROM hazard_events WHERE hazard_id = ?", [hid])
    assert (after.fetchone()[0], _version(conn, hid)) == (before, 4)
    # the same words with a new photo are a new entry (the photo is the progress)
    workflow.record_progress(
        conn,
        EAST,
        hid,
        4,
        text="护栏已完成一半",
        **kw,
        files=[Upload("现场.png", _png())],
        evidence_dir=folder,
    )
    assert _version(conn, hid) == 5
