"""Backup and restore of a whole store: the database, the photo and evidence files, a manifest.

A backup is one ``.tar``: ``db/tuban.sqlite`` (SQLite's online backup API, consistent while the
server writes) or ``db/tuban.pgdump`` (``pg_dump --format=custom`` of the store's schema), the
files under ``photos/`` and ``evidence/``, and ``manifest.json`` with the sha256 of every
member. Restore checks every member against the manifest, and refuses unknown or unsafe members,
before it writes anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import func, inspect, make_url, select

from geo.errors import TubanError
from storage.engine import make_engine, migrate
from storage.tables import cases, users

MANIFEST = "manifest.json"
_CHUNK = 1 << 20


class BackupError(TubanError):
    """A backup that cannot be made or restored (bad file, manifest mismatch, tool failure)."""

    code = "BACKUP_INVALID"


@dataclass(frozen=True)
class Store:
    """What a backup holds: the database URL and the two file trees beside it."""

    url: str
    photos_dir: Path
    evidence_dir: Path

    def file_roots(self) -> dict[str, Path]:
        """Tar prefix → directory on disk."""
        return {"photos": Path(self.photos_dir), "evidence": Path(self.evidence_dir)}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _pg_args(url: str) -> tuple[list[str], str]:
    """libpq arguments (a connection URI: no password on a command line of its own) and the
    store's schema (the URL's ``search_path`` option, else public)."""
    u = make_url(url)
    schema = "public"
    options = u.query.get("options")
    for opt in [options] if isinstance(options, str) else list(options or []):
        for part in opt.split():
            key, _, value = part.removeprefix("-c").partition("=")
            if key.strip() == "search_path" and value:
                schema = value.split(",")[0].strip().strip('"')
    conninfo = u.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    return ["-d", conninfo], schema


def _dump_database(url: str, target_dir: Path) -> Path:
    if url.startswith("sqlite"):
        src_path = make_url(url).database or ""
        out = target_dir / "tuban.sqlite"
        src, dst = sqlite3.connect(src_path), sqlite3.connect(out)
        try:
            src.backup(dst)  # page by page, restarted if a writer changes a copied page
        finally:
            dst.close()
            src.close()
        return out
    args, schema = _pg_args(url)
    out = target_dir / "tuban.pgdump"
    cmd = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-n", schema, "-f"]
    res = subprocess.run([*cmd, str(out), *args], capture_output=True, text=True)
    if res.returncode != 0:
        raise BackupError(f"pg_dump 失败：{res.stderr.strip()}")
    return out


def _files(roots: dict[str, Path]) -> Iterator[tuple[str, Path]]:
    for prefix, root in roots.items():
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.is_symlink():
                yield f"{prefix}/{p.relative_to(root).as_posix()}", p


def backup(store: Store, out: Path, now: datetime) -> Path:
    """Write a backup of ``store`` to ``out`` (a ``.tar`` file, else a directory that gets a
    timestamped one); returns its path."""
    if out.is_dir() or out.suffix != ".tar":
        out.mkdir(parents=True, exist_ok=True)
        out = out / f"tuban-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar"
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, object] = {
        "format": 1,
        "backend": "sqlite" if store.url.startswith("sqlite") else "postgresql",
        "created_at": now.astimezone(UTC).isoformat(),
    }
    hashes: dict[str, str] = {}
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(partial, "w") as tar:
        db = _dump_database(store.url, Path(tmp))
        for name, path in [(f"db/{db.name}", db), *_files(store.file_roots())]:
            hashes[name] = _sha256(path)
            tar.add(path, arcname=name, recursive=False)
        manifest["files"] = hashes
        body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        tar.addfile(info, fileobj=_bytes(body))
    partial.replace(out)  # a backup cut off by a crash never looks like a complete one
    return out


def _bytes(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _checked_members(tar: tarfile.TarFile) -> tuple[dict[str, str], dict[str, tarfile.TarInfo]]:
    """The manifest and the members, every one a regular file with a safe name and its hash."""
    try:
        raw = tar.extractfile(MANIFEST)
        manifest = json.loads(raw.read()) if raw else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise BackupError("备份文件缺少有效的 manifest.json，拒绝恢复")
    expected: dict[str, str] = manifest["files"]
    members = {m.name: m for m in tar.getmembers() if m.name != MANIFEST}
    for name, m in members.items():
        parts = PurePosixPath(name).parts
        if not m.isfile() or name.startswith("/") or ".." in parts or parts[0] not in _PREFIXES:
            raise BackupError(f"备份中含有不允许的条目：{name!r}，拒绝恢复")
    if set(members) != set(expected):
        extra = sorted(set(members) ^ set(expected))[:5]
        raise BackupError(f"备份内容与清单不一致：{extra}，拒绝恢复")
    for name, m in members.items():
        h = hashlib.sha256()
        f = tar.extractfile(m)
        while f is not None and (chunk := f.read(_CHUNK)):
            h.update(chunk)
        if h.hexdigest() != expected[name]:
            raise BackupError(f"备份条目 {name} 的 sha256 与清单不符，文件已损坏或被改动")
    return {"backend": str(manifest.get("backend"))}, members


_PREFIXES = ("db", "photos", "evidence")


def is_empty(url: str) -> bool:
    """Whether the store at ``url`` holds no case and no account (absent counts as empty)."""
    if url.startswith("sqlite") and not Path(make_url(url).database or "").is_file():
        return True  # opening it would create it (or fail on a missing directory)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            for table in (cases, users):
                if table.name in names:
                    if conn.execute(select(func.count()).select_from(table)).scalar_one():
                        return False
        return True
    finally:
        engine.dispose()


def restore(store: Store, archive: Path, *, force: bool = False) -> dict[str, int]:
    """Restore ``archive`` into ``store``; refuses a non-empty store unless ``force``."""
    try:
        tar = tarfile.open(archive, "r:")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"无法读取备份文件 {archive}：{exc}") from None
    with tar, tempfile.TemporaryDirectory() as tmp:
        info, members = _checked_members(tar)
        backend = "sqlite" if store.url.startswith("sqlite") else "postgresql"
        if info["backend"] != backend:
            raise BackupError(f"备份来自 {info['backend']}，不能恢复到 {backend} 数据库")
        if not force and not is_empty(store.url):
            raise BackupError("目标数据库已有数据；确认覆盖请加 --force")
        [db_name] = [n for n in members if n.startswith("db/")]
        db_file = Path(tmp) / "db"
        _extract(tar, members[db_name], db_file)
        _load_database(store.url, db_file)
        roots = store.file_roots()
        n_files = 0
        for name, m in members.items():
            prefix, _, rel = name.partition("/")
            if prefix in roots:
                _extract(tar, m, roots[prefix] / rel)
                n_files += 1
    engine = make_engine(store.url)
    migrate(engine)  # a backup from an older release is brought up to date
    engine.dispose()
    return {"files": n_files}


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = tar.extractfile(member)
    if src is None:
        raise BackupError(f"备份条目 {member.name} 不是文件")
    tmp = target.with_name(target.name + ".restoring")
    with tmp.open("wb") as out:
        shutil.copyfileobj(src, out, _CHUNK)
    tmp.replace(target)


def _load_database(url: str, db_file: Path) -> None:
    if url.startswith("sqlite"):
        target = Path(make_url(url).database or "")
        target.parent.mkdir(parents=True, exist_ok=True)
        src, dst = sqlite3.connect(db_file), sqlite3.connect(target)
        try:
            src.backup(dst)  # replaces every page of the target, WAL included
        finally:
            dst.close()
            src.close()
        return
    args, schema = _pg_args(url)
    drop = ["psql", "-q", "-v", "ON_ERROR_STOP=1", *args, "-c"]
    sql = f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'
    if schema == "public":  # pg_dump -n public does not recreate the public schema
        sql += '; CREATE SCHEMA "public"'
    res = subprocess.run([*drop, sql], capture_output=True, text=True)
    if res.returncode == 0:
        cmd = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args]
        res = subprocess.run([*cmd, str(db_file)], capture_output=True, text=True)
    if res.returncode != 0:
        raise BackupError(f"恢复 PostgreSQL 失败：{res.stderr.strip()}")
