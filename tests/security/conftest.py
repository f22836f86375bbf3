"""The API fixtures (an app per backend, one user per role) and hostile archives built once."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.api.conftest import Clock, anon, app, as_role, client, clock  # noqa: F401

GIB = 1 << 30


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory) -> Path:
    """1 GiB of zeros in one deflated member (about 1 MB on disk), headers honest."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zero = bytes(8 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("layer.geojson", "w", force_zip64=True) as out:
            for _ in range(GIB // len(zero)):
                out.write(zero)
    return path


def forge_size(data: bytes, declared: int) -> bytes:
    """The zip ``data`` (one member, no zip64) with its uncompressed size set to ``declared`` in
    both the local header and the central directory."""
    raw = bytearray(data)
    local = raw.index(b"PK\x03\x04")
    raw[local + 22 : local + 26] = declared.to_bytes(4, "little")
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = declared.to_bytes(4, "little")
    return bytes(raw)


@pytest.fixture
def forged_zip(tmp_path: Path) -> Path:
    """8 MB of zeros declared as 1 000 bytes: a small, honest-looking member that inflates far."""
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layer.geojson", bytes(8 << 20))
    path = tmp_path / "forged.zip"
    path.write_bytes(forge_size(plain.read_bytes(), 1000))
    return path
