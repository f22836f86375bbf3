"""The 图斑 case data model: programmes, states, judgments and the case record itself."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Programme(StrEnum):
    """Which field programme issued a batch of 图斑."""

    MINING = "mining"
    LAND = "land"
    CHANGE_SURVEY = "change_survey"
    # 动态巡查: violations the bureau finds itself, on patrol or from a report (举报).
    PATROL = "patrol"

    @property
    def label(self) -> str:
        """The zh-CN name shown to users."""
        return PROGRAMME_LABELS[self]

    @property
    def label_en(self) -> str:
        """The English name, for the web map's English mode."""
        return PROGRAMME_LABELS_EN[self]

    @property
    def is_weipian(self) -> bool:
        """卫片执法 (mining and land) share one workflow; 变更调查 and 动态巡查 have their own."""
        return self in (Programme.MINING, Programme.LAND)

    @property
    def is_issued(self) -> bool:
        """Issued from above in batches (counted as 下发); patrol cases are found locally."""
        return self is not Programme.PATROL


PROGRAMME_LABELS = {
    Programme.MINING: "矿山卫片",
    Programme.LAND: "土地卫片",
    Programme.CHANGE_SURVEY: "土地变更调查",
    Programme.PATROL: "动态巡查",
}
PROGRAMME_LABELS_EN = {
    Programme.MINING: "Mining (satellite)",
    Programme.LAND: "Land (satellite)",
    Programme.CHANGE_SURVEY: "Land change survey",
    Programme.PATROL: "Patrol findings",
}


class State(StrEnum):
    """Where a case stands; declared in workflow order (clients list them so)."""

    ISSUED = "issued"
    # 动态巡查 starts here, then goes on from 立案 as 卫片执法 does
    FOUND = "found"
    STOPPED = "stopped"
    # 卫片执法
    VERIFIED = "verified"
    REWORK = "rework"
    APPROVED = "approved"
    FILED = "filed"
    PENALISED = "penalised"
    RECTIFIED = "rectified"
    CLOSED = "closed"
    # 土地变更调查
    EVIDENCE_COLLECTED = "evidence_collected"
    SUBMITTED = "submitted"
    PASSED = "passed"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        """The zh-CN name shown to users."""
        return STATE_LABELS[self]

    @property
    def label_en(self) -> str:
        """The English name, for the web map's English mode."""
        return STATE_LABELS_EN[self]

    @property
    def is_final(self) -> bool:
        """Finished: never overdue, nothing left to do."""
        return self in FINAL_STATES


STATE_LABELS = {
    State.ISSUED: "已下发",
    State.VERIFIED: "已核查",
    State.APPROVED: "审核通过",
    State.REWORK: "退回重核",
    State.FILED: "已立案",
    State.PENALISED: "已处罚",
    State.RECTIFIED: "已整改",
    State.CLOSED: "已结案",
    State.EVIDENCE_COLLECTED: "已举证",
    State.SUBMITTED: "已提交",
    State.PASSED: "省级通过",
    State.RETURNED: "省级退回",
    State.FOUND: "已发现",
    State.STOPPED: "已制止",
}
STATE_LABELS_EN = {
    State.ISSUED: "Issued",
    State.VERIFIED: "Verified",
    State.APPROVED: "Approved",
    State.REWORK: "Returned for rework",
    State.FILED: "Filed",
    State.PENALISED: "Penalised",
    State.RECTIFIED: "Rectified",
    State.CLOSED: "Closed",
    State.EVIDENCE_COLLECTED: "Evidence collected",
    State.SUBMITTED: "Submitted",
    State.PASSED: "Passed (province)",
    State.RETURNED: "Returned (province)",
    State.FOUND: "Found",
    State.STOPPED: "Stopped",
}
FINAL_STATES = frozenset({State.CLOSED, State.PASSED})


class Judgment(StrEnum):
    """The field verdict on a 图斑: 合法, 违法 or 其他 (a pseudo-change, nothing changed, …)."""

    LEGAL = "legal"
    ILLEGAL = "illegal"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The zh-CN name shown to users."""
        return JUDGMENT_LABELS[self]

    @property
    def label_en(self) -> str:
        """The English name, for the web map's English mode."""
        return JUDGMENT_LABELS_EN[self]


JUDGMENT_LABELS = {Judgment.LEGAL: "合法", Judgment.ILLEGAL: "违法", Judgment.OTHER: "其他"}
JUDGMENT_LABELS_EN = {Judgment.LEGAL: "legal", Judgment.ILLEGAL: "illegal", Judgment.OTHER: "other"}


