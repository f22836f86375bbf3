"""The evidence dossier PDF: it opens, and holds the code, the chain head and every photo hash."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from pypdf import PdfReader

from geo import testing as photos
from reports.dossier import dossier_html, render_dossier
from storage import audit
from storage.blobs import BlobStore
from storage.dossier import dossier_source
from storage.engine import make_engine, migrate
from storage.imports import import_file
from storage.photo_store import PhotoStore
from storage.repository import CaseStore
from tests.conftest import NOW

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _worked_case(database_url, tmp_path, meta, gpkg):
    engine = make_engine(database_url)
    migrate(engine)
    store = CaseStore(engine)
    batch, _ = import_file(store, gpkg, meta, actor="t", now=NOW)
    cid = store.features(batch["id"])[0]["id"]
    pstore = PhotoStore(engine, BlobStore(tmp_path / "photos"))
    shas = [
        pstore.add(cid, photos.jpeg(size=(40 + i, 30)), f"p{i}.jpg", actor="甲", now=NOW)["sha256"]
        for i in range(2)
    ]
    steps = [
        ("verify", {"judgment": "illegal", "reason": "unlicensed_mining", "note": HOSTILE}),
        ("approve", {}),
        ("file", {"case_no": "丰国土资罚〔2019〕3号", "filed_on": "2019-10-18"}),
    ]
    for i, (action, payload) in enumerate(steps):
        store.apply_action(
            cid, action, actor="王五", payload=payload, expected_version=2 + i,
            now=NOW + timedelta(days=i + 1),
        )  # fmt: skip
    return engine, pstore, cid, shas


def test_dossier_pdf_holds_code_chain_hash_and_photo_hashes(
    database_url, tmp_path, mining_meta, squares_gpkg
):
    engine, pstore, cid, shas = _worked_case(database_url, tmp_path, mining_meta, squares_gpkg)
    src = dossier_source(pstore, cid, with_enforcement=True)
    assert src["chain"]["broken"] is None and src["chain"]["seq"] == 5
    pdf = render_dossier(src, now=NOW + timedelta(days=10))
    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert src["case"]["code"] in text
    assert src["chain"]["head"] in text and "哈希链校验通过" in text
    for sha in shas:
        assert sha in text
    assert "丰国土资罚〔2019〕3号" in text and "王五" in text
    assert "北京时间" in text
    with engine.connect() as conn:
        assert audit.chain_head(conn, cid)[1] == src["chain"]["head"]
    engine.dispose()


def test_hostile_values_are_escaped_and_a_broken_chain_is_stated(
    database_url, tmp_path, mining_meta, squares_gpkg
):
    from sqlalchemy import text

    engine, pstore, cid, _ = _worked_case(database_url, tmp_path, mining_meta, squares_gpkg)
    page = dossier_html(dossier_source(pstore, cid, with_enforcement=False), now=NOW)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
    assert "丰国土资罚" not in page.split("办理经过")[0]  # no 立案 section without the right
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_events SET actor = 'x' WHERE case_id = :c AND seq = 1"),
                     {"c": cid})  # fmt: skip
    page = dossier_html(dossier_source(pstore, cid, with_enforcement=True), now=NOW)
    engine.dispose()
    assert "哈希链校验未通过" in page and "立案与处罚" in page
