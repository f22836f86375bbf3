"""The workflow's vocabulary for clients: states, actions, roles, reasons, guards, fields."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from geo.vocabulary import vocabulary

router = APIRouter(prefix="/api", tags=["meta"])


class Labelled(BaseModel):
    """A code with its zh-CN and English labels."""

    code: str
    label: str
    label_en: str


class ProgrammeMeta(Labelled):
    """A programme and the workflow its 图斑 follow."""

    workflow: str


class WorkflowMeta(BaseModel):
    """One workflow: its states in order and its (state, action) → state table."""

    states: list[str]
    transitions: list[dict[str, str]]


class StateMeta(Labelled):
    """A case state; ``final`` ones are never overdue."""

    final: bool


class JudgmentMeta(Labelled):
    """A verification judgment and its controlled reasons."""

    reasons: list[Labelled]


class ActionField(BaseModel):
    """One payload field of an action; ``in_form`` is false where it is not typed in."""

    name: str
    kind: str
    required: bool
    label: str
    label_en: str
    in_form: bool


class ActionMeta(Labelled):
    """A case action: who may take it, whether it is limited to assigned 图斑, its fields."""

    roles: list[str]
    assigned_only: bool
    controlled_reason: bool
    fields: list[ActionField]


class FieldMeta(BaseModel):
    """A payload key's labels, for the event history."""

    label: str
    label_en: str


class FieldKindMeta(BaseModel):
    """What the server accepts for a kind of field: a pattern, a length in characters, a range
    (numbers; the earliest ISO day for dates), each where one applies (geo.inputs)."""

    pattern: str | None
    max_length: int | None = None
    minimum: float | str | None = None
    maximum: float | None = None


class InputLimits(BaseModel):
    """The bounds of geo.inputs: longest note and name, largest amount, earliest day, and the
    largest count."""

    max_note: int
    max_name: int
    max_money_yuan: int
    earliest_date: str
    max_count: int


class Guards(BaseModel):
    """The workflow's thresholds."""

    min_evidence_photos: int
    resubmit_needs_note_after: int


class LandClass(BaseModel):
    """A common 三调 land-class code and its name, in Chinese and English."""

    code: str
    label: str
    label_en: str


class JobStateMeta(Labelled):
    """A background job's state; ``final`` when it never changes again."""

    final: bool


class JobsMeta(BaseModel):
    """The words of background jobs: kinds, states, and an import's stages."""

    kinds: list[Labelled]
    states: list[JobStateMeta]
    stages: list[Labelled]


class ViolationMeta(Labelled):
    """A controlled violation type of a patrol finding; ``mining``: it makes an illegal mine."""

    mining: bool


class PatrolDeadlines(BaseModel):
    """The quick response's deadlines (geo.patrol.Deadlines)."""

    stop_within_hours: int
    file_within_days: int
    report_by_month_end: bool
    report_within_days: int
    reinspect_every_days: int


class PatrolMeta(BaseModel):
    """动态巡查's controlled lists, and the deadlines a fresh store starts with."""

    violations: list[ViolationMeta]
    sources: list[Labelled]
    default_deadlines: PatrolDeadlines


class MetaPublic(BaseModel):
    """``geo.vocabulary.vocabulary()``; ``version`` changes whenever any of it does."""

    version: str
    programmes: list[ProgrammeMeta]
    workflows: dict[str, WorkflowMeta]
    states: list[StateMeta]
    judgments: list[JudgmentMeta]
    actions: list[ActionMeta]
    roles: list[Labelled]
    fields: dict[str, FieldMeta]
    field_kinds: dict[str, FieldKindMeta]
    input_limits: InputLimits
    guards: Guards
    photo_flags: list[Labelled]
    land_classes: list[LandClass]
    jobs: JobsMeta
    patrol: PatrolMeta


@cache
def _meta() -> MetaPublic:
    # The vocabulary is code, not data in the store: it cannot change while the process runs.
    return MetaPublic.model_validate(vocabulary())


@router.get("/meta", operation_id="meta-get", response_model=MetaPublic)
def meta(request: Request, response: Response) -> MetaPublic | Response:
    """The vocabulary with an ETag: a client holding the same version gets 304, keeps its copy."""
    m = _meta()
    etag = f'"{m.version}"'
    # Revalidate every time (cheap 304) so a new release's rules reach a cached client at once.
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return m
