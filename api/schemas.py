"""API request and response models (kept apart from the storage tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from geo.model import Case, Event, Programme
from geo.workflow import allowed_actions, needs_reviewer_note
from storage.spatial import bbox_of

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, how many there are in all, and the next page's URL
    (null on the last page). Every list endpoint answers with one (see api.deps.Paging)."""

    data: list[T]
    count: int
    next: str | None = None


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
            bbox=bbox_of(r),
        )


class BatchImported(BatchPublic):
    created: bool
    report: dict[str, Any] | None = None


class BatchesPublic(Page[BatchPublic]):
    pass


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


class ProjectsPublic(Page[ProjectPublic]):
    pass


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
            bbox=bbox_of(r),
        )


class RefLayersPublic(Page[RefLayerPublic]):
    pass


class ImportReportPublic(BaseModel):
    """An import's report (geo.report.ImportReport): what was read, repaired, refused, linked."""

    file: str | None = None
    driver: str | None = None
    layer: str | None = None
    encoding: str | None = None
    source_crs: str | None = None
    crs_how: str | None = None
    crs_reason: str | None = None
    swap_xy: bool | None = None
    fields: dict[str, str] | None = None
    attributes_kept: list[str] | None = None
    read: int | None = None
    imported: int | None = None
    points: int | None = None
    repaired: list[dict[str, Any]] | None = None
    rejected: list[dict[str, Any]] | None = None
    links: list[dict[str, Any]] | None = None
    outside: list[dict[str, Any]] | None = None
    hints: dict[str, Any] | None = None
    warnings: list[str] | None = None
    seconds: dict[str, float] | None = None
    batch_id: int | None = None
    created: bool | None = None


# --- the web map's helpers ------------------------------------------------------------------


class BasemapPublic(BaseModel):
    url: str
    attribution: str
    subdomains: str
    max_zoom: int


class ConfigPublic(BaseModel):
    basemap: BasemapPublic | None
    feature_limit: int
    imagery_tiles: dict[str, dict[str, str]] = Field(description="before/after tiles by period")
    local_tiles: bool


class SearchHitPublic(BaseModel):
    case_id: int
    batch_id: int
    code: str
    programme: str
    programme_label: str
    state: str
    state_label: str
    township_name: str | None
    village_name: str | None
    period: str
    bbox: list[float]


class SearchHitsPublic(Page[SearchHitPublic]):
    pass


class TownshipCount(BaseModel):
    code: str | None
    name: str | None
    n: int


class BatchSummaryPublic(BaseModel):
    batch_id: int
    total: int
    states: dict[str, int]
    townships: list[TownshipCount]


class CaseExtentPublic(BaseModel):
    case_id: int
    batch_id: int
    bbox: list[float]
    geometry: dict[str, Any] = Field(description="GeoJSON geometry")


# --- work lists and the province's results ----------------------------------------------------


class TaskPublic(BaseModel):
    case_id: int
    batch_id: int
    code: str
    programme: str
    state: str
    state_label: str
    township_name: str | None
    due_on: date
    overdue: bool


class TasksPublic(Page[TaskPublic]):
    pass


class SkippedRow(BaseModel):
    row: int
    code: str
    reason: str | None


class ProvinceChecksPublic(BaseModel):
    applied: int
    skipped: list[SkippedRow]


# --- 立案 cases ------------------------------------------------------------------------------


class PaymentPublic(BaseModel):
    id: int
    enforcement_id: int
    amount_yuan: float
    receipt_no: str | None
    paid_on: date | None
    recorded_by: str
    recorded_at: datetime


class EnforcementCasePublic(BaseModel):
    id: int
    code: str
    state: str
    state_label: str
    batch_id: int


class EnforcementPublic(BaseModel):
    id: int
    case_no: str
    offender: str | None
    filed_on: date
    decision_no: str | None
    fine_yuan: float | None
    confiscation_yuan: float | None
    created_by: str
    created_at: datetime
    paid_yuan: float
    outstanding_yuan: float
    payments: list[PaymentPublic]
    cases: list[EnforcementCasePublic]


