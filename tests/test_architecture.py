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
        "reports",
        "storage",
        "runtime",
        "tuban_cli",
        "fastapi",
        "starlette",
        "sqlalchemy",
        "uvicorn",
    },
    "storage": {"api", "webmap", "runtime", "tuban_cli", "fastapi"},
    # The composition root wires geo/storage/reports for both front doors, and knows neither.
    "runtime": {"api", "webmap", "tuban_cli", "fastapi", "starlette", "uvicorn"},
    "api": {"tuban_cli"},
    # Renderers take a report document and return bytes: no store, no web framework.
    "reports": {"api", "storage", "runtime", "tuban_cli", "fastapi", "starlette", "sqlalchemy"},
}
# Only runtime.compose builds these; the API and the CLI take them from its Services.
CONSTRUCTORS = {
    "make_engine",
    "migrate",
    "open_engine",
    "PasswordHasher",
    "BlobStore",
    "CaseStore",
    "GoalBookStore",
    "UserStore",
    "PhotoStore",
    "ExpenditureStore",
    "NoteStore",
    "SnapshotStore",
    "IndicatorSource",
    "RefStore",
    "MapView",
    "WorkLists",
    "EnforcementStore",
    "JobStore",
}
FRONT_DOORS = ("api", "tuban_cli")
# Python code, not the tests and benchmarks that may name a zone of their own.
CODE_PACKAGES = ("geo", "storage", "runtime", "api", "tuban_cli", "reports", "webmap")


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



def _called_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", ""))
    return names


def _code_files(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_stores_are_built_only_by_the_composition_root():
    """The API and the CLI open the database the same way: through runtime.compose.build."""
    offenders = {
        str(p.relative_to(ROOT)): sorted(_called_names(p) & CONSTRUCTORS)
        for p in _code_files(*FRONT_DOORS)
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert "build" in _called_names(ROOT / "api" / "main.py")
    assert "build" in _called_names(ROOT / "tuban_cli" / "common.py")


def test_cli_imports_from_api_only_the_app_factory_and_only_to_serve():
    """`tuban serve` starts the app; nothing else of the CLI depends on the web layer."""
    found = []
    for path in _code_files("tuban_cli"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = set(map(id, tree.body))
        for node in ast.walk(tree):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            for m in mods:
                if m.split(".")[0] == "api":
                    found.append((path.name, m, id(node) in top_level))
    assert found == [("main.py", "api.main", False)]


def test_local_time_zone_is_named_once():
    hits = {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8").count("Asia/Shanghai")
        for p in _code_files(*CODE_PACKAGES)
    }
    assert {k: n for k, n in hits.items() if n} == {"geo/localtime.py": 1}


# Empty since storage/imports.py takes its workers as an argument (property 3); keep it so.
ENVIRONMENT_READERS_LEFT: set[str] = set()


def test_environment_is_read_only_through_settings():
    """TUBAN_* variables are Settings fields (runtime/settings.py); no module reads os.environ."""
    readers = set()
    for p in _code_files(*CODE_PACKAGES):
        text = p.read_text(encoding="utf-8")
        if "os.environ" in text or "getenv" in text:
            readers.add(str(p.relative_to(ROOT)))
    assert readers == ENVIRONMENT_READERS_LEFT
