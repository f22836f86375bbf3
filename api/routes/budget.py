"""Budget execution: spending per project (统计 and admin record it) against the spending plan."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.deps import ClockDep, ExpendituresDep, GoalBooksDep, PagingDep, book_for
from api.documented_errors import errors
from api.errors import language
from api.schemas import (
    BudgetPublic,
    DbInt,
    ExpenditurePublic,
    ExpendituresPublic,
    SafeName,
    SafeStr,
)
from api.security import require
from geo.budget import execution
from geo.indicator_words import checkpoint_in
from geo.localtime import local_today  # checkpoints are local calendar days
from geo.roles import BOOKKEEPER_ROLES
from storage.users import User

router = APIRouter(prefix="/api", tags=["budget"])
Bookkeeper = Annotated[User, Depends(require(*BOOKKEEPER_ROLES))]


class ExpenditureCreate(BaseModel):
    """A spending row to record: project, day, amount in 元 and purpose; a negative amount corrects
    the row named by ``corrects_id``."""

    year: DbInt
    project_id: SafeName = Field(min_length=1, max_length=64)
    spent_on: date
    amount_yuan: float = Field(description="元；负数为冲减更正，须给出 corrects_id")
    purpose: SafeStr = Field(min_length=1, max_length=2000)
    voucher_no: SafeName | None = Field(default=None, max_length=100)
    corrects_id: DbInt | None = None


@router.get("/expenditures", operation_id="expenditures-list", responses=errors(404))
def list_expenditures(
    books: GoalBooksDep,
    store: ExpendituresDep,
    paging: PagingDep,
    year: int | None = None,
    project: str | None = None,
) -> ExpendituresPublic:
    """Spending rows of a year (or one project); ``total_yuan`` sums them all, not the page."""
    book = book_for(books, year)
    if project is not None:
        book.project(project)
    rows = store.list(book.year, project)
    total = round(sum(r["amount_yuan"] for r in rows), 2)
    return ExpendituresPublic(
        data=[ExpenditurePublic.model_validate(r) for r in paging.slice(rows)],
        count=len(rows),
        next=paging.next_url(len(rows)),
        total_yuan=total,
    )


@router.post(
    "/expenditures", status_code=201, operation_id="expenditures-create", responses=errors(403, 404)
)
def create_expenditure(
    body: ExpenditureCreate, user: Bookkeeper, store: ExpendituresDep, clock: ClockDep
) -> ExpenditurePublic:
    """Record a spending row (a negative one corrects an earlier row)."""
    saved = store.add(
        body.year,
        body.project_id,
        body.spent_on,
        body.amount_yuan,
        body.purpose,
        body.voucher_no,
        body.corrects_id,
        actor=user.actor,
        now=clock(),
    )
    return ExpenditurePublic.model_validate(saved)


@router.get("/budget", operation_id="budget-get", responses=errors(404))
def budget_execution(
    request: Request,
    books: GoalBooksDep,
    store: ExpendituresDep,
    clock: ClockDep,
    paging: PagingDep,
    year: int | None = None,
    project: str | None = None,
    as_of: date | None = None,
) -> BudgetPublic:
    """Per project: budget, spending up to ``as_of`` (default today) and the four checkpoints."""
    book = book_for(books, year)
    as_of = as_of or local_today(clock())
    projects = [book.project(project)] if project is not None else list(book.projects)
    rows = store.list(book.year, project)
    lang = language(request)  # the checkpoints' labels are interface words
    data = []
    for p in paging.slice(projects):
        spent = [(r["spent_on"], r["amount_yuan"]) for r in rows if r["project_id"] == p.id]
        total = p.budget.get("total")
        spent_yuan = round(sum(a for d, a in spent if d <= as_of), 2)
        data.append(
            {
                "project": p.id,
                "name": p.name,
                "budget_yuan": total,
                "spent_yuan": spent_yuan,
                "spent_pct": round(100 * spent_yuan / total, 2) if total else None,
                "checkpoints": [
                    checkpoint_in(asdict(c), lang)
                    for c in execution(p.spending_plan, total, spent, book.year, as_of)
                ],
            }
        )
    return BudgetPublic.model_validate(
        {
            "year": book.year,
            "as_of": as_of,
            "data": data,
            "count": len(projects),
            "next": paging.next_url(len(projects)),
        }
    )
