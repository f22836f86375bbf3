"""Messages the server says to users, by stable id, in zh-CN and English (issue 15).

A raise site names its message by id with its parameters (``msg("auth.bad_login")``); the
error keeps the zh text as its ``message`` (the CLI and logs read it), and the API renders the
same id in the language the request asks for (``pick_language``). Parameters that are
workflow vocabulary (states, actions, roles, judgments: anything with ``label`` and
``label_en``) are rendered as the label of the language, lists joined the language's way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter
from typing import Any, Literal

from geo.messages.en import EN
from geo.messages.zh import ZH

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
CATALOGS: dict[Lang, Mapping[str, str]] = {"zh": ZH, "en": EN}
_JOINERS: dict[Lang, str] = {"zh": "、", "en": ", "}


@dataclass(frozen=True)
class Msg:
    """One message: its catalog id and the parameters its texts name."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: Lang = "zh") -> str:
        """The message in ``lang``; an id without that language falls back to zh-CN.

        >>> msg("auth.bad_login").text("en")
        'Wrong user name or password'
        """
        template = CATALOGS[lang].get(self.id) or ZH[self.id]
        values = {k: _value(v, lang) for k, v in self.params.items()}
        return template.format_map(values)


@dataclass(frozen=True)
class Labelled:
    """A parameter with a text per language that is not workflow vocabulary (a date's name, a
    reason code with its label)."""

    label: str
    label_en: str


def msg(id: str, **params: Any) -> Msg:
    """The message ``id`` with ``params``; an id missing from the zh catalog fails here, at the
    raise site, rather than when someone reads it."""
    if id not in ZH:
        raise KeyError(f"no message {id!r} in geo/messages/zh.py")
    return Msg(id, params)


def _value(v: Any, lang: Lang) -> Any:
    if isinstance(v, Msg):
        return v.text(lang)
    label = getattr(v, "label_en" if lang == "en" else "label", None)
    if isinstance(label, str) and hasattr(v, "label") and hasattr(v, "label_en"):
        return label
    if isinstance(v, list | tuple):
        return _JOINERS[lang].join(str(_value(x, lang)) for x in v)
    return v


def placeholders(template: str) -> set[str]:
    """The parameter names a catalog text uses, ``{name}`` and ``{name:spec}`` alike.

    >>> sorted(placeholders("{a} 与 {b:,.2f}"))
    ['a', 'b']
    """
    return {
        name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(template) if name
    }


def pick_language(accept_language: str | None) -> Lang:
    """English when the ``Accept-Language`` header prefers it to Chinese, else zh-CN (also when
    it names neither, or is missing or malformed).

    >>> pick_language("en-US,en;q=0.9,zh-CN;q=0.8"), pick_language("zh-CN,en;q=0.5")
    ('en', 'zh')
    >>> pick_language("fr"), pick_language(None), pick_language("en;q=0.4,zh;q=0.4")
    ('zh', 'zh', 'zh')
    """
    best: dict[Lang, float] = {}
    for part in (accept_language or "")[:500].split(","):
        tag, _, rest = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        name, _, value = rest.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                continue
        lang: Lang = "en" if primary == "en" else "zh"
        best[lang] = max(best.get(lang, 0.0), q)
    return "en" if best.get("en", 0.0) > best.get("zh", 0.0) else "zh"


class BadValue(ValueError):
    """One value's problem as a catalog message; a ``ValueError`` still, so the checkers in
    ``geo.inputs`` keep their contract and callers that only want text get the zh text."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.text("zh"))
        self.msg = message


def problem(exc: ValueError) -> Msg | str:
    """What a checker said: its catalog message when it has one, else its (zh) text."""
    return exc.msg if isinstance(exc, BadValue) else str(exc)
