"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator

_FEN = Decimal("0.01")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned timezone-aware.

    SQLite has no timezone type; without this, values read back naive and comparisons with
    aware datetimes fail or, worse, silently shift by eight hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        """To the database: converted to UTC; a naive datetime is refused, not guessed."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        """From the database: aware and in UTC (SQLite's naive values are UTC by construction)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An amount in 元, read and written as an exact ``Decimal`` of whole 分.

    The column stays ``NUMERIC(14, 2)`` (no migration). SQLite keeps it as a REAL, so the value is
    carried as a float there; any amount of at most 14 digits survives the float exactly to the
    分, and is quantised back on the way out. Non-finite values never reach the column.
    """

    impl = Numeric(14, 2, asdecimal=False)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> float | None:
        """To the database: a finite amount rounded to 分 (a non-finite one is refused)."""
        if value is None:
            return None
        amount = Decimal(str(value))
        if not amount.is_finite():
            raise ValueError(f"non-finite amount of money: {value!r}")
        return float(amount.quantize(_FEN, rounding=ROUND_HALF_UP))

    def process_result_value(self, value: object, dialect: object) -> Decimal | None:
        """From the database: the exact amount in 分, whatever the driver's number type."""
        if value is None:
            return None
        amount = Decimal(str(value))
        return amount.quantize(_FEN, rounding=ROUND_HALF_UP) if amount.is_finite() else amount
