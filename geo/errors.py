"""Tuban's own exception tree; the API maps each class to one HTTP status, once."""

from __future__ import annotations

from typing import Any, Literal

from geo.messages import Lang, Msg

# Where a user meets an error: the ``tuban`` command line, or the web (the map's forms, and API
# clients, who send the same multipart fields).
Where = Literal["cli", "web"]

# The read options an import refusal may point to (``details["option"]``): each one's CLI option
# and the web import form's label (the API's field is the key).
READ_OPTIONS: dict[str, tuple[str, str]] = {
    "field_map": ("--field-map", "字段映射"),
    "layer": ("--layer", "图层"),
    "encoding": ("--encoding", "编码"),
    "crs": ("--crs", "坐标系"),
}
# The web import form's labels in English (webmap/static/i18n/en.js ``importer.*``).
READ_OPTION_LABELS_EN: dict[str, str] = {
    "field_map": "Field map",
    "layer": "Layer",
    "encoding": "Encoding",
    "crs": "CRS",
}


def option_hint(option: str, where: Where | None = None, lang: Lang = "zh") -> str:
    """How to give a read option where the user is; ``None`` (text stored for both, such as a
    report's warnings) names both.

    >>> option_hint("field_map", "cli")
    '可用 --field-map 指定'
    >>> option_hint("field_map", "web")
    '可在导入表单的“字段映射”（field_map）中指定'
    >>> option_hint("field_map", "web", "en")
    "set it in the import form's “Field map” (field_map)"
    """
    flag, label = READ_OPTIONS[option]
    if lang == "en":
        label_en = READ_OPTION_LABELS_EN[option]
        if where == "cli":
            return f"set it with {flag}"
        if where == "web":
            return f"set it in the import form's “{label_en}” ({option})"
        return f"set it in the import form's “{label_en}” or with {flag} on the command line"
    if where == "cli":
        return f"可用 {flag} 指定"
    if where == "web":
        return f"可在导入表单的“{label}”（{option}）中指定"
    return f"可在导入表单的“{label}”或命令行 {flag} 中指定"


class TubanError(Exception):
    """Base error: a stable ``code``, a message fit to show users, and structured ``details``.

    The message is zh text, or a catalog message (``geo.messages.msg``) that the API can also
    answer in English; ``message`` is always the zh text (the CLI and the logs read it).
    """

    code = "TUBAN_ERROR"

    def __init__(self, message: str | Msg, **details: Any) -> None:
        self.msg = message if isinstance(message, Msg) else None
        text = message.text("zh") if isinstance(message, Msg) else message
        super().__init__(text)
        self.message = text
        self.details = {k: v for k, v in details.items() if v is not None}

    @property
    def message_id(self) -> str | None:
        """The catalog id of the message; None while its raise site still writes zh text."""
        return self.msg.id if self.msg else None

    def text(self, lang: Lang = "zh") -> str:
        """The bare message in ``lang`` (zh when it has no catalog id yet)."""
        return self.msg.text(lang) if self.msg else self.message

    def told(self, where: Where | None = None, lang: Lang = "zh") -> str:
        """The message as the user meets it: followed, when ``details["option"]`` names a read
        option that can fix it, by how to give that option ``where`` they are."""
        text = self.text(lang)
        option = self.details.get("option")
        if option not in READ_OPTIONS:
            return text
        if lang == "en" and self.msg:
            return f"{text}; {option_hint(option, where, lang)}"
        return f"{text}，{option_hint(option, where)}"

    def explained(self, where: Where | None = None) -> str:
        """``told(where)``, followed by the other details as ``key=value`` when there are any."""
        told = self.told(where)
        rest = ", ".join(f"{k}={v}" for k, v in self.details.items() if k != "option")
        return f"{told} ({rest})" if rest else told

    def __str__(self) -> str:
        """The message, its read option named for both places, and its details."""
        return self.explained()


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
