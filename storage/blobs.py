"""Photo bytes on disk, named by their SHA-256 and written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from geo.errors import NotFound

_SHA256 = re.compile(r"[0-9a-f]{64}")


class InvalidBlobId(NotFound):
    """Not a lowercase hex SHA-256; refused before it can name a path (``../``, ``/etc``)."""

    code = "BLOB_INVALID_ID"


class BlobStore:
    """Content-addressed files under ``root``: ``ab/cd/<sha256>`` and ``thumbs/ab/cd/<sha>.jpg``.

    The two-level fan-out keeps directories small (65 536 leaves). Because a name is the hash
    of the content, writing the same bytes twice is a no-op and a blob never changes.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        """Where blob ``sha`` lives (whether or not it exists); InvalidBlobId for a non-hash."""
        _check(sha)
        return self.root / sha[:2] / sha[2:4] / sha

    def thumbnail_path(self, sha: str) -> Path:
        """Where the thumbnail of blob ``sha`` lives (it is keyed by the original's hash)."""
        _check(sha)
        return self.root / "thumbs" / sha[:2] / sha[2:4] / f"{sha}.jpg"

    def exists(self, sha: str) -> bool:
        """Whether blob ``sha`` is stored."""
        return self.path(sha).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 (hex); storing it again changes nothing."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if not target.is_file():
            _write_atomic(target, data)
        return sha

    def get(self, sha: str) -> bytes:
        """The bytes of blob ``sha``; NotFound if it is not stored."""
        try:
            return self.path(sha).read_bytes()
        except FileNotFoundError:
            raise NotFound("找不到照片文件", sha256=sha) from None

    def put_thumbnail(self, sha: str, data: bytes) -> Path:
        """Store the thumbnail of blob ``sha``, replacing any older rendering."""
        target = self.thumbnail_path(sha)
        _write_atomic(target, data)
        return target


def _check(sha: str) -> None:
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise InvalidBlobId("照片编号无效", sha256=str(sha)[:80])


def _write_atomic(target: Path, data: bytes) -> None:
    """Write to a temporary file beside ``target``, then rename it into place.

    Readers see the old file or the whole new one, never a part; a crash leaves at most a
    ``.tmp-*`` file, which no blob name can match.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes must be on disk before the name points at them
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; POSIX only (Windows cannot open a directory)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
