"""GET /api/meta: the vocabulary for clients, public, revalidated by ETag."""

from __future__ import annotations

from geo.vocabulary import vocabulary


def test_meta_is_the_vocabulary_without_signing_in(anon):
    r = anon.get("/api/meta")
    assert r.status_code == 200
    assert r.json() == vocabulary()
    assert r.headers["etag"] == f'"{vocabulary()["version"]}"'
    assert r.headers["cache-control"] == "no-cache"


def test_meta_answers_304_to_the_same_version(anon):
    etag = anon.get("/api/meta").headers["etag"]
    r = anon.get("/api/meta", headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    assert anon.get("/api/meta", headers={"If-None-Match": '"stale"'}).status_code == 200
