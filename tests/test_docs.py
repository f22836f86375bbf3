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


# Paths in backticks that name the project's own files, optionally with ``::test_name``; a bare
# ``test_*.py`` is a test file somewhere under tests/.
_NAMED_FILE = re.compile(
    r"`((?:(?:geo|storage|api|runtime|reports|webmap|tests|benchmarks|tuban_cli)/[\w/.-]+?"
    r"\.(?:py|js|j2|md))|test_\w+\.py)(?:::(\w+))?`"
)


def _project_file(rel: str) -> Path | None:
    if "/" in rel:
        return ROOT / rel if (ROOT / rel).is_file() else None
    return next((ROOT / "tests").rglob(rel), None)


def test_the_threat_model_and_role_table_name_files_and_tests_that_exist():
    """docs/security.md answers each threat with the code and the test that hold it; a renamed
    or deleted file or test must not leave the threat model pointing at nothing."""
    named, missing = 0, []
    for doc in ("security.md", "roles.md", "architecture.md"):
        text = (ROOT / "docs" / doc).read_text("utf-8")
        for m in _NAMED_FILE.finditer(text):
            named += 1
            rel, test = m.group(1), m.group(2)
            path = _project_file(rel)
            if path is None:
                missing.append(f"docs/{doc} → {rel}")
            elif test and not re.search(rf"def {test}\b", path.read_text("utf-8")):
                missing.append(f"docs/{doc} → {rel}::{test}")
    assert named > 40  # the check has something to check
    assert missing == []
