"""Automatic pre-judgment hints for each 图斑 from the reference layers, vectorised.

Hints help verifiers; they are never a judgment. Each is a column so the office can filter on
it (by township, by 越界 suspicion) and the map can show it without parsing text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from geo.area import M2_PER_MU, ellipsoidal_area_m2
from geo.references import RefKind

HINT_COLUMNS = (
    "township_code",
    "township_name",
    "village_code",
    "village_name",
    "villages",
    "farmland_m2",
    "permit_relation",
    "permit_ids",
    "approval_share",
    "approval_ids",
    "facility_share",
    "outside_share",
)
# Shares within this of 0 or 1 are treated as exact: slivers from digitising, not facts.
EPS = 1e-3


@dataclass
class ReferenceSet:
    """The current layer of each kind (frames with ident, label, geometry in EPSG:4490)."""

    layers: Mapping[RefKind, object] = field(default_factory=dict)  # kind -> GeoDataFrame
    versions: dict[str, dict] = field(default_factory=dict)  # kind -> {id, name, version}

    def get(self, kind: RefKind):  # type: ignore[no-untyped-def]
        """The loaded layer of ``kind``, or None."""
        return self.layers.get(kind)

    def boundary(self) -> shapely.Geometry | None:
        """The union of the township layer (the county's extent), or None without one."""
        towns = self.get(RefKind.TOWNSHIP)
        if towns is None or len(towns) == 0:
            return None
        return shapely.union_all(towns.geometry.to_numpy())


def _overlap_m2(a: np.ndarray, b: np.ndarray, step: int = 100_000) -> np.ndarray:
    """Area of each pair's intersection, in slices so the temporary shapes stay small."""
    out = np.empty(len(a))
    for s0 in range(0, len(a), step):
        out[s0 : s0 + step] = ellipsoidal_area_m2(
            shapely.intersection(a[s0 : s0 + step], b[s0 : s0 + step])
        )
    return out


def _pairs(
    geoms: np.ndarray, ref_geoms: np.ndarray, area_m2: np.ndarray, *, only_shared: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parcel index, reference index, intersection area m²) for intersecting pairs.

    Intersections are the expensive part, so they are skipped where the answer is known: a
    parcel lying within a reference overlaps it by its own area, and with ``only_shared`` (for
    picking the largest of several) a parcel meeting a single reference gets NaN for its area.
    """
    tree = shapely.STRtree(ref_geoms)
    pi, ri = tree.query(geoms, predicate="intersects")
    inter = np.full(len(pi), np.nan)
    if len(pi) == 0:
        return pi, ri, inter
    points = shapely.get_type_id(geoms[pi]) == 0
    inter[points] = np.inf  # a point inside counts as wholly covered
    todo = ~points
    if only_shared:
        todo &= np.bincount(pi, minlength=len(geoms))[pi] > 1
    if todo.any():
        shapely.prepare(ref_geoms)  # prepared: contains_properly is then a cheap test per pair
        idx = np.flatnonzero(todo)
        inside = idx[shapely.contains_properly(ref_geoms[ri[idx]], geoms[pi[idx]])]
        inter[inside] = area_m2[pi[inside]]
        todo[inside] = False
    if todo.any():
        inter[todo] = _overlap_m2(geoms[pi[todo]], ref_geoms[ri[todo]])
    return pi, ri, inter


def _largest(n: int, pi: np.ndarray, ri: np.ndarray, inter: np.ndarray) -> np.ndarray:
    """For each parcel, the reference index with the largest overlap (or -1)."""
    best = np.full(n, -1)
    if len(pi) == 0:
        return best
    # by parcel, then ascending overlap (NaN = the only candidate): the last one wins; a tie
    # goes by the layer's own order, not the search tree's, which changes with the extent read
    order = np.lexsort((ri, np.nan_to_num(inter, nan=np.inf), pi))
    best[pi[order]] = ri[order]
    return best


def _spans(
    n: int, pi: np.ndarray, ri: np.ndarray, inter: np.ndarray, area: np.ndarray, ref: object
) -> list[list[dict] | None]:
    """For a 图斑 over several villages, each one with its share (to split area by ZLDWDM)."""
    out: list[list[dict] | None] = [None] * n
    sel = np.flatnonzero(np.bincount(pi, minlength=n)[pi] > 1)
    if len(sel) == 0:
        return out
    p_area = area[pi[sel]]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(p_area > 0, inter[sel] / p_area, 0.0)
    # By parcel, then largest share first, ties in the reference layer's order.
    order = np.lexsort((ri[sel], -shares, pi[sel]))
    parcel, refs = pi[sel][order], ri[sel][order]
    codes = ref["ident"].to_numpy()[refs].tolist()  # type: ignore[index]
    names = ref["label"].to_numpy()[refs].tolist()  # type: ignore[index]
    rounded = [round(v, 4) for v in shares[order].tolist()]
    starts = np.flatnonzero(np.r_[True, parcel[1:] != parcel[:-1]]).tolist()
    ends = [*starts[1:], len(parcel)]
    for p, s0, e0 in zip(parcel[starts].tolist(), starts, ends, strict=True):
        out[p] = [{"code": codes[k], "name": names[k], "share": rounded[k]} for k in range(s0, e0)]
    return out


def _joined(
    n: int, pi: np.ndarray, ri: np.ndarray, ids: np.ndarray, keep: np.ndarray
) -> list[str | None]:
    """For each parcel, the identifiers of the references it meets, comma-joined in the
    reference layer's order."""
    out: list[list[str]] = [[] for _ in range(n)]
    order = np.lexsort((ri, pi))
    pi, ri, keep = pi[order], ri[order], keep[order]
    for p, i in zip(pi[keep].tolist(), ids[ri[keep]].tolist(), strict=True):
        if i not in out[p]:
            out[p].append(i)
    return [",".join(v) if v else None for v in out]


def _share(n: int, pi: np.ndarray, inter: np.ndarray, area: np.ndarray) -> np.ndarray:
    covered = np.bincount(pi, weights=np.where(np.isinf(inter), 0, inter), minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(area > 0, np.minimum(covered / area, 1.0), 0.0)
    hit_point = np.bincount(pi, weights=np.isinf(inter).astype(float), minlength=n) > 0
    share[hit_point] = 1.0
    return np.round(share, 4)


def _assign(
    out: pd.DataFrame, rows: np.ndarray, best: np.ndarray, ref: object, code_col: str, name_col: str
) -> None:
    found = best >= 0
    out.loc[rows[found], code_col] = ref["ident"].to_numpy()[best[found]]  # type: ignore[index]
    out.loc[rows[found], name_col] = ref["label"].to_numpy()[best[found]]  # type: ignore[index]


def _locate(geoms: np.ndarray, area_m2: np.ndarray, refs: ReferenceSet, out: pd.DataFrame) -> None:
    """Village and township of each 图斑: the one holding the largest part of it."""
    n = len(geoms)
    villages, towns = refs.get(RefKind.VILLAGE), refs.get(RefKind.TOWNSHIP)
    rest = np.arange(n)  # parcels whose township still needs a spatial test
    if villages is not None and len(villages):
        pi, ri, inter = _pairs(geoms, villages.geometry.to_numpy(), area_m2, only_shared=True)
        best = _largest(n, pi, ri, inter)
        _assign(out, np.arange(n), best, villages, "village_code", "village_name")
        out["villages"] = pd.Series(
            _spans(n, pi, ri, inter, area_m2, villages), index=out.index, dtype=object
        )
        if towns is not None and len(towns):
            # Villages nest in townships: a 图斑 inside one village is in that village's
            # township, which saves a spatial test per 图斑 against large township polygons.
            anchor = shapely.point_on_surface(villages.geometry.to_numpy())
            vi, ti = shapely.STRtree(towns.geometry.to_numpy()).query(anchor, predicate="within")
            town_of = np.full(len(villages), -1)
            town_of[vi] = ti
            # ... and a 图斑 over several villages of one township is in that township too;
            # only those spanning townships (or outside every village) need the test.
            first, last = np.full(n, len(towns)), np.full(n, -1)
            np.minimum.at(first, pi, town_of[ri])
            np.maximum.at(last, pi, town_of[ri])
            one_town = (first == last) & (last >= 0)
            rows = np.flatnonzero(one_town)
            _assign(out, rows, last[rows], towns, "township_code", "township_name")
            rest = np.flatnonzero(~one_town)
    if towns is not None and len(towns) and len(rest):
        pi, ri, inter = _pairs(
            geoms[rest], towns.geometry.to_numpy(), area_m2[rest], only_shared=True
        )
        _assign(
            out, rest, _largest(len(rest), pi, ri, inter), towns, "township_code", "township_name"
        )


def compute_hints(
    geoms: np.ndarray, area_m2: np.ndarray, programme: str, refs: ReferenceSet
) -> pd.DataFrame:
    """One row of hints per 图斑 (columns ``HINT_COLUMNS``); absent layers give nulls."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    out = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in HINT_COLUMNS})
    if n == 0:
        return out
    _locate(geoms, area_m2, refs, out)
    farmland = refs.get(RefKind.FARMLAND)
    if farmland is not None:
        pi, _, inter = _pairs(geoms, farmland.geometry.to_numpy(), area_m2)
        fin = np.where(np.isinf(inter), 0, inter)
        out["farmland_m2"] = np.round(np.bincount(pi, weights=fin, minlength=n), 2)
    permits = refs.get(RefKind.MINING_PERMIT)
    if permits is not None and programme == "mining":
        pi, ri, inter = _pairs(geoms, permits.geometry.to_numpy(), area_m2)
        share = _share(n, pi, inter, area_m2)
        out["permit_relation"] = np.where(
            share >= 1 - EPS, "inside", np.where(share > EPS, "partly_outside", "outside")
        )
        out["permit_ids"] = _joined(n, pi, ri, permits["ident"].to_numpy(), inter > 0)
    approvals = refs.get(RefKind.APPROVAL)
    if approvals is not None:
        pi, ri, inter = _pairs(geoms, approvals.geometry.to_numpy(), area_m2)
        out["approval_share"] = _share(n, pi, inter, area_m2)
        out["approval_ids"] = _joined(n, pi, ri, approvals["ident"].to_numpy(), inter > 0)
    facility = refs.get(RefKind.FACILITY_FARMLAND)
    if facility is not None:
        pi, _, inter = _pairs(geoms, facility.geometry.to_numpy(), area_m2)
        out["facility_share"] = _share(n, pi, inter, area_m2)
    boundary = refs.boundary()
    if boundary is not None:
        shapely.prepare(boundary)
        inside = shapely.contains_properly(boundary, geoms)
        share = np.zeros(n)
        rest = np.flatnonzero(~inside)
        if len(rest):
            polys = rest[shapely.get_type_id(geoms[rest]) != 0]
            inter = ellipsoidal_area_m2(shapely.intersection(geoms[polys], boundary))
            with np.errstate(divide="ignore", invalid="ignore"):
                share[polys] = np.where(area_m2[polys] > 0, 1 - inter / area_m2[polys], 0)
            pts = rest[shapely.get_type_id(geoms[rest]) == 0]
            share[pts] = (~shapely.intersects(boundary, geoms[pts])).astype(float)
        out["outside_share"] = np.round(np.clip(share, 0, 1), 4)
    return out


def hint_notes(h: Mapping[str, object]) -> list[str]:
    """The hints in words, for the verifier's panel."""
    notes = []
    if h.get("township_name"):
        where = f"{h['township_name']} {h.get('village_name') or ''}".strip()
        villages = h.get("villages") or []
        if len(villages) > 1:  # type: ignore[arg-type]
            where += f"（跨 {len(villages)} 个村）"  # type: ignore[arg-type]
        notes.append(f"位于{where}")
    out = h.get("outside_share")
    if isinstance(out, float) and out > EPS:
        notes.append(f"超出辖区：{out:.0%} 面积在辖区外")
    farm = h.get("farmland_m2")
    if isinstance(farm, float) and farm > 0.5:
        notes.append(f"占用永久基本农田 {farm / M2_PER_MU:.2f} 亩")
    rel = h.get("permit_relation")
    if rel == "inside":
        notes.append(f"在采矿权范围内（{h.get('permit_ids')}）")
    elif rel == "partly_outside":
        notes.append(f"部分超出采矿权范围，疑似越界开采（{h.get('permit_ids')}）")
    elif rel == "outside":
        notes.append("不在任何采矿权范围内，疑似无证开采")
    share = h.get("approval_share")
    if isinstance(share, float):
        if share >= 1 - EPS:
            notes.append(f"已有用地审批覆盖（{h.get('approval_ids')}），可能合法")
        elif share > EPS:
            notes.append(f"用地审批仅覆盖 {share:.0%}，疑似批少占多（{h.get('approval_ids')}）")
    fac = h.get("facility_share")
    if isinstance(fac, float) and fac > 0.5:
        notes.append(f"设施农用地备案覆盖 {fac:.0%}")
    return notes
