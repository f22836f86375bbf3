"""Features as OGC API - Features writes them: a 图斑's properties (its live state and
judgment, dates, overdue flag and the delivered attributes as delivered) and a page as a
GeoJSON FeatureCollection with its paging links. Every value goes through json, so text from a
delivery stays escaped JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import shapely.geometry
from fastapi import Request

from api.geojson import feature_collection
from api.ogc.documents import GEOJSON, href, link
from api.ogc.params import ItemParams
from geo.model import FINAL_STATES, Judgment, Programme, State, reason_label
from geo.ogc_crs import OgcCrs
from storage import spatial


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _with_delivered(props: dict[str, Any], attributes: Any) -> dict[str, Any]:
    # Delivered fields keep their own names; one that clashes with Tuban's gets a prefix.
    for key, value in (attributes or {}).items():
        props[f"delivered_{key}" if key in props else key] = value
    return props


def case_properties(row: dict[str, Any], today: date) -> dict[str, Any]:
    """A 图斑's properties (re-issued ones: their own code, shape and attributes, the case's
    state)."""
    return _with_delivered(_case_own(row, today), row["attributes"])


def _case_own(row: dict[str, Any], today: date) -> dict[str, Any]:
    state, judgment = State(row["state"]), row["judgment"]
    due = row.get("due_on")
    props: dict[str, Any] = {
        "code": row["code"],
        "xzqdm": row["xzqdm"],
        "programme": row["programme"],
        "programme_label": Programme(row["programme"]).label,
        "period": row.get("period"),
        "batch_id": row["batch_id"],
        "reissue_of_batch": row.get("reissue_of_batch"),
        "township_code": row["township_code"],
        "township": row["township_name"],
        "village_code": row["village_code"],
        "village": row["village_name"],
        "state": state.value,
        "state_label": state.label,
        "judgment": judgment,
        "judgment_label": Judgment(judgment).label if judgment else None,
        "area_m2": row["area_m2"],
        "area_mu": row["area_mu"],
        "issued_on": _iso(row.get("issued_on")),
        "due_on": _iso(due),
        "overdue": bool(due is not None and due < today and state not in FINAL_STATES),
    }
    return props


def verification_properties(row: dict[str, Any], today: date) -> dict[str, Any]:
    """A 卫片图斑's properties in the verification collection: the case's, then what a
    verification writes (judgment above, reason, land class, note, measured area) and the
    version an edit must name."""
    props = _case_own(row, today)
    reason = row.get("verify_reason")
    props.update(
        reason=reason,
        reason_label=reason_label(reason),
        land_class=row.get("land_class"),
        note=row.get("note"),
        illegal_area_m2=row.get("illegal_area_m2"),
        version=row["version"],
    )
    return _with_delivered(props, row["attributes"])


def shown_shapes(rows: list[dict[str, Any]]) -> Any:
    """The verification items' shapes (stored lon/lat): the measured extent where one was
    recorded, else the 图斑 as issued."""
    shapes = spatial.geometries([r[spatial.GEOMETRY_COLUMN] for r in rows])
    for i, r in enumerate(rows):
        if r.get("illegal_geometry"):
            shapes[i] = shapely.geometry.shape(r["illegal_geometry"])
    return shapes


def reference_properties(row: dict[str, Any]) -> dict[str, Any]:
    """A reference feature's properties."""
    return _with_delivered({"ident": row["ident"], "label": row["label"]}, row["attributes"])


def geometries(rows: list[dict[str, Any]], crs: OgcCrs, shapes: Any = None) -> Any:
    """The rows' stored shapes (or ``shapes``, lon/lat, one per row) in the asked CRS."""
    if shapes is None:
        shapes = spatial.geometries([r[spatial.GEOMETRY_COLUMN] for r in rows])
    return crs.from_lonlat(shapes)


def page_text(
    request: Request,
    path: str,
    p: ItemParams,
    rows: list[dict[str, Any]],
    props: list[dict[str, Any]],
    matched: int,
    shapes: Any = None,
) -> bytes:
    """A page of items as GeoJSON (UTF-8), with self/next/prev links keeping the other
    parameters."""
    kept = {
        k: v for k, v in request.query_params.items() if k not in ("api_key", "offset", "limit")
    }
    links = [link(href(request, path, **kept, limit=p.limit, offset=p.offset), "self", GEOJSON)]
    if p.offset + len(rows) < matched:
        nxt = href(request, path, **kept, limit=p.limit, offset=p.offset + p.limit)
        links.append(link(nxt, "next", GEOJSON, "下一页"))
    if p.offset > 0:
        prev = href(request, path, **kept, limit=p.limit, offset=max(p.offset - p.limit, 0))
        links.append(link(prev, "prev", GEOJSON, "上一页"))
    members = {
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "numberMatched": matched,
        "numberReturned": len(rows),
        "links": links,
    }
    return feature_collection(
        geometries(rows, p.crs, shapes), props, ids=[r["id"] for r in rows], members=members
    )


def one_text(row: dict[str, Any], props: dict[str, Any], crs: OgcCrs, shapes: Any = None) -> bytes:
    """A single item as a GeoJSON Feature (UTF-8)."""
    text = feature_collection(geometries([row], crs, shapes), [props], ids=[row["id"]])
    # The collection's one feature, cut out of its envelope: the same escaping either way.
    start = text.index(b'{"type":"Feature"')
    return text[start : -len(b"]}")]
