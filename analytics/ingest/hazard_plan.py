"""What a hazard import may do under 一单四制 (the plan; nothing is written here).

- A row whose id is another unit's hazard in the store is refused for a county account, whatever
  its 所属区县 column says.
- Only the columns a row gives (non-empty cells) are compared: an absent column or an empty cell
  never changes a stored value.
- On an existing hazard an import never does what only the workflow does: the state (close,
  void, reopen), the unit, risk grade, 挂牌督办, 入单日期, the five elements and the acceptance are
  PROTECTED, and so is every field of a closed or voided hazard. A county's row that would change
  one is refused (a 已销号 row is not turned into a 申请销号: that needs the evidence files the
  workflow asks for); an administrator's waits for a confirmed override with a reason.
- A new hazard starts where the workflow lets the uploader start it: a county's is 待认定 (what
  the detachment decides — grade, level, listing, the five elements, acceptance — is not taken
  from its file); an administrator's may be imported in the state its file gives (the
  detachment's own ledger history: the administrator lists, assigns, accepts and voids in the
  workflow too; 已销号 still needs the closing date and who accepted it).
"""

from __future__ import annotations

import duckdb

from analytics import access
from analytics.accounts import auth
from analytics.ingest.common import Problem
from analytics.ingest.plan import Change, Plan, Update, diff, existing, owned, unit_names
from analytics.ledger import vocabulary as ledger

PROTECTED = (
    "unit_adcode",
    "state",
    "risk_grade",
    "supervision_level",
    "listed_date",
    *ledger.FIVE_ELEMENTS,
    "closed_date",
    "accept_unit",
    "accepted_by",
    "accepted_date",
)
FINAL = (ledger.CLOSED, ledger.VOIDED)
ACCEPTANCE = ("closed_date", "accept_unit", "accepted_by", "accepted_date")
# what the detachment decides: not taken from a county's file for a new hazard
COUNTY_NEW_DROPPED = (
    "risk_grade",
    "supervision_level",
    "listed_date",
    *ledger.FIVE_ELEMENTS,
    "state",
    *ACCEPTANCE,
)
# the file's field (headers.HAZARD_HEADERS) a stored column comes from, where the names differ
SOURCE_FIELD = {"unit_adcode": "unit", "start_m": "start_stake", "end_m": "end_stake"}
ORDER = tuple(ledger.FIELD_LABELS)  # changes are listed in the ledger's column order


def plan(conn: duckdb.DuckDBPyConnection, user: auth.User, records: list[dict]) -> Plan:
    p = Plan()
    old = existing(conn, "hazards", "hazard_id", (r["hazard_id"] for r in records))
    names = unit_names(conn)
    for rec in records:
        before = old.get(rec["hazard_id"])
        if before is None:
            _new(p, user, rec)
            continue
        if not owned(
            p, user, rec["_row"], rec["hazard_id"], before["unit_adcode"], "隐患编号", names
        ):
            continue
        d = diff(before, rec, [c for c in ORDER if c in rec["_given"]])
        if not d:
            p.unchanged += 1
            continue
        protected = tuple(c for c in d if c in PROTECTED or before["state"] in FINAL)
        if protected and not _may_override(p, user, rec, before, d, protected):
            continue
        p.updates.append(Update(rec, before, d, protected))
        p.changes += [
            Change(rec["hazard_id"], c, ledger.FIELD_LABELS.get(c, c), b, a, c in protected)
            for c, (b, a) in d.items()
        ]
    p.not_in_upload = _not_in_upload(conn, records)
    return p


def _may_override(
    p: Plan,
    user: auth.User,
    rec: dict,
    before: dict,
    d: dict,
    protected: tuple[str, ...],
) -> bool:
    """Whether protected changes may wait for an administrator's confirmation; the row is
    refused (with a reason per change) otherwise."""
    row, names = rec["_row"], rec["_names"]

    def column(c: str) -> str:
        if c == "state":
            return names.get("state") or names.get("closed") or ledger.FIELD_LABELS["state"]
        return names.get(SOURCE_FIELD.get(c, c), ledger.FIELD_LABELS.get(c, c))

    after = d.get("state", [None, before["state"]])[1]
    if after == ledger.VOIDED:
        p.refuse(
            row, column("state"), after, "导入不能作废隐患：作废须由支队在隐患详情页办理并说明原因"
        )
        return False
    overridable = access.can(user, "import_override", before["unit_adcode"])
    if after == ledger.CLOSED and before["state"] != ledger.CLOSED:
        closing_data = all(rec[c] or before[c] for c in ("closed_date", "accepted_by"))
        if not overridable:
            p.refuse(
                row,
                column("state"),
                after,
                "导入不能销号：请在隐患详情页“申请销号”并上传整改材料，由支队验收销号",
            )
            return False
        if not closing_data:
            p.refuse(row, column("state"), after, "已销号的隐患须有销号日期和验收人")
            return False
    if overridable:
        return True
    for c in protected:
        b, a = (_shown(v) for v in d[c])
        label = ledger.FIELD_LABELS.get(c, c)
        if c in PROTECTED:
            message = f"{label}（{b} → {a}）须通过一单四制流程办理，导入不能修改"
        else:
            message = f"隐患{before['state']}后，{label}（{b} → {a}）不能通过导入修改"
        p.refuse(row, column(c), d[c][1], message)
    return False


def _new(p: Plan, user: auth.User, rec: dict) -> None:
    if rec["_if_new"]:
        for x in rec["_if_new"]:
            p.refuse(x.row, x.column, x.value, x.problem)
        return
    if access.can(user, "list", rec["unit_adcode"]):  # the detachment: the state its file gives
        if rec["state"] == ledger.CLOSED and not (rec["closed_date"] and rec["accepted_by"]):
            p.refuse(
                rec["_row"],
                rec["_names"].get("state", "整改状态"),
                rec["state"],
                "已销号的隐患须有销号日期和验收人",
            )
            return
    else:  # a county's report: 待认定
        dropped = [
            c
            for c in COUNTY_NEW_DROPPED
            if c in rec["_given"] and not (c == "state" and rec[c] == ledger.FOUND)
        ]
        for c in COUNTY_NEW_DROPPED:
            rec[c] = None
        rec["supervision_level"], rec["state"] = "无", ledger.FOUND
        if dropped:
            labels = "、".join(ledger.FIELD_LABELS[c] for c in dropped)
            p.warnings.append(
                Problem(
                    rec["_row"],
                    rec["_names"].get("hazard_id", "隐患编号"),
                    rec["hazard_id"],
                    f"新上报的隐患为“{ledger.FOUND}”，须由支队认定入单、交办；文件中的{labels}未采用",
                )
            )
    p.inserts.append(rec)


def _not_in_upload(conn: duckdb.DuckDBPyConnection, records: list[dict]) -> list[str]:
    """The stored hazards of the uploaded units that the file does not mention (never deleted)."""
    units = sorted({r["unit_adcode"] for r in records if r["unit_adcode"]})
    if not units:
        return []
    rows = conn.execute(
        "SELECT h.hazard_id FROM hazards h"
        " ANTI JOIN (SELECT unnest(?::VARCHAR[]) AS hazard_id) u USING (hazard_id)"
        " WHERE list_contains(?::VARCHAR[], h.unit_adcode) ORDER BY h.hazard_id",
        [[r["hazard_id"] for r in records], units],
    ).fetchall()
    return [r[0] for r in rows]


def _shown(value: object) -> str:
    return "（空）" if value is None or value == "" else str(value)
