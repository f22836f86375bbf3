"""An import report's row lists keep only their lowest rows, the same ones however the file was
split into chunks, while its totals stay exact; reports stored before the cap still load."""

from __future__ import annotations

import random

import pytest

import geo.report
from geo.report import ImportReport, RowNote

CAP = 5


@pytest.fixture(autouse=True)
def _small_cap(monkeypatch):
    monkeypatch.setattr(geo.report, "REPORT_ROWS", CAP)


def chunk_report(rows: list[int]) -> ImportReport:
    """What one chunk reports for its rows (given in no particular order)."""
    part = ImportReport(file="f.gpkg")
    part.add_rows("rejected", [RowNote(r, f"C{r}", "面积为零") for r in rows])
    part.add_rows("outside", [{"row": r, "code": f"C{r}", "outside_share": 0.5} for r in rows])
    reasons = {"in_file_same_code": sum(r % 2 == 0 for r in rows)}
    reasons["in_file_overlap"] = len(rows) - reasons["in_file_same_code"]
    part.add_links([{"row": r, "reason": "in_file_x"} for r in rows], reasons)
    return part


def merged(chunks: list[list[int]]) -> ImportReport:
    report = ImportReport(file="f.gpkg")
    for rows in chunks:
        report.merge_rows(chunk_report(rows))
    return report


def test_merged_chunks_keep_the_lowest_rows_whatever_the_split_and_order():
    rng = random.Random(4)
    rows = rng.sample(range(1, 10_000), 40)
    want = sorted(rows)[:CAP]
    seen = []
    for _ in range(6):
        shuffled = rng.sample(rows, len(rows))
        cuts = sorted(rng.sample(range(1, len(rows)), 3))
        chunks = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]
        report = merged(chunks)
        assert [r.row for r in report.rejected] == want
        assert [o["row"] for o in report.outside] == want
        assert [k["row"] for k in report.links] == want
        assert (report.rejected_count, report.outside_count, report.links_count) == (40, 40, 40)
        evens = sum(r % 2 == 0 for r in rows)
        assert report.link_reasons == {"in_file_same_code": evens, "in_file_overlap": 40 - evens}
        seen.append(report.to_dict())
    assert all(d == seen[0] for d in seen)


def test_dict_and_page_give_the_exact_totals_and_say_the_lists_are_cut():
    report = merged([list(range(40, 0, -1))])
    report.add_rows("repaired", [RowNote(3, "C3", "自相交")])
    d = report.to_dict()
    assert (d["rejected_count"], len(d["rejected"]), d["repaired_count"]) == (40, CAP, 1)
    again = ImportReport.from_dict(d)
    assert again == report
    page = report.to_html()
    assert "<th>拒绝导入</th><td>40</td>" in page and "<th>超出辖区</th><td>40</td>" in page
    assert page.count(f"仅列出前 {CAP} 条，共 40 条") == 3  # rejected, links, outside
    assert "共 1 条" not in page  # the repaired list is whole: nothing to say


def test_a_report_stored_before_the_cap_loads_with_its_lists_counted():
    old = {
        "file": "old.gpkg",
        "rejected": [{"row": r, "code": None, "reason": "面积为零"} for r in range(1, 9)],
        "links": [
            {"row": 2, "code": "A", "reason": "site_overlap"},
            {"row": 4, "code": "B", "reason": "reissue_same_code"},
            {"row": 6, "code": "C", "reason": "site_same_code"},
        ],
        "outside": [],
    }
    report = ImportReport.from_dict(old)
    assert (report.rejected_count, report.links_count, report.outside_count) == (8, 3, 0)
    assert report.repaired_count == 0 and len(report.rejected) == 8  # stored lists kept whole
    assert report.link_reasons == {"site_overlap": 1, "reissue_same_code": 1, "site_same_code": 1}
    assert "仅列出" not in report.to_html()
