"""add review and enforcement columns, enforcements, payments and photos

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2, asdecimal=False)
CASE_COLUMNS: list[sa.Column] = [
    sa.Column("reviewed_at", UTCDateTime),
    sa.Column("review_returns", sa.Integer, nullable=False, server_default="0"),
    sa.Column("approved_first_time", sa.Boolean),
    sa.Column("reviewer_note", sa.Text),
    sa.Column("photo_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("decision_no", sa.String(100)),
    sa.Column("confiscation_yuan", MONEY),
    sa.Column("demolished_m2", sa.Float),
    sa.Column("reclaimed_m2", sa.Float),
    sa.Column("permit_no", sa.String(100)),
    sa.Column("enforcement_id", sa.Integer),
    sa.Column("verify_reason", sa.String(40)),
    sa.Column("land_class", sa.String(8)),
    sa.Column("illegal_area_m2", sa.Float),
    sa.Column("illegal_geometry", sa.JSON),
]


def upgrade() -> None:
    for col in CASE_COLUMNS:
        op.add_column("cases", col)
    op.create_index(
        "ix_cases_enforcement_id",
        "cases",
        ["enforcement_id"],
        sqlite_where=sa.text("enforcement_id IS NOT NULL"),
        postgresql_where=sa.text("enforcement_id IS NOT NULL"),
    )
    with op.batch_alter_table("cases") as b:
        b.alter_column("returned_count", server_default="0")
    op.create_table(
        "enforcements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_no", sa.String(100), nullable=False),
        sa.Column("offender", sa.String(200)),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("decision_no", sa.String(100)),
        sa.Column("fine_yuan", MONEY),
        sa.Column("confiscation_yuan", MONEY),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enforcements"),
        sa.UniqueConstraint("case_no", name="uq_enforcements_case_no"),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enforcement_id", sa.Integer, nullable=False),
        sa.Column("amount_yuan", MONEY, nullable=False),
        sa.Column("receipt_no", sa.String(100)),
        sa.Column("paid_on", sa.Date),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.ForeignKeyConstraint(
            ["enforcement_id"], ["enforcements.id"], name="fk_payments_enforcement_id_enforcements"
        ),
    )
    op.create_index("ix_payments_enforcement_id", "payments", ["enforcement_id"])
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("mime", sa.String(50), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("taken_at", UTCDateTime),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("direction", sa.Float),
        sa.Column("direction_ref", sa.String(1)),
        sa.Column("distance_m", sa.Float),
        sa.Column("faces_polygon", sa.Boolean),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("notes", sa.JSON, nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_photos"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_photos_case_id_cases"),
        sa.UniqueConstraint("case_id", "sha256", name="uq_photos_case_id_sha256"),
    )
    op.create_index("ix_photos_case_id", "photos", ["case_id"])


def downgrade() -> None:
    op.drop_table("photos")
    op.drop_table("payments")
    op.drop_table("enforcements")
    op.drop_index("ix_cases_enforcement_id", table_name="cases")
    with op.batch_alter_table("cases") as b:
        for col in reversed(CASE_COLUMNS):
            b.drop_column(col.name)
