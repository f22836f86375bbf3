"""Reference layers in the store: named, versioned, and the current one of each kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import geopandas as gpd
from sqlalchemy import Engine, func, select

from geo.area import CGCS2000
from geo.errors import DuplicateBatch, NotFound
from geo.hints import ReferenceSet
from geo.references import RefKind, RefLayer
from storage import spatial
from storage.bulk import analyze, indexes_deferred, insert_rows, to_json
from storage.rows import inserted_id
from storage.tables import ref_features, ref_layers


class RefStore:
    """Reads and writes of reference layers (村界, 永久基本农田, 采矿权, …)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def import_layer(
        self,
        layer: RefLayer,
        *,
        name: str,
        version: str,
        source_name: str,
        source_sha256: str,
        actor: str,
        now: datetime,
    ) -> tuple[dict, bool]:
        """Store a layer version in one transaction; the same file again is a no-op."""
        row, created = self._import(layer, name, version, source_name, source_sha256, actor, now)
        if created:
            analyze(self.engine, ref_features)
        return row, created

    def _import(
        self,
        layer: RefLayer,
        name: str,
        version: str,
        source_name: str,
        source_sha256: str,
        actor: str,
        now: datetime,
    ) -> tuple[dict, bool]:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(ref_layers).where(
                    ref_layers.c.kind == layer.kind.value,
                    ref_layers.c.name == name,
                    ref_layers.c.version == version,
                )
            ).first()
            if row is not None:
                if row.source_sha256 == source_sha256:
                    return dict(row._mapping), False
                raise DuplicateBatch(
                    f"{layer.kind.label}“{name}”版本 {version} 已存在且内容不同，请使用新的版本号",
                    file=source_name,
                    layer_id=row.id,
                )
            frame = layer.frame
            layer_id = inserted_id(
                conn.execute(
                    ref_layers.insert().values(
                        kind=layer.kind.value,
                        name=name,
                        version=version,
                        source_name=source_name,
                        source_sha256=source_sha256,
                        source_crs=layer.report.source_crs,
                        encoding=layer.report.encoding,
                        feature_count=len(frame),
                        **spatial.extent_values(frame.total_bounds.tolist()),
                        imported_at=now,
                        imported_by=actor,
                        report=layer.report.to_dict(),
                    )
                )
            )
            stored = spatial.geometry_values(frame.geometry.to_numpy())
            columns = {
                "layer_id": [layer_id] * len(frame),
                "ident": frame["ident"].tolist(),
                "label": frame["label"].tolist(),
                "attributes": [to_json(a) for a in frame["attributes"]],
                **stored,
            }
            rows = list(zip(*columns.values(), strict=True))
            with indexes_deferred(conn, ref_features, len(rows)):
                insert_rows(conn, ref_features, list(columns), rows)
            stored_row = conn.execute(select(ref_layers).where(ref_layers.c.id == layer_id)).one()
            return dict(stored_row._mapping), True

    def list_layers(self) -> list[dict[str, Any]]:
        """Every stored layer version, by kind, oldest import first."""
        with self.engine.connect() as conn:
            q = select(ref_layers).order_by(ref_layers.c.kind, ref_layers.c.imported_at)
            return [dict(r._mapping) for r in conn.execute(q)]

    def current(self) -> dict[RefKind, dict[str, Any]]:
        """The most recently imported layer of each kind."""
        out: dict[RefKind, dict[str, Any]] = {}
        for r in self.list_layers():  # ordered by import time: later wins
            out[RefKind(r["kind"])] = r
        return out

    def frame(
        self,
        layer_id: int,
        bbox: tuple[float, float, float, float] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> gpd.GeoDataFrame:
        """The layer's features meeting ``bbox`` in import order; ``limit``/``offset`` page."""
        q = select(
            ref_features.c.ident,
            ref_features.c.label,
            ref_features.c.attributes,
            ref_features.c.geom,
        ).where(ref_features.c.layer_id == layer_id)
        q = spatial.within(q, ref_features, bbox)
        with self.engine.connect() as conn:
            self._check(conn, layer_id)
            rows = conn.execute(q.order_by(ref_features.c.id).offset(offset).limit(limit)).all()
        return gpd.GeoDataFrame(
            {
                "ident": [r.ident for r in rows],
                "label": [r.label for r in rows],
                "attributes": [r.attributes for r in rows],
            },
            geometry=spatial.geometries([r.geom for r in rows]),
            crs=CGCS2000,
        )

    def geojson(
        self,
        layer_id: int,
        bbox: tuple[float, float, float, float] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """``frame``'s page for the map: each feature's ident, label and geometry as GeoJSON
        text (``spatial.as_geojson``: written by PostGIS there), no shape decoded in Python."""
        q = select(
            ref_features.c.ident,
            ref_features.c.label,
            spatial.as_geojson(ref_features.c.geom).label("geojson"),
        ).where(ref_features.c.layer_id == layer_id)
        q = spatial.within(q, ref_features, bbox)
        with self.engine.connect() as conn:
            self._check(conn, layer_id)
            rows = conn.execute(q.order_by(ref_features.c.id).offset(offset).limit(limit)).all()
            texts = spatial.geojson_texts(conn.dialect.name, [r.geojson for r in rows])
        return [
            {"ident": r.ident, "label": r.label, "geojson": t}
            for r, t in zip(rows, texts, strict=True)
        ]

    def count(self, layer_id: int, bbox: tuple[float, float, float, float] | None = None) -> int:
        """How many of the layer's features meet ``bbox`` (on the spatial index, no geometry
        read)."""
        ids = select(ref_features.c.id).where(ref_features.c.layer_id == layer_id)
        q = select(func.count()).select_from(spatial.within(ids, ref_features, bbox).subquery())
        with self.engine.connect() as conn:
            self._check(conn, layer_id)
            return int(conn.execute(q).scalar_one())

    @staticmethod
    def _check(conn: Any, layer_id: int) -> None:
        exists = conn.execute(select(ref_layers.c.id).where(ref_layers.c.id == layer_id))
        if exists.first() is None:
            raise NotFound(f"没有参考图层 {layer_id}", layer_id=layer_id)

    def reference_set(self, bbox: tuple[float, float, float, float] | None = None) -> ReferenceSet:
        """Current layers (only features meeting ``bbox``; boundaries always whole)."""
        layers, versions = {}, {}
        for kind, meta in self.current().items():
            whole = kind in (RefKind.TOWNSHIP,)
            layers[kind] = self.frame(meta["id"], None if whole else bbox)
            versions[kind.value] = {
                "id": meta["id"],
                "name": meta["name"],
                "version": meta["version"],
            }
        return ReferenceSet(layers=layers, versions=versions)
