"""Content-addressed photo store: round trip, idempotence, path safety, atomic writes."""

from __future__ import annotations

import hashlib
import os

import pytest

from geo import testing as pf
from geo.errors import NotFound
from storage.blobs import BlobStore, InvalidBlobId


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs")


def test_put_get_round_trip_under_a_fanned_out_path(store):
    data = pf.jpeg(118.1, 39.83, 0.0)
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.path(sha) == store.root / sha[:2] / sha[2:4] / sha
    assert store.exists(sha) and store.get(sha) == data


def test_put_is_idempotent_and_does_not_rewrite(store, monkeypatch):
    sha = store.put(b"evidence")

    def no_write(*_args):
        raise AssertionError("an existing blob must not be rewritten")

    monkeypatch.setattr(os, "replace", no_write)
    assert store.put(b"evidence") == sha
    assert store.get(sha) == b"evidence"
    assert os.listdir(store.path(sha).parent) == [sha]


def test_missing_blob_is_not_found(store):
    sha = "0" * 64
    assert not store.exists(sha)
    with pytest.raises(NotFound) as info:
        store.get(sha)
    assert info.value.code == "NOT_FOUND"


@pytest.mark.parametrize(
    "sha",
    [
        "../../etc/passwd",
        "ab/../../" + "0" * 55,
        "/" + "a" * 63,
        "A" * 64,  # names are lowercase, as put returns them
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "",
        "a" * 64 + "\n",
    ],
)
def test_malformed_ids_never_become_paths(store, sha):
    for call in (store.path, store.exists, store.get, store.thumbnail_path):
        with pytest.raises(InvalidBlobId):
            call(sha)
    with pytest.raises(InvalidBlobId):
        store.put_thumbnail(sha, b"x")
    assert not store.root.exists()


def test_thumbnail_is_stored_beside_the_blobs_and_can_be_replaced(store):
    sha = store.put(b"photo")
    path = store.put_thumbnail(sha, b"thumb v1")
    assert (
        path
        == store.thumbnail_path(sha)
        == store.root / "thumbs" / sha[:2] / sha[2:4] / (sha + ".jpg")
    )
    store.put_thumbnail(sha, b"thumb v2")
    assert path.read_bytes() == b"thumb v2"


@pytest.mark.parametrize("what", ["blob", "thumbnail"])
def test_failed_write_leaves_no_file_behind(store, monkeypatch, what):
    data = b"half-written photo" * 1000
    sha = hashlib.sha256(data).hexdigest()

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(data) if what == "blob" else store.put_thumbnail(sha, data)
    final = store.path(sha) if what == "blob" else store.thumbnail_path(sha)
    assert not final.exists()
    assert os.listdir(final.parent) == []  # the temporary file is gone too
    monkeypatch.undo()
    assert store.put(data) == sha and store.get(sha) == data
