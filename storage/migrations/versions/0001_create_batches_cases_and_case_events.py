"""create batches, cases and case_events

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("programme", sa.String(32), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_crs", sa.Text, nullable=False),
        sa.Column("encoding", sa.String(200), nullable=False),
        sa.Column("feature_count", sa.Integer, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("minx", sa.Float, nullable=False),
        sa.Column("miny", sa.Float, nullable=False),
        sa.Column("maxx", sa.Float, nullable=False),
        sa.Column("maxy", sa.Float, nullable=False),
        sa.Column("imported_at", UTCDateTime, nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
        sa.UniqueConstraint(
            "source_sha256",
            "programme",
            "period",
            name="uq_batches_source_sha256_programme_period",
        ),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("programme", sa.String(32), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("xzqdm", sa.String(32), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("geom", sa.LargeBinary, nullable=False),
        sa.Column("minx", sa.Float, nullable=False),
        sa.Column("miny", sa.Float, nullable=False),
        sa.Column("maxx", sa.Float, nullable=False),
        sa.Column("maxy", sa.Float, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("area_mu", sa.Float, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("judgment", sa.String(16)),
        sa.Column("verified_at", UTCDateTime),
        sa.Column("case_no", sa.String(100)),
        sa.Column("filed_on", sa.Date),
        sa.Column("fine_yuan", sa.Numeric(14, 2, asdecimal=False)),
        sa.Column("receipt_no", sa.String(100)),
        sa.Column("paid_on", sa.Date),
        sa.Column("rectified_on", sa.Date),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("evidence_at", UTCDateTime),
        sa.Column("land_class_before", sa.String(8)),
        sa.Column("land_class_after", sa.String(8)),
        sa.Column("submitted_at", UTCDateTime),
        sa.Column("checked_at", UTCDateTime),
        sa.Column("returned_count", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_cases_batch_id_batches"),
        sa.UniqueConstraint("batch_id", "code", name="uq_cases_batch_id_code"),
    )
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_bbox", "cases", ["minx", "maxx", "miny", "maxy"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("before", sa.JSON, nullable=False),
        sa.Column("after", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_events"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_events_case_id_cases"),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_events_case_id_seq"),
    )


def downgrade() -> None:
    op.drop_table("case_events")
    op.drop_index("ix_cases_bbox", table_name="cases")
    op.drop_index("ix_cases_state", table_name="cases")
    op.drop_table("cases")
    op.drop_table("batches")
