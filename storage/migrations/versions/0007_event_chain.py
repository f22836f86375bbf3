"""chain every case event to the one before it (prev_hash, hash); daily anchors

Existing events are hashed in (case, seq) order, so a store made before this revision verifies
from the moment it is migrated: what was there then is what the chain vouches for.

Revision ID: 0007_event_chain
Revises: 0005
Create Date: 2026-12-05
"""

import itertools

import sqlalchemy as sa
from alembic import op

from geo.audit_chain import GENESIS, event_hash
from storage.types import UTCDateTime

revision = "0007_event_chain"
down_revision = "0006_login_attempts"
branch_labels = None
depends_on = None

_events = sa.table(
    "case_events",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("action", sa.String),
    sa.column("actor", sa.String),
    sa.column("at", UTCDateTime),
    sa.column("payload", sa.JSON),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("state", sa.String),
    sa.column("judgment", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("case_events") as b:
        b.add_column(sa.Column("prev_hash", sa.String(64)))
        b.add_column(sa.Column("hash", sa.String(64)))
    op.create_table(
        "audit_anchors",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("prev_digest", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    _backfill()


def _backfill() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_events).order_by(_events.c.case_id, _events.c.seq)).all()
    updates = []
    for _, group in itertools.groupby((r._mapping for r in rows), key=lambda m: m["case_id"]):
        prev = GENESIS
        for ev in group:
            digest = event_hash(prev, dict(ev))
            updates.append({"eid": ev["id"], "p": prev, "h": digest})
            prev = digest
    if updates:
        conn.execute(
            _events.update()
            .where(_events.c.id == sa.bindparam("eid"))
            .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")),
            updates,
        )


def downgrade() -> None:
    op.drop_table("audit_anchors")
    with op.batch_alter_table("case_events") as b:
        b.drop_column("hash")
        b.drop_column("prev_hash")
