"""The code keeps the shape issue 11 gave it: short functions, and an import pipeline whose
stages never reach back into the store. (That no module but Settings reads the environment is
tests/test_architecture.py's ``test_environment_is_read_only_through_settings``.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_FUNCTION_LINES = 80
# Schema migrations are history, written once and never changed: exempt.
EXEMPT = {ROOT / "storage" / "migrations"}
STAGE_MODULES = ("geo/import_pipeline.py", "geo/prejudge.py", "geo/batch.py", "geo/layers.py")


def _sources(*packages: str) -> list[Path]:
    return sorted(
        p
        for pkg in packages
        for p in (ROOT / pkg).rglob("*.py")
        if not any(d in p.parents for d in EXEMPT)
    )


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``name (lines)`` of every function or method in ``path`` longer than ``limit`` lines
    (decorators excluded, docstring included)."""
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1})"
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > limit
    ]


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (also inside functions)."""
    names: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_function_is_longer_than_80_lines():
    offenders = {
        str(p.relative_to(ROOT)): found
        for p in _sources("geo", "storage", "api")
        if (found := long_functions(p))
    }
    assert offenders == {}


@pytest.mark.parametrize("module", STAGE_MODULES)
def test_import_stages_know_nothing_of_the_store(module):
    """What a stage needs from the store is an argument, so a stage module imports no storage
    (not even lazily, inside a function, where the architecture test would not look)."""
    mods = imported_modules(ROOT / module)
    assert {m for m in mods if m.split(".")[0] in ("storage", "sqlalchemy", "api")} == set()


def test_no_stage_takes_a_callback():
    """The stages take data and return data: none has a parameter typed as a callable, the way
    ``read_parcels(defer_duplicates=…)`` once called back into the importer."""
    tree = _tree(ROOT / "geo" / "import_pipeline.py")
    callables = [
        f"{fn.name}({arg.arg})"
        for fn in tree.body
        if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_")
        for arg in [*fn.args.args, *fn.args.kwonlyargs]
        if arg.annotation is not None
        and any(word in ast.unparse(arg.annotation) for word in ("Callable", "Progress"))
    ]
    assert callables == []


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The helpers above find a long function and an import when there is one."""
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    src = tmp_path / "bad.py"
    src.write_text(
        f"import os\nfrom os import getenv\n\ndef long():\n{body}\n\n"
        "def env():\n    return os.environ.get('X')\n",
        encoding="utf-8",
    )
    assert long_functions(src) == [f"long ({MAX_FUNCTION_LINES + 1})"]
    assert "os" in imported_modules(src)
