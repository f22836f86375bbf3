"""The web map's distances and bearings (webmap/static/geo-math.js) are checked by Node against
webmap/tests/fixtures/geodesic.json; this test holds that fixture to pyproj's Geod on the
CGCS2000 ellipsoid (GRS80), so the JS is compared with the reference, not with itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyproj import Geod

FIXTURE = Path(__file__).resolve().parent.parent / "webmap" / "tests" / "fixtures" / "geodesic.json"
# Pairs a verifier meets: metres apart in a field, across 丰润区, to the county seat, due
# north/east/south/west, and two far ones where a sphere would be off by kilometres.
PAIRS = [
    ((118.1, 39.83), (118.1001, 39.83005)),
    ((118.1, 39.83), (118.1, 39.84)),
    ((118.1, 39.83), (118.11, 39.83)),
    ((118.1, 39.83), (118.1, 39.82)),
    ((118.1, 39.83), (118.09, 39.83)),
    ((117.88, 39.58), (118.33, 40.08)),
    ((118.33, 40.08), (117.88, 39.58)),
    ((118.16, 39.83), (118.0532, 39.7461)),
    ((116.404, 39.915), (121.4737, 31.2304)),
    ((118.1, 39.83), (-74.006, 40.7128)),
]


def expected() -> list[dict]:
    geod = Geod(ellps="GRS80")
    out = []
    for a, b in PAIRS:
        azimuth, _, metres = geod.inv(a[0], a[1], b[0], b[1])
        out.append(
            {"from": list(a), "to": list(b), "metres": round(metres, 4),
             "bearing": round(azimuth % 360, 6)}
        )  # fmt: skip
    return out


def test_fixture_is_pyprojs_answer():
    assert FIXTURE.is_file(), "run this file's __main__ to write it"
    stored = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for got, want in zip(stored, expected(), strict=True):
        assert got["from"] == want["from"] and got["to"] == want["to"]
        assert got["metres"] == pytest.approx(want["metres"], abs=1e-3)
        assert got["bearing"] == pytest.approx(want["bearing"], abs=1e-6)


if __name__ == "__main__":  # .venv/bin/python tests/test_geodesic_fixture.py
    FIXTURE.write_text(json.dumps(expected(), indent=1) + "\n", encoding="utf-8")
