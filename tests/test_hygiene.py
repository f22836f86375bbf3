"""Hygiene holds itself: mypy and ruff's docstring rules only ever lose findings, never gain them.

The files that still have findings are listed below, by name. A file not listed must stay
clean, so new modules are held to the rules from their first commit; a listed file that has
become clean must leave the list, so the list only shrinks. When both lists are empty, `make
lint` says the same as these tests and they can go.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("geo", "storage", "api", "reports", "tuban_cli", "webmap")

# Files mypy still finds errors in (mypy's own file list is in pyproject.toml, [tool.mypy]).
MYPY_DEBT: frozenset[str] = frozenset()

# Files with public names that have no docstring yet (ruff D1, as configured in pyproject.toml).
DOCSTRING_DEBT: frozenset[str] = frozenset()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def _debt_changes(found: set[str], debt: frozenset[str]) -> dict[str, list[str]]:
    paid = sorted(p for p in debt - found if (ROOT / p).is_file())
    return {"new findings in": sorted(found - debt), "clean now, take off the list": paid}


def test_mypy_finds_nothing_outside_the_known_debt():
    out = _run("mypy", "--no-error-summary", "--hide-error-context")
    assert out.returncode in (0, 1), out.stdout + out.stderr  # 2 would be a crash or bad config
    found = {m.group(1) for m in re.finditer(r"^(\S+\.py):\d+: error:", out.stdout, re.M)}
    assert _debt_changes(found, MYPY_DEBT) == {
        "new findings in": [],
        "clean now, take off the list": [],
    }, out.stdout


def test_every_public_name_outside_the_known_debt_has_a_docstring():
    out = _run("ruff", "check", "--output-format", "json", "--exit-zero", ".")
    assert out.returncode == 0, out.stderr
    findings = [f for f in json.loads(out.stdout) if (f["code"] or "").startswith("D1")]
    found = {Path(f["filename"]).resolve().relative_to(ROOT).as_posix() for f in findings}
    assert _debt_changes(found, DOCSTRING_DEBT) == {
        "new findings in": [],
        "clean now, take off the list": [],
    }, sorted(f"{f['filename']}:{f['location']['row']} {f['code']}" for f in findings)


def test_every_type_ignore_names_the_error_it_silences():
    bare = re.compile(r"#\s*type:\s*ignore(?!\[)")
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for pkg in PRODUCT
        for p in sorted((ROOT / pkg).rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if bare.search(line)
    ]
    assert offenders == []


def test_the_checks_keep_their_strictness():
    """Loosening the configuration would make the two tests above pass without the code."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    mypy = config["mypy"]
    assert set(mypy["files"]) >= {"geo", "storage"}
    for flag in (
        "disallow_untyped_defs",
        "check_untyped_defs",
        "no_implicit_optional",
        "warn_unused_ignores",
        "warn_redundant_casts",
    ):
        assert mypy.get(flag) is True, flag
    assert "ignore_missing_imports" not in mypy  # only per named third-party module
    assert "ignore_errors" not in str(mypy.get("overrides", []))
    lint = config["ruff"]["lint"]
    assert "D1" in lint["select"]
    assert set(lint.get("ignore", [])) <= {"D105"}
    assert lint["pydocstyle"]["convention"] == "numpy"
    for pattern, ignored in lint.get("per-file-ignores", {}).items():
        assert not pattern.startswith(PRODUCT) or pattern.startswith("storage/migrations"), pattern
        assert "D100" not in ignored, pattern  # every module still says what it is
