"""GeoJSON FeatureCollections written in one pass: the envelope and properties by json, each
geometry by shapely (GEOS writes coordinates several times faster than json can)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def feature_collection(
    geometries: np.ndarray | Sequence[Any],
    properties: Sequence[dict[str, Any]],
    *,
    ids: Sequence[int] | None = None,
    members: dict[str, Any] | None = None,
) -> str:
    """A FeatureCollection as JSON text: ``members`` (numberMatched, links, …) beside the
    features; ``ids`` become the features' ids. Every value but the geometries goes through
    json, so text from files and forms is escaped like any JSON value."""
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) != len(properties) or (ids is not None and len(ids) != len(properties)):
        raise ValueError("geometries, properties and ids must be of one length")
    texts = shapely.to_geojson(geoms).tolist() if len(geoms) else []
    parts = []
    for k, (g, props) in enumerate(zip(texts, properties, strict=True)):
        fid = "" if ids is None else f'"id":{_dumps(ids[k])},'
        geometry = "null" if g is None else g
        parts.append(
            f'{{"type":"Feature",{fid}"geometry":{geometry},"properties":{_dumps(props)}}}'
        )
    # The envelope is json's own text with "features" last, its empty list filled in.
    head = _dumps({"type": "FeatureCollection", **(members or {}), "features": []})
    return head[: -len("[]}")] + "[" + ",".join(parts) + "]}"
