"""Routes don't touch the database: api/ holds no SQL, no engine, no connection, no transaction."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "api"
# What a module that reads or writes the database itself would have to say.
ATTRIBUTES = {"engine": ".engine"}
METHOD_CALLS = {"begin": ".begin(", "connect": ".connect("}
CALLS = {"select": "select(", "text": "text("}


def violations(path: Path) -> list[str]:
    """What in ``path`` touches the database directly (in code: comments and prose are fine)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {f"imports {a.name}" for a in node.names if a.name.startswith("sqlalchemy")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.add(f"imports {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            found.add(f"says {ATTRIBUTES[node.attr]}")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr in METHOD_CALLS:
                found.add(f"says {METHOD_CALLS[f.attr]}")
            elif isinstance(f, ast.Name) and f.id in CALLS:
                found.add(f"says {CALLS[f.id]}")
    return sorted(found)


def test_the_check_sees_each_kind_of_database_access(tmp_path):
    bad = tmp_path / "route.py"
    bad.write_text(
        "from sqlalchemy import select, text\n"
        "def f(store):\n"
        "    with store.engine.begin() as conn:\n"
        "        conn.execute(select(1)); conn.execute(text('x'))\n"
        "    store.engine.connect()\n",
        encoding="utf-8",
    )
    assert violations(bad) == [
        "imports sqlalchemy",
        "says .begin(",
        "says .connect(",
        "says .engine",
        "says select(",
        "says text(",
    ]
    ok = tmp_path / "fine.py"
    ok.write_text('"""Calls store.engine.connect() elsewhere."""\nx = stores.map.count()\n')
    assert violations(ok) == []


@pytest.mark.parametrize("path", sorted(API.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_api_module_does_not_touch_the_database(path):
    assert violations(path) == []
