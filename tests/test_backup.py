"""tuban backup / restore on both backends: every event, photo byte and hash link comes back."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text

from geo import testing as photos
from storage import audit
from storage.backup import BackupError, Store, backup, restore
from storage.blobs import BlobStore
from storage.engine import make_engine, migrate
from storage.imports import import_file
from storage.photo_store import PhotoStore
from storage.repository import CaseStore
from storage.tables import case_events
from storage.tables import photos as photo_rows
from tests.conftest import NOW, PG_URL


def _fill(url: str, files: Path, meta, gpkg) -> None:
    engine = make_engine(url)
    migrate(engine)
    store = CaseStore(engine)
    batch, _ = import_file(store, gpkg, meta, actor="t", now=NOW)
    pstore = PhotoStore(engine, BlobStore(files / "photos"))
    for i, f in enumerate(store.features(batch["id"])[:2]):
        pstore.add(f["id"], photos.jpeg(size=(32 + i, 24)), "p.jpg", actor="甲", now=NOW)
        store.apply_action(
            f["id"], "verify", actor="王五", expected_version=1, now=NOW + timedelta(hours=1),
            payload={"judgment": "illegal", "reason": "unlicensed_mining", "note": "越界"},
        )  # fmt: skip
    (files / "evidence").mkdir(parents=True, exist_ok=True)
    (files / "evidence" / "note.pdf").write_bytes(b"%PDF-1.4 evidence")
    engine.dispose()


def _state(url: str, files: Path) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        events = [dict(r._mapping) for r in conn.execute(select(case_events).order_by("id"))]
        shas = sorted(r.sha256 for r in conn.execute(select(photo_rows.c.sha256)))
    verdict = audit.verify(engine)
    engine.dispose()
    blobs = BlobStore(files / "photos")
    return {
        "events": events,
        "photos": {s: blobs.get(s) for s in shas},
        "evidence": (files / "evidence" / "note.pdf").read_bytes(),
        "ok": verdict.ok,
    }


def _wipe(url: str, files: Path) -> None:
    shutil.rmtree(files)
    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return
    schema = make_url(url).query["options"].split("=")[1].split(",")[0]  # public comes second
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()


def test_backup_wipe_restore_gives_back_everything(
    database_url, tmp_path, mining_meta, squares_gpkg
):
    files = tmp_path / "data"
    store = Store(database_url, files / "photos", files / "evidence")
    _fill(database_url, files, mining_meta, squares_gpkg)
    before = _state(database_url, files)
    assert before["ok"] and len(before["events"]) == 4 and len(before["photos"]) == 2

    archive = backup(store, tmp_path / "backups", NOW)
    assert archive.parent == tmp_path / "backups" and archive.suffix == ".tar"
    with pytest.raises(BackupError, match="--force"):
        restore(store, archive)  # the store still holds its cases
    _wipe(database_url, files)
    restore(store, archive)
    assert _state(database_url, files) == before


def test_a_changed_byte_in_the_backup_is_refused(database_url, tmp_path, mining_meta, squares_gpkg):
    files = tmp_path / "data"
    store = Store(database_url, files / "photos", files / "evidence")
    _fill(database_url, files, mining_meta, squares_gpkg)
    archive = backup(store, tmp_path / "b.tar", NOW)
    forged = tmp_path / "forged.tar"
    with tarfile.open(archive) as src, tarfile.open(forged, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == "evidence/note.pdf":
                data = data.replace(b"evidence", b"EVIDENCE")
            dst.addfile(m, io.BytesIO(data))
    with pytest.raises(BackupError, match="sha256"):
        restore(store, forged, force=True)
    traversal = tmp_path / "traversal.tar"
    with tarfile.open(traversal, "w") as dst:
        body = json.dumps({"files": {"../x": "0" * 64}}).encode()
        for name in ("../x", "manifest.json"):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            dst.addfile(info, io.BytesIO(body))
    with pytest.raises(BackupError, match="不允许"):
        restore(store, traversal, force=True)
    assert not (tmp_path / "x").exists()
