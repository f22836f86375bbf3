"""Spending per project (支出), appended; a mistake is undone by a negative row naming it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, func, select

from geo.errors import InvalidPayload
from storage.goalbooks import GoalBookStore
from storage.rows import inserted_id
from storage.tables import expenditures


class InvalidExpenditure(InvalidPayload):
    """A spending row or correction that cannot be recorded (amount, date, purpose, target)."""

    code = "EXPENDITURE_INVALID"


def _amount(value: Any) -> float:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidExpenditure(f"金额 {value!r} 不是数字", field="amount_yuan") from None
    if isinstance(value, bool) or not d.is_finite():
        raise InvalidExpenditure(f"金额 {value!r} 不是数字", field="amount_yuan")
    if d == 0:
        raise InvalidExpenditure("金额不能为 0", field="amount_yuan")
    if d != d.quantize(Decimal("0.01")):
        raise InvalidExpenditure(f"金额 {value} 精确到分即可（两位小数）", field="amount_yuan")
    if abs(d) >= Decimal("1e12"):
        raise InvalidExpenditure(f"金额 {value} 过大", field="amount_yuan")
    return float(d)


class ExpenditureStore:
    """The 支出 ledger: rows are only appended, checked against the year's goal book."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.goals = GoalBookStore(engine)

    def add(
        self,
        year: int,
        project_id: str,
        spent_on: date,
        amount_yuan: float,
        purpose: str,
        voucher_no: str | None = None,
        corrects_id: int | None = None,
        *,
        actor: str,
        now: datetime,
    ) -> dict[str, Any]:
        """Record one spending row (or a correction of an earlier one) and return it."""
        self.goals.latest(year)[0].project(project_id)  # 404 if the year or project is unknown
        amount = _amount(amount_yuan)
        if not isinstance(spent_on, date) or spent_on.year != year:
            raise InvalidExpenditure(
                f"支出日期 {spent_on} 不在 {year} 年内", field="spent_on", year=year
            )
        purpose = (purpose or "").strip()
        if not purpose:
            raise InvalidExpenditure("请填写用途", field="purpose")
        voucher = (voucher_no or "").strip() or None
        if voucher and len(voucher) > 100:
            raise InvalidExpenditure("凭证号过长（最多 100 字）", field="voucher_no")
        with self.engine.begin() as conn:
            if amount < 0 or corrects_id is not None:
                self._check_correction(conn, year, project_id, amount, corrects_id)
            new_id = inserted_id(
                conn.execute(
                    expenditures.insert().values(
                        year=year,
                        project_id=project_id,
                        spent_on=spent_on,
                        amount_yuan=amount,
                        purpose=purpose,
                        voucher_no=voucher,
                        corrects_id=corrects_id,
                        recorded_by=actor,
                        recorded_at=now,
                    )
                )
            )
            row = conn.execute(select(expenditures).where(expenditures.c.id == new_id)).one()
        return dict(row._mapping)

    @staticmethod
    def _check_correction(
        conn: Any, year: int, project_id: str, amount: float, corrects_id: int | None
    ) -> None:
        if amount > 0:
            raise InvalidExpenditure(
                "更正只能冲减（负数金额）；补记支出请另记一笔", field="corrects_id"
            )
        if corrects_id is None:
            raise InvalidExpenditure(
                "负数金额是更正，须注明更正的是哪一笔（corrects_id）", field="corrects_id"
            )
        target = conn.execute(
            # Locked so two corrections of one row cannot both pass the check below.
            select(expenditures).where(expenditures.c.id == corrects_id).with_for_update()
        ).first()
        if target is None or target.year != year or target.project_id != project_id:
            raise InvalidExpenditure(
                f"{year} 年项目 {project_id} 没有第 {corrects_id} 笔支出",
                field="corrects_id",
                corrects_id=corrects_id,
            )
        if target.amount_yuan < 0:
            raise InvalidExpenditure("不能更正一笔更正", field="corrects_id")
        already = conn.execute(
            select(func.coalesce(func.sum(expenditures.c.amount_yuan), 0)).where(
                expenditures.c.corrects_id == corrects_id
            )
        ).scalar()
        remaining = round(float(target.amount_yuan) + float(already), 2)
        if -amount > remaining:
            raise InvalidExpenditure(
                f"冲减 {-amount:.2f} 元超过第 {corrects_id} 笔尚余的 {remaining:.2f} 元",
                field="amount_yuan",
                corrects_id=corrects_id,
                remaining=remaining,
            )

    def list(self, year: int, project_id: str | None = None) -> list[dict[str, Any]]:
        """Spending rows of a year (optionally one project), by date then entry order."""
        q = select(expenditures).where(expenditures.c.year == year)
        if project_id is not None:
            q = q.where(expenditures.c.project_id == project_id)
        q = q.order_by(expenditures.c.spent_on, expenditures.c.id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]
