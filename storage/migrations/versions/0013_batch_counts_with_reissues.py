"""batches count their re-issued 图斑: feature_count and area_m2 recounted, reports given reissued

A batch stored before this revision counted every row of its file but summed the area of its new
cases only, so a batch that only re-issued earlier 图斑 showed its rows over 0 公顷, and its
report's ``imported`` counted new cases only. Both now count what the batch lists: its new cases
and the 图斑 it re-issued (a second copy of a row within one file stays out, as on the map).

Revision ID: 0013_batch_counts_with_reissues
Revises: 0012_api_key_edit
Create Date: 2026-12-06
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013_batch_counts_with_reissues"
down_revision = "0012_api_key_edit"
branch_labels = None
depends_on = None

_batches = sa.table(
    "batches",
    sa.column("id"),
    sa.column("feature_count"),
    sa.column("new_cases"),
    sa.column("area_m2"),
    sa.column("report", sa.JSON),
)
_cases = sa.table("cases", sa.column("batch_id"), sa.column("area_m2"))
_reissues = sa.table("reissues", sa.column("batch_id"), sa.column("area_m2"), sa.column("reason"))


def _sums(conn: sa.Connection, table: sa.TableClause, *where: sa.ColumnElement) -> dict:
    q = (
        sa.select(table.c.batch_id, sa.func.count(), sa.func.sum(table.c.area_m2))
        .where(*where)
        .group_by(table.c.batch_id)
    )
    return {b: (int(n), float(a or 0.0)) for b, n, a in conn.execute(q)}


def upgrade() -> None:
    conn = op.get_bind()
    own = _sums(conn, _cases)
    # Re-issues of an earlier case; in-file duplicates are reason 'in_file_duplicate'.
    again = _sums(conn, _reissues, _reissues.c.reason.like("reissue%"))
    for bid, report in conn.execute(sa.select(_batches.c.id, _batches.c.report)).all():
        n_own, a_own = own.get(bid, (0, 0.0))
        n_again, a_again = again.get(bid, (0, 0.0))
        values: dict = {"feature_count": n_own + n_again, "area_m2": a_own + a_again}
        if isinstance(report, str):  # a JSON column read back as text on some drivers
            report = json.loads(report)
        if isinstance(report, dict):
            values["report"] = {**report, "imported": n_own + n_again, "reissued": n_again}
        conn.execute(_batches.update().where(_batches.c.id == bid).values(**values))


def downgrade() -> None:
    # Back to the earlier meaning: every non-rejected row counted, the area of new cases only.
    conn = op.get_bind()
    own = _sums(conn, _cases)
    rows = _sums(conn, _reissues)
    for bid, report in conn.execute(sa.select(_batches.c.id, _batches.c.report)).all():
        n_own, a_own = own.get(bid, (0, 0.0))
        values: dict = {"feature_count": n_own + rows.get(bid, (0, 0.0))[0], "area_m2": a_own}
        if isinstance(report, str):
            report = json.loads(report)
        if isinstance(report, dict):
            values["report"] = {
                **{k: v for k, v in report.items() if k != "reissued"},
                "imported": n_own,
            }
        conn.execute(_batches.update().where(_batches.c.id == bid).values(**values))
