"""The web map's files under names that change with their content, so a phone keeps them for a
year and never asks again, while a developer still edits plain files with no build step.

The version is a hash of every file under ``webmap/static``; ``/a/<version>/<path>`` serves
``<path>`` with ``Cache-Control: public, max-age=31536000, immutable`` (another version: 404,
so an old page never mixes with new modules). ``index.html`` is served with its relative
``href``/``src`` rewritten to ``a/<version>/…``; ES modules import each other by relative path,
so they resolve inside the same version without being rewritten. ``/sw.js`` (the service
worker) and ``/asset-manifest.json`` (what it precaches) are always revalidated. Files edited
while the server runs get a new version within a couple of seconds (their mtimes are watched).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from geo.errors import NotFound

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Served but not part of the offline shell: the API docs, and the drawing plugin, which loads
# on first draw (the app caches it with the offline task pack).
NOT_PRECACHED = ("vendor/swagger-ui/", "vendor/leaflet-geoman/", "case-sheet.", "docs-init.js")
SHELL_SUFFIXES = (".js", ".css", ".png", ".svg", ".webmanifest", ".html")
RECHECK_S = 2.0
# Relative href/src of the page; the web app manifest keeps its plain name, so its start_url
# and scope ("./") stay the app's root.
_REF = re.compile(r'(\s(?:href|src)=")(?![a-z][a-z0-9+.-]*:|/|#|manifest\.webmanifest)([^"]+)(")')
mimetypes.add_type("application/manifest+json", ".webmanifest")


@dataclass(frozen=True)
class Build:
    """One version of the static files: its hash, the shell to precache, the rewritten page."""

    version: str
    precache: tuple[str, ...]
    index_html: str


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def make_build(root: Path) -> Build:
    """Hash every file under ``root`` (path and bytes) into a version and rewrite index.html."""
    digest = hashlib.sha256()
    shell = []
    for p in _files(root):
        rel = p.relative_to(root).as_posix()
        digest.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
        if rel.endswith(SHELL_SUFFIXES) and not rel.startswith(NOT_PRECACHED) and rel != "sw.js":
            shell.append(rel)
    version = digest.hexdigest()[:16]
    page = (root / "index.html").read_text(encoding="utf-8")
    page = _REF.sub(lambda m: f"{m[1]}a/{version}/{m[2]}{m[3]}", page)
    page = page.replace(
        '<meta charset="utf-8">',
        f'<meta charset="utf-8">\n  <meta name="tuban-build" content="{version}">',
        1,
    )
    return Build(
        version=version, precache=tuple(r for r in shell if r != "index.html"), index_html=page
    )


class Assets:
    """The current build of ``root``, rebuilt when a file there changes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._checked = 0.0
        self._build = self._rebuild()

    def _stat(self) -> tuple[tuple[str, int, int], ...]:
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in _files(self.root))

    def _rebuild(self) -> Build:
        self._signature = self._stat()
        self._checked = time.monotonic()
        return make_build(self.root)

    @property
    def build(self) -> Build:
        """The build; files are re-stated at most every two seconds."""
        with self._lock:
            if time.monotonic() - self._checked > RECHECK_S:
                self._checked = time.monotonic()
                if self._stat() != self._signature:
                    self._build = self._rebuild()
            return self._build


def install(app: FastAPI, root: Path) -> None:
    """The routes of the hashed files, the rewritten page, the service worker and its list."""
    assets = Assets(root)
    router = APIRouter(include_in_schema=False)

    def page() -> HTMLResponse:
        return HTMLResponse(assets.build.index_html, headers={"Cache-Control": REVALIDATE})

    router.add_api_route("/", page, methods=["GET"])
    router.add_api_route("/index.html", page, methods=["GET"])

    @router.get("/sw.js")
    def service_worker() -> FileResponse:
        # Browsers check a worker script for updates on navigation; it must never be stale.
        return FileResponse(
            root / "sw.js",
            media_type="text/javascript",
            headers={"Cache-Control": REVALIDATE, "Service-Worker-Allowed": "/"},
        )

    @router.get("/asset-manifest.json")
    def manifest() -> JSONResponse:
        b = assets.build
        return JSONResponse(
            {"version": b.version, "precache": [f"a/{b.version}/{p}" for p in b.precache]},
            headers={"Cache-Control": REVALIDATE},
        )

    @router.get("/a/{version}/{path:path}")
    def hashed(version: str, path: str) -> Response:
        if version != assets.build.version:
            raise NotFound("该版本的页面文件已不存在，请刷新页面", version=version)
        target = (root / path).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            raise NotFound("没有该文件", path=path)
        return FileResponse(target, headers={"Cache-Control": IMMUTABLE})

    app.include_router(router)
    app.state.assets = assets
