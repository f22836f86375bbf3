"""Row notes and evidence over HTTP."""

from __future__ import annotations

import pytest

from tuban_cli.demo import evidence_png

ROW = "/api/indicator-notes/2019/mining_enforcement/6"


@pytest.fixture(autouse=True)
def _evidence_in_tmp(app, tmp_path):
    """Evidence lives beside the photos directory: keep it out of the working tree."""
    app.state.settings.photos_dir = tmp_path / "photos"


def test_put_list_history_and_evidence(as_role):
    tongji = as_role("viewer")
    r = tongji.put(ROW, json={"actual_text": "处理合理合法", "expected_seq": 0})
    assert r.status_code == 200, r.text
    assert r.json()["seq"] == 1 and r.json()["updated_by"]
    png = evidence_png()
    up = tongji.post(f"{ROW}/evidence", files={"file": ("回访.png", png, "image/png")})
    assert up.status_code == 201, up.text
    [ev] = up.json()["evidence"]
    assert ev["type"] == "png" and ev["url"] == f"/api/evidence/{ev['sha256']}"
    reader = as_role("enforcer")
    got = reader.get(ev["url"])
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png"
    lst = reader.get("/api/indicator-notes?year=2019&project=mining_enforcement").json()
    assert lst["count"] == 1 and lst["data"][0]["row_no"] == 6
    assert lst["data"][0]["actual_text"] == "处理合理合法" and len(lst["data"][0]["evidence"]) == 1
    hist = reader.get(f"{ROW}/history").json()
    assert [h["seq"] for h in hist["data"]] == [1, 2]
    stale = tongji.put(ROW, json={"reason": "x", "expected_seq": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "NOTE_VERSION_CONFLICT"


def test_wrong_evidence_type_is_422_and_unknown_blob_404(client):
    r = client.post(f"{ROW}/evidence", files={"file": ("x.pdf", b"<html>", "application/pdf")})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "EVIDENCE_REJECTED" and err["details"]["file"] == "x.pdf"
    assert client.get("/api/evidence/" + "a" * 64).status_code == 404
    assert client.get("/api/evidence/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_actual_text_on_a_computed_row_and_unknown_rows(client):
    r = client.put("/api/indicator-notes/2019/mining_enforcement/1", json={"actual_text": "100%"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "actual_text"
    reason = client.put(
        "/api/indicator-notes/2019/mining_enforcement/1", json={"reason": "期限未到"}
    )
    assert reason.status_code == 200
    assert (
        client.put(
            "/api/indicator-notes/2019/mining_enforcement/9", json={"reason": "x"}
        ).status_code
        == 404
    )
    assert client.get("/api/indicator-notes?year=2019&project=roads").status_code == 404


def test_only_admin_and_statistics_may_write(as_role):
    for role in ("verifier", "reviewer", "enforcer"):
        c = as_role(role)
        assert c.put(ROW, json={"reason": role}).status_code == 403
        files = {"file": ("a.png", evidence_png(), "image/png")}
        assert c.post(f"{ROW}/evidence", files=files).status_code == 403
    for role in ("admin", "viewer"):
        assert as_role(role).put(ROW, json={"reason": role}).status_code == 200
