"""Recording the province's check results: each row applied to its 变更调查 case, or explained."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from geo.errors import TubanError
from geo.model import Programme
from geo.province_results import ProvinceResult
from storage.repository import apply_in
from storage.tables import cases


def apply_results(
    engine: Engine, results: Iterable[ProvinceResult], *, actor: str, now: datetime
) -> dict[str, Any]:
    """Apply each result in its own transaction, so one row failing leaves the others applied.

    Returns ``{"applied": n, "skipped": [{row, code, reason}, ...]}``.
    """
    with engine.connect() as conn:
        q = select(cases.c.code, cases.c.id).where(
            cases.c.programme == Programme.CHANGE_SURVEY.value
        )
        ids: dict[str, int] = dict(conn.execute(q).all())
    applied, skipped = 0, []
    for res in results:
        if res.code not in ids:
            skipped.append({"row": res.row, "code": res.code, "reason": "没有该变更调查图斑"})
            continue
        if res.action is None:
            skipped.append({"row": res.row, "code": res.code, "reason": res.problem})
            continue
        try:
            with engine.begin() as conn:
                apply_in(
                    conn,
                    ids[res.code],
                    res.action,
                    actor=actor,
                    payload=dict(res.payload),
                    expected_version=None,
                    now=now,
                )
            applied += 1
        except TubanError as exc:
            skipped.append({"row": res.row, "code": res.code, "reason": exc.message})
    return {"applied": applied, "skipped": skipped}