# Controlled reasons for each judgment (docs/domain.md §1); counties may extend them.
VERIFY_REASONS: dict[Judgment, dict[str, str]] = {
    Judgment.LEGAL: {
        "approved": "已批准用地",
        "facility_farmland": "设施农用地（已备案）",
        "temporary_use": "临时用地",
        "pre_existing": "历史遗留（早于前时相）",
        "permitted_mining": "持证开采（范围内）",
    },
    Judgment.ILLEGAL: {
        "built_before_approval": "未批先建",
        "used_before_approval": "未批即用",
        "illegal_occupation": "非法占地",
        "exceed_approval": "批少占多/超出批准范围",
        "illegal_transfer": "非法转让",
        "farmland_damage": "破坏耕地",
        "unlicensed_mining": "无证开采",
        "beyond_boundary_mining": "越界开采",
        "mining_under_exploration": "以采代探",
        "destructive_mining": "破坏性开采",
        # The site's violation is already a case (a patrol finding or an earlier 图斑): the
        # 图斑 joins that case's story instead of opening a second one.
        "already_handled": "已查处（并入在办案件）",
    },
    Judgment.OTHER: {
        "pseudo_change": "伪变化",
        "agri_restructure": "农业结构调整",
        "unchanged": "实地未变化",
        "out_of_jurisdiction": "不在本辖区",
    },
}
# English beside the zh labels above, for the web map's English mode.
VERIFY_REASONS_EN: dict[str, str] = {
    "approved": "approved land use",
    "facility_farmland": "facility farmland (registered)",
    "temporary_use": "temporary land use",
    "pre_existing": "pre-existing (before the earlier imagery)",
    "permitted_mining": "licensed mining (within the permit)",
    "built_before_approval": "built before approval",
    "used_before_approval": "used before approval",
    "illegal_occupation": "illegal occupation of land",
    "exceed_approval": "more land used than approved",
    "illegal_transfer": "illegal transfer",
    "farmland_damage": "farmland destroyed",
    "unlicensed_mining": "mining without a licence",
    "beyond_boundary_mining": "mining beyond the permit boundary",
    "mining_under_exploration": "mining under an exploration licence",
    "destructive_mining": "destructive mining",
    "already_handled": "already handled (joins an open case)",
    "pseudo_change": "pseudo-change",
    "agri_restructure": "agricultural restructuring",
    "unchanged": "unchanged on the ground",
    "out_of_jurisdiction": "outside this jurisdiction",
}


def reason_label(code: str | None) -> str | None:
    """The zh label of a controlled verification reason, whatever the judgment."""
    for reasons in VERIFY_REASONS.values():
        if code in reasons:
            return reasons[code]
    return None


class Action(StrEnum):
    """What a person may do to a case; ``geo.workflow`` says from which states."""

    VERIFY = "verify"
    FILE = "file"
    PENALISE = "penalise"
    RECTIFY = "rectify"
    CLOSE = "close"
    COLLECT_EVIDENCE = "collect_evidence"
    SUBMIT = "submit"
    PASS = "pass"
    RETURN = "return"
    APPROVE = "approve"
    RETURN_VERIFICATION = "return_verification"
    ANNOTATE = "annotate"
    ADD_PHOTO = "add_photo"
    REOPEN = "reopen"
    # 动态巡查 and the watch list of closed illegal sites
    FIND = "find"
    STOP = "stop"
    REPORT = "report_up"
    DISMISS = "dismiss"
    WATCH = "watch"
    REINSPECT = "reinspect"
    REINSPECT_ACTIVE = "reinspect_active"

    @property
    def label(self) -> str:
        """The zh-CN name shown to users."""
        return ACTION_LABELS[self]

    @property
    def label_en(self) -> str:
        """The English name, for the web map's English mode."""
        return ACTION_LABELS_EN[self]


ACTION_LABELS = {
    Action.VERIFY: "核查",
    Action.FILE: "立案",
    Action.PENALISE: "处罚",
    Action.RECTIFY: "整改",
    Action.CLOSE: "结案",
    Action.COLLECT_EVIDENCE: "举证",
    Action.SUBMIT: "提交",
    Action.PASS: "省级通过",
    Action.RETURN: "省级退回",
    Action.APPROVE: "审核通过",
    Action.RETURN_VERIFICATION: "审核退回",
    Action.ANNOTATE: "审核批注",
    Action.ADD_PHOTO: "上传照片",
    Action.REOPEN: "重新立案",
    Action.FIND: "发现登记",
    Action.STOP: "制止",
    Action.REPORT: "报告",
    Action.DISMISS: "核实不违法",
    Action.WATCH: "列入监管",
    Action.REINSPECT: "复查：仍关停",
    Action.REINSPECT_ACTIVE: "复查：复采复建",
}
ACTION_LABELS_EN = {
    Action.VERIFY: "Verify",
    Action.FILE: "File",
    Action.PENALISE: "Penalise",
    Action.RECTIFY: "Rectify",
    Action.CLOSE: "Close",
    Action.COLLECT_EVIDENCE: "Evidence",
    Action.SUBMIT: "Submit",
    Action.PASS: "Passed (province)",
    Action.RETURN: "Returned (province)",
    Action.APPROVE: "Approve",
    Action.RETURN_VERIFICATION: "Return",
    Action.ANNOTATE: "Annotate",
    Action.ADD_PHOTO: "Upload photos",
    Action.REOPEN: "Reopen",
    Action.FIND: "Record finding",
    Action.STOP: "Stop order",
    Action.REPORT: "Report upwards",
    Action.DISMISS: "Not a violation",
    Action.WATCH: "Put under watch",
    Action.REINSPECT: "Re-inspect: still closed",
    Action.REINSPECT_ACTIVE: "Re-inspect: active again",
}


