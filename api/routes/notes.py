"""Notes beside goal-table rows: actual value of qualitative rows, 偏差原因, evidence files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import ClockDep, GoalBooksDep, NotesDep, PagingDep, book_for
from api.documented_errors import errors
from api.schemas import NotePublic, NotesPublic
from api.security import require
from geo.roles import BOOKKEEPER_ROLES
from storage.indicator_notes import MAX_EVIDENCE_BYTES, MAX_TEXT, EvidenceRejected, Note
from storage.users import User

router = APIRouter(prefix="/api", tags=["indicator-notes"])
Bookkeeper = Annotated[User, Depends(require(*BOOKKEEPER_ROLES))]


class NoteUpdate(BaseModel):
    """A new version of a row's note: fields left out keep their value; ``expected_seq`` refuses
    (409) the change when someone else changed the note since."""

    actual_text: str | None = Field(
        default=None, max_length=MAX_TEXT, description="qualitative rows: the actual value"
    )
    reason: str | None = Field(default=None, max_length=MAX_TEXT, description="偏差原因")
    evidence: list[str] | None = Field(
        default=None, description="SHA-256 of the already uploaded files to keep"
    )
    expected_seq: int | None = Field(default=None, description="the seq you read; 0 for none")


def note_public(n: Note) -> NotePublic:
    """The API view of a note, each evidence file with its download URL."""
    return NotePublic.model_validate(
        {
            **n.to_dict(),
            "evidence": [{**f, "url": f"/api/evidence/{f['sha256']}"} for f in n.evidence],
        }
    )


@router.get("/indicator-notes", operation_id="notes-list", responses=errors(404))
def list_notes(
    books: GoalBooksDep,
    notes: NotesDep,
    paging: PagingDep,
    project: str,
    year: int | None = None,
) -> NotesPublic:
    """The current note of each row of a project's goal table."""
    book = book_for(books, year)
    book.project(project)
    rows = list(notes.current(book.year, project).values())
    return NotesPublic(
        year=book.year,
        project=project,
        data=[note_public(n) for n in paging.slice(rows)],
        count=len(rows),
        next=paging.next_url(len(rows)),
    )


@router.get("/indicator-notes/{year}/{project}/{row_no}/history", operation_id="notes-history")
def note_history(
    year: int, project: str, row_no: int, notes: NotesDep, paging: PagingDep
) -> NotesPublic:
    """Every version of a row's note, oldest first."""
    rows = notes.history(year, project, row_no)
    data = [note_public(n) for n in paging.slice(rows)]
    return NotesPublic(data=data, count=len(rows), next=paging.next_url(len(rows)))


@router.put(
    "/indicator-notes/{year}/{project}/{row_no}",
    operation_id="notes-put",
    responses=errors(403, 409),
)
def put_note(
    year: int,
    project: str,
    row_no: int,
    body: NoteUpdate,
    user: Bookkeeper,
    notes: NotesDep,
    clock: ClockDep,
) -> NotePublic:
    """Append a new version of the row's note (fields left out stay as they were)."""
    note = notes.put(
        year,
        project,
        row_no,
        actual_text=body.actual_text,
        reason=body.reason,
        evidence=body.evidence,
        actor=user.actor,
        now=clock(),
        expected_seq=body.expected_seq,
    )
    return note_public(note)


@router.post(
    "/indicator-notes/{year}/{project}/{row_no}/evidence",
    status_code=201,
    operation_id="notes-evidence-upload",
    responses=errors(403),
)
async def upload_evidence(
    year: int,
    project: str,
    row_no: int,
    file: Annotated[UploadFile, File()],
    user: Bookkeeper,
    notes: NotesDep,
    clock: ClockDep,
) -> NotePublic:
    """Attach a PDF, JPG, PNG, Word (.docx) or Excel (.xlsx) file to the row."""
    data = await file.read(MAX_EVIDENCE_BYTES + 1)
    name = file.filename or "evidence"
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceRejected(
            f"文件超过 {MAX_EVIDENCE_BYTES >> 20} MB 上限", file=name, reason="too_large"
        )
    note = notes.add_evidence(year, project, row_no, data, name, actor=user.actor, now=clock())
    return note_public(note)


@router.get("/evidence/{sha256}", operation_id="evidence-get", response_class=FileResponse)
def get_evidence(sha256: str, notes: NotesDep) -> FileResponse:
    """An evidence file by its SHA-256, under its original name and type; 404 when unknown."""
    f = notes.evidence_file(sha256)
    return FileResponse(notes.blobs.path(sha256), media_type=f["mime"], filename=f["filename"])
