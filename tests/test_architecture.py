"""The dependency direction stays visible: geo/ is a pure library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "geo": {
        "api",
        "webmap",
        "storage",
        "tuban_cli",
        "fastapi",
        "starlette",
        "sqlalchemy",
        "uvicorn",
    },
    "storage": {"api", "webmap", "tuban_cli", "fastapi"},
    "api": {"tuban_cli"},
    # Renderers take a report document and return bytes: no store, no web framework.
    "reports": {"api", "storage", "tuban_cli", "fastapi", "starlette", "sqlalchemy"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upwards(package):
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN[package])
        for p in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_workflow_is_pure():
    """The state machine reads no clock and does no I/O: time and actor come in as arguments."""
    for path in sorted((ROOT / "geo" / "workflow").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name):
                    calls.add(f.id)
                elif isinstance(f, ast.Attribute):
                    calls.add(f.attr)
        assert not calls & {"open", "now", "today", "utcnow", "time", "getenv", "urlopen"}, path
        assert not _imports(path) & {"os", "io", "pathlib", "time", "socket"}, path
