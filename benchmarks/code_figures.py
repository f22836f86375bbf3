"""Figures of the code's shape (issue 11, "one home for every rule"), for a tree at any commit.

Prints what a new engineer would count by hand: long functions, database calls in routes,
copies of the bbox predicate and of the timezone, routes without a response model, type
ignores, the web map's copies of workflow words. Figures, not pass/fail: tests keep the
properties; this script makes before/after tables.

    .venv/bin/python benchmarks/code_figures.py [TREE]        # default: this checkout
    git worktree add /tmp/before <commit> && .venv/bin/python benchmarks/code_figures.py /tmp/before
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("geo", "storage", "api", "tuban_cli", "reports", "runtime", "webmap")


def _py(tree: Path, *packages: str) -> list[Path]:
    out = []
    for pkg in packages:
        out += [p for p in (tree / pkg).rglob("*.py") if "migrations" not in p.parts]
    return sorted(out)


def long_functions(tree: Path, limit: int = 80) -> list[str]:
    """Functions longer than ``limit`` lines in geo/, storage/ (migrations aside) and api/."""
    out = []
    for p in _py(tree, "geo", "storage", "api"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    out.append(f"{p.relative_to(tree)}:{node.name} {n}")
    return out


_DB_IN_API = re.compile(
    r"\.engine\b|\.begin\(|\.connect\(|\bselect\(|\btext\(|exec_driver_sql"
    r"|^\s*(from|import) sqlalchemy"
)


def db_in_api(tree: Path) -> tuple[int, int]:
    """(lines, modules) in api/ that reach the database themselves."""
    lines, modules = 0, 0
    for p in _py(tree, "api"):
        text = p.read_text(encoding="utf-8")
        hits = sum(1 for line in text.splitlines() if _DB_IN_API.search(line))
        lines += hits
        modules += bool(hits)
    return lines, modules


_BBOX = re.compile(r"\.c\.(maxx|minx|maxy|miny)\s*[<>]=?|\b(maxx|minx|maxy|miny)\s*[<>]=?\s*:")


def bbox_predicates(tree: Path) -> list[str]:
    """Modules that write a bounding-box comparison themselves."""
    return [
        str(p.relative_to(tree))
        for p in _py(tree, "geo", "storage", "api", "tuban_cli", "reports")
        if _BBOX.search(p.read_text(encoding="utf-8"))
    ]


def literal_count(tree: Path, needle: str) -> int:
    """How often a literal is written in the product's Python code (tests and benchmarks aside)."""
    return sum(p.read_text(encoding="utf-8").count(needle) for p in _py(tree, *PRODUCT))


def env_reads(tree: Path) -> int:
    """os.environ / os.getenv reads in the product's Python code."""
    pat = re.compile(r"os\.environ|os\.getenv|getenv\(")
    return sum(len(pat.findall(p.read_text(encoding="utf-8"))) for p in _py(tree, *PRODUCT))


def cli_imports_from_api(tree: Path) -> list[str]:
    """``from api…`` imports in the CLI."""
    out = []
    for p in _py(tree, "tuban_cli"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "api":
                out.append(f"{p.name}: {node.module}")
    return out


def type_ignores(tree: Path, *packages: str) -> int:
    """``# type: ignore`` comments in ``packages``."""
    return sum(p.read_text(encoding="utf-8").count("type: ignore") for p in _py(tree, *packages))


def routes_without_model(tree: Path) -> tuple[int, int]:
    """(JSON routes returning dict/Any or unannotated, all routes) by reading the route modules."""
    bare, total = 0, 0
    for p in _py(tree, "api"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decos = [
                d
                for d in node.decorator_list
                if isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and d.func.attr in {"get", "post", "put", "patch", "delete"}
            ]
            if not decos:
                continue
            total += 1
            kw = {k.arg: k.value for k in decos[0].keywords}
            no_body = "status_code" in kw and ast.unparse(kw["status_code"]) == "204"
            if "response_class" in kw or no_body or "response_model" in kw:
                continue
            ret = ast.unparse(node.returns) if node.returns else ""
            if not ret or re.match(r"^(dict|Any|list\[dict|dict\[)", ret):
                bare += 1
    return bare, total


def js_lines(tree: Path) -> dict[str, int]:
    """Lines of the web map's largest hand-written modules."""
    static = tree / "webmap" / "static"
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in static.glob("*.js")}
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:3])


def js_vocabulary_copies(tree: Path) -> int:
    """Workflow words of geo.vocabulary written as JS string literals in the web map."""
    sys.path.insert(0, str(ROOT))
    from geo.vocabulary import vocabulary

    v = vocabulary()
    words = {s["label"] for s in v["states"]} | {a["label"] for a in v["actions"]}
    words |= {r["code"] for j in v["judgments"] for r in j["reasons"]}
    words |= {r["label"] for j in v["judgments"] for r in j["reasons"]}
    words |= {r["label"] for r in v["roles"]}
    static = tree / "webmap" / "static"
    text = "\n".join(p.read_text(encoding="utf-8") for p in static.glob("*.js"))
    quoted = r"""['"`]{0}['"`]|\b{0}:"""
    return sum(1 for w in words if re.search(quoted.format(re.escape(w)), text))


def figures(tree: Path) -> dict:
    lines, modules = db_in_api(tree)
    bare, total = routes_without_model(tree)
    return {
        "functions over 80 lines (geo, storage, api)": long_functions(tree),
        "database lines in api/ (modules)": f"{lines} ({modules})",
        "modules writing a bbox predicate": bbox_predicates(tree),
        '"Asia/Shanghai" in product code': literal_count(tree, "Asia/Shanghai"),
        "os.environ/getenv reads in product code": env_reads(tree),
        "CLI imports from api": cli_imports_from_api(tree),
        "JSON routes without a response model / routes": f"{bare} / {total}",
        "# type: ignore in geo+storage (all product code)": (
            f"{type_ignores(tree, 'geo', 'storage')} ({type_ignores(tree, *PRODUCT)})"
        ),
        "workflow words copied in webmap JS": js_vocabulary_copies(tree),
        "largest JS modules (lines)": js_lines(tree),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", nargs="?", default=str(ROOT))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = figures(Path(args.tree).resolve())
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for k, v in out.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
