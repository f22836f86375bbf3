"""The offline task pack: everything a field verifier needs to open and work on their open 图斑
with no connection, in one download the web map keeps on the phone (IndexedDB).

Only the signed-in user's own work list goes in (the rows of ``GET /api/tasks``, so the same
visibility rules), each 图斑 as ``GET /api/cases/{id}`` shows it plus its geometry, and the
reference features near it clipped to a small buffer, so the pack stays a few hundred bytes per
图斑 of context instead of whole township outlines."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import orjson
import shapely
from fastapi import APIRouter, Request, Response

from api.deps import ClockDep, ServicesDep, SettingsDep, StoreDep
from api.schemas import BatchPublic, RefLayerPublic, TaskPublic
from api.security import CurrentUser
from geo.localtime import local_today
from storage import spatial
from storage.spatial import bbox_of
from storage.visibility import Scope

router = APIRouter(prefix="/api/offline", tags=["offline"])

# A verifier's open work is tens to a few hundred 图斑; the cap keeps one download bounded
# (about 3 KB per 图斑 compressed on the demo) and the answer says when it cut the list.
MAX_PACK_CASES = 500
# Reference context around each 图斑: enough to see the boundary or permit next to it.
REF_BUFFER_DEG = 0.003  # ≈ 330 m north–south, 250 m east–west at 丰润区's latitude
# The attribute names imagery.js reads a before/after image chip from (relative: TUBAN_CHIPS_DIR).
CHIP_KEYS = {
    "before": ("前时相影像", "qsxyx", "qsx_url", "before_image", "before_img"),
    "after": ("后时相影像", "hsxyx", "hsx_url", "after_image", "after_img"),
}


def chip_urls(attributes: dict[str, Any], chips_dir: Path) -> dict[str, str]:
    """The app-relative URLs of the case's image chips that exist under ``chips_dir``.

    >>> chip_urls({"前时相影像": "https://x/y.jpg"}, Path("/nonexistent"))
    {}
    """
    out = {}
    root = chips_dir.resolve()
    for which, keys in CHIP_KEYS.items():
        value = next(
            (
                v.strip()
                for k, v in (attributes or {}).items()
                if k.lower() in keys and isinstance(v, str) and v.strip()
            ),
            None,
        )
        if not value or "://" in value or value.startswith("data:"):
            continue  # an absolute URL is the image server's, not ours to pack
        rel = value.lstrip("/")
        path = (root / rel).resolve()
        if path.is_relative_to(root) and path.is_file():
            out[which] = "api/chips/" + "/".join(part for part in rel.split("/") if part)
    return out


def _references(services: Any, boxes: list[shapely.Geometry]) -> list[dict[str, Any]]:
    """Each current reference layer's features near the pack's 图斑, clipped to the buffers."""
    if not boxes:
        return []
    area = shapely.union_all(boxes)
    bounds = tuple(float(x) for x in area.bounds)
    out = []
    for layer in services.refs.current().values():
        frame = services.refs.frame(layer["id"], bounds)
        features = []
        for ident, label, geom in zip(frame["ident"], frame["label"], frame.geometry, strict=True):
            if geom is None or not geom.intersects(area):
                continue
            clipped = shapely.intersection(geom, area)
            if clipped.is_empty:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": orjson.Fragment(shapely.to_geojson(clipped)),
                    "properties": {"ident": ident, "label": label},
                }
            )
        public = RefLayerPublic.from_row(layer).model_dump(mode="json")
        out.append({**public, "type": "FeatureCollection", "features": features})
    return out


@router.get("/pack", operation_id="offline-pack", response_class=Response)
def pack(
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """The signed-in user's open tasks for offline work: batches, the work list, each 图斑 as
    ``GET /api/cases/{id}`` with ``geometry`` (GeoJSON lon/lat), ``bbox`` and ``chips`` (image
    chip URLs to keep), and reference features near them clipped to a buffer.

    ``X-Pack-Bytes`` carries the uncompressed size, for a progress bar while a compressed answer
    arrives. At most 500 图斑 (``truncated`` says more are waiting, overdue first)."""
    from api.routes.cases import _public

    now = clock()
    today: date = local_today(now)
    rows, count = services.worklists.tasks(user=user, today=today, limit=MAX_PACK_CASES)
    tasks = [TaskPublic.model_validate(r).model_dump(mode="json") for r in rows]
    scope = Scope.of(user)
    cases, boxes, batch_ids = [], [], []
    for t in tasks:
        case = _public(store, t["case_id"], request, scope).model_dump(mode="json")
        row = store.get_case_row(t["case_id"])
        geom = spatial.geometry(row)
        case["geometry"] = orjson.Fragment(shapely.to_geojson(geom))
        case["bbox"] = bbox_of(row)
        case["chips"] = chip_urls(case.get("attributes") or {}, Path(settings.chips_dir))
        cases.append(case)
        boxes.append(shapely.box(*case["bbox"]).buffer(REF_BUFFER_DEG, join_style="mitre"))
        if t["batch_id"] not in batch_ids:
            batch_ids.append(t["batch_id"])
    body = {
        "user": user.username,
        "generated_at": now.isoformat(),
        "count": count,
        "truncated": count > len(tasks),
        "limit": MAX_PACK_CASES,
        "batches": [
            BatchPublic.from_row(store.get_batch(b)).model_dump(mode="json") for b in batch_ids
        ],
        "tasks": tasks,
        "cases": cases,
        "references": _references(services, boxes),
    }
    data = orjson.dumps(body)
    return Response(
        data,
        media_type="application/json",
        headers={"X-Pack-Bytes": str(len(data)), "Cache-Control": "no-store"},
    )
