"""Recognise a 图斑 seen before: the same code, or largely the same polygon (IoU).

Re-issued 图斑 of the same programme join the earlier case instead of opening a second one;
the same site issued by another programme (a 卫片 and a 变更调查 polygon on one pit) gets its
own case but shares a site, so roll-ups count its area and count once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo.box_overlap import area_in_boxes

IOU_THRESHOLD = 0.5
# Rows per box query (and pairs per exact intersection): small slices keep a dense million-row
# batch's temporary pair arrays near 100 MB instead of 400 MB, and measured no slower.
PAIR_SLICE = 5_000
# Relative rounding allowance of the edge-integral bound (its error is ~1e-11).
BOUND_MARGIN = 1e-9


def _iou(
    a: np.ndarray, b: np.ndarray, area_a: np.ndarray | None = None, area_b: np.ndarray | None = None
) -> np.ndarray:
    # IoU is invariant under linear maps, so lon/lat degrees serve as well as metres here.
    # Sliced: at a million 图斑 the intersection shapes of all pairs at once take ~0.6 GB.
    inter = np.empty(len(a))
    for s0 in range(0, len(a), PAIR_SLICE):
        inter[s0 : s0 + PAIR_SLICE] = shapely.area(
            shapely.intersection(a[s0 : s0 + PAIR_SLICE], b[s0 : s0 + PAIR_SLICE])
        )
    area_a = shapely.area(a) if area_a is None else area_a
    area_b = shapely.area(b) if area_b is None else area_b
    union = area_a + area_b - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _overlap_pairs(
    left: np.ndarray,
    right: np.ndarray,
    *,
    self_join: bool = False,
    min_iou: float = 0.0,
    rank: np.ndarray | None = None,
    later_in: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left index, right index, IoU) for intersecting polygon pairs that may exceed ``min_iou``.

    With ``self_join`` only pairs (later row, earlier row) are kept, before the costly IoU:
    later by index, or by ``rank`` when given, and then only with the later row in
    ``later_in`` (a mask) when that is given.
    """
    if len(left) == 0 or len(right) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    tree = shapely.STRtree(right)
    # Per-geometry facts are computed once and indexed per pair: a dense batch can have tens
    # of millions of box-overlap pairs, so they are also formed a slice of rows at a time.
    lt, lbox, larea = shapely.get_type_id(left) >= 3, shapely.bounds(left), shapely.area(left)
    if right is left:
        rt, rbox, rarea = lt, lbox, larea
    else:
        rt, rbox, rarea = (
            shapely.get_type_id(right) >= 3,
            shapely.bounds(right),
            shapely.area(right),
        )
    found_l, found_r = [], []
    for s0 in range(0, len(left), PAIR_SLICE):
        # Boxes only: the IoU bound below discards most pairs far cheaper than an exact
        # intersects test would, and disjoint pairs that survive it simply get IoU 0.
        li, ri = tree.query(left[s0 : s0 + PAIR_SLICE])
        li += s0
        keep = lt[li] & rt[ri]
        if self_join:
            keep &= li > ri if rank is None else rank[li] > rank[ri]
            if later_in is not None:
                keep &= later_in[li]
        li, ri = li[keep], ri[keep]
        lb, rb = lbox[li], rbox[ri]
        w = np.minimum(lb[:, 2], rb[:, 2]) - np.maximum(lb[:, 0], rb[:, 0])
        h = np.minimum(lb[:, 3], rb[:, 3]) - np.maximum(lb[:, 1], rb[:, 1])
        box_inter = np.clip(w, 0, None) * np.clip(h, 0, None)
        la, ra = larea[li], rarea[ri]
        # IoU = I/(A+B-I) grows with I, and I is at most the box overlap and the smaller area.
        cap = np.minimum(box_inter, np.minimum(la, ra))
        with np.errstate(divide="ignore", invalid="ignore"):
            upper = cap / (la + ra - cap)
        keep = upper > min_iou
        li, ri, cap, la, ra = li[keep], ri[keep], cap[keep], la[keep], ra[keep]
        # Tighter, still cheap: the smaller polygon's area inside the larger one's box. It
        # drops about half the pairs left, which then need no exact intersection; the margin
        # keeps a pair whose bound rounds just below the threshold.
        small_left = la <= ra
        small = np.where(small_left, left[li], right[ri])
        other_box = np.where(small_left[:, None], rbox[ri], lbox[li])
        cap = np.minimum(cap, area_in_boxes(small, other_box))
        with np.errstate(divide="ignore", invalid="ignore"):
            upper = cap / (la + ra - cap)
        keep = upper > min_iou * (1 - BOUND_MARGIN)
        found_l.append(li[keep])
        found_r.append(ri[keep])
    li, ri = np.concatenate(found_l), np.concatenate(found_r)
    return li, ri, _iou(left[li], right[ri], larea[li], rarea[ri])


