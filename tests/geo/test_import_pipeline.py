"""The import stages, one at a time: each takes data and returns data, and run in sequence they
give exactly what ``read_parcels`` gives."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import box

from geo.batch import BatchMeta
from geo.errors import InvalidGeometry, InvalidValue
from geo.import_pipeline import (
    Located,
    Normalised,
    ReadOptions,
    Repaired,
    describe,
    find_duplicates,
    hint_summary,
    link,
    measure_area,
    normalise,
    read,
    read_parcels,
    repair,
    reproject,
    summarise,
)
from geo.memory import map_in_slices
from geo.model import Programme
from tests import factories


def _file(tmp_path, f=None):
    return factories.write(factories.squares(4) if f is None else f, tmp_path / "ks.gpkg")


def test_the_stages_in_sequence_are_read_parcels(tmp_path):
    path = _file(tmp_path)
    options = ReadOptions()
    raw, report = read(path, options)
    fields = normalise(raw, report, options)
    assert isinstance(fields, Normalised) and fields.crs.to_epsg() == 4527
    fixed = repair(fields, report)
    assert isinstance(fixed, Repaired) and fields.geoms is None  # handed over, not copied
    located = reproject(fixed, report, accept_partial=False)
    assert isinstance(located, Located) and fixed.geoms is None
    parcels = describe(located, measure_area(located, report), report)
    find_duplicates(parcels)
    want = read_parcels(path)
    pd.testing.assert_frame_equal(parcels.frame, want.frame)
    assert parcels.report.to_dict().keys() == want.report.to_dict().keys()
    assert parcels.report.links == want.report.links
    assert {"read", "validate_reproject", "area", "duplicates"} <= set(report.seconds)


def test_normalise_names_the_fields_and_the_crs(tmp_path):
    options = ReadOptions()
    raw, report = read(_file(tmp_path), options)
    fields = normalise(raw, report, options)
    assert fields.cols["code"] == "TBBH" and fields.cols["xzqdm"] == "XZQDM"
    assert list(fields.codes) == [f"130208KS2019Q3{i:03d}" for i in range(1, 5)]
    assert "geometry" not in fields.frame.columns
    assert report.fields == fields.cols and report.crs_how == "file"


def test_repair_lists_rows_without_a_key_and_reproject_refuses_them(tmp_path):
    f = factories.squares(3)
    f.loc[1, "TBBH"] = ""
    options = ReadOptions()
    raw, report = read(_file(tmp_path, f), options)
    fixed = repair(normalise(raw, report, options), report)
    assert list(fixed.rejected) == [1]
    with pytest.raises(InvalidValue):
        reproject(fixed, report, accept_partial=False)


def test_reproject_with_accept_partial_keeps_the_good_rows(tmp_path):
    f = factories.squares(3)
    f.loc[2, "geometry"] = factories.degenerate()
    options = ReadOptions(accept_partial=True)
    raw, report = read(_file(tmp_path, f), options)
    located = reproject(
        repair(normalise(raw, report, options), report), report, accept_partial=True
    )
    assert located.rows.tolist() == [1, 2] and len(located.geoms) == 2
    assert [r.row for r in report.rejected] == [3]
    raw, report = read(_file(tmp_path, f), ReadOptions())
    fixed = repair(normalise(raw, report, ReadOptions()), report)
    with pytest.raises(InvalidGeometry):
        reproject(fixed, report, accept_partial=False)


def test_link_gives_rows_of_the_whole_layer(tmp_path):
    """Links are found among the rows that are not in-file duplicates, but name rows of the
    whole layer."""
    f = factories.squares(3)
    f.loc[1, "geometry"] = f.geometry.iloc[0]  # row 1 repeats row 0
    parcels = read_parcels(_file(tmp_path, f))
    assert parcels.frame["dup_of"].tolist() == [-1, 0, -1]
    existing = pd.DataFrame(
        {
            "id": [7],
            "code": ["elsewhere"],
            "programme": ["mining"],
            "geometry": [parcels.frame.geometry.iloc[2]],
        }
    )
    links = link(parcels, existing, "mining")
    assert [(k.row, k.case_id, k.kind, k.reason) for k in links] == [(2, 7, "reissue", "overlap")]


def test_summarise_counts_hints_and_lists_what_reaches_outside(tmp_path):
    parcels = read_parcels(_file(tmp_path, factories.squares(2)))
    hints = pd.DataFrame(
        {
            "township_code": ["130208100", None],
            "township_name": ["甲镇", None],
            "village_code": [None, None],
            "village_name": [None, None],
            "villages": [None, None],
            "farmland_m2": [10.0, 0.0],
            "permit_relation": ["inside", None],
            "permit_ids": [None, None],
            "approval_share": [1.0, 0.5],
            "approval_ids": [None, None],
            "facility_share": [None, None],
            "outside_share": [0.0, 0.25],
        }
    )
    summarise(parcels, hints)
    r = parcels.report
    assert r.hints == hint_summary(hints)
    assert r.hints["located"] == 1 and r.hints["on_farmland"] == 1
    assert r.hints["approval_covered"] == 1 and r.hints["approval_partial"] == 1
    assert r.outside == [{"row": 2, "code": parcels.frame["code"].iloc[1], "outside_share": 0.25}]


def test_batch_meta_refuses_a_due_date_before_the_issue_date():
    ok = BatchMeta(Programme.MINING, "2019Q3", "省厅", date(2019, 10, 15), date(2019, 11, 30))
    ok.validate()
    bad = BatchMeta(Programme.MINING, "2019Q3", "省厅", date(2019, 12, 1), date(2019, 11, 1))
    with pytest.raises(InvalidValue) as exc:
        bad.validate()
    assert exc.value.details["field"] == "due_on"


@pytest.mark.parametrize("step", [1, 3, 100])
def test_map_in_slices_equals_one_call_and_empties_its_input(step):
    geoms = np.array([box(i, 0, i + 1, 1) for i in range(7)], dtype=object)
    want = shapely.centroid(geoms)
    got = map_in_slices(shapely.centroid, geoms, step=step)
    assert shapely.equals(got, want).all()
    assert all(g is None for g in geoms)
