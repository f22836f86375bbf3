"""Rendered reports shared across the tests of one format (rendering a PDF takes a second)."""

from __future__ import annotations

import pytest

from reports import render
from tests.reports.docs import frozen_doc, live_doc


@pytest.fixture(scope="session")
def docs():
    return {
        "live": live_doc(),
        "frozen": frozen_doc(),
        "targets": live_doc("targets"),
    }


@pytest.fixture(scope="session")
def rendered(docs):
    cache: dict[tuple[str, str], bytes] = {}

    def get(name: str, fmt: str) -> bytes:
        if (name, fmt) not in cache:
            cache[name, fmt] = render(docs[name], fmt)
        return cache[name, fmt]

    return get


def indicator_names(doc):
    return [row["level3"] for p in doc["projects"] for row in p["rows"]]
