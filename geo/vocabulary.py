"""The workflow's words and rules as one JSON document: what the web map knows, it learns here.

``vocabulary()`` gathers states, actions, roles, controlled reasons, guard thresholds and payload
fields from the modules that own them (geo.model, geo.workflow, geo.roles, geo.photos), with
their zh-CN and English labels, so no client keeps a copy of a rule. ``version`` is a digest of
the content: it changes exactly when a rule or a label does, so clients may cache by it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from geo import inputs, jobs, patrol, workflow
from geo.land_classes import COMMON_LAND_CLASSES, LAND_CLASS_NAMES_EN
from geo.model import (
    FINAL_STATES,
    VERIFY_REASONS,
    VERIFY_REASONS_EN,
    Action,
    Judgment,
    Programme,
    State,
)
from geo.photos import FLAG_LABELS
from geo.roles import ACTION_ROLES, ASSIGNED_ONLY, Role

# Payload keys in words (zh, en): the event history shows them, the forms label their inputs.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "judgment": ("核查结论", "Judgment"),
    "reason": ("原因", "Reason"),
    "land_class": ("实地地类", "Actual land class"),
    "illegal_area_m2": ("实测违法面积(m²)", "Measured illegal area (m²)"),
    "illegal_geometry": ("违法范围", "Illegal extent"),
    "note": ("备注", "Note"),
    "case_no": ("案号", "Case no."),
    "filed_on": ("立案日期", "Filed on"),
    "offender": ("当事人", "Offender"),
    "enforcement_id": ("立案案件", "Enforcement case"),
    "decision_no": ("处罚决定书号", "Decision no."),
    "decided_on": ("处罚决定日期", "Decision date"),
    "fine_yuan": ("罚款金额(元)", "Fine (yuan)"),
    "confiscation_yuan": ("没收金额(元)", "Confiscation (yuan)"),
    "receipt_no": ("票据号", "Receipt no."),
    "paid_on": ("缴款日期", "Paid on"),
    "rectified_on": ("整改日期", "Rectified on"),
    "demolished_m2": ("拆除面积(m²)", "Demolished area (m²)"),
    "reclaimed_m2": ("复垦面积(m²)", "Reclaimed area (m²)"),
    "permit_no": ("补办手续文号", "Permit no."),
    "land_class_before": ("前地类编码", "Land class before"),
    "land_class_after": ("后地类编码", "Land class after"),
    "land_class_ok": ("地类是否正确", "Land class correct"),
    "sha256": ("照片", "Photo"),
    "flags": ("照片提示", "Photo checks"),
    # Not payload keys of an action, but shown beside them in the history.
    "photo_count": ("照片数", "Photos"),
    "amount_yuan": ("缴款金额(元)", "Amount paid (yuan)"),
    # 动态巡查
    "violation": ("违法类型", "Violation"),
    "found_at": ("发现时间", "Found at"),
    "order_no": ("责令停止通知书文号", "Stop order no."),
    "served_at": ("送达时间", "Served at"),
    "served_by": ("送达人", "Served by"),
    "reported_on": ("报告日期", "Reported on"),
    "doc_no": ("报告文号", "Report document no."),
    "reported_to": ("报送单位", "Reported to"),
    "interval_days": ("复查间隔(天)", "Re-inspection interval (days)"),
}

# Where an action's form names a field in its own words.
_ACTION_FIELD_LABELS: dict[tuple[Action, str], tuple[str, str]] = {
    (Action.VERIFY, "reason"): ("判定理由", "Reason"),
    (Action.APPROVE, "note"): ("审核意见", "Review note"),
    (Action.CLOSE, "note"): ("审核意见", "Review note"),
    (Action.RETURN_VERIFICATION, "reason"): ("退回原因", "Reason for return"),
    (Action.RETURN, "reason"): ("退回原因", "Reason for return"),
    (Action.ANNOTATE, "note"): ("批注", "Annotation"),
    (Action.REOPEN, "reason"): ("重新立案原因", "Reason to reopen"),
    (Action.COLLECT_EVIDENCE, "land_class_before"): ("前地类", "Land class before"),
    (Action.COLLECT_EVIDENCE, "land_class_after"): ("后地类", "Land class after"),
    (Action.DISMISS, "reason"): ("核实情况", "What was found"),
    (Action.REINSPECT_ACTIVE, "note"): ("复查情况", "What the re-inspection found"),
}

# Payload keys a person does not type into the action's form: the map draws the extent, FILE's
# side effect opens the enforcement, uploads carry the photo, province results set the verdict.
_NOT_IN_FORM = {"illegal_geometry", "enforcement_id", "sha256", "flags", "land_class_ok"}


def _labelled(code: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "label": zh, "label_en": en, **extra}


def _kinds() -> dict[str, dict[str, Any]]:
    kinds = {f.kind.name: f.kind for spec in workflow.PAYLOADS.values() for f in spec.values()}
    return {name: k.limits() for name, k in sorted(kinds.items())}


def _action(action: Action) -> dict[str, Any]:
    fields = []
    for name, spec in workflow.PAYLOADS[action].items():
        zh, en = _ACTION_FIELD_LABELS.get((action, name), FIELD_LABELS[name])
        fields.append(
            {
                "name": name,
                "kind": spec.kind.name,
                "required": spec.required,
                "label": zh,
                "label_en": en,
                "in_form": name not in _NOT_IN_FORM,
            }
        )
    roles = sorted(ACTION_ROLES[action], key=list(Role).index)
    return _labelled(
        action.value,
        action.label,
        action.label_en,
        roles=[r.value for r in roles],
        assigned_only=action in ASSIGNED_ONLY,
        controlled_reason=action is Action.VERIFY,
        fields=fields,
    )


def _workflow(programme: Programme) -> dict[str, Any]:
    table = workflow.transitions_for(programme)
    order = [s for s in State if any(s in (a, b) for (a, _), b in table.items())]
    return {
        "states": [s.value for s in order],
        "transitions": [
            {"from": s.value, "action": a.value, "to": t.value} for (s, a), t in table.items()
        ],
    }


def _content() -> dict[str, Any]:
    return {
        "programmes": [
            _labelled(p.value, p.label, p.label_en, workflow=_workflow_key(p)) for p in Programme
        ],
        "workflows": {_workflow_key(p): _workflow(p) for p in Programme},
        "states": [_labelled(s.value, s.label, s.label_en, final=s in FINAL_STATES) for s in State],
        "judgments": [
            _labelled(
                j.value,
                j.label,
                j.label_en,
                reasons=[
                    _labelled(code, zh, VERIFY_REASONS_EN[code])
                    for code, zh in VERIFY_REASONS[j].items()
                ],
            )
            for j in Judgment
        ],
        "actions": [_action(a) for a in Action],
        "roles": [_labelled(r.value, r.label, r.label_en) for r in Role],
        "fields": {k: {"label": zh, "label_en": en} for k, (zh, en) in FIELD_LABELS.items()},
        "field_kinds": _kinds(),
        "input_limits": inputs.LIMITS,
        "guards": {
            "min_evidence_photos": workflow.MIN_EVIDENCE_PHOTOS,
            "resubmit_needs_note_after": workflow.RESUBMIT_NEEDS_NOTE_AFTER,
        },
        "photo_flags": [_labelled(code, zh, en) for code, (zh, en) in FLAG_LABELS.items()],
        "land_classes": [
            {"code": c, "label": name, "label_en": LAND_CLASS_NAMES_EN[c]}
            for c, name in COMMON_LAND_CLASSES
        ],
        "jobs": jobs.vocabulary(),
        "patrol": _patrol(),
    }


def _workflow_key(p: Programme) -> str:
    if p is Programme.PATROL:
        return "patrol"
    return "weipian" if p.is_weipian else "change_survey"


def _patrol() -> dict[str, Any]:
    """The patrol path's controlled lists and the default deadlines (the bureau's own are at
    ``/api/patrol/deadlines``)."""
    return {
        "violations": [
            _labelled(code, zh, en, mining=patrol.is_mining(code))
            for code, (zh, en) in patrol.VIOLATIONS.items()
        ],
        "sources": [_labelled(code, zh, en) for code, (zh, en) in patrol.SOURCES.items()],
        "default_deadlines": patrol.Deadlines().to_doc(),
    }


def vocabulary() -> dict[str, Any]:
    """Every code the workflow uses, with labels and rules, and a ``version`` digest of them.

    Examples
    --------
    >>> v = vocabulary()
    >>> [a["roles"] for a in v["actions"] if a["code"] == "file"]
    [['enforcer']]
    >>> v["guards"]["min_evidence_photos"]
    2
    """
    content = _content()
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
    return {"version": hashlib.sha256(blob).hexdigest()[:16], **content}