# --- photos and assignments ---------------------------------------------------------------------


class PhotoPublic(BaseModel):
    id: int
    case_id: int
    sha256: str
    filename: str
    mime: str
    size: int
    width: int | None
    height: int | None
    taken_at: datetime | None
    lon: float | None
    lat: float | None
    direction: float | None
    direction_ref: str | None
    distance_m: float | None
    faces_polygon: bool | None
    flags: list[Any] | dict[str, Any] | None
    notes: list[Any] | dict[str, Any] | None
    uploaded_by: str
    uploaded_at: datetime
    url: str
    thumb_url: str


class AssignedPublic(BaseModel):
    assigned: int
    user_id: int


# --- goal books, snapshots, notes, spending -----------------------------------------------------


class GoalVersionPublic(BaseModel):
    year: int
    version: int
    created_by: str
    created_at: datetime
    note: str | None


class GoalVersionsPublic(Page[GoalVersionPublic]):
    pass


class GoalBookPublic(GoalVersionPublic):
    doc: dict[str, Any] = Field(description="the goal document, as in sample_data/goals/*.yaml")


class GoalSavedPublic(BaseModel):
    year: int
    version: int
    created: bool


class SnapshotPublic(BaseModel):
    id: int
    year: int
    label: str
    as_of: date
    goal_version: int
    taken_by: str
    taken_at: datetime


class SnapshotsPublic(Page[SnapshotPublic]):
    pass


class SnapshotDetailPublic(SnapshotPublic):
    projects: list[dict[str, Any]] = Field(description="each project's frozen rows")


class TrendPoint(BaseModel):
    period: str
    as_of: date
    value: float | None


class TrendSeries(BaseModel):
    metric: str
    label: str
    unit: str
    points: list[TrendPoint]


class TrendPublic(BaseModel):
    project: str
    year: int
    series: list[TrendSeries]


class ReportDocumentPublic(BaseModel):
    """The report document (storage.reporting.build_report): what every report file is made
    from. Its sections are documented in docs/reports.md; they are passed through whole."""

    model_config = ConfigDict(extra="allow")

    computed_at: str  # ISO 8601, local time


class EvidenceFilePublic(BaseModel):
    sha256: str
    filename: str
    type: str
    mime: str
    size: int
    uploaded_by: str
    uploaded_at: str  # ISO 8601, as stored with the note
    url: str


class NotePublic(BaseModel):
    year: int
    project_id: str
    row_no: int
    seq: int
    actual_text: str | None
    reason: str | None
    evidence: list[EvidenceFilePublic]
    updated_by: str
    updated_at: datetime


class NotesPublic(Page[NotePublic]):
    year: int | None = None
    project: str | None = None


class ExpenditurePublic(BaseModel):
    id: int
    year: int
    project_id: str
    spent_on: date
    amount_yuan: float
    purpose: str
    voucher_no: str | None
    corrects_id: int | None
    recorded_by: str
    recorded_at: datetime


class ExpendituresPublic(Page[ExpenditurePublic]):
    total_yuan: float


class CheckpointPublic(BaseModel):
    """Spending against the plan at one of the four checkpoints (geo.budget.Checkpoint)."""

    checkpoint: str
    label: str
    date: date
    planned_pct: float | None
    actual_yuan: float | None
    actual_pct: float | None
    deviation_pct: float | None
    planned_carried: bool = False


class BudgetProjectPublic(BaseModel):
    project: str
    name: str
    budget_yuan: float | None
    spent_yuan: float
    spent_pct: float | None
    checkpoints: list[CheckpointPublic]


class BudgetPublic(Page[BudgetProjectPublic]):
    year: int
    as_of: date


class StatusPublic(BaseModel):
    status: str
