"""SQLAlchemy table definitions: batches of 图斑, their cases, and the append-only event log."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from geo.fields import MAX_LENGTH
from storage.spatial import StoredGeometry
from storage.types import Money, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _bbox() -> list[Column]:
    """A bounding box in EPSG:4490 degrees: what viewport queries filter on."""
    return [Column(c, Float, nullable=False) for c in ("minx", "miny", "maxx", "maxy")]


def _provenance() -> list[Column]:
    """Where an imported layer came from and what it covers (batches and reference layers)."""
    return [
        Column("source_name", String(500), nullable=False),
        Column("source_sha256", String(64), nullable=False),
        Column("source_crs", Text, nullable=False),
        Column("encoding", String(200), nullable=False),
        Column("feature_count", Integer, nullable=False),
        *_bbox(),
        Column("imported_at", UTCDateTime, nullable=False),
        Column("imported_by", String(100), nullable=False),
    ]


batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("programme", String(32), nullable=False),
    Column("period", String(16), nullable=False),
    Column("authority", String(200), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    *_provenance(),
    Column("area_m2", Float, nullable=False),
    Column("new_cases", Integer),
    Column("report", JSON),
    Column("hint_layers", JSON),
    UniqueConstraint("source_sha256", "programme", "period"),
)

# Geometry in CGCS2000 (EPSG:4490) lon/lat (storage/spatial.py: WKB on SQLite, PostGIS on
# PostgreSQL, point 图斑 beside it there), with its bounding box in plain columns that every box
# predicate checks exactly; the spatial index is the backend's (R*Tree, GiST; migration 0009).
cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    # Looked up through the unique (batch_id, code) index; a second index would only slow imports.
    Column("batch_id", ForeignKey("batches.id"), nullable=False),
    Column("programme", String(32), nullable=False),
    Column("code", String(MAX_LENGTH["code"]), nullable=False),
    Column("xzqdm", String(MAX_LENGTH["xzqdm"]), nullable=False),
    Column("attributes", JSON, nullable=False),
    # NULL on PostgreSQL for a point 图斑 (then geom_point holds it; a CHECK keeps one set).
    Column("geom", StoredGeometry(points=True), nullable=False),
    *_bbox(),
    Column("area_m2", Float, nullable=False),
    Column("area_mu", Float, nullable=False),
    Column("state", String(32), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("judgment", String(16)),
    Column("verified_at", UTCDateTime),
    Column("case_no", String(100)),
    Column("filed_on", Date),
    Column("fine_yuan", Money()),
    Column("receipt_no", String(100)),
    Column("paid_on", Date),
    Column("rectified_on", Date),
    Column("closed_at", UTCDateTime),
    Column("evidence_at", UTCDateTime),
    Column("land_class_before", String(8)),
    Column("land_class_after", String(8)),
    Column("submitted_at", UTCDateTime),
    Column("checked_at", UTCDateTime),
    Column("returned_count", Integer, nullable=False, server_default="0"),
    Column("note", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    # One site, several programmes: a 卫片 and a 变更调查 polygon on the same pit share site_id.
    # NULL means the case is its own site, so an import need not rewrite every new row.
    Column("site_id", Integer),
    # Automatic hints from the reference layers at import time (never a judgment).
    Column("township_code", String(32), index=True),
    Column("township_name", String(100)),
    Column("village_code", String(32)),
    Column("village_name", String(100)),
    Column("villages", JSON),
    Column("farmland_m2", Float),
    Column("permit_relation", String(16)),
    Column("permit_ids", Text),
    Column("approval_share", Float),
    Column("approval_ids", Text),
    Column("facility_share", Float),
    Column("outside_share", Float),
    # Review, evidence and enforcement milestones (see geo.model.Case).
    Column("reviewed_at", UTCDateTime),
    Column("review_returns", Integer, nullable=False, server_default="0"),
    Column("approved_first_time", Boolean),
    Column("reviewer_note", Text),
    Column("photo_count", Integer, nullable=False, server_default="0"),
    Column("decision_no", String(100)),
    Column("confiscation_yuan", Money()),
    Column("demolished_m2", Float),
    Column("reclaimed_m2", Float),
    Column("permit_no", String(100)),
    Column("enforcement_id", Integer),
    Column("verify_reason", String(40)),
    Column("land_class", String(8)),
    Column("illegal_area_m2", Float),
    Column("illegal_geometry", JSON),  # the measured extent when it differs from the 图斑
    Column("land_class_ok", Boolean),
    # 前时相地类 as the province delivered it (not the county's evidence, land_class_before):
    # the 耕地 share of new construction is counted from it.
    Column("delivered_land_class", String(8)),
    # 动态巡查 (geo.model.Case, geo.patrol): what was found and when, the deadlines in force then,
    # the quick response's steps; the open case a site is already handled in; the watch list.
    Column("violation", String(40)),
    Column("found_at", UTCDateTime),
    Column("stop_due_at", UTCDateTime),
    Column("file_due_on", Date),
    Column("report_due_on", Date),
    Column("stopped_at", UTCDateTime),
    Column("stop_order_no", String(100)),
    Column("reported_on", Date),
    Column("report_doc_no", String(100)),
    Column("linked_case_id", Integer),
    Column("watch_interval_days", Integer),
    Column("watch_due_on", Date),
    Column("last_inspected_at", UTCDateTime),
    Column("reinspections", Integer, nullable=False, server_default="0"),
    Column("reinspected_on_time", Boolean),
    # The phone's own id of a finding sent from its outbox: a resend after a lost answer finds
    # the case it already made instead of making a second one.
    Column("client_ref", String(64)),
    UniqueConstraint("batch_id", "code"),
    Index("ix_cases_programme_code", "programme", "code"),
    # Partial: most 图斑 share no site and are never filed, so these stay small and cost an
    # import nothing.
    Index(
        "ix_cases_site_id",
        "site_id",
        sqlite_where=text("site_id IS NOT NULL"),
        postgresql_where=text("site_id IS NOT NULL"),
    ),
    Index(
        "uq_cases_client_ref",
        "client_ref",
        unique=True,
        sqlite_where=text("client_ref IS NOT NULL"),
        postgresql_where=text("client_ref IS NOT NULL"),
    ),
    Index(
        "ix_cases_enforcement_id",
        "enforcement_id",
        sqlite_where=text("enforcement_id IS NOT NULL"),
        postgresql_where=text("enforcement_id IS NOT NULL"),
    ),
)

# A 图斑 issued again (next quarter's batch, or twice in one file) joins its earlier case
# instead of opening a second one; its own geometry and attributes are kept here.
reissues = Table(
    "reissues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("batches.id"), nullable=False, index=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    Column("row", Integer, nullable=False),
    Column("code", String(MAX_LENGTH["code"]), nullable=False),
    Column("xzqdm", String(MAX_LENGTH["xzqdm"]), nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("geom", LargeBinary, nullable=False),
    *_bbox(),
    Column("area_m2", Float, nullable=False),
    Column("area_mu", Float, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("iou", Float),
)

ref_layers = Table(
    "ref_layers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("version", String(50), nullable=False),
    *_provenance(),
    Column("report", JSON),
    UniqueConstraint("kind", "name", "version"),
)

ref_features = Table(
    "ref_features",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("layer_id", ForeignKey("ref_layers.id"), nullable=False, index=True),
    Column("ident", String(200), nullable=False),
    Column("label", String(200), nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("geom", StoredGeometry(), nullable=False),
    *_bbox(),
)

# Append-only: rows are inserted, never updated or deleted. (case_id, seq) is unique, so two
# writers racing on the same case version cannot both record their change.
case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("before", JSON, nullable=False),
    Column("after", JSON, nullable=False),
    Column("payload", JSON, nullable=False),
    # Copied out of ``after`` so values as of a past date are one indexed scan, not a JSON
    # parse of every event: the state the event left, and the judgment a verification made.
    Column("state", String(32)),
    Column("judgment", String(16)),
    # The hash chain (geo/audit_chain.py, migration 0007): the previous event's hash and this
    # one's, written in the transaction that appends the event.
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    UniqueConstraint("case_id", "seq"),
    Index("ix_case_events_at", "at"),
)

# One row per local day: every case's chain head at the day's end, chained to the day before
# (geo.audit_chain.anchor_digest). Written by ``tuban audit anchor`` for days that are over.
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("day", Date, primary_key=True),
    Column("prev_digest", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("cases", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("townships", JSON, nullable=False),  # township codes whose 图斑 a verifier works
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

# Only a hash of each bearer token is kept, so a copied database grants no sessions.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked", Boolean, nullable=False),
)

# A 图斑 assigned by hand to one verifier (assignment by township lives on the user).
assignments = Table(
    "assignments",
    metadata,
    Column("case_id", ForeignKey("cases.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("assigned_by", String(100), nullable=False),
    Column("assigned_at", UTCDateTime, nullable=False),
)

# One 立案 case can cover several 图斑 (same offender, same site across quarters); its money is
# recorded here once, never per 图斑, so penalty totals cannot double count.
enforcements = Table(
    "enforcements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(100), nullable=False, unique=True),
    Column("offender", String(200)),
    Column("filed_on", Date, nullable=False),
    Column("decision_no", String(100)),
    Column("decided_on", Date),  # the penalty decision's day: no payment may predate it
    Column("fine_yuan", Money()),
    Column("confiscation_yuan", Money()),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Fines are often paid in instalments; each receipt (票据) is a row, appended, never edited.
payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enforcement_id", ForeignKey("enforcements.id"), nullable=False, index=True),
    Column("amount_yuan", Money(), nullable=False),
    Column("receipt_no", String(100)),
    Column("paid_on", Date),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

photos = Table(
    "photos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", ForeignKey("cases.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("mime", String(50), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("taken_at", UTCDateTime),
    Column("lon", Float),
    Column("lat", Float),
    Column("direction", Float),
    Column("direction_ref", String(1)),
    Column("distance_m", Float),
    Column("faces_polygon", Boolean),
    Column("flags", JSON, nullable=False),
    Column("notes", JSON, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    UniqueConstraint("case_id", "sha256"),
)

# --- goal tables, their live values and the money spent (issue 5) ---------------------------

# A year's goal tables (绩效目标表) as edited by an admin: every save is a new version, so a
# report can always say which wording and targets it was computed against.
goal_books = Table(
    "goal_books",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("doc", JSON, nullable=False),
    Column("note", Text),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("year", "version"),
)

# The indicator counts, kept as events happen: per local day and (programme, period, township),
# how many 图斑 newly meet each condition of geo.indicators.FLAGS (negative when one stops
# meeting it). Values as of any day are a sum over the days up to it, so neither the live
# numbers nor a past quarter's need a scan of the cases or the event log.
indicator_daily = Table(
    "indicator_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("programme", String(32), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("township_code", String(32), primary_key=True),
    Column("flag", String(40), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("area_m2", Float, nullable=False),
)

# Values frozen at a reporting date: a report can show them, and what changed since.
indicator_snapshots = Table(
    "indicator_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("label", String(100), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("goal_version", Integer, nullable=False),
    Column("projects", JSON, nullable=False),
    Column("taken_by", String(100), nullable=False),
    Column("taken_at", UTCDateTime, nullable=False),
    UniqueConstraint("year", "label"),
)

# Spending per project, appended; a correction is a negative row that names the one it fixes.
expenditures = Table(
    "expenditures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("project_id", String(64), nullable=False),
    Column("spent_on", Date, nullable=False),
    Column("amount_yuan", Numeric(14, 2, asdecimal=False), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("voucher_no", String(100)),
    Column("corrects_id", Integer),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_expenditures_year_project_id", "year", "project_id"),
)

# What staff write beside a goal-table row: the actual value of a qualitative row (满意度,
# 社会效益), the reason for a deviation, and evidence files (blobs by SHA-256). Appended: the
# newest seq of a row is current, older ones are its history.
indicator_notes = Table(
    "indicator_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("project_id", String(64), nullable=False),
    Column("row_no", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("actual_text", Text),
    Column("reason", Text),
    Column("evidence", JSON, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("year", "project_id", "row_no", "seq"),
)

# Failed sign-ins, one row per failure and key ("user:<name>" or "addr:<client address>"), kept for
# the throttle window: in the database so every worker process sees the same count.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_login_attempts_key_at", "key", "at"),
)

# Background jobs (geo/jobs.py): the record of each, in the store itself so every process sees
# the same state; the queue (runtime/jobs.py) carries only the id. ``cancel_requested`` is read
# by the running worker at its stage boundaries; ``heartbeat_at`` tells a live worker from a dead
# one.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", Float, nullable=False),
    Column("stage", String(100), nullable=False),
    Column("owner_id", ForeignKey("users.id"), nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),
    Column("cancel_requested", Boolean, nullable=False),
    Column("error", String(1000)),
    Column("result", JSON),
    Column("worker_host", String(200)),
    Column("worker_pid", Integer),
    Index("ix_jobs_owner_id", "owner_id"),
    Index("ix_jobs_state", "state"),
)

# Keys for desk GIS clients on /ogc (QGIS 3.22 cannot send a header, only a key in the URL):
# read-only, bound to a user whose roles and 图斑 scope apply. Only the SHA-256 of a key is
# kept, so a copied database grants no access.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    # May also record verifications over /ogc (Part 4); a key is read-only unless made so.
    Column("can_edit", Boolean, nullable=False, server_default=false()),
)


# --- 动态巡查 (issue 16) -----------------------------------------------------------------------

# A report (举报) behind a patrol case: who reported it and how to reach them stay here, read by
# office roles only, never in the case row, an export or the map.
patrol_reports = Table(
    "patrol_reports",
    metadata,
    Column("case_id", ForeignKey("cases.id"), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("reporter_name", String(100)),
    Column("reporter_contact", String(100)),
    Column("content", Text),
    Column("received_by", String(100), nullable=False),
)

# The quick response's deadlines (geo.patrol.Deadlines) as the bureau edits them: every save a
# new row, the latest in force; a case keeps the deadlines of the day it was found.
patrol_rules = Table(
    "patrol_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("doc", JSON, nullable=False),
    Column("note", Text),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
