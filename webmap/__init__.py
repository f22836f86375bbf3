"""The 图斑 web map: static ES-module front end served by the API app at ``/``."""

from __future__ import annotations

from pathlib import Path

#: Directory holding index.html, the JS modules, style.css and vendored Leaflet.
STATIC_DIR = Path(__file__).resolve().parent / "static"

__all__ = ["STATIC_DIR"]
