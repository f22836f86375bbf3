"""add goal books, snapshots, expenditures, notes, daily indicator counts; event state;
land-class verdict

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2, asdecimal=False)


def upgrade() -> None:
    with op.batch_alter_table("cases") as b:
        b.add_column(sa.Column("land_class_ok", sa.Boolean))
        b.add_column(sa.Column("delivered_land_class", sa.String(8)))
    with op.batch_alter_table("case_events") as b:
        b.add_column(sa.Column("state", sa.String(32)))
        b.add_column(sa.Column("judgment", sa.String(16)))
        b.create_index("ix_case_events_at", ["at"])
    _backfill_event_columns()
    op.create_table(
        "indicator_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("programme", sa.String(32), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("township_code", sa.String(32), primary_key=True),
        sa.Column("flag", sa.String(40), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
    )
    op.create_table(
        "goal_books",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("doc", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("year", "version"),
    )
    op.create_table(
        "indicator_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("goal_version", sa.Integer, nullable=False),
        sa.Column("projects", sa.JSON, nullable=False),
        sa.Column("taken_by", sa.String(100), nullable=False),
        sa.Column("taken_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("year", "label"),
    )
    op.create_table(
        "expenditures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("spent_on", sa.Date, nullable=False),
        sa.Column("amount_yuan", MONEY, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("voucher_no", sa.String(100)),
        sa.Column("corrects_id", sa.Integer),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_expenditures_year_project_id", "expenditures", ["year", "project_id"])
    op.create_table(
        "indicator_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("actual_text", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("year", "project_id", "row_no", "seq"),
    )


def _backfill_event_columns() -> None:
    """Existing events get the state they left and the judgment they made, read from JSON."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        state = "after::json->>'state'"
        judgment = "after::json->>'judgment'"
    else:
        state = "json_extract(after, '$.state')"
        judgment = "json_extract(after, '$.judgment')"
    op.execute(f"UPDATE case_events SET state = {state}, judgment = {judgment}")


def downgrade() -> None:
    op.drop_table("indicator_notes")
    op.drop_index("ix_expenditures_year_project_id", "expenditures")
    op.drop_table("expenditures")
    op.drop_table("indicator_snapshots")
    op.drop_table("goal_books")
    op.drop_table("indicator_daily")
    with op.batch_alter_table("case_events") as b:
        b.drop_index("ix_case_events_at")
        b.drop_column("judgment")
        b.drop_column("state")
    with op.batch_alter_table("cases") as b:
        b.drop_column("land_class_ok")
        b.drop_column("delivered_land_class")
