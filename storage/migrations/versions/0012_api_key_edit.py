"""api_keys.can_edit: a key that may also record verifications over /ogc (OGC API - Features
Part 4); existing keys stay read-only

Revision ID: 0012_api_key_edit
Revises: 0011_api_keys
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_api_key_edit"
down_revision = "0011_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("can_edit", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("can_edit")
