"""Work lists (my tasks, overdue) and the provincial check results for 变更调查."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, File, UploadFile
from sqlalchemy import select

from api.deps import ClockDep, StoreDep
from api.security import CurrentUser, require, user_store
from geo.errors import InvalidValue, TubanError
from geo.localtime import local_today
from geo.model import Programme
from geo.roles import Role
from storage import worklists
from storage.repository import apply_in
from storage.tables import cases
from storage.users import User, UserStore

router = APIRouter(prefix="/api", tags=["work"])


def _today(clock) -> date:  # type: ignore[no-untyped-def]
    return local_today(clock())


@router.get("/tasks", operation_id="work-tasks")
def tasks(
    user: CurrentUser,
    store: StoreDep,
    clock: ClockDep,
    users: Annotated[UserStore, Depends(user_store)],
) -> dict:
    data = worklists.tasks(store.engine, users, user, today=_today(clock))
    return {"data": data, "count": len(data)}


@router.get("/overdue", operation_id="work-overdue")
def overdue(user: CurrentUser, store: StoreDep, clock: ClockDep) -> dict:
    data = worklists.overdue(store.engine, today=_today(clock))
    return {"data": data, "count": len(data)}


RESULTS = {
    "通过": "pass",
    "pass": "pass",
    "passed": "pass",
    "退回": "return",
    "return": "return",
    "returned": "return",
    "不通过": "return",
}


# Optional column of the province's results: whether the county's 地类 was judged right.
LAND_CLASS_COLUMNS = ("地类正确", "地类是否正确", "地类核查")


@router.post("/province-checks", operation_id="work-province-checks")
async def province_checks(
    file: Annotated[
        UploadFile,
        File(description="CSV/XLSX: 图斑编号, 结果 (通过/退回), 原因, 地类正确 (是/否, optional)"),
    ],
    user: Annotated[User, Depends(require(Role.REVIEWER))],
    store: StoreDep,
    clock: ClockDep,
) -> dict:
    """Record the province's check of submitted 变更调查 图斑; each row applied or explained."""
    raw = await file.read(20 << 20)
    name = Path(file.filename or "checks.csv").name
    try:
        if name.lower().endswith(".xlsx"):
            df = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False)
        else:
            text = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("gbk")
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidValue(f"无法读取省级核查结果：{exc}", file=name) from None
    df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    for col in ("图斑编号", "结果"):
        if col not in df.columns:
            raise InvalidValue(f"缺少列 {col}", file=name, field=col, columns=list(df.columns))
    now = clock()
    applied, skipped = 0, []
    with store.engine.connect() as conn:
        ids = {
            c: i
            for c, i in conn.execute(
                select(cases.c.code, cases.c.id).where(
                    cases.c.programme == Programme.CHANGE_SURVEY.value
                )
            )
        }
    for i, r in enumerate(df.to_dict("records"), start=1):
        code, result = str(r["图斑编号"]).strip(), RESULTS.get(str(r["结果"]).strip().lower())
        if code not in ids:
            skipped.append({"row": i, "code": code, "reason": "没有该变更调查图斑"})
            continue
        if result is None:
            skipped.append({"row": i, "code": code, "reason": f"结果应为 通过/退回：{r['结果']}"})
            continue
        payload = {"reason": str(r.get("原因") or "").strip() or None} if result == "return" else {}
        verdict = next((str(r[c]).strip() for c in LAND_CLASS_COLUMNS if str(r.get(c) or "")), "")
        if verdict:
            payload["land_class_ok"] = verdict
        try:
            with store.engine.begin() as conn:  # one row failing leaves the others applied
                apply_in(
                    conn,
                    ids[code],
                    result,
                    actor=user.actor,
                    payload=payload,
                    expected_version=None,
                    now=now,
                )
            applied += 1
        except TubanError as exc:
            skipped.append({"row": i, "code": code, "reason": exc.message})
    return {"applied": applied, "skipped": skipped}


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8-sig")
        return True
    except UnicodeDecodeError:
        return False
