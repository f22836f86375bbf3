"""GeoJSON FeatureCollections written in one pass by orjson, each geometry's GeoJSON text (from
PostGIS, or from GEOS via shapely) spliced in as it is, never parsed again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import shapely


def geometry_texts(geometries: np.ndarray | Sequence[Any]) -> list[str | None]:
    """Shapely geometries as GeoJSON texts (None stays None), in one vectorised call."""
    geoms = np.asarray(geometries, dtype=object)
    return shapely.to_geojson(geoms).tolist() if len(geoms) else []


def feature_collection(
    geometries: np.ndarray | Sequence[Any],
    properties: Sequence[dict[str, Any]],
    *,
    ids: Sequence[int] | None = None,
    members: dict[str, Any] | None = None,
) -> bytes:
    """``feature_collection_text`` of shapely geometries."""
    return feature_collection_text(geometry_texts(geometries), properties, ids=ids, members=members)


def feature_collection_text(
    geometries: Sequence[str | None],
    properties: Sequence[dict[str, Any]],
    *,
    ids: Sequence[int] | None = None,
    members: dict[str, Any] | None = None,
) -> bytes:
    """A FeatureCollection as UTF-8 JSON: ``members`` (numberMatched, links, …) beside the
    features; ``ids`` become the features' ids. ``geometries`` are GeoJSON texts written by
    PostGIS or GEOS, trusted and copied as they are; every other value goes through orjson, so
    text from files and forms is escaped like any JSON value."""
    if len(geometries) != len(properties) or (ids is not None and len(ids) != len(properties)):
        raise ValueError("geometries, properties and ids must be of one length")
    fragments = [None if g is None else orjson.Fragment(g) for g in geometries]
    if ids is None:
        features = [
            {"type": "Feature", "geometry": g, "properties": p}
            for g, p in zip(fragments, properties, strict=True)
        ]
    else:
        features = [
            {"type": "Feature", "id": i, "geometry": g, "properties": p}
            for i, g, p in zip(ids, fragments, properties, strict=True)
        ]
    collection = {"type": "FeatureCollection", **(members or {}), "features": features}
    try:
        return orjson.dumps(collection)
    except orjson.JSONEncodeError:
        # orjson refuses a str that is not valid Unicode (a lone surrogate): such a value
        # could not be sent as UTF-8 anyway, so it goes with U+FFFD in place of the surrogate.
        return orjson.dumps(_scrubbed(collection))


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value
