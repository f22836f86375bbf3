"""API request and response models (kept apart from the storage tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from geo.model import Case, Event, Programme
from geo.workflow import allowed_actions, needs_reviewer_note


class BatchPublic(BaseModel):
    id: int
    programme: Programme
    programme_label: str
    period: str
    authority: str
    issued_on: date
    due_on: date
    source_name: str
    source_crs: str
    encoding: str
    feature_count: int
    new_cases: int | None = None
    area_m2: float
    bbox: list[float]
    imported_at: datetime
    imported_by: str

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> BatchPublic:
        p = Programme(r["programme"])
        return cls(
            **{k: r[k] for k in cls.model_fields if k in r},
            programme_label=p.label,
            bbox=[r["minx"], r["miny"], r["maxx"], r["maxy"]],
        )


class BatchImported(BatchPublic):
    created: bool
    report: dict[str, Any] | None = None


class BatchesPublic(BaseModel):
    data: list[BatchPublic]
    count: int


class EventPublic(BaseModel):
    seq: int
    action: str
    action_label: str
    actor: str
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]
    payload: dict[str, Any]


class CasePublic(BaseModel):
    id: int
    batch_id: int
    programme: Programme
    code: str
    xzqdm: str
    state: str
    state_label: str
    judgment: str | None
    judgment_label: str | None
    version: int
    area_m2: float
    area_mu: float
    attributes: dict[str, Any]
    milestones: dict[str, Any]
    hints: dict[str, Any]
    hint_notes: list[str]
    issuances: list[dict[str, Any]]
    site_cases: list[dict[str, Any]]
    photos: list[dict[str, Any]]
    enforcement: dict[str, Any] | None
    assignee: dict[str, Any] | None
    allowed_actions: list[str]
    needs_reviewer_note: bool
    events: list[EventPublic]

    @classmethod
    def build(
        cls,
        row: dict[str, Any],
        case: Case,
        events: list[Event],
        *,
        issuances: list[dict[str, Any]],
        site_cases: list[dict[str, Any]],
        photos: list[dict[str, Any]],
        enforcement: dict[str, Any] | None,
        assignee: dict[str, Any] | None,
    ) -> CasePublic:
        from geo.hints import HINT_COLUMNS, hint_notes
        from geo.model import Action, to_jsonable

        hints = {k: row.get(k) for k in HINT_COLUMNS}

        return cls(
            id=case.id,
            batch_id=row["batch_id"],
            programme=case.programme,
            code=row["code"],
            xzqdm=row["xzqdm"],
            state=case.state.value,
            state_label=case.state.label,
            judgment=case.judgment.value if case.judgment else None,
            judgment_label=case.judgment.label if case.judgment else None,
            version=case.version,
            area_m2=row["area_m2"],
            area_mu=row["area_mu"],
            attributes=row["attributes"],
            hints=hints,
            hint_notes=hint_notes(hints),
            issuances=to_jsonable(issuances),
            site_cases=site_cases,
            photos=to_jsonable(photos),
            enforcement=to_jsonable(enforcement),
            assignee=assignee,
            milestones={
                k: to_jsonable(v)
                for k, v in case.milestones().items()
                if v is not None and k not in ("state", "version", "judgment")
            },
            allowed_actions=[a.value for a in allowed_actions(case)],
            needs_reviewer_note=needs_reviewer_note(case),
            events=[
                EventPublic(
                    seq=ev.seq,
                    action=str(ev.action),
                    action_label=Action(ev.action).label,
                    actor=ev.actor,
                    at=ev.at,
                    before=to_jsonable(ev.before),
                    after=to_jsonable(ev.after),
                    payload=to_jsonable(ev.payload),
                )
                for ev in events
            ],
        )


class ActionRequest(BaseModel):
    """The actor is the signed-in user; a client-sent ``actor`` is ignored."""

    action: str = Field(examples=["verify"])
    payload: dict[str, Any] = Field(default_factory=dict, examples=[{"judgment": "illegal"}])
    expected_version: int | None = Field(default=None, ge=0)


class MetricPublic(BaseModel):
    metric: str
    label: str
    value: float | None
    display: str
    numerator: float | None
    denominator: float | None
    unit: str
    target_value: float | None = None
    deviation: float | None = None
    status: str = "none"  # met | behind | warn | none
    warning: str | None = None
    case_ids: list[int] | None = None


class IndicatorRowPublic(BaseModel):
    row_no: int = 0
    level1: str
    level2: str
    level3: str
    description: str
    target: str
    basis: str
    qualitative: bool = False
    actual: str = ""
    deviation: str = ""
    reason: str = ""
    values: list[MetricPublic]


class ProjectPublic(BaseModel):
    id: str
    name: str
    code: str | None
    table_title: str
    table_unit: str
    year: int
    budget: dict[str, float | None]
    purpose: str
    spending_plan: dict[str, float | None]
    goals: list[str]
    programmes: list[Programme]


class ProjectsPublic(BaseModel):
    data: list[ProjectPublic]
    count: int


class IndicatorsPublic(BaseModel):
    project: ProjectPublic
    unit_code: str
    unit_name: str
    mode: str = "live"  # live | frozen (a snapshot)
    as_of: date
    snapshot_id: int | None = None
    township: str | None = None
    period: str | None = None
    computed_at: datetime
    case_count: int
    warnings: list[str] = []
    rows: list[IndicatorRowPublic]


class RefLayerPublic(BaseModel):
    id: int
    kind: str
    kind_label: str
    name: str
    version: str
    source_name: str
    source_crs: str
    feature_count: int
    bbox: list[float]
    imported_at: datetime
    imported_by: str

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> RefLayerPublic:
        from geo.references import RefKind

        return cls(
            **{k: r[k] for k in cls.model_fields if k in r},
            kind_label=RefKind(r["kind"]).label,
            bbox=[r["minx"], r["miny"], r["maxx"], r["maxy"]],
        )


class RefLayersPublic(BaseModel):
    data: list[RefLayerPublic]
    count: int
