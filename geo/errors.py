"""Tuban's own exception tree; the API maps each class to one HTTP status, once."""

from __future__ import annotations

from typing import Any


class TubanError(Exception):
    """Base error: a stable ``code``, a message fit to show users, and structured ``details``."""

    code = "TUBAN_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.message} ({where})" if where else self.message


class NotFound(TubanError):
    code = "NOT_FOUND"


class ImportError_(TubanError):
    """A layer could not be imported; ``details`` name the file, row and field where known."""

    code = "IMPORT_ERROR"


class UnreadableFile(ImportError_):
    code = "IMPORT_UNREADABLE"


class MissingCRS(ImportError_):
    code = "IMPORT_NO_CRS"


class MissingField(ImportError_):
    code = "IMPORT_MISSING_FIELD"


class InvalidGeometry(ImportError_):
    code = "IMPORT_INVALID_GEOMETRY"


class InvalidValue(ImportError_):
    code = "IMPORT_INVALID_VALUE"


class DuplicateBatch(ImportError_):
    code = "IMPORT_DUPLICATE_BATCH"


class InvalidTransition(TubanError):
    """The action is not allowed from the case's current state."""

    code = "CASE_INVALID_TRANSITION"


class InvalidPayload(TubanError):
    """The action is allowed but its payload is incomplete or malformed."""

    code = "CASE_INVALID_PAYLOAD"


class VersionConflict(TubanError):
    """Someone else changed the case since the caller read it."""

    code = "CASE_VERSION_CONFLICT"


class UnknownMetric(TubanError):
    code = "INDICATOR_UNKNOWN_METRIC"


class Conflict(TubanError):
    """The request clashes with what is stored (a name already taken, …)."""

    code = "CONFLICT"
