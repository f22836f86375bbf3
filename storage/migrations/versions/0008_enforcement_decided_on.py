"""add enforcements.decided_on: the penalty decision's day, so a later payment is checked against it

Revision ID: 0008_enforcement_decided_on
Revises: 0007_event_chain
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_enforcement_decided_on"
down_revision = "0007_event_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing decisions keep no day (the penalise events before this revision may hold one in
    # their payload, but an old payment is not re-judged): payments on them are checked against
    # the filing day, as before.
    with op.batch_alter_table("enforcements") as batch:
        batch.add_column(sa.Column("decided_on", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enforcements") as batch:
        batch.drop_column("decided_on")
