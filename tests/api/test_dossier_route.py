"""GET /api/cases/{id}/dossier.pdf follows the case's visibility rule."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.api.conftest import upload


def test_dossier_is_a_pdf_for_who_sees_the_case_and_404_for_others(client, as_role, squares_gpkg):
    batch = upload(client, squares_gpkg).json()
    cid = client.get(f"/api/batches/{batch['id']}/features").json()["features"][0]["id"]
    r = client.get(f"/api/cases/{cid}/dossier.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "哈希链" in text
    assert as_role("viewer").get(f"/api/cases/{cid}/dossier.pdf").status_code == 200
    # A verifier with no 图斑 assigned: the case does not exist for them.
    assert as_role("verifier").get(f"/api/cases/{cid}/dossier.pdf").status_code == 404
