"""Security headers on every response: a strict Content-Security-Policy (script only from the
app's own files, so a value that escaped encoding still cannot run), nosniff, no referrer, no
framing, a permissions policy, and no caching of API answers that carry personal data.

A pure ASGI middleware, so streamed and file responses get the headers too."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import envelope, language
from geo.messages import msg
from runtime.settings import Settings

# The basemap dialog offers 天地图 (t0–t7.tianditu.gov.cn); the bureau's own tile servers come
# from the settings (basemap_url, imagery_tiles).
TIANDITU = ("https://*.tianditu.gov.cn", "http://*.tianditu.gov.cn")
# The field app takes photos and reads the position; nothing else is used.
PERMISSIONS = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"


def tile_origins(urls: Iterable[str]) -> list[str]:
    """CSP sources for tile URL templates: scheme and host, a ``{s}`` label as ``*``.

    >>> tile_origins(["https://t{s}.tianditu.gov.cn/img_w/wmts?tk={key}", "api/tiles/{z}"])
    ['https://*.tianditu.gov.cn']
    """
    out = []
    for url in urls:
        parts = urlsplit(url or "")
        host = parts.netloc.rsplit("@", 1)[-1]
        if parts.scheme not in ("http", "https") or not host:
            continue
        if "{" in host:  # a subdomain placeholder: CSP allows a wildcard leftmost label only
            host = "*." + host.split(".", 1)[-1]
        if "{" not in host and " " not in host and ";" not in host:
            out.append(f"{parts.scheme}://{host}")
    return out


def content_security_policy(settings: Settings) -> str:
    """The policy of every page the app serves.

    style-src keeps 'unsafe-inline': Leaflet, Leaflet-Geoman and Swagger UI write style
    attributes (with style-src 'self' the browser suite logged about 8 000 blocked inline
    styles); a style cannot run script, and script-src stays strict.
    """
    configured = [settings.basemap_url or ""] + [
        url for period in settings.imagery_tiles.values() for url in period.values()
    ]
    img = dict.fromkeys(["'self'", "data:", "blob:", *TIANDITU, *tile_origins(configured)])
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(img),
        "connect-src": "'self'",
        "font-src": "'self'",
        "worker-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


# The app's own content-hashed scripts, styles and images (api/assets.py) are never a page: the
# policy, framing, referrer and permissions headers mean nothing on them, and on a phone they
# cost about 0.9 KB on each of some 80 requests of the first load. They keep what applies to a
# subresource.
RESOURCE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
}
SUBRESOURCE_TYPES = (
    "text/javascript",
    "application/javascript",
    "text/css",
    "image/png",
    "image/jpeg",
    "image/webp",
    "application/json",
    "application/manifest+json",
    "font/",
)


def _subresource(headers: MutableHeaders) -> bool:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return kind.startswith(SUBRESOURCE_TYPES)


class SecurityHeaders:
    """ASGI middleware adding the security headers; /api answers default to no-store."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        """Wrap ``app``; the policy is computed once from ``settings``."""
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Permissions-Policy": PERMISSIONS,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response start of every HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")
        hashed = scope["path"].startswith("/a/")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                own = self.headers
                if hashed and message.get("status") == 200 and _subresource(headers):
                    own = RESOURCE_HEADERS
                for name, value in own.items():
                    headers[name] = value
                # Cases, offenders, fines and tokens: never kept by a browser or proxy cache,
                # unless the route chose its own policy (map tiles, the vocabulary's ETag).
                if api and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                # Plain file names may change meaning at any deploy: revalidated every time
                # (the app itself loads content-hashed names, kept for a year: api/assets.py).
                elif "cache-control" not in headers:
                    headers["Cache-Control"] = "no-cache"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette answers an unhandled error outside every middleware, in plain text and
            # without these headers; answer it here instead, then let it propagate to be logged
            # (the outer handler sees the answer started and sends nothing more).
            if started:
                raise
            lang = language(Request(scope))
            crash = JSONResponse(
                envelope("INTERNAL_ERROR", msg("request.internal"), lang=lang), status_code=500
            )
            await crash(scope, receive, send_with_headers)
            raise
