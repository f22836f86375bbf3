"""What staff write beside a goal-table row: actual value, 偏差原因 and evidence files.

Every change appends a new ``seq`` for the row, so the history of what was claimed, by whom and
when, is kept; the newest seq is current. Evidence files are stored by content hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from geo import archive
from geo.errors import InvalidPayload, NotFound, UnreadableFile, VersionConflict
from storage.blobs import BlobStore
from storage.goalbooks import GoalBookStore
from storage.tables import indicator_notes

MAX_EVIDENCE_BYTES = 20 << 20  # scans of signed survey forms and photos, not video
MAX_TEXT = 4000
EVIDENCE_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class InvalidNote(InvalidPayload):
    """A note that cannot be stored: text too long, or an actual value on a computed row."""

    code = "NOTE_INVALID"


class EvidenceRejected(InvalidPayload):
    """An evidence file refused: empty, too large, or not PDF/JPG/PNG/DOCX/XLSX by content."""

    code = "EVIDENCE_REJECTED"


class NoteConflict(VersionConflict):
    """Someone changed the row's note since the caller read it (its ``seq`` moved on)."""

    code = "NOTE_VERSION_CONFLICT"


@dataclass(frozen=True)
class Note:
    """One version (``seq``) of what staff wrote beside a goal-table row."""

    year: int
    project_id: str
    row_no: int
    seq: int
    actual_text: str | None
    reason: str | None
    evidence: list[dict[str, Any]] = field(hash=False)
    updated_by: str
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """The note's fields as a dict (for JSON)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def evidence_type(data: bytes) -> str | None:
    """pdf / jpg / png / docx / xlsx from the file's leading bytes (never from its name)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):  # Office Open XML is a zip; its parts say which kind
        try:
            names = archive.member_names(data, "evidence")
        except UnreadableFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def _note(row: Any) -> Note:
    return Note(
        year=row.year,
        project_id=row.project_id,
        row_no=row.row_no,
        seq=row.seq,
        actual_text=row.actual_text,
        reason=row.reason,
        evidence=list(row.evidence or []),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def _clean(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidNote(f"{name} 过长（最多 {MAX_TEXT} 字）", field=name)
    return text


class NoteStore:
    """Notes beside goal-table rows, append-only per row, with evidence files in ``blobs``."""

    def __init__(self, engine: Engine, blobs: BlobStore) -> None:
        self.engine = engine
        self.blobs = blobs
        self.goals = GoalBookStore(engine)

    def _check_row(self, year: int, project_id: str, row_no: int, actual_text: str | None) -> None:
        row = self.goals.latest(year)[0].project(project_id).row(row_no)  # 404 when unknown
        if actual_text and row.metrics:
            raise InvalidNote(
                f"第 {row_no} 行的实际值由系统从案件计算（{', '.join(row.metrics)}），"
                "这里只能填写偏差原因和佐证材料",
                field="actual_text",
                project=project_id,
                row=row_no,
            )

    def put(
        self,
        year: int,
        project_id: str,
        row_no: int,
        *,
        actual_text: str | None = None,
        reason: str | None = None,
        evidence: Sequence[str] | None = None,
        actor: str,
        now: datetime,
        expected_seq: int | None = None,
    ) -> Note:
        """Append a new version of the row's note and return it.

        ``None`` leaves a field as it was ("" clears a text). ``evidence`` lists the SHA-256 of
        the files to keep: each must have been attached to this row before (``add_evidence``),
        so removing a file and putting it back keeps its name and uploader. ``expected_seq``
        (the seq the caller read; 0 for none) turns a concurrent change into a conflict.
        """
        actual_text, reason = _clean(actual_text, "actual_text"), _clean(reason, "reason")
        self._check_row(year, project_id, row_no, actual_text)
        return self._append(
            year,
            project_id,
            row_no,
            actor=actor,
            now=now,
            expected_seq=expected_seq,
            change=lambda conn, cur: {
                "actual_text": actual_text if actual_text is not None else cur.get("actual_text"),
                "reason": reason if reason is not None else cur.get("reason"),
                "evidence": (
                    cur.get("evidence", [])
                    if evidence is None
                    else self._known_evidence(conn, year, project_id, row_no, evidence)
                ),
            },
        )

    def add_evidence(
        self,
        year: int,
        project_id: str,
        row_no: int,
        data: bytes,
        filename: str,
        *,
        actor: str,
        now: datetime,
    ) -> Note:
        """Check and store an evidence file and attach it to the row (once per file)."""
        name = (filename or "evidence").strip()[:300] or "evidence"
        if not data:
            raise EvidenceRejected("文件为空", file=name, reason="empty")
        if len(data) > MAX_EVIDENCE_BYTES:
            raise EvidenceRejected(
                f"文件超过 {MAX_EVIDENCE_BYTES >> 20} MB 上限",
                file=name,
                reason="too_large",
                size=len(data),
            )
        kind = evidence_type(data)
        if kind is None:
            raise EvidenceRejected(
                f"{name} 不是可接受的佐证材料（PDF、JPG、PNG、Word .docx、Excel .xlsx）",
                file=name,
                reason="type",
            )
        self._check_row(year, project_id, row_no, None)
        # The blob goes first: an orphan file named by its hash is harmless, a note pointing at
        # a missing file would not be.
        sha = self.blobs.put(data)
        entry = {
            "sha256": sha,
            "filename": name,
            "type": kind,
            "mime": EVIDENCE_TYPES[kind],
            "size": len(data),
            "uploaded_by": actor,
            "uploaded_at": now.isoformat(),
        }

        def change(conn: Connection, cur: dict[str, Any]) -> dict[str, Any]:
            files = list(cur.get("evidence", []))
            if any(f["sha256"] == sha for f in files):
                return cur  # already attached: nothing to append
            return {**cur, "evidence": [*files, entry]}

        return self._append(year, project_id, row_no, actor=actor, now=now, change=change)

    def _append(
        self,
        year: int,
        project_id: str,
        row_no: int,
        *,
        actor: str,
        now: datetime,
        change: Any,
        expected_seq: int | None = None,
    ) -> Note:
        try:
            with self.engine.begin() as conn:
                last = _last(conn, year, project_id, row_no)
                seq = last.seq if last is not None else 0
                if expected_seq is not None and expected_seq != seq:
                    raise NoteConflict(
                        "该行说明已被他人修改，请刷新后再改",
                        project=project_id,
                        row=row_no,
                        current_seq=seq,
                    )
                cur = (
                    {
                        "actual_text": last.actual_text,
                        "reason": last.reason,
                        "evidence": list(last.evidence or []),
                    }
                    if last is not None
                    else {"actual_text": None, "reason": None, "evidence": []}
                )
                new = change(conn, cur)
                new = {
                    **new,
                    "actual_text": new["actual_text"] or None,
                    "reason": new["reason"] or None,
                }
                if new == cur:
                    if last is not None:
                        return _note(last)  # nothing changed: no new version
                    raise InvalidNote("请填写实际值、偏差原因或上传佐证材料", row=row_no)
                conn.execute(
                    indicator_notes.insert().values(
                        year=year,
                        project_id=project_id,
                        row_no=row_no,
                        seq=seq + 1,
                        actual_text=new["actual_text"],
                        reason=new["reason"],
                        evidence=new["evidence"],
                        updated_by=actor,
                        updated_at=now,
                    )
                )
                return _note(_last(conn, year, project_id, row_no))
        except IntegrityError:
            raise NoteConflict(
                "该行说明刚被他人修改，请刷新后再改", project=project_id, row=row_no
            ) from None

    def _known_evidence(
        self, conn: Connection, year: int, project_id: str, row_no: int, shas: Sequence[str]
    ) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        q = select(indicator_notes.c.evidence).where(*_row_is(year, project_id, row_no))
        for (files,) in conn.execute(q.order_by(indicator_notes.c.seq)):
            for f in files or []:
                seen.setdefault(f["sha256"], f)
        out = []
        for sha in dict.fromkeys(shas):
            if sha not in seen:
                raise InvalidNote(
                    f"佐证材料 {sha[:12]}… 未上传到该行，请先上传", field="evidence", sha256=sha
                )
            out.append(seen[sha])
        return out

    def current(self, year: int, project_id: str) -> dict[int, Note]:
        """The newest note of each row of a project that has one."""
        latest = (
            select(indicator_notes.c.row_no, func.max(indicator_notes.c.seq).label("seq"))
            .where(indicator_notes.c.year == year, indicator_notes.c.project_id == project_id)
            .group_by(indicator_notes.c.row_no)
            .subquery()
        )
        q = (
            select(indicator_notes)
            .join(
                latest,
                (latest.c.row_no == indicator_notes.c.row_no)
                & (latest.c.seq == indicator_notes.c.seq),
            )
            .where(indicator_notes.c.year == year, indicator_notes.c.project_id == project_id)
            .order_by(indicator_notes.c.row_no)
        )
        with self.engine.connect() as conn:
            return {r.row_no: _note(r) for r in conn.execute(q)}

    def history(self, year: int, project_id: str, row_no: int) -> list[Note]:
        """Every version of a row's note, oldest first."""
        q = (
            select(indicator_notes)
            .where(*_row_is(year, project_id, row_no))
            .order_by(indicator_notes.c.seq)
        )
        with self.engine.connect() as conn:
            return [_note(r) for r in conn.execute(q)]

    def evidence_file(self, sha256: str) -> dict[str, Any]:
        """The record of an evidence file attached to any row (404 if none)."""
        self.blobs.path(sha256)  # refuses anything that is not a SHA-256 before it names a path
        with self.engine.connect() as conn:
            q = select(indicator_notes.c.evidence).order_by(indicator_notes.c.id.desc())
            for (files,) in conn.execute(q):
                for f in files or []:
                    if f["sha256"] == sha256:
                        return f
        raise NotFound("没有该佐证材料", sha256=sha256)


def _row_is(year: int, project_id: str, row_no: int) -> tuple[Any, ...]:
    return (
        indicator_notes.c.year == year,
        indicator_notes.c.project_id == project_id,
        indicator_notes.c.row_no == row_no,
    )


def _last(conn: Connection, year: int, project_id: str, row_no: int) -> Any:
    return conn.execute(
        select(indicator_notes)
        .where(*_row_is(year, project_id, row_no))
        .order_by(indicator_notes.c.seq.desc())
        .limit(1)
    ).first()
