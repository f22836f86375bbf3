"""The password policy: long enough, not a common password, not made from the account's own name.

Applied when an administrator creates an account and whenever a password is set. The common
passwords are the 10 000 most frequent of the leaked-password list that zxcvbn ships (its
``passwords`` frequency list, most frequent first), so no list of our own has to be kept.
"""

from __future__ import annotations

import string
from functools import cache

from geo.errors import InvalidPayload

MIN_LENGTH = 10
COMMON_COUNT = 10_000
# What is left of a password once the account's names, digits and punctuation are taken out must
# be at least this long; "admin2024!" or "nimda_admin" leave nothing.
MIN_OWN_PART = 4
_FILLER = set(string.digits + string.punctuation + string.whitespace + "！。，、；：？（）【】·")


class WeakPassword(InvalidPayload):
    """A password the policy refuses (422): too short, common, or derived from the account."""

    code = "WEAK_PASSWORD"


@cache
def common_passwords() -> frozenset[str]:
    """The most frequent leaked passwords, lower-case (loaded on first use)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_COUNT])


def _strip_filler(text: str) -> str:
    return "".join(ch for ch in text if ch not in _FILLER)


def _trim_tail(text: str) -> str:
    """``text`` without the digits and punctuation people append (``password123!``)."""
    return text.rstrip("".join(_FILLER))


def derived_from(password: str, names: list[str]) -> bool:
    """Whether the password is the account's name or display name, reversed, or dressed up with
    digits and punctuation: what remains without them is too short to be a secret."""
    rest = password.casefold()
    for name in names:
        word = _strip_filler(name.casefold())
        if len(word) < 3:
            continue
        for form in (word, word[::-1]):
            rest = rest.replace(form, "")
    return rest != password.casefold() and len(_strip_filler(rest)) < MIN_OWN_PART


def problem(password: str, *, username: str, display_name: str = "") -> str | None:
    """Why the policy refuses this password for this account (zh-CN), or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    folded = password.casefold()
    common = common_passwords()
    if folded in common or _trim_tail(folded) in common:
        return "密码过于常见，请换一个不易被猜到的密码"
    if derived_from(password, [username, display_name]):
        return "密码不能由用户名或姓名（及其倒写、加数字）构成"
    return None


def check(password: str, *, username: str, display_name: str = "") -> None:
    """Refuse a weak password with WeakPassword (422) saying why."""
    why = problem(password, username=username, display_name=display_name)
    if why is not None:
        raise WeakPassword(why, field="password")
