"""spatial indexes: PostGIS geometry with GiST on PostgreSQL, R*Tree tables on SQLite

PostgreSQL: ``cases.geom`` and ``ref_features.geom`` (WKB bytea) become PostGIS
``geometry(MultiPolygon, 4490)``, data kept (``ST_Multi(ST_GeomFromWKB(geom, 4490))``); point
图斑 move to a new ``cases.geom_point geometry(Point, 4490)`` and a CHECK keeps exactly one of the
two set; GiST indexes on each. SQLite: R*Tree virtual tables ``cases_rtree`` and
``ref_features_rtree`` (SQLite's own rtree module, keyed by row id), filled from the bbox columns
and kept in step by triggers on insert, update and delete. On both, the B-tree on the bbox
columns goes: no query uses it any more.

LATER MIGRATIONS, SQLite: ``batch_alter_table`` on ``cases`` or ``ref_features`` copies the table
and drops its triggers. Run ``storage.spatial.rtree_triggers(name)`` afterwards to recreate them
(the R*Tree keeps its rows: ids survive the copy).

The R*Tree statements come from ``storage.spatial`` (``rtree_ddl``), their one home.

Revision ID: 0009_postgis_geometry
Revises: 0008_enforcement_decided_on
Create Date: 2026-12-05
"""

from alembic import op

from storage import spatial

revision = "0009_postgis_geometry"
down_revision = "0008_enforcement_decided_on"
branch_labels = None
depends_on = None

RTREES = spatial.RTREES
IS_POINT = "ST_GeometryType(ST_GeomFromWKB(geom)) = 'ST_Point'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgis_up()
    else:
        _rtree_up()
    op.drop_index("ix_cases_bbox", table_name="cases")
    op.drop_index("ix_ref_features_bbox", table_name="ref_features")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgis_down()
    else:
        for rt in RTREES.values():
            for kind in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {rt}_{kind}")
            op.execute(f"DROP TABLE IF EXISTS {rt}")
    op.create_index("ix_cases_bbox", "cases", ["minx", "maxx", "miny", "maxy"])
    op.create_index("ix_ref_features_bbox", "ref_features", ["minx", "maxx", "miny", "maxy"])


def _postgis_up() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN geom_point geometry(Point, 4490)")
    op.execute(f"UPDATE cases SET geom_point = ST_GeomFromWKB(geom, 4490) WHERE {IS_POINT}")
    op.execute(
        "ALTER TABLE cases ALTER COLUMN geom DROP NOT NULL, "
        "ALTER COLUMN geom TYPE geometry(MultiPolygon, 4490) USING "
        f"CASE WHEN {IS_POINT} THEN NULL ELSE ST_Multi(ST_GeomFromWKB(geom, 4490)) END"
    )
    op.execute(
        "ALTER TABLE cases ADD CONSTRAINT ck_cases_one_geometry "
        "CHECK ((geom IS NULL) <> (geom_point IS NULL))"
    )
    op.execute(
        "ALTER TABLE ref_features ALTER COLUMN geom TYPE geometry(MultiPolygon, 4490) "
        "USING ST_Multi(ST_GeomFromWKB(geom, 4490))"
    )
    op.execute("CREATE INDEX ix_cases_geom ON cases USING gist (geom)")
    op.execute("CREATE INDEX ix_cases_geom_point ON cases USING gist (geom_point)")
    op.execute("CREATE INDEX ix_ref_features_geom ON ref_features USING gist (geom)")


def _postgis_down() -> None:
    for name in ("ix_cases_geom", "ix_cases_geom_point", "ix_ref_features_geom"):
        op.execute(f"DROP INDEX {name}")
    op.execute("ALTER TABLE cases DROP CONSTRAINT ck_cases_one_geometry")
    # The WKB an import wrote: a one-part MultiPolygon was a Polygon (storage/spatial.py).
    unwrap = "CASE WHEN ST_NumGeometries(geom) = 1 THEN ST_GeometryN(geom, 1) ELSE geom END"
    op.execute(
        "ALTER TABLE cases ALTER COLUMN geom TYPE bytea USING "
        f"ST_AsBinary(COALESCE({unwrap}, geom_point))"
    )
    op.execute("ALTER TABLE cases ALTER COLUMN geom SET NOT NULL")
    op.execute("ALTER TABLE cases DROP COLUMN geom_point")
    op.execute(f"ALTER TABLE ref_features ALTER COLUMN geom TYPE bytea USING ST_AsBinary({unwrap})")


def _rtree_up() -> None:
    for t in RTREES:
        for statement in spatial.rtree_ddl(t):
            op.execute(statement)
