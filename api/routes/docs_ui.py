"""The API's interactive documentation at /docs: Swagger UI from the vendored copy in
webmap/static/vendor/swagger-ui, started by a script file (no CDN, no inline script)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[2] / "webmap" / "static"
SWAGGER = STATIC / "vendor" / "swagger-ui"

# Relative URLs: /docs/… and openapi.json resolve under a proxy's sub-path too.
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tuban 图斑 接口文档</title>
<link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body></html>
"""


def install(app: FastAPI) -> None:
    """Serve /docs, its start-up script and the vendored assets (whether or not the web map is
    served); FastAPI's own /docs and /redoc must be off (docs_url=None, redoc_url=None)."""

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> FileResponse:
        return FileResponse(STATIC / "docs-init.js", media_type="text/javascript")

    app.mount("/docs/assets", StaticFiles(directory=SWAGGER), name="swagger-ui")