def code_repeats(codes: np.ndarray) -> np.ndarray:
    """For each row, the index of the first row with the same code, or -1 for that first row.

    >>> code_repeats(np.array(["A", "B", "A", "A"], dtype=object)).tolist()
    [-1, -1, 0, 0]
    """
    kind, _ = pd.factorize(np.asarray(codes, dtype=object), use_na_sentinel=False)
    # factorize numbers codes in order of first appearance; unique's index is that first row.
    _, first = np.unique(kind, return_index=True)
    rep = first[kind]
    rep[rep == np.arange(len(rep))] = -1
    return rep


def duplicates_in_file(
    codes: np.ndarray | None,
    geoms: np.ndarray,
    threshold: float = IOU_THRESHOLD,
    *,
    repeats: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]]:
    """For each row, the index of the earlier row it repeats (or -1), and why.

    ``repeats``: ``code_repeats(codes)`` if already computed (a worker process is handed it, so
    it never touches, and so never copies, the parent's code strings).

    Examples
    --------
    >>> from shapely import box
    >>> g = np.array([box(0, 0, 1, 1), box(0.05, 0, 1.05, 1), box(5, 5, 6, 6)])
    >>> dup, why = duplicates_in_file(np.array(["A", "B", "A"]), g)
    >>> dup.tolist(), why
    ([-1, 0, 0], ['', 'overlap', 'same_code'])
    """
    rep = code_repeats(codes) if repeats is None else repeats  # type: ignore[arg-type]
    return resolve_duplicates(rep, *overlap_duplicates(geoms, threshold))


def overlap_duplicates(
    geoms: np.ndarray,
    threshold: float = IOU_THRESHOLD,
    *,
    order: np.ndarray | None = None,
    own: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(later row, earlier row) of the pairs of ``geoms`` whose IoU exceeds ``threshold``.

    ``order``: each row's place in the file when ``geoms`` is not in file order (a chunk of a
    large import with its halo), which then decides "earlier"; ``own`` (a mask): keep only the
    pairs whose later row is one of these (the chunk's own rows: a pair whose later row is in
    the halo is found with that row's own chunk).
    """
    li, ri, iou = _overlap_pairs(
        geoms, geoms, self_join=True, min_iou=threshold, rank=order, later_in=own
    )
    keep = iou > threshold
    return li[keep], ri[keep]


def resolve_duplicates(
    repeats: np.ndarray, later: np.ndarray, earlier: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Each row's root (the first row it repeats, or -1) from its same-code repeat
    (``code_repeats``) and the overlapping pairs (``overlap_duplicates``): a row with neither
    is a root; a row overlapping a duplicate joins that duplicate's root. Pairs are taken in
    file order, so the answer does not depend on how the pairs were found."""
    dup = np.array(repeats, dtype=np.int64, copy=True)
    why = ["same_code" if d >= 0 else "" for d in dup.tolist()]
    for i, j in sorted(zip(later.tolist(), earlier.tolist(), strict=True)):
        if dup[i] == -1:
            root = j if dup[j] == -1 else dup[j]
            dup[i], why[i] = root, "overlap"
    return dup, why


@dataclass(frozen=True)
class Link:
    """A new row matched to an existing case: join it (reissue) or share its site."""

    row: int  # index into the new layer
    case_id: int  # the existing case it matches
    kind: str  # "reissue" (same programme: join the case) or "site" (other programme)
    reason: str  # "same_code" | "overlap"
    iou: float | None


def link_to_existing(
    codes: np.ndarray,
    geoms: np.ndarray,
    programme: str,
    existing: pd.DataFrame,
    threshold: float = IOU_THRESHOLD,
) -> list[Link]:
    """Match new 图斑 against existing cases (columns: id, code, programme, geometry).

    A same-programme match by code wins over one by overlap; among overlaps the highest IoU
    wins. Each new row gets at most one reissue link and, failing that, one site link.
    """
    if existing.empty or len(codes) == 0:
        return []
    ex_geoms = np.asarray(existing["geometry"].to_numpy(), dtype=object)
    ex_ids = existing["id"].to_numpy()
    ex_prog = existing["programme"].to_numpy()
    same = ex_prog == programme
    by_code = {c: int(i) for c, i, s in zip(existing["code"], ex_ids, same, strict=True) if s}
    links: dict[int, Link] = {}
    for row, c in enumerate(codes):
        if c in by_code:
            links[row] = Link(row, by_code[c], "reissue", "same_code", None)
    li, ri, iou = _overlap_pairs(geoms, ex_geoms, min_iou=threshold)
    order = np.argsort(-iou, kind="stable")
    for k in order:
        if iou[k] <= threshold:
            break
        row, j = int(li[k]), int(ri[k])
        kind = "reissue" if same[j] else "site"
        cur = links.get(row)
        if cur is None or (cur.kind == "site" and kind == "reissue"):
            links[row] = Link(row, int(ex_ids[j]), kind, "overlap", round(float(iou[k]), 4))
    return [links[r] for r in sorted(links)]
