"""API request and response models (kept apart from the storage tables)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from geo.inputs import MAX_COUNT, MAX_NAME, MAX_NOTE, text_problem
from geo.jobs import JobKind, JobState
from geo.model import Case, Event, Programme
from geo.workflow import allowed_actions, needs_reviewer_note
from storage.spatial import GEOMETRY_COLUMN, bbox_of, centres

T = TypeVar("T")


def _safe_text(s: str) -> str:
    problem = text_problem(s, max_len=MAX_NOTE)
    if problem:
        raise ValueError(problem)
    return s


def _safe_name(s: str) -> str:
    problem = text_problem(s, max_len=MAX_NAME, multiline=False)
    if problem:
        raise ValueError(problem)
    return s


# Request strings (geo.inputs.text_problem): SafeStr is free text (line breaks and tabs allowed,
# at most MAX_NOTE characters), SafeName one line (a name, number or code, at most MAX_NAME). Both
# refuse NUL, lone surrogates, bidi overrides and other control characters; a model may bound
# the length further with Field(max_length=…).
SafeStr = Annotated[str, AfterValidator(_safe_text)]
SafeName = Annotated[str, AfterValidator(_safe_name)]
# An id, year or version: the store's INTEGER columns hold 32 bits, and PostgreSQL answers a
# larger number compared with one by an error, not by "no such row".
DbInt = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, how many there are in all, and the next page's URL
    (null on the last page). Every list endpoint answers with one (see api.deps.Paging)."""

    data: list[T]
    count: int
    next: str | None = None


class BatchPublic(BaseModel):
    """An imported batch of issued 图斑: programme, period, issuing authority and dates, source
    file, size and extent."""

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
        """The public view of a stored batch row, with the programme's label and the bbox."""
        p = Programme(r["programme"])
        return cls(
            **{k: r[k] for k in cls.model_fields if k in r},
            programme_label=p.label,
            bbox=bbox_of(r),
        )


class BatchImported(BatchPublic):
    """An import's answer: the batch, whether this import created it (false: the same file was
    imported before) and the import report."""

    created: bool
    report: dict[str, Any] | None = None


class BatchesPublic(Page[BatchPublic]):
    """One page of batches."""


class EventPublic(BaseModel):
    """One step of a case's history: the action, who took it and when, and what it changed."""

    seq: int
    action: str
    action_label: str
    actor: str
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]
    payload: dict[str, Any]


class CasePublic(BaseModel):
    """A 图斑 case as the API shows it: state, judgment, milestones, hints, evidence, 立案 case,
    assignee, the actions its state allows now, and its history."""

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
    centre: list[float] = Field(
        description="[lon, lat] of a point inside the 图斑 (CGCS2000): where 导航 sends a verifier"
    )
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
        """The public view of a case from its stored row, its domain case, events and the records
        attached to it."""
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
            centre=centres([row[GEOMETRY_COLUMN]])[0],
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

    action: SafeName = Field(examples=["verify"])
    payload: dict[str, Any] = Field(default_factory=dict, examples=[{"judgment": "illegal"}])
    expected_version: DbInt | None = None


class MetricPublic(BaseModel):
    """One value of a goal-table row: the metric's value with numerator and denominator, the target,
    the deviation and its status (met, behind, warn or none)."""

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


class DrillCasePublic(BaseModel):
    """A 图斑 behind an indicator value: its id and code, township and state as it is now."""

    case_id: int
    code: str
    township_code: str | None
    township_name: str | None
    state: str
    state_label: str


class DrillCasesPublic(Page[DrillCasePublic]):
    """One page of the 图斑 behind an indicator value, ascending by id."""


class IndicatorRowPublic(BaseModel):
    """One row of a goal table: its three levels, target and basis, and the actual values with 偏差
    and 偏差原因."""

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
    """A project of a year's goal book: budget, purpose, spending plan, goals and the programmes it
    counts."""

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
    """One page of a goal book's projects."""


class IndicatorsPublic(BaseModel):
    """A project's goal table with its values, live or frozen, and the day, township and period they
    were counted for."""

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
    """One imported version of a reference layer (乡镇, 永久基本农田, 采矿权, …): source file, size
    and extent."""

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
        """The public view of a stored layer row, with the kind's label and the bbox."""
        from geo.references import RefKind

        return cls(
            **{k: r[k] for k in cls.model_fields if k in r},
            kind_label=RefKind(r["kind"]).label,
            bbox=bbox_of(r),
        )


