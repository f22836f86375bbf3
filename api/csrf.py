"""Cross-site request forgery: a write carried by the session cookie must come from our page.

The ``tuban_token`` cookie is SameSite=Strict, but a page on another port of the same host is
same-site, so the browser sends the cookie with its forged form posts. The web map authenticates
with the bearer header, which no other page can set; a write that leans on the cookie alone must
therefore name Tuban's own origin in ``Origin`` (or, from older browsers, ``Referer``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
COOKIE = "tuban_token"


def _netloc(url: str) -> str | None:
    """``host[:port]`` of an absolute http(s) URL, lower-cased; None for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower()


def cookie_authenticated(request: Request) -> bool:
    """Whether the session of this request comes from the cookie rather than a bearer header (the
    rule of ``api.security.bearer_token``)."""
    header = request.headers.get("authorization", "")
    return not header.lower().startswith("bearer ") and COOKIE in request.cookies


def forged_origin(request: Request) -> str | None:
    """The foreign origin a cookie-authenticated write came from ("" when it names none); None when
    the request is safe, bearer-authenticated, or from Tuban's own page."""
    if request.method not in UNSAFE_METHODS or not cookie_authenticated(request):
        return None
    claimed = request.headers.get("origin") or request.headers.get("referer") or ""
    own = request.headers.get("host", "").lower()
    # Compared by host and port: behind a TLS proxy the scheme Tuban sees may differ from the
    # browser's, while the Host the proxy passes on is the one the browser addressed.
    if own and _netloc(claimed) == own:
        return None
    return claimed
