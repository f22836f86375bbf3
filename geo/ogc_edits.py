"""A verification sent as a GeoJSON Feature over OGC API - Features Part 4, read into the
workflow's own ``verify`` payload.

A GIS client edits the feature it read: it sends back every property, changed or not, and the
geometry in the CRS it asked for. So the properties the verification sets (judgment, reason,
land class, note, measured area) are taken; the others must come back as they were read, or the
request is refused naming the one that changed (a client that believes it can change ``state``
must hear that it did not). The geometry is the measured extent: sent back unchanged it is the
issued 图斑 (or the extent already recorded), and no new extent is recorded; changed, it is the
verifier's measurement. The workflow then checks the payload as it checks the web map's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidPayload, VersionConflict
from geo.messages import msg
from geo.ogc_crs import OgcCrs

# Properties a verification writes (the verify payload's own names), under their item names.
WRITABLE = {
    "judgment": "judgment",
    "reason": "reason",
    "land_class": "land_class",
    "note": "note",
    "illegal_area_m2": "illegal_area_m2",
}
VERSION = "version"
# Labels written beside codes: derived, so sending them back changed means nothing to undo.
DERIVED = {"judgment_label", "reason_label", "state_label", "overdue"}
# A vertex moved by less than this (degrees, about 1 mm) is the client's rounding, not a
# measurement: GIS clients write coordinates back with their own precision.
SAME_SHAPE_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Verification:
    """What an edit asks of the workflow: the verify payload, and the version it was made on
    (from the feature's ``version`` property; None when it sent none)."""

    payload: dict[str, Any]
    version: int | None


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with a JSON Merge Patch (RFC 7396) applied: objects merge member by member, a
    null removes a member, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _feature(body: Any) -> tuple[Mapping[str, Any], Any]:
    if not isinstance(body, Mapping) or body.get("type") != "Feature":
        raise InvalidPayload("请求体应为 GeoJSON Feature", field="type")
    props = body.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, Mapping):
        raise InvalidPayload("properties 应为对象", field="properties")
    return props, body.get("geometry")


def _version(props: Mapping[str, Any]) -> int | None:
    v = props.get(VERSION)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not float(v).is_integer():
        raise InvalidPayload("version 应为整数（读取要素时得到的版本号）", field=VERSION)
    return int(v)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return bool(a == b)


def _unchanged(props: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    """Refuse a read-only property sent with another value than the item has."""
    for key, value in props.items():
        if key in WRITABLE or key == VERSION or key in DERIVED:
            continue
        if key not in current:
            raise InvalidPayload(f"属性 {str(key)[:40]} 不是本图层的属性", field=str(key)[:40])
        if not _same(value, current[key]):
            raise InvalidPayload(
                f"属性 {key} 只读（核查只能填写 {'、'.join(WRITABLE)}）", field=str(key)
            )


def _shape(geometry: Any, crs: OgcCrs) -> BaseGeometry:
    """The sent geometry in stored lon/lat."""
    wrong = InvalidPayload("geometry 应为 GeoJSON 面（Polygon/MultiPolygon）", field="geometry")
    try:
        geom = shapely.geometry.shape(geometry)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError, RecursionError):
        raise wrong from None
    except shapely.errors.ShapelyError:
        raise wrong from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise wrong
    if not all(math.isfinite(v) for v in geom.bounds):
        raise InvalidPayload("geometry 的坐标应为有限数值", field="geometry")
    return crs.to_lonlat(geom)


def _moved(sent: BaseGeometry, before: BaseGeometry) -> bool:
    a, b = shapely.normalize(sent), shapely.normalize(before)
    return not a.equals_exact(b, SAME_SHAPE_TOLERANCE)


def verification(
    body: Any,
    current: Mapping[str, Any],
    *,
    issued: BaseGeometry,
    recorded: BaseGeometry | None,
    crs: OgcCrs,
) -> Verification:
    """The verify payload an edited feature asks for.

    ``current`` holds the item's properties as the collection serves them; ``issued`` is the
    图斑 and ``recorded`` the extent measured before (both stored lon/lat; the item shows the
    recorded one when there is one), and ``crs`` the CRS of the client's coordinates
    (``Content-Crs``). Raises ``InvalidPayload`` naming the property at fault; the values
    themselves are checked by the workflow.
    """
    props, geometry = _feature(body)
    version = _version(props)
    if version is not None and version != current.get(VERSION):
        # Read at another version, its other properties differ for that reason: the conflict,
        # not a "read-only property changed", is what the client must hear.
        raise VersionConflict(
            msg("case.version_conflict"),
            expected_version=version,
            current_version=current.get(VERSION),
        )
    _unchanged(props, current)
    payload = {name: props[key] for key, name in WRITABLE.items() if props.get(key) is not None}
    sent = None if geometry is None else _shape(geometry, crs)
    if recorded is not None and (sent is None or not _moved(sent, recorded)):
        payload["illegal_geometry"] = shapely.geometry.mapping(recorded)  # kept as it was
    elif sent is not None and _moved(sent, issued):
        payload["illegal_geometry"] = shapely.geometry.mapping(sent)
        typed = payload.get("illegal_area_m2")
        if typed is not None and _same(typed, current.get("illegal_area_m2")):
            del payload["illegal_area_m2"]  # the old figure: the workflow measures the new extent
    return Verification(payload, version)