class RefLayersPublic(Page[RefLayerPublic]):
    """One page of reference layer versions."""


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
    imported: int | None = Field(None, description="the batch's 图斑, re-issued ones included")
    reissued: int | None = Field(None, description="of imported, those joining an earlier case")
    points: int | None = None
    repaired: list[dict[str, Any]] | None = None
    rejected: list[dict[str, Any]] | None = None
    links: list[dict[str, Any]] | None = None
    outside: list[dict[str, Any]] | None = None
    crs_outliers: list[dict[str, Any]] | None = Field(
        None, description="kept rows a guessed CRS puts beyond the county (row, code, lon, lat)"
    )
    repaired_count: int | None = Field(None, description="exact total; `repaired` lists the first")
    rejected_count: int | None = Field(None, description="exact total; `rejected` lists the first")
    links_count: int | None = Field(None, description="exact total; `links` lists the first")
    outside_count: int | None = Field(None, description="exact total; `outside` lists the first")
    crs_outliers_count: int | None = Field(
        None, description="exact total; `crs_outliers` lists the first"
    )
    link_reasons: dict[str, int] | None = None
    hints: dict[str, Any] | None = None
    warnings: list[str] | None = None
    seconds: dict[str, float] | None = None
    batch_id: int | None = None
    created: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _counted(cls, data: Any) -> Any:
        """A report stored before the lists were capped lists every entry: its counts."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for kind in ("repaired", "rejected", "links", "outside", "crs_outliers"):
            if isinstance(data.get(kind), list):
                data.setdefault(f"{kind}_count", len(data[kind]))
        if isinstance(data.get("links"), list) and "link_reasons" not in data:
            reasons = (str(k.get("reason")) for k in data["links"] if isinstance(k, dict))
            data["link_reasons"] = dict(Counter(reasons))
        return data


# --- the web map's helpers ------------------------------------------------------------------


class BasemapPublic(BaseModel):
    """The tile source the web map draws its basemap from."""

    url: str
    attribution: str
    subdomains: str
    max_zoom: int


class OfflineBasemapPublic(BaseModel):
    """The basemap file the server hands out itself (TUBAN_BASEMAP_FILE), without its path."""

    url: str = Field(description="tile template relative to the page: api/basemap/{z}/{x}/{y}")
    format: str = Field(description="png, jpg, webp (raster) or pbf (vector tiles)")
    min_zoom: int
    max_zoom: int
    bounds: list[float] | None = Field(description="[west, south, east, north] in lon/lat")
    name: str
    attribution: str


class ClockPublic(BaseModel):
    """The server's clock: the instant now and the bureau's calendar day on it, and, for a
    clock set to start at a given instant (``TUBAN_CLOCK``, the demo's), that instant."""

    now: datetime
    today: date
    set_start: datetime | None = Field(
        None, description="set for a demo clock (TUBAN_CLOCK); null on the real clock"
    )


class ConfigPublic(BaseModel):
    """The server settings the web map needs: basemap, features per page, imagery tiles, whether
    the server has local tiles, and its clock."""

    basemap: BasemapPublic | None
    offline_basemap: OfflineBasemapPublic | None = None
    feature_limit: int
    imagery_tiles: dict[str, dict[str, str]] = Field(description="before/after tiles by period")
    local_tiles: bool
    clock: ClockPublic


class SearchHitPublic(BaseModel):
    """A case found by a search, with what it takes to label it and zoom to it."""

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
    """One page of search hits."""


class TownshipCount(BaseModel):
    """How many of a batch's 图斑 lie in one township (code and name null: in none known)."""

    code: str | None
    name: str | None
    n: int


class BatchSummaryPublic(BaseModel):
    """Counts of a batch's 图斑, of those the caller sees: in all, by state and by township."""

    batch_id: int
    total: int
    states: dict[str, int]
    townships: list[TownshipCount]


class CaseExtentPublic(BaseModel):
    """Where a case lies: its bbox and GeoJSON geometry."""

    case_id: int
    batch_id: int
    bbox: list[float]
    geometry: dict[str, Any] = Field(description="GeoJSON geometry")


# --- work lists and the province's results ----------------------------------------------------


class TaskPublic(BaseModel):
    """An open 图斑 on a work list, with its due date and whether it is overdue.

    A patrol case (动态巡查) or a watched site is due step by step: ``step`` names the step due
    first (stop 制止, file 立案, report 报告, reinspect 复查), ``step_due`` its deadline (an
    instant for stop, a day otherwise), and ``due_on`` is that deadline's day; without a step
    (a province 图斑) they are null and ``due_on`` is the batch's due date."""

    case_id: int
    batch_id: int
    code: str
    programme: str
    state: str
    state_label: str
    township_name: str | None
    due_on: date
    overdue: bool
    step: str | None = Field(None, examples=["stop"])
    step_label: str | None = None
    step_due: str | None = Field(None, description="ISO 8601 instant (stop) or day")
    centre: list[float] = Field(
        description="[lon, lat] of a point inside the 图斑, to sort the list by distance"
    )


class TasksPublic(Page[TaskPublic]):
    """One page of a work list."""


class SkippedRow(BaseModel):
    """A row of the province's results that was not applied, and why."""

    row: int
    code: str
    reason: str | None


class ProvinceChecksPublic(BaseModel):
    """What recording the province's results did: rows applied, and rows skipped with reasons."""

    applied: int
    skipped: list[SkippedRow]


# --- 立案 cases ------------------------------------------------------------------------------


class PaymentPublic(BaseModel):
    """One receipted payment on a 立案 case, in 元."""

    id: int
    enforcement_id: int
    amount_yuan: float
    receipt_no: str | None
    paid_on: date | None
    recorded_by: str
    recorded_at: datetime


class EnforcementCasePublic(BaseModel):
    """A 图斑 filed under a 立案 case, with its state."""

    id: int
    code: str
    state: str
    state_label: str
    batch_id: int
    version: int


class EnforcementPublic(BaseModel):
    """A 立案 case: number, offender, decision, fine and confiscation, what is paid and outstanding
    (元), its payments and its 图斑."""

    id: int
    case_no: str
    offender: str | None
    filed_on: date
    decision_no: str | None
    decided_on: date | None = None
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
    """An evidence photo: file facts, EXIF time, position and direction, its checks against the
    图斑, the uploader, and the image and thumbnail URLs."""

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
    """An assignment's result: how many 图斑 went to which user."""

    assigned: int
    user_id: int


# --- goal books, snapshots, notes, spending -----------------------------------------------------


class GoalVersionPublic(BaseModel):
    """One version of a year's goal book: who saved it, when, and why."""

    year: int
    version: int
    created_by: str
    created_at: datetime
    note: str | None


class GoalVersionsPublic(Page[GoalVersionPublic]):
    """One page of goal book versions."""


class GoalBookPublic(GoalVersionPublic):
    """A goal book version with its document."""

    doc: dict[str, Any] = Field(description="the goal document, as in sample_data/goals/*.yaml")


class GoalSavedPublic(BaseModel):
    """A saved goal book: year and version, and whether a new version was created (false: the same
    as the version it was based on)."""

    year: int
    version: int
    created: bool


class SnapshotPublic(BaseModel):
    """A frozen reporting date: label, the day frozen, the goal book version used, who took it and
    when."""

    id: int
    year: int
    label: str
    as_of: date
    goal_version: int
    taken_by: str
    taken_at: datetime


class SnapshotsPublic(Page[SnapshotPublic]):
    """One page of snapshots."""


class SnapshotDetailPublic(SnapshotPublic):
    """A snapshot with every project's frozen values."""

    projects: list[dict[str, Any]] = Field(description="each project's frozen rows")


class TrendPoint(BaseModel):
    """A metric's value at the end of one quarter."""

    period: str
    as_of: date
    value: float | None


class TrendSeries(BaseModel):
    """One metric's values, quarter by quarter."""

    metric: str
    label: str
    unit: str
    points: list[TrendPoint]


class TrendPublic(BaseModel):
    """A project's bound metrics at the end of each quarter up to the day asked for."""

    project: str
    year: int
    series: list[TrendSeries]


class ReportDocumentPublic(BaseModel):
    """The report document (storage.reporting.build_report): what every report file is made
    from. Its sections are documented in docs/reports.md; they are passed through whole."""

    model_config = ConfigDict(extra="allow")

    computed_at: str  # ISO 8601, local time


class EvidenceFilePublic(BaseModel):
    """An evidence file attached to a goal-table row's note, with its download URL."""

    sha256: str
    filename: str
    type: str
    mime: str
    size: int
    uploaded_by: str
    uploaded_at: str  # ISO 8601, as stored with the note
    url: str


class NotePublic(BaseModel):
    """One version of the note beside a goal-table row: actual value, 偏差原因, evidence, who wrote
    it and when."""

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
    """One page of notes; ``year`` and ``project`` name their table (null for a row's history)."""

    year: int | None = None
    project: str | None = None


class ExpenditurePublic(BaseModel):
    """One recorded spending row (支出) in 元; ``corrects_id`` names the row it corrects."""

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
    """One page of spending rows, with ``total_yuan`` over all of them."""

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
    """One project's budget execution: budget, spent so far (元 and %), and the four checkpoints."""

    project: str
    name: str
    budget_yuan: float | None
    spent_yuan: float
    spent_pct: float | None
    checkpoints: list[CheckpointPublic]


class BudgetPublic(Page[BudgetProjectPublic]):
    """One page of the projects' budget execution in a year, as of a day."""

    year: int
    as_of: date


class StatusPublic(BaseModel):
    """A liveness answer: ``status`` is ``"ok"``."""

    status: str


class JobPublic(BaseModel):
    """A background job (geo/jobs.py): its kind and state with their words, how far it is, and
    what it made. ``error`` is a message for its owner, never a traceback."""

    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    final: bool
    progress: float = Field(ge=0, le=1)
    stage: str
    owner_id: int
    parameters: dict[str, Any]
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    cancel_requested: bool
    error: str | None = None
    result: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobPublic:
        """A job row of storage.jobs, with its words."""
        kind, state = JobKind(row["kind"]), JobState(row["state"])
        params = {k: v for k, v in row["parameters"].items() if k != "upload"}
        fields = {k: row[k] for k in cls.model_fields if k in row and k != "parameters"}
        return cls(
            **fields,
            parameters=params,
            kind_label=kind.label,
            state_label=state.label,
            final=state.final,
        )


class JobsPublic(Page[JobPublic]):
    """One page of jobs, newest first."""
