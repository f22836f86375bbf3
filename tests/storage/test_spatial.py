"""The spatial seam: storage/spatial.py alone knows the bbox columns and writes the predicate."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from storage import spatial
from storage.tables import cases

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("geo", "storage", "api", "reports", "webmap", "tuban_cli")
SEAM = ROOT / "storage" / "spatial.py"

# A predicate on the bbox columns is one of: a SQLAlchemy column (t.c.maxx, t.c["maxx"]), or a
# comparison inside SQL text ("maxx >= :x"). Plain Python comparisons of local variables named
# minx (geo/crs.py and friends) are not predicates on the store and are left alone.
COLUMN = re.compile(r"""\.c\s*(\.\s*(min|max)[xy]\b|\[\s*["'](min|max)[xy]["']\s*\])""")
SQL_COMPARISON = re.compile(r"\b(min|max)[xy]\s*(<=|>=|<|>|=)")


def bbox_predicates(source: str) -> list[str]:
    """The places in ``source`` that reference a bbox column in a query."""
    found = [m.group(0) for m in COLUMN.finditer(source)]
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and SQL_COMPARISON.search(tok.string):
            found.append(tok.string)
    return found


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_scanner_finds_each_way_of_writing_the_predicate():
    assert bbox_predicates("q.where(cases.c.maxx >= minx)")
    assert bbox_predicates("t.c['miny'] <= y")
    assert bbox_predicates('conn.execute(text("SELECT id FROM cases WHERE maxy >= :y"))')
    assert not bbox_predicates("if minx > maxx or miny > maxy: raise InvalidValue('bbox')")
    assert not bbox_predicates("minx, miny, maxx, maxy = geom.bounds")


def test_only_the_spatial_module_writes_bbox_predicates():
    offenders = {
        str(p.relative_to(ROOT)): found
        for p in _modules()
        if p != SEAM and (found := bbox_predicates(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    assert bbox_predicates(SEAM.read_text(encoding="utf-8")), "the seam itself must hold it"


def _where(box):
    return str(select(cases.c.id).where(spatial.overlaps(cases, box)).compile())


def test_overlaps_is_all_rows_without_a_box_and_four_comparisons_with_one():
    assert "maxx" not in _where(None)
    sql = _where((1.0, 2.0, 3.0, 4.0))
    assert all(f"cases.{c}" in sql for c in spatial.BBOX_COLUMNS)


def test_geometry_values_round_trip_and_carry_their_bounds():
    geoms = np.array([shapely.box(0, 0, 1, 2), shapely.box(5, 5, 6, 7)], dtype=object)
    stored = spatial.geometry_values(geoms)
    assert set(stored) == {spatial.GEOMETRY_COLUMN, *spatial.BBOX_COLUMNS}
    assert [stored[c][1] for c in spatial.BBOX_COLUMNS] == [5, 5, 6, 7]
    back = spatial.geometries(stored[spatial.GEOMETRY_COLUMN])
    assert shapely.equals(back, geoms).all()
    row = {k: v[0] for k, v in stored.items()}
    assert spatial.bbox_of(row) == [0, 0, 1, 2]
    assert spatial.geometry(row).equals(geoms[0])
    assert len(spatial.geometries([])) == 0
    assert spatial.geometry_values(np.array([], dtype=object))["minx"] == []


def test_extent_values_name_the_columns():
    assert spatial.extent_values((1, 2, 3, 4)) == {
        "minx": 1.0,
        "miny": 2.0,
        "maxx": 3.0,
        "maxy": 4.0,
    }
    with pytest.raises(ValueError):
        spatial.extent_values((1, 2, 3))
