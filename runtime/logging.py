"""Application logs as JSON lines: one object per record, on stderr (and the access log's file).

``tuban serve`` and ``tuban demo`` call :func:`configure` before the server starts. Records
carry structured fields in ``extra={"fields": {...}}`` (the access log's request id, user,
route, status, duration); the formatter merges them into the line. Values are written with
``json.dumps`` only, so a hostile path or user name cannot forge or split a line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ACCESS_LOGGER = "tuban.access"
# Loggers that would otherwise write their own plain-text lines beside ours.
_QUIET = ("uvicorn.access",)


class JsonLineFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON (exceptions as a ``exc`` string field)."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO", access_log: Path | None = None) -> None:
    """Route every log record through the JSON formatter at ``level``.

    The access log (logger ``tuban.access``) goes to stderr with the rest, or to
    ``access_log`` alone when that file is given. Idempotent: replaces earlier handlers.
    """
    formatter = JsonLineFormatter()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    root.addHandler(stderr)
    root.setLevel(level.upper())
    # uvicorn's own loggers propagate to the root, so they come out as JSON too.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for name in _QUIET:
        logging.getLogger(name).disabled = True
    access = logging.getLogger(ACCESS_LOGGER)
    for handler in list(access.handlers):
        access.removeHandler(handler)
        handler.close()
    access.setLevel(logging.INFO)
    access.propagate = access_log is None
    if access_log is not None:
        Path(access_log).parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(access_log, encoding="utf-8")
        to_file.setFormatter(formatter)
        access.addHandler(to_file)
