"""Where 导航 sends a verifier: ``centre`` of a case and of each task is a point inside the 图斑,
the same in both lists, so the phone's distances agree with the panel's."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely import Point, Polygon
from shapely.geometry import shape

from tests import factories
from tests.api.conftest import upload


def _u_shape() -> Polygon:
    """A 图斑 bent round a field it does not cover: its centroid lies outside it."""
    x, y = factories.FENGRUN_X, factories.FENGRUN_Y
    return Polygon(
        [
            (x, y),
            (x + 300, y),
            (x + 300, y + 300),
            (x + 200, y + 300),
            (x + 200, y + 100),
            (x + 100, y + 100),
            (x + 100, y + 300),
            (x, y + 300),
        ]
    )


def test_case_and_task_centres_lie_inside_the_polygon(client, tmp_path):
    frame = factories.squares(2)
    frame = gpd.GeoDataFrame(
        frame.drop(columns="geometry"),
        geometry=[_u_shape(), frame.geometry.iloc[1]],
        crs=frame.crs,
    )
    b = upload(client, factories.write(frame, tmp_path / "u.gpkg")).json()
    fc = client.get(f"/api/batches/{b['id']}/features").json()
    geoms = {f["id"]: shape(f["geometry"]) for f in fc["features"]}
    tasks = {t["case_id"]: t for t in client.get("/api/tasks").json()["data"]}
    bent = None
    for cid, geom in geoms.items():
        case = client.get(f"/api/cases/{cid}").json()
        lon, lat = case["centre"]
        assert geom.buffer(1e-9).contains(Point(lon, lat)), (cid, case["centre"])
        assert tasks[cid]["centre"] == case["centre"]
        if not geom.contains(geom.centroid):
            bent = cid
    # The test means something only if one 图斑's centroid is off its ground.
    assert bent is not None
    assert not geoms[bent].contains(shapely.centroid(geoms[bent]))
