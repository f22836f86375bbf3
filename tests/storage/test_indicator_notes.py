"""Notes beside goal-table rows: appended versions, evidence by content hash and type."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from geo import testing
from geo.errors import NotFound
from runtime.settings import DEFAULT_GOALS_DIR
from storage.blobs import BlobStore
from storage.goalbooks import GoalBookStore
from storage.indicator_notes import (
    EvidenceRejected,
    InvalidNote,
    NoteConflict,
    NoteStore,
    evidence_type,
)
from tests.conftest import NOW
from tuban_cli.demo import evidence_png


@pytest.fixture
def notes(store, tmp_path) -> NoteStore:
    GoalBookStore(store.engine).import_file(
        DEFAULT_GOALS_DIR / "fengrun-2019.yaml", actor="a", now=NOW
    )
    return NoteStore(store.engine, BlobStore(tmp_path / "evidence"))


def _office(part: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x/>")
    return buf.getvalue()


def test_put_appends_and_keeps_history(notes):
    n1 = notes.put(2019, "mining_enforcement", 6, actual_text="合理合法", actor="甲", now=NOW)
    later = NOW + timedelta(days=1)
    n2 = notes.put(2019, "mining_enforcement", 6, reason="回访一家不满意", actor="乙", now=later)
    assert (n1.seq, n2.seq) == (1, 2)
    assert n2.actual_text == "合理合法" and n2.reason == "回访一家不满意"  # None kept the text
    n3 = notes.put(2019, "mining_enforcement", 6, reason="", actor="乙", now=later)
    assert n3.reason is None and n3.actual_text == "合理合法"
    same = notes.put(2019, "mining_enforcement", 6, actual_text="合理合法", actor="丙", now=later)
    assert same.seq == 3  # nothing changed: no new version
    hist = notes.history(2019, "mining_enforcement", 6)
    assert [(h.seq, h.updated_by, h.reason) for h in hist] == [
        (1, "甲", None),
        (2, "乙", "回访一家不满意"),
        (3, "乙", None),
    ]
    notes.put(2019, "mining_enforcement", 1, reason="四季度批次期限未到", actor="甲", now=NOW)
    cur = notes.current(2019, "mining_enforcement")
    assert sorted(cur) == [1, 6] and cur[6].seq == 3 and cur[1].reason == "四季度批次期限未到"
    assert notes.current(2019, "planning") == {}


def test_a_computed_row_takes_a_reason_but_no_actual_text(notes):
    with pytest.raises(InvalidNote) as err:
        notes.put(2019, "mining_enforcement", 1, actual_text="100%", actor="甲", now=NOW)
    assert err.value.details["field"] == "actual_text" and err.value.details["row"] == 1


def test_unknown_rows_and_empty_notes_are_refused(notes):
    with pytest.raises(NotFound):
        notes.put(2019, "mining_enforcement", 7, reason="x", actor="甲", now=NOW)
    with pytest.raises(NotFound):
        notes.put(2019, "roads", 1, reason="x", actor="甲", now=NOW)
    with pytest.raises(InvalidNote):
        notes.put(2019, "planning", 1, actor="甲", now=NOW)
    assert notes.history(2019, "planning", 1) == []


def test_expected_seq_turns_a_concurrent_edit_into_a_conflict(notes):
    notes.put(2019, "planning", 5, actual_text="已备案", actor="甲", now=NOW, expected_seq=0)
    with pytest.raises(NoteConflict) as err:
        notes.put(2019, "planning", 5, actual_text="未备案", actor="乙", now=NOW, expected_seq=0)
    assert err.value.details["current_seq"] == 1


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (testing.jpeg(lon=118.0, lat=39.8), "jpg"),
        (evidence_png(), "png"),
        (_office("word/document.xml"), "docx"),
        (_office("xl/workbook.xml"), "xlsx"),
        (_office("ppt/presentation.xml"), None),
        (b"PK\x03\x04 not a zip", None),
        (b"<html>", None),
    ],
)
def test_evidence_type_comes_from_magic_bytes(data, kind):
    assert evidence_type(data) == kind


def test_evidence_is_stored_once_by_hash_and_can_be_dropped_and_restored(notes):
    png = evidence_png()
    n = notes.add_evidence(2019, "mining_enforcement", 6, png, "回访.png", actor="甲", now=NOW)
    [f] = n.evidence
    assert f["type"] == "png" and f["mime"] == "image/png" and f["size"] == len(png)
    assert notes.blobs.get(f["sha256"]) == png
    again = notes.add_evidence(2019, "mining_enforcement", 6, png, "copy.png", actor="乙", now=NOW)
    assert again.seq == n.seq and len(again.evidence) == 1
    pdf = notes.add_evidence(
        2019, "mining_enforcement", 6, b"%PDF-1.4 x", "表.pdf", actor="甲", now=NOW
    )
    assert [e["type"] for e in pdf.evidence] == ["png", "pdf"]
    dropped = notes.put(2019, "mining_enforcement", 6, evidence=[f["sha256"]], actor="甲", now=NOW)
    assert [e["filename"] for e in dropped.evidence] == ["回访.png"]
    pdf_sha = pdf.evidence[1]["sha256"]
    back = notes.put(
        2019, "mining_enforcement", 6, evidence=[f["sha256"], pdf_sha], actor="甲", now=NOW
    )
    assert back.evidence[1]["filename"] == "表.pdf" and back.evidence[1]["uploaded_by"] == "甲"
    assert notes.evidence_file(pdf_sha)["mime"] == "application/pdf"
    with pytest.raises(InvalidNote):
        notes.put(2019, "mining_enforcement", 6, evidence=["0" * 64], actor="甲", now=NOW)


def test_evidence_of_the_wrong_type_or_size_is_refused_and_not_stored(notes, monkeypatch):
    with pytest.raises(EvidenceRejected) as err:
        notes.add_evidence(2019, "planning", 5, b"MZ\x90\x00", "setup.exe", actor="甲", now=NOW)
    assert err.value.details == {"file": "setup.exe", "reason": "type"}
    with pytest.raises(EvidenceRejected) as err:
        notes.add_evidence(2019, "planning", 5, b"", "empty.pdf", actor="甲", now=NOW)
    assert err.value.details["reason"] == "empty"
    monkeypatch.setattr("storage.indicator_notes.MAX_EVIDENCE_BYTES", 10)
    with pytest.raises(EvidenceRejected) as err:
        notes.add_evidence(
            2019, "planning", 5, b"%PDF-1.4 too long", "big.pdf", actor="甲", now=NOW
        )
    assert err.value.details["reason"] == "too_large"
    assert notes.history(2019, "planning", 5) == []
    assert not notes.blobs.root.exists()
    with pytest.raises(NotFound):
        notes.evidence_file("a" * 64)
