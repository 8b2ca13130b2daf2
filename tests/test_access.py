"""The one access policy: the matrix as written by hand, then every role × action × own/other unit
of analytics/access.py driven through the real code path that enforces it."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from PIL import Image

from analytics import access
from analytics.accidents import rules as hotspot_rules
from analytics.accidents import sites as hotspots
from analytics.accounts import auth
from analytics.bulletin import archive as bulletin_archive
from analytics.config import Settings
from analytics.ingest import hazards as ingest_hazards
from analytics.ledger import evidence, hazard_list, workflow
from analytics.ledger import vocabulary as S
from analytics.ledger.workflow import Upload
from analytics.sources import cases as source_cases
from analytics.store import db
from tests.conftest import app_as, app_pages

OWN, OTHER = "990101", "990102"
# action: (leader, admin, county on own unit, county on another unit) — written by hand
MATRIX = {
    "view_detail": (True, True, True, False),
    "report": (False, True, True, False),
    "import": (False, True, True, False),
    "import_override": (False, True, False, False),
    "list": (False, True, False, False),
    "assign": (False, True, False, False),
    "change_supervision": (False, True, False, False),
    "progress": (False, False, True, False),
    "request_signoff": (False, False, True, False),
    "accept": (False, True, False, False),
    "reject": (False, True, False, False),
    "void": (False, True, False, False),
    "edit_basic": (False, True, True, False),
    "list_site": (False, True, False, False),
    "issue_bulletin": (False, True, False, False),
    "request_clear": (False, False, True, False),
    "accept_clear": (False, True, False, False),
    "reject_clear": (False, True, False, False),
    "record_summons": (False, True, False, False),
    "view_pii": (False, True, True, False),
    "view_tasks": (False, True, True, True),
    "view_big_screen": (True, True, False, False),
    "view_settings": (True, True, False, False),
    "backup": (False, True, False, False),
    "manage_accounts": (False, True, False, False),
    "view_audit_log": (False, True, False, False),
}
LEADER = auth.User("l", "领导甲", "leader", None)
ADMIN = auth.User("a", "管理员乙", "admin", None)
COUNTY = auth.User("c", "东区大队", "county", OWN)
USERS = {"leader": LEADER, "admin": ADMIN, "county": COUNTY}


def test_the_matrix_covers_every_action() -> None:
    assert set(MATRIX) == set(access.ACTIONS)


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix(action: str) -> None:
    leader, admin, own, other = MATRIX[action]
    assert access.can(LEADER, action, OWN) is leader
    assert access.can(ADMIN, action, OWN) is admin
    assert access.can(COUNTY, action, OWN) is own
    assert access.can(COUNTY, action, OTHER) is other
    if not other:
        with pytest.raises(access.PermissionDenied, match="无权"):
            access.check(COUNTY, action, OTHER, "西区")


def test_the_generated_matrix_agrees_with_the_hand_written_one() -> None:
    column = {"leader": 0, "admin": 1}
    for role, action, unit, allowed in access.matrix():
        expected = MATRIX[action][column[role]] if role in column else None
        if role == "county":
            expected = MATRIX[action][2 if unit == "own" else 3]
        assert allowed is expected, (role, action, unit)


def test_refusal_names_who_and_what() -> None:
    with pytest.raises(access.PermissionDenied) as e:
        access.check(COUNTY, "progress", OTHER, "西区")
    assert str(e.value) == "当前账号（区县大队·东区大队）无权对西区的隐患执行“记录整改进展”。"
    with pytest.raises(access.PermissionDenied) as e:
        access.check(LEADER, "accept", OWN)
    assert str(e.value) == "当前账号（领导·领导甲）无权执行“验收销号”。"


def test_row_scope() -> None:
    assert access.row_scope(None, OTHER) == OTHER
    assert access.row_scope(LEADER, None) is None
    assert access.row_scope(ADMIN, OTHER) == OTHER
    assert access.row_scope(COUNTY, None) == OWN
    assert access.row_scope(COUNTY, OWN) == OWN
    with pytest.raises(access.PermissionDenied):
        access.row_scope(COUNTY, OTHER)


# --- enforcement: each case of the generated matrix through the code that enforces it --------

NOW = datetime(2022, 9, 15, 10, 0)
UNIT_USERS = {OWN: COUNTY, OTHER: auth.User("w", "西区大队", "county", OTHER)}
FIVE = {
    "goal": "消除隐患",
    "lead_leader": "王某",
    "responsible_unit": "交通局",
    "completion_standard": "护栏达标",
    "deadline": date(2022, 10, 31),
}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


EVIDENCE = None  # set by the store fixture: where evidence files go


def _hazard_in(conn, unit: str, state: str) -> str:
    """A fresh hazard of ``unit`` driven through the workflow into ``state``."""
    brigade = UNIT_USERS[unit]
    hid = workflow.report(
        conn,
        brigade,
        unit_adcode=unit,
        found_date=date(2022, 9, 1),
        now=NOW,
        fields={
            "road_name": "东环路",
            "hazard_type": "急弯陡坡",
            "description": "急弯",
            "source": "日常排查",
        },
    )
    steps = [
        (
            S.LISTED,
            lambda v: workflow.list_hazard(
                conn,
                ADMIN,
                hid,
                v,
                risk_grade="一般",
                supervision_level="无",
                listed_date=date(2022, 9, 2),
                now=NOW,
            ),
        ),
        (
            S.ASSIGNED,
            lambda v: workflow.assign(
                conn, ADMIN, hid, v, elements=FIVE, reward_penalty=None, now=NOW
            ),
        ),
        (
            S.RECTIFYING,
            lambda v: workflow.record_progress(
                conn,
                brigade,
                hid,
                v,
                text="施工中",
                measures=None,
                temporary_controls=None,
                now=NOW,
            ),
        ),
        (
            S.SIGNOFF_REQUESTED,
            lambda v: workflow.request_signoff(
                conn,
                brigade,
                hid,
                v,
                note="已完成",
                now=NOW,
                files=[Upload("after.png", _png())],
                evidence_dir=EVIDENCE,
            ),
        ),
    ]
    for reached, step in steps:
        if workflow.hazard(conn, hid)["state"] == state:
            break
        step(workflow.hazard(conn, hid)["version"])
        assert workflow.hazard(conn, hid)["state"] == reached
    return hid


def _on_hazard(state: str, call):  # ANN202
    def probe(conn, user, unit, tmp_path):  # ANN202
        hid = _hazard_in(conn, unit, state)
        before = workflow.hazard(conn, hid)["version"]
        try:
            call(conn, user, hid, before, tmp_path)
        except access.PermissionDenied:
            assert workflow.hazard(conn, hid)["version"] == before  # a refusal writes nothing
            raise
        assert workflow.hazard(conn, hid)["version"] == before + 1

    return probe


def _import(conn, user, unit, tmp_path):  # ANN202
    row = f"NEW-{user.role}-{unit},{unit},东环路,急弯陡坡,2022-09-01\n"
    data = ("隐患编号,所属区县,道路名称,隐患类型,排查日期\n" + row).encode()
    result = ingest_hazards.import_hazards(
        conn, tiny_city_file(), user, f"{user.role}{unit}.csv", data, now=NOW
    )
    if not result.written:
        raise access.PermissionDenied("; ".join(p.problem for p in result.problems))


def _import_override(conn, user, unit, tmp_path):  # ANN202
    hid = _hazard_in(conn, unit, S.LISTED)
    data = f"隐患编号,所属区县,风险等级\n{hid},{unit},重大\n".encode()
    result = ingest_hazards.import_hazards(
        conn,
        tiny_city_file(),
        user,
        f"override-{hid}.csv",
        data,
        now=NOW,
        override_reason="核实后升级",
    )
    if not result.written:
        assert workflow.hazard(conn, hid)["risk_grade"] == "一般"
        raise access.PermissionDenied("; ".join(p.problem for p in result.problems))
    assert workflow.hazard(conn, hid)["risk_grade"] == "重大"


def tiny_city_file():
    from analytics import city as city_mod
    from tests.conftest import FIXTURES

    return city_mod.load_city(FIXTURES / "tinycity" / "city.toml")


def _site(conn, user, unit, tmp_path):  # ANN202
    site = {
        "unit_adcode": unit,
        "route_code": "X001",
        "road_name": "东环路",
        "start_m": 0,
        "end_m": 500,
        "accidents": 3,
        "fatal_accidents": 3,
        "deaths": 3,
        "injuries": 0,
    }
    hotspots.put_on_list(conn, user, site, hotspot_rules.preset("point_500m_1y"), NOW)


def _bulletin(conn, user, unit, tmp_path):  # ANN202
    settings = Settings.from_env({"HAZARDS_DB_PATH": str(tmp_path / "x.duckdb")})
    opts = bulletin_archive.options(settings, tiny_city_file())
    bulletin_archive.issue(
        conn, user, date(2022, 9, 14), "week", opts, dated=date(2022, 9, 15), now=NOW
    )


def _source_case(conn, unit: str, state: str) -> tuple[int, int]:
    """A fresh source case of ``unit`` in ``state`` (its id and version)."""
    n = conn.execute("SELECT count(*) FROM source_subjects").fetchone()[0]
    key = f"V:皖K9{n:04d}"
    conn.execute(
        "INSERT INTO source_subjects (subject_key, subject, unit_adcode, plate, name, id_number,"
        " updated_at) VALUES (?, 'vehicle', ?, ?, '张三明', '341202199001011234', ?)",
        [key, unit, key[2:], NOW],
    )
    case_id = source_cases.open_case(conn, "V_INSPECTION", key, unit, date(2022, 9, 1), "t", NOW)
    if state == source_cases.REQUESTED:
        sha = evidence.store(conn, EVIDENCE, "a.png", _png())
        source_cases.request_clear(
            conn, UNIT_USERS[unit], case_id, 1, "已检验", [(sha, "a.png")], NOW
        )
    version = conn.execute("SELECT version FROM source_cases WHERE case_id = ?", [case_id])
    return case_id, version.fetchone()[0]


def _on_source_case(state: str, act):  # ANN202
    def probe(conn, user, unit, _t) -> None:
        case_id, version = _source_case(conn, unit, state)
        act(conn, user, case_id, version)

    return probe


PROBES = {
    "view_detail": lambda conn, user, unit, _t: hazard_list.hazards_as_of(
        conn, date(2022, 9, 15), 15, unit=unit, viewer=user
    ),
    "report": lambda conn, user, unit, _t: workflow.report(
        conn,
        user,
        unit_adcode=unit,
        found_date=date(2022, 9, 1),
        now=NOW,
        fields={
            "road_name": "西环路",
            "hazard_type": "视距不良",
            "description": "遮挡",
            "source": "日常排查",
        },
    ),
    "import": _import,
    "import_override": _import_override,
    "list": _on_hazard(
        S.FOUND,
        lambda c, u, h, v, _t: workflow.list_hazard(
            c,
            u,
            h,
            v,
            risk_grade="一般",
            supervision_level="无",
            listed_date=date(2022, 9, 2),
            now=NOW,
        ),
    ),
    "assign": _on_hazard(
        S.LISTED,
        lambda c, u, h, v, _t: workflow.assign(
            c, u, h, v, elements=FIVE, reward_penalty=None, now=NOW
        ),
    ),
    "change_supervision": _on_hazard(
        S.LISTED,
        lambda c, u, h, v, _t: workflow.change_supervision(
            c, u, h, v, level="市", reason="升级督办", now=NOW
        ),
    ),
    "progress": _on_hazard(
        S.ASSIGNED,
        lambda c, u, h, v, _t: workflow.record_progress(
            c, u, h, v, text="进展", measures=None, temporary_controls=None, now=NOW
        ),
    ),
    "request_signoff": _on_hazard(
        S.RECTIFYING,
        lambda c, u, h, v, t: workflow.request_signoff(
            c, u, h, v, note="完成", now=NOW, files=[Upload("a.png", _png())], evidence_dir=t
        ),
    ),
    "accept": _on_hazard(
        S.SIGNOFF_REQUESTED,
        lambda c, u, h, v, _t: workflow.accept(
            c,
            u,
            h,
            v,
            accepted_by="李四",
            accept_unit="支队",
            accepted_date=date(2022, 9, 15),
            conclusion="合格",
            now=NOW,
        ),
    ),
    "reject": _on_hazard(
        S.SIGNOFF_REQUESTED,
        lambda c, u, h, v, _t: workflow.reject(c, u, h, v, reason="不合格", now=NOW),
    ),
    "void": _on_hazard(
        S.FOUND, lambda c, u, h, v, _t: workflow.void(c, u, h, v, reason="重复上报", now=NOW)
    ),
    "edit_basic": _on_hazard(
        S.ASSIGNED,
        lambda c, u, h, v, _t: workflow.correct_basic(
            c,
            u,
            h,
            v,
            fields={"route_code": "X001", "start_m": 1200, "end_m": 1200},
            reason="桩号有误",
            now=NOW,
        ),
    ),
    "list_site": _site,
    "issue_bulletin": _bulletin,
    "request_clear": lambda conn, user, unit, _t: source_cases.request_clear(
        conn,
        user,
        *_source_case(conn, unit, source_cases.OPEN),
        "已检验",
        [(evidence.store(conn, EVIDENCE, "a.png", _png()), "a.png")],
        NOW,
    ),
    "accept_clear": _on_source_case(
        source_cases.REQUESTED,
        lambda c, u, i, v: source_cases.accept_clear(c, u, i, v, "合格", NOW),
    ),
    "reject_clear": _on_source_case(
        source_cases.REQUESTED,
        lambda c, u, i, v: source_cases.reject_clear(c, u, i, v, "材料不全", NOW),
    ),
    "record_summons": lambda conn, user, unit, _t: source_cases.record_summons(
        conn, user, "某运输公司", unit, date(2022, 9, 10), "约谈", NOW
    ),
    "view_pii": _on_source_case(
        source_cases.OPEN,
        lambda c, u, i, _v: source_cases.case_detail(c, u, i, NOW, reveal=True),
    ),
}
# pages opened by an access action (app.py's PAGES table): action → page file
APP_PAGES = app_pages()
PAGE_ACTIONS = {action: page for page, _title, action in APP_PAGES if action is not None}
DATA_CASES = [c for c in access.matrix() if c[1] in PROBES]


def test_every_action_has_an_enforcement_probe() -> None:
    covered = set(PROBES) | set(PAGE_ACTIONS) | {"backup"}
    assert covered == set(access.ACTIONS)


@pytest.fixture(scope="module")
def store(tmp_path_factory, tiny_city):  # ANN201
    global EVIDENCE  # the probes' evidence folder
    folder = tmp_path_factory.mktemp("access")
    EVIDENCE = folder / "evidence"
    return db.open_store(folder / "a.duckdb", tiny_city), folder


@pytest.mark.parametrize(("role", "action", "unit", "allowed"), DATA_CASES)
def test_enforcement_follows_the_policy(store, role, action, unit, allowed) -> None:
    conn, folder = store
    target = OWN if unit == "own" else OTHER
    if action == "issue_bulletin":  # one bulletin a period: each allowed probe its own as-of
        conn.execute("DELETE FROM bulletins")
    try:
        PROBES[action](conn, USERS[role], target, folder)
    except access.PermissionDenied:
        assert not allowed, f"{role} refused {action} on the {unit} unit"
    else:
        assert allowed, f"{role} was let {action} on the {unit} unit"


# pages: run the page file directly (as Streamlit's folder discovery may on a fresh server's
# first request), signed in as each role; a refused role sees the refusal and nothing else
DEMO_USERS = {"leader": "leader", "admin": "admin", "county": "yingshang"}


SIGN_IN_TITLE = "道路交通安全隐患治理系统"


def test_the_demo_accounts_cover_every_role() -> None:
    assert list(DEMO_USERS) == list(access.ROLES)


def test_the_page_registry_is_read_from_app_py() -> None:
    assert len(APP_PAGES) == 16
    assert APP_PAGES[0] == ("overview", "总览", None)
    assert PAGE_ACTIONS == {
        "view_big_screen": "big_screen",
        "view_tasks": "tasks",
        "import": "upload",
        "view_settings": "data_settings",
        "manage_accounts": "accounts",
        "view_audit_log": "audit_log",
    }


@pytest.mark.parametrize("role", list(DEMO_USERS))
@pytest.mark.parametrize(("page", "action"), [(p, a) for p, _, a in APP_PAGES])
def test_every_page_opens_only_for_its_action(demo_env, role, page, action) -> None:
    path = f"pages/{page}.py"
    if action is None or MATRIX[action][list(DEMO_USERS).index(role)]:
        at = app_as(DEMO_USERS[role]).run()  # through the menu, as people open it
        at.switch_page(path).run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert not [e for e in errors if "无权" in e or "参考号" in e], errors
        assert at.title and at.title[0].value != SIGN_IN_TITLE
        return
    at = app_as(DEMO_USERS[role], script=path).run()  # the page file run directly
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"当前账号（{auth.ROLES[role]}）无权{access.ACTIONS[action].label}。"
    ]
    assert not at.dataframe and not at.metric and not at.button


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_only_an_administrator_sees_the_backup_button(demo_env, role) -> None:
    at = app_as(DEMO_USERS[role]).run()
    if not access.may(USERS[role], "view_settings"):
        return  # the page itself is refused (above)
    at.switch_page("pages/data_settings.py").run()
    assert not at.exception
    has_backup = any(b.label == "立即备份" for b in at.button)
    assert has_backup is MATRIX["backup"][list(DEMO_USERS).index(role)]
