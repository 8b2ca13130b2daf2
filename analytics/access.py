"""Who may do what to which unit's data: the one access policy.

Pages, the workflow, imports, exports, bulletins and the command line all ask this module;
none of them compares role names itself. Each action has the roles that may do it and whether
a brigade (区县大队) account is limited to its own unit for it. A brigade sees other units only
in aggregate: figures, rankings and charts, never their rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ROLES: dict[str, str] = {"leader": "领导", "admin": "支队管理员", "county": "区县大队"}
CITY_ROLES = frozenset({"leader", "admin"})  # roles that see every unit's rows


@dataclass(frozen=True)
class Action:
    label: str  # how a refusal names it
    roles: frozenset[str]
    own_unit: bool  # a brigade may do it only to its own unit's data


def _a(label: str, roles: str, own_unit: bool = False) -> Action:
    return Action(label, frozenset(roles.split()), own_unit)


ACTIONS: dict[str, Action] = {
    # the ledger's rows and the 一单四制 workflow
    "view_detail": _a("查看隐患明细", "leader admin county", own_unit=True),
    "report": _a("上报隐患", "admin county", own_unit=True),
    "import": _a("导入数据", "admin county", own_unit=True),
    "import_override": _a("导入时修改已交办隐患的受控字段", "admin"),
    "list": _a("认定入单", "admin"),
    "assign": _a("交办", "admin"),
    "change_supervision": _a("调整挂牌督办", "admin"),
    "progress": _a("记录整改进展", "county", own_unit=True),
    "request_signoff": _a("申请销号", "county", own_unit=True),
    "accept": _a("验收销号", "admin"),
    "reject": _a("退回整改", "admin"),
    "void": _a("作废", "admin"),
    "edit_basic": _a("更正隐患基本信息", "admin county", own_unit=True),
    "list_site": _a("事故多发点段入单", "admin"),
    # 人·车·企 source hazards (analytics.sources): imports use "import" above
    "request_clear": _a("申请人工清零", "county", own_unit=True),
    "accept_clear": _a("验收人工清零", "admin"),
    "reject_clear": _a("退回清零申请", "admin"),
    "record_summons": _a("记录约谈", "admin"),
    "view_pii": _a("查看个人信息全文", "admin county", own_unit=True),
    # bulletins
    "issue_bulletin": _a("签发通报", "admin"),
    # pages and system functions
    "view_tasks": _a("查看我的待办", "admin county"),
    "view_big_screen": _a("查看指挥中心大屏", "leader admin"),
    "view_settings": _a("查看数据与设置", "leader admin"),
    "backup": _a("备份数据", "admin"),
    "manage_accounts": _a("管理账号", "admin"),
    "view_audit_log": _a("查看操作日志", "admin"),
}


class UserLike(Protocol):
    role: str
    unit_adcode: str | None
    display_name: str

    @property
    def role_label(self) -> str: ...


class AccessError(Exception):
    """A sign-in, account or permission refusal; the message is Chinese and safe to show."""


class PermissionDenied(AccessError):
    """The user may not do this."""


def can(user: UserLike, action: str, unit: str | None = None) -> bool:
    """Whether ``user`` may do ``action`` (to a hazard or rows of ``unit``)."""
    a = ACTIONS[action]
    if user.role not in a.roles:
        return False
    if a.own_unit and user.role not in CITY_ROLES:
        return unit is not None and unit == user.unit_adcode
    return True


def check(
    user: UserLike, action: str, unit: str | None = None, unit_name: str | None = None
) -> None:
    """Raise PermissionDenied (in Chinese) unless ``user`` may do ``action``."""
    if can(user, action, unit):
        return
    a = ACTIONS[action]
    other_unit = user.role in a.roles and a.own_unit and unit != user.unit_adcode
    where = f"对{unit_name or unit or '其他单位'}的隐患" if other_unit else ""
    raise PermissionDenied(
        f"当前账号（{user.role_label}·{user.display_name}）无权{where}执行“{a.label}”。"
    )


def home_unit(user: UserLike) -> str | None:
    """The only unit whose rows ``user`` may see; None when the user sees every unit's rows."""
    return None if user.role in CITY_ROLES else user.unit_adcode


def may(user: UserLike, action: str) -> bool:
    """Whether ``user`` may do ``action`` at all (a brigade: to its own unit). Menus ask this."""
    return can(user, action, home_unit(user))


def row_scope(user: UserLike | None, unit: str | None) -> str | None:
    """The unit whose rows a viewer gets when asking for ``unit`` (None: every unit): a brigade
    asking for all units gets its own; asking for another unit is refused. None viewer:
    internal use (commands and documents for the detachment)."""
    if user is None or home_unit(user) is None:
        return unit
    if unit is None:
        return home_unit(user)
    check(user, "view_detail", unit)
    return unit


def sees_rows_of(user: UserLike, unit: str | None) -> bool:
    """Whether ``user`` may see the rows (hazards, accidents, sites) of ``unit``."""
    return can(user, "view_detail", unit)


def matrix() -> list[tuple[str, str, str, bool]]:
    """Every (role, action, "own" | "other" unit, allowed), for tests and the docs."""
    own, other = "__own__", "__other__"
    out = []
    for role in ROLES:
        user = _Probe(role, own)
        for action in ACTIONS:
            out.append((role, action, "own", can(user, action, own)))
            out.append((role, action, "other", can(user, action, other)))
    return out


@dataclass(frozen=True)
class _Probe:
    role: str
    unit_adcode: str | None
    display_name: str = "probe"

    @property
    def role_label(self) -> str:
        return ROLES[self.role]
