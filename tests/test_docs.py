"""References from the code to the project's docs resolve: the file and the section exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("geo", "storage", "api", "reports", "tuban_cli", "webmap", "sample_data", "runtime")


def _references() -> list[tuple[Path, str, str | None]]:
    pattern = re.compile(r"(?:docs/)?(\w+\.md)(?:\s*§\s*(\d+))?")
    refs = []
    for pkg in SOURCES:
        for p in (ROOT / pkg).rglob("*"):
            if p.suffix not in {".py", ".js", ".md"} or {"vendor", "node_modules"} & set(p.parts):
                continue
            for m in pattern.finditer(p.read_text(encoding="utf-8")):
                if m.group(0).startswith("docs/") or m.group(2):
                    refs.append((p, m.group(1), m.group(2)))
    return refs


def test_doc_references_resolve():
    refs = _references()
    assert any(name == "domain.md" for _, name, _ in refs)  # the check has something to check
    missing = []
    for path, name, section in refs:
        doc = ROOT / "docs" / name
        if not doc.is_file():
            missing.append(f"{path.relative_to(ROOT)} → docs/{name}")
        elif section and not re.search(rf"^## {section}\. ", doc.read_text("utf-8"), re.M):
            missing.append(f"{path.relative_to(ROOT)} → docs/{name} §{section}")
    assert missing == []
