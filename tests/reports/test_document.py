"""The report document is checked before any renderer sees it; errors name the exact key."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reports import FORMATS, ReportDocError, prepare, render
from reports.document import banner, level_spans
from tests.reports.docs import frozen_doc, live_doc

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("title"), "title"),
        (lambda d: d["projects"][1].pop("rows"), "projects[1].rows"),
        (lambda d: d["projects"][2]["rows"][3].pop("level3"), "projects[2].rows[3].level3"),
        (lambda d: d["projects"][0]["spending"][1].pop("checkpoint"),
         "projects[0].spending[1].checkpoint"),
        (lambda d: d.update(year="2019"), "year"),
        (lambda d: d.update(kind="report"), "kind"),
        (lambda d: d.update(mode="frozen", snapshot=None), "snapshot"),
    ],
)
def test_malformed_document_names_the_key(mutate, path):
    doc = live_doc()
    mutate(doc)
    with pytest.raises(ReportDocError) as err:
        render(doc, "xlsx")
    assert err.value.details["path"] == path
    assert path in str(err.value)


def test_optional_keys_get_defaults_without_touching_the_input():
    doc = live_doc()
    for key in ("differences", "department", "snapshot", "scope", "computed_at"):
        doc.pop(key)
    row = doc["projects"][1]["rows"][0]
    for key in ("values", "evidence", "reason", "deviation", "actual"):
        row.pop(key)
    doc["projects"][1]["spending_plan"] = None
    out = prepare(doc)
    assert out["differences"] == [] and out["department"] == {}
    assert out["projects"][1]["rows"][0]["evidence"] == []
    assert out["projects"][1]["spending_plan"] == {}
    assert "evidence" not in doc["projects"][1]["rows"][0]
    assert render(doc, "html")  # a lean document still renders


def test_unknown_format_lists_the_choices():
    with pytest.raises(ReportDocError, match="xlsx"):
        render(live_doc(), "odt")
    assert set(FORMATS) == {"xlsx", "html", "pdf", "docx"}


def test_banner_states_live_or_frozen():
    assert banner(prepare(live_doc())) == "实时数据：数值截至 2019-12-31，计算于 2026-11-25 20:00"
    frozen = banner(prepare(frozen_doc()))
    assert frozen.startswith("冻结快照「2019年第三季度」")
    assert "2019-10-08 10:30" in frozen and "tongji" in frozen


def test_level_spans_merge_runs_within_a_level1_block():
    pairs = [("产出", "时效"), ("产出", "时效"), ("产出", "数量"), ("效果", "数量"),
             ("效果", "数量")]
    rows = [{"level1": a, "level2": b} for a, b in pairs]
    assert level_spans(rows) == ([3, 0, 0, 2, 0], [2, 0, 1, 2, 0])


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_renderers_are_pure():
    """No database, web framework or CLI, and no clock: everything shown comes from the dict."""
    files = [*(ROOT / "reports").rglob("*.py"), ROOT / "webmap" / "report_maps.py"]
    forbidden = {"api", "storage", "tuban_cli", "fastapi", "starlette", "sqlalchemy"}
    assert {str(f.relative_to(ROOT)): sorted(_imports(f) & forbidden) for f in files
            if _imports(f) & forbidden} == {}
    for f in files:
        calls = {n.func.attr for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        assert not calls & {"now", "today", "utcnow"}, f
