"""动态巡查: patrol cases' columns on cases, their reports (举报) and the deadline rules

Revision ID: 0014_patrol
Revises: 0013_batch_counts_with_reissues
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0014_patrol"
down_revision = "0013_batch_counts_with_reissues"
branch_labels = None
depends_on = None

_CASE_COLUMNS = (
    ("violation", sa.String(40)),
    ("found_at", UTCDateTime),
    ("stop_due_at", UTCDateTime),
    ("file_due_on", sa.Date),
    ("report_due_on", sa.Date),
    ("stopped_at", UTCDateTime),
    ("stop_order_no", sa.String(100)),
    ("reported_on", sa.Date),
    ("report_doc_no", sa.String(100)),
    ("linked_case_id", sa.Integer),
    ("watch_interval_days", sa.Integer),
    ("watch_due_on", sa.Date),
    ("last_inspected_at", UTCDateTime),
    ("reinspected_on_time", sa.Boolean),
    ("client_ref", sa.String(64)),
)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): the cases table carries the spatial index's triggers on
    # SQLite, and every new column is nullable or has a default.
    for name, type_ in _CASE_COLUMNS:
        op.add_column("cases", sa.Column(name, type_))
    op.add_column(
        "cases", sa.Column("reinspections", sa.Integer, nullable=False, server_default="0")
    )
    op.create_index(
        "uq_cases_client_ref",
        "cases",
        ["client_ref"],
        unique=True,
        sqlite_where=sa.text("client_ref IS NOT NULL"),
        postgresql_where=sa.text("client_ref IS NOT NULL"),
    )
    op.create_table(
        "patrol_reports",
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("reporter_name", sa.String(100)),
        sa.Column("reporter_contact", sa.String(100)),
        sa.Column("content", sa.Text),
        sa.Column("received_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_patrol_reports"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_patrol_reports_case_id_cases"),
    )
    op.create_table(
        "patrol_rules",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("doc", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patrol_rules"),
    )


def downgrade() -> None:
    op.drop_table("patrol_rules")
    op.drop_table("patrol_reports")
    op.drop_index("uq_cases_client_ref", table_name="cases")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of cases would trip its foreign keys.
    for name, _ in (*_CASE_COLUMNS, ("reinspections", None)):
        op.execute(f"ALTER TABLE cases DROP COLUMN {name}")
