"""add reissues, reference layers, and hint and site columns on cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

HINT_COLUMNS: list[tuple[str, sa.types.TypeEngine | type[sa.types.TypeEngine]]] = [
    ("site_id", sa.Integer),
    ("township_code", sa.String(32)),
    ("township_name", sa.String(100)),
    ("village_code", sa.String(32)),
    ("village_name", sa.String(100)),
    ("villages", sa.JSON),
    ("farmland_m2", sa.Float),
    ("permit_relation", sa.String(16)),
    ("permit_ids", sa.Text),
    ("approval_share", sa.Float),
    ("approval_ids", sa.Text),
    ("facility_share", sa.Float),
    ("outside_share", sa.Float),
]


def _bbox() -> list[sa.Column]:
    return [sa.Column(c, sa.Float, nullable=False) for c in ("minx", "miny", "maxx", "maxy")]


def upgrade() -> None:
    for name, kind in (("new_cases", sa.Integer), ("report", sa.JSON), ("hint_layers", sa.JSON)):
        op.add_column("batches", sa.Column(name, kind))
    for name, type_ in HINT_COLUMNS:
        op.add_column("cases", sa.Column(name, type_))
    # NULL site_id: the case is its own site (no mass UPDATE on import); partial index.
    op.create_index(
        "ix_cases_site_id",
        "cases",
        ["site_id"],
        sqlite_where=sa.text("site_id IS NOT NULL"),
        postgresql_where=sa.text("site_id IS NOT NULL"),
    )
    op.create_index("ix_cases_township_code", "cases", ["township_code"])
    op.create_index("ix_cases_programme_code", "cases", ["programme", "code"])
    op.create_table(
        "reissues",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, nullable=False),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("xzqdm", sa.String(32), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("geom", sa.LargeBinary, nullable=False),
        *_bbox(),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("area_mu", sa.Float, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("iou", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_reissues"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], name="fk_reissues_batch_id_batches"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_reissues_case_id_cases"),
    )
    op.create_index("ix_reissues_batch_id", "reissues", ["batch_id"])
    op.create_index("ix_reissues_case_id", "reissues", ["case_id"])
    op.create_table(
        "ref_layers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_crs", sa.Text, nullable=False),
        sa.Column("encoding", sa.String(200), nullable=False),
        sa.Column("feature_count", sa.Integer, nullable=False),
        *_bbox(),
        sa.Column("imported_at", UTCDateTime, nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.Column("report", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_ref_layers"),
        sa.UniqueConstraint("kind", "name", "version", name="uq_ref_layers_kind_name_version"),
    )
    op.create_table(
        "ref_features",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("layer_id", sa.Integer, nullable=False),
        sa.Column("ident", sa.String(200), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("geom", sa.LargeBinary, nullable=False),
        *_bbox(),
        sa.PrimaryKeyConstraint("id", name="pk_ref_features"),
        sa.ForeignKeyConstraint(
            ["layer_id"], ["ref_layers.id"], name="fk_ref_features_layer_id_ref_layers"
        ),
    )
    op.create_index("ix_ref_features_layer_id", "ref_features", ["layer_id"])
    op.create_index("ix_ref_features_bbox", "ref_features", ["minx", "maxx", "miny", "maxy"])


def downgrade() -> None:
    op.drop_table("ref_features")
    op.drop_table("ref_layers")
    op.drop_table("reissues")
    for ix in ("ix_cases_programme_code", "ix_cases_township_code", "ix_cases_site_id"):
        op.drop_index(ix, table_name="cases")
    with op.batch_alter_table("cases") as b:
        for name, _ in reversed(HINT_COLUMNS):
            b.drop_column(name)
    with op.batch_alter_table("batches") as b:
        for name in ("hint_layers", "report", "new_cases"):
            b.drop_column(name)
