"""kill -9 a real server in the middle of an import, a photo upload and a report, on both
backends, and race writers on one case: the store must come back consistent.

Each check starts ``tuban serve`` on 127.0.0.1 (bounded waits, killed at the end); the checks
themselves live in tests/reliability/scenarios.py, shared with benchmarks/reliability_report.py.
"""

from __future__ import annotations

import pytest

from tests.reliability.scenarios import CHECKS
from tests.reliability.server import PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    if request.param == "postgresql":
        from sqlalchemy import create_engine
        from sqlalchemy.exc import OperationalError

        engine = create_engine(PG_URL)
        try:
            engine.connect().close()
        except OperationalError:
            import os

            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL at {PG_URL} is required in CI")
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
        finally:
            engine.dispose()
    return request.param


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_store_survives(check: str, backend: str, tmp_path) -> None:
    result = CHECKS[check](backend, tmp_path)
    assert result.survived, (result.problems, result.figures)