@dataclass(frozen=True)
class Case:
    """One 图斑 tracked from issuance to closure.

    Milestone fields are denormalised from the event log so indicators can be computed
    from case rows alone; ``geo.workflow.replay`` proves they can always be rebuilt.
    """

    id: int
    programme: Programme
    state: State = State.ISSUED
    version: int = 0
    judgment: Judgment | None = None
    verified_at: datetime | None = None
    case_no: str | None = None
    filed_on: date | None = None
    fine_yuan: float | None = None
    receipt_no: str | None = None
    paid_on: date | None = None
    rectified_on: date | None = None
    closed_at: datetime | None = None
    evidence_at: datetime | None = None
    land_class_before: str | None = None
    land_class_after: str | None = None
    submitted_at: datetime | None = None
    checked_at: datetime | None = None
    returned_count: int = 0
    note: str | None = None
    reviewed_at: datetime | None = None
    review_returns: int = 0
    approved_first_time: bool | None = None
    reviewer_note: str | None = None
    photo_count: int = 0
    decision_no: str | None = None
    confiscation_yuan: float | None = None
    demolished_m2: float | None = None
    reclaimed_m2: float | None = None
    permit_no: str | None = None
    enforcement_id: int | None = None
    verify_reason: str | None = None
    land_class: str | None = None
    illegal_area_m2: float | None = None
    illegal_geometry: dict | None = None
    # The province's verdict on the county's land class (地类正确率); None until checked.
    land_class_ok: bool | None = None
    # 动态巡查: what was found, when, and the deadlines in force then (geo.patrol); the quick
    # response's steps (制止, 报告) with their times.
    violation: str | None = None
    found_at: datetime | None = None
    stop_due_at: datetime | None = None
    file_due_on: date | None = None
    report_due_on: date | None = None
    stopped_at: datetime | None = None
    stop_order_no: str | None = None
    reported_on: date | None = None
    report_doc_no: str | None = None
    # The open case this one's site is already handled in ("one site, one story"): set, the
    # case is not counted again among active illegal sites.
    linked_case_id: int | None = None
    # The watch list of closed illegal sites: re-inspected every ``watch_interval_days``.
    watch_interval_days: int | None = None
    watch_due_on: date | None = None
    last_inspected_at: datetime | None = None
    reinspections: int = 0
    reinspected_on_time: bool | None = None

    def replace(self, **changes: Any) -> Case:
        """A copy with ``changes`` applied; the case itself is frozen."""
        return dataclasses.replace(self, **changes)

    def milestones(self) -> dict[str, Any]:
        """All fields except identity, as a plain dict (for events and storage)."""
        skip = {"id", "programme"}
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip
        }


@dataclass(frozen=True)
class Event:
    """An append-only record of one state change: who, when, what before and after."""

    case_id: int
    seq: int
    action: Action
    actor: str
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]
    payload: dict[str, Any] = field(default_factory=dict)


def _coerce(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if "datetime" in kind:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if "date" in kind:
        return value if isinstance(value, date) else date.fromisoformat(value)
    if "State" in kind:
        return State(value)
    if "Judgment" in kind:
        return Judgment(value)
    if kind.startswith("bool"):
        return bool(value)
    if kind.startswith("float"):
        return float(value)
    if kind.startswith("int"):
        return int(value)
    return value


_FIELD_TYPES = {f.name: str(f.type) for f in dataclasses.fields(Case)}


def coerce_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Turn JSON-ish milestone values (ISO strings) back into the Case field types."""
    return {k: _coerce(_FIELD_TYPES[k], v) for k, v in values.items() if k in _FIELD_TYPES}


def to_jsonable(value: Any) -> Any:
    """Milestone values as JSON: enums to their value, dates to ISO strings, money (Decimal of
    whole 分) to a number, which prints back as the same two decimals."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value
