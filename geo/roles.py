"""People's roles and what each may do: pure policy, checked by the API on every call."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from geo.model import Action


class Role(StrEnum):
    """A person's job in the bureau; a user may hold several."""

    VERIFIER = "verifier"
    ENFORCER = "enforcer"
    REVIEWER = "reviewer"
    VIEWER = "viewer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The zh-CN name shown to users."""
        return ROLE_LABELS[self]

    @property
    def label_en(self) -> str:
        """The English name, for the web map's English mode."""
        return ROLE_LABELS_EN[self]


ROLE_LABELS = {
    Role.VERIFIER: "外业核查员",
    Role.ENFORCER: "执法人员",
    Role.REVIEWER: "审核人",
    Role.VIEWER: "统计/报告",
    Role.ADMIN: "管理员",
}
ROLE_LABELS_EN = {
    Role.VERIFIER: "field verifier",
    Role.ENFORCER: "enforcement officer",
    Role.REVIEWER: "reviewer",
    Role.VIEWER: "statistics/viewer",
    Role.ADMIN: "administrator",
}

# Who may take each case action. Admins may do everything, so a bureau with few staff is never
# stuck; the audit trail still names the person.
ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.VERIFY: frozenset({Role.VERIFIER}),
    Action.COLLECT_EVIDENCE: frozenset({Role.VERIFIER}),
    Action.FILE: frozenset({Role.ENFORCER}),
    Action.PENALISE: frozenset({Role.ENFORCER}),
    Action.RECTIFY: frozenset({Role.ENFORCER}),
    Action.CLOSE: frozenset({Role.REVIEWER}),
    Action.SUBMIT: frozenset({Role.REVIEWER}),
    Action.PASS: frozenset({Role.REVIEWER}),
    Action.RETURN: frozenset({Role.REVIEWER}),
    Action.APPROVE: frozenset({Role.REVIEWER}),
    Action.RETURN_VERIFICATION: frozenset({Role.REVIEWER}),
    Action.ANNOTATE: frozenset({Role.REVIEWER}),
    Action.ADD_PHOTO: frozenset({Role.VERIFIER, Role.REVIEWER, Role.ENFORCER}),
    Action.REOPEN: frozenset({Role.ENFORCER}),
    # 动态巡查: whoever is on site records the finding and serves the stop order; the office
    # reports upwards and decides the watch list; re-inspections are field work.
    Action.FIND: frozenset({Role.VERIFIER, Role.ENFORCER}),
    Action.STOP: frozenset({Role.VERIFIER, Role.ENFORCER}),
    Action.REPORT: frozenset({Role.ENFORCER, Role.REVIEWER}),
    Action.DISMISS: frozenset({Role.REVIEWER}),
    Action.WATCH: frozenset({Role.ENFORCER}),
    Action.REINSPECT: frozenset({Role.VERIFIER, Role.ENFORCER}),
    Action.REINSPECT_ACTIVE: frozenset({Role.VERIFIER, Role.ENFORCER}),
}

# The 统计/报告 role keeps the books beside the goal tables: spending (支出) and the notes and
# evidence of goal-table rows. It still changes no case; goal tables themselves are admin-only.
BOOKKEEPER_ROLES = frozenset({Role.VIEWER})

# Field actions are limited to the 图斑 assigned to the verifier.
ASSIGNED_ONLY = frozenset({Action.VERIFY, Action.COLLECT_EVIDENCE, Action.ADD_PHOTO})


def roles_of(values: Iterable[str]) -> frozenset[Role]:
    """Role names as roles; an unknown name raises ``ValueError``."""
    return frozenset(Role(v) for v in values)


def may_act(roles: Iterable[Role], action: Action) -> bool:
    """Whether someone holding ``roles`` may take ``action`` (admins may take any)."""
    rs = frozenset(roles)
    return Role.ADMIN in rs or bool(rs & ACTION_ROLES[action])


def sees_all(roles: Iterable[Role]) -> bool:
    """Everyone but a pure field verifier sees every 图斑; a verifier sees what is assigned."""
    return bool(frozenset(roles) - {Role.VERIFIER})
