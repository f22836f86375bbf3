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
        """The message, followed by its details as ``key=value`` when there are any."""
        where = ", ".join(f"{k}={v}" for k, v in self.details.items())
        return f"{self.message} ({where})" if where else self.message


class NotFound(TubanError):
    """The thing asked for (a 图斑, user, goal book, snapshot, …) does not exist."""

    code = "NOT_FOUND"


class ImportError_(TubanError):
    """A layer could not be imported; ``details`` name the file, row and field where known."""

    code = "IMPORT_ERROR"


class UnreadableFile(ImportError_):
    """The file is missing, not a readable layer, or an archive too large or malformed to open."""

    code = "IMPORT_UNREADABLE"


class MissingCRS(ImportError_):
    """The layer has no usable CRS and none could be guessed from its coordinates."""

    code = "IMPORT_NO_CRS"


class MissingField(ImportError_):
    """A required field (图斑编号, …) is not among the layer's columns, even through aliases."""

    code = "IMPORT_MISSING_FIELD"


class InvalidGeometry(ImportError_):
    """A feature's geometry is empty, not a polygon, of zero area or beyond repair."""

    code = "IMPORT_INVALID_GEOMETRY"


class InvalidValue(ImportError_):
    """A value cannot be used: an empty layer, a bad date, an unknown role, a short password."""

    code = "IMPORT_INVALID_VALUE"


class DuplicateBatch(ImportError_):
    """A batch or reference layer of the same name was imported before with other content."""

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
    """An indicator (指标) name that the indicator table does not define."""

    code = "INDICATOR_UNKNOWN_METRIC"


class Conflict(TubanError):
    """The request clashes with what is stored (a name already taken, …)."""

    code = "CONFLICT"
