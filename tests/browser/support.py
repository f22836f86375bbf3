"""Helpers for the browser tests: tiny JSON HTTP calls and a per-page problem collector."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def get_json(url: str, timeout: float = 10) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8"))


def post_json(url: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8") or "null")


class PageProbe:
    """Collects what a page did wrong: JS errors, and any request that left the test server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.offsite_requests: list[str] = []

    def assert_clean(self) -> None:
        assert not self.page_errors, f"uncaught JS errors: {self.page_errors}"
        assert not self.offsite_requests, (
            f"requests left the server (must work offline, no CDN): {self.offsite_requests}"
        )
