"""Hostile values from an imported province file in the pages the API serves: the printable
case sheet and the import report show them as text, and the case sheet runs no inline script
(the CSP allows none), so a missed escape could not run either."""

from __future__ import annotations

import shapely

from tests import factories
from tests.api.conftest import upload
from tests.security import hostile
from webmap.case_sheet import render_sheet


def _hostile_layer(tmp_path, codes):
    f = factories.squares(len(codes))
    f["TBBH"] = list(codes)
    f["BHLX"] = [hostile.BREAKOUT] * len(codes)
    geoms = list(f.geometry)
    geoms[-1] = factories.bowtie(dx=5000)  # a repaired row: its code is listed in the report
    f = f.set_geometry(geoms)
    return factories.write(f, tmp_path / "hostile.gpkg")


def test_case_sheet_and_import_report_escape_a_hostile_province_file(client, tmp_path):
    codes = [hostile.BREAKOUT, hostile.TEMPLATE, hostile.HTML]  # the last is repaired
    r = upload(client, _hostile_layer(tmp_path, codes))
    assert r.status_code == 201, r.text
    batch = r.json()
    features = client.get(f"/api/batches/{batch['id']}/features").json()["features"]
    assert {f["properties"]["code"] for f in features} == set(codes)
    for f in features:
        page = client.get(f"/api/cases/{f['id']}/sheet")
        assert page.status_code == 200
        assert hostile.raw_markup(page.text) == [], f["properties"]["code"]
        assert hostile.inline_scripts(page.text) == [], "the sheet runs only script files"
        assert " on" not in page.text.lower().replace(" onerror=alert", ""), "no on* handlers"
        assert "javascript:" not in page.text
    sheets = "".join(client.get(f"/api/cases/{f['id']}/sheet").text for f in features)
    assert "&lt;img src=x onerror=alert(1)&gt;" in sheets
    report = client.get(f"/api/batches/{batch['id']}/report.html")
    assert report.status_code == 200
    assert hostile.raw_markup(report.text) == []
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in report.text


def test_case_sheet_escapes_every_field_it_shows():
    value = hostile.HTML + hostile.BREAKOUT + hostile.TEMPLATE
    case = {
        "code": value, "xzqdm": value, "programme": value, "batch_id": value,
        "hints": {"township_name": value, "village_name": value},
        "area_m2": 1.0, "area_mu": 0.0015, "state_label": value, "judgment_label": value,
        "assignee": {"display_name": value},
        "milestones": {
            "land_class": value, "case_no": value, "receipt_no": value,
            "illegal_geometry": {"type": "Point", "coordinates": [118.1, 39.83]},
        },
        "hint_notes": [value],
        "events": [{"at": value, "action_label": value, "actor": value,
                    "before": {"state": value}, "after": {"state": value}}],
        "photos": [{"thumb_url": "/api/photos/x/thumb\"><script>alert(2)</script>",
                    "taken_at": value}],
    }
    page = render_sheet(case, shapely.to_wkb(shapely.box(118.1, 39.83, 118.11, 39.84)))
    assert hostile.raw_markup(page) == []
    assert hostile.inline_scripts(page) == []
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 10
