"""add jobs: records of background jobs (imports, report files, recounts) and their progress

Revision ID: 0010_jobs
Revises: 0009_postgis_geometry
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0010_jobs"
down_revision = "0009_postgis_geometry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("stage", sa.String(100), nullable=False),
        sa.Column("owner_id", sa.Integer, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("heartbeat_at", UTCDateTime),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("error", sa.String(1000)),
        sa.Column("result", sa.JSON),
        sa.Column("worker_host", sa.String(200)),
        sa.Column("worker_pid", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_jobs_owner_id_users"),
    )
    op.create_index("ix_jobs_owner_id", "jobs", ["owner_id"])
    op.create_index("ix_jobs_state", "jobs", ["state"])


def downgrade() -> None:
    op.drop_table("jobs")
