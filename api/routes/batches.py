"""Batches of issued 图斑: list, import (upload), and GeoJSON features per viewport."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse

from api.deps import ClockDep, PagingDep, ServicesDep, SettingsDep, StoreDep
from api.documented_errors import errors
from api.geojson import feature_collection_text
from api.schemas import BatchesPublic, BatchImported, BatchPublic, ImportReportPublic
from api.security import ScopeDep, SeesEverything, require
from geo.batch import BatchMeta
from geo.errors import InvalidValue, NotFound
from geo.fields import parse_field_map
from geo.inputs import file_name
from geo.model import Judgment, Programme, State
from geo.roles import Role
from storage.imports import import_file
from storage.map_queries import GEOJSON as GEOJSON_TEXT
from storage.map_queries import FeatureFilter
from storage.users import User

router = APIRouter(prefix="/api/batches", tags=["batches"])
GEOJSON = "application/geo+json"
MAX_FEATURES = 1_000_000  # a page of the map's features: the whole of the largest batch
LIMIT_HELP = "features per page (default: the server's feature_limit); 0: numberMatched only"

# Hints small enough to travel with every feature, for styling and tooltips.
FEATURE_HINTS = (
    "township_name",
    "village_name",
    "permit_relation",
    "approval_share",
    "farmland_m2",
    "outside_share",
)


@router.get("", operation_id="batches-list")
def list_batches(store: StoreDep, paging: PagingDep) -> BatchesPublic:
    """Every imported batch, by period and programme."""
    rows = store.list_batches()
    data = [BatchPublic.from_row(r) for r in paging.slice(rows)]
    return BatchesPublic(data=data, count=len(rows), next=paging.next_url(len(rows)))


ACCEPTED = {".gpkg", ".geojson", ".json", ".zip", ".kml", ".kmz", ".csv", ".xlsx"}


async def save_upload(file: UploadFile, dest_dir: Path, limit_mb: int) -> Path:
    """Stream an upload to disk, refusing types Tuban cannot read and files over the limit."""
    name = file_name(Path(file.filename or "upload").name)  # clean, and short enough for a disk
    if Path(name).suffix.lower() not in ACCEPTED:
        raise InvalidValue(
            "只接受 .gpkg、.geojson、.kml、.csv、.xlsx，或打包为 .zip 的 Shapefile / FileGDB",
            file=name,
        )
    dest = dest_dir / name
    size = 0
    with dest.open("wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > limit_mb << 20:
                raise InvalidValue(f"文件超过 {limit_mb} MB 上限", file=name)
            out.write(chunk)
    return dest


@dataclass(frozen=True)
class ImportForm:
    """What an import form says besides its file, checked: the batch and the read options."""

    meta: BatchMeta
    layer: str | None
    encoding: str | None
    crs: str | None
    field_map: dict[str, str] | None
    accept_partial: bool

    def options(self) -> dict[str, Any]:
        """The read options as keyword arguments of ``storage.imports.import_file``."""
        return {
            "layer": self.layer,
            "encoding": self.encoding,
            "crs": self.crs,
            "field_map": self.field_map,
            "accept_partial": self.accept_partial,
        }


def import_form(
    programme: Annotated[Programme, Form()],
    period: Annotated[str, Form(min_length=4, max_length=16)],
    authority: Annotated[str, Form(min_length=1, max_length=200)],
    issued_on: Annotated[date, Form()],
    due_on: Annotated[date, Form()],
    layer: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form(description="override, e.g. EPSG:4527")] = None,
    field_map: Annotated[
        str | None,
        Form(
            max_length=4000,
            description='lines of 标准字段: 源字段 (图斑编号: 编号), or JSON {"图斑编号": "编号"}',
        ),
    ] = None,
    accept_partial: Annotated[bool, Form()] = False,
) -> ImportForm:
    """The import form's fields, checked (the due date not before the issue date, …)."""
    mapping = _field_map(field_map)
    meta = BatchMeta(programme, period.strip(), authority.strip(), issued_on, due_on)
    meta.validate()  # before a large upload is taken in, not once its job has run
    return ImportForm(meta, layer, encoding, crs, mapping, accept_partial)


ImportFormDep = Annotated[ImportForm, Depends(import_form)]
UploadDep = Annotated[UploadFile, File(description=".gpkg / .geojson / .kml / .csv / .xlsx / .zip")]
Importer = Annotated[User, Depends(require(Role.ADMIN))]


@router.post("", status_code=201, operation_id="batches-import", responses=errors(400, 403, 409))
async def import_batch(
    admin: Importer,
    store: StoreDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: UploadDep,
    form: ImportFormDep,
) -> BatchImported:
    """Import a file of issued 图斑 as a new batch (admin only).

    Nothing is stored unless the whole file is read and checked; rows that fail the checks refuse
    the file (400, listed in ``details``) unless ``accept_partial`` imports the good rows and
    reports the rest. The same file again for the same programme and period returns the stored
    batch with ``created`` false; another file of the same name for the same programme and period
    gets 409. Files over the upload limit or of an unreadable type get 400. A large file is
    better imported as a job (``POST /api/jobs/import``), which shows its progress.
    """
    with tempfile.TemporaryDirectory(prefix="tuban-upload-") as tmp:
        dest = await save_upload(file, Path(tmp), settings.max_upload_mb)
        row, created = import_file(
            store,
            dest,
            form.meta,
            actor=admin.actor,
            now=clock(),
            jurisdiction=settings.jurisdiction(),
            workers=settings.import_workers,
            chunk_rows=settings.import_chunk_rows,
            **form.options(),
        )
    return BatchImported(
        **BatchPublic.from_row(row).model_dump(), created=created, report=row.get("report")
    )


def _field_map(text: str | None) -> dict[str, str] | None:
    if not text or not text.strip():
        return None
    return parse_field_map(text, source="field_map")


@router.get(
    "/{batch_id}/report",
    operation_id="batches-report",
    response_model_exclude_unset=True,
    responses=errors(403),
)
def batch_report(batch_id: int, store: StoreDep, user: SeesEverything) -> ImportReportPublic:
    """The import report stored with the batch (empty for a batch imported without one); 403 for
    a verifier, since it names every 图斑 of the file."""
    return ImportReportPublic.model_validate(store.get_batch(batch_id).get("report") or {})


@router.get(
    "/{batch_id}/report.html",
    operation_id="batches-report-html",
    response_class=HTMLResponse,
    responses=errors(403),
)
def batch_report_html(batch_id: int, store: StoreDep, user: SeesEverything) -> HTMLResponse:
    """The batch's import report as an HTML page; 404 when the batch has none, 403 for a
    verifier."""
    from geo.report import ImportReport

    rep = store.get_batch(batch_id).get("report")
    if not rep:
        raise NotFound("该批次没有导入报告", batch_id=batch_id)
    return HTMLResponse(ImportReport.from_dict(rep).to_html())


@router.get("/{batch_id}", operation_id="batches-get")
def get_batch(batch_id: int, store: StoreDep) -> BatchPublic:
    """One batch by id; 404 when there is none."""
    return BatchPublic.from_row(store.get_batch(batch_id))


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` as four floats (None when empty); InvalidValue when it does
    not parse or a minimum exceeds its maximum."""
    if not bbox:
        return None
    try:
        minx, miny, maxx, maxy = (float(x) for x in bbox.split(","))
    except ValueError:
        raise InvalidValue("bbox 应为 minlon,minlat,maxlon,maxlat", field="bbox") from None
    if minx > maxx or miny > maxy:
        raise InvalidValue("bbox 的最小值大于最大值", field="bbox")
    return minx, miny, maxx, maxy


def _csv(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


# The columns of ``cases`` a feature is made of (its properties, id and geometry): the map reads
# only these, not the whole case row.
FEATURE_COLUMNS = (
    "id",
    "batch_id",
    "programme",
    "code",
    "xzqdm",
    "state",
    "judgment",
    "area_m2",
    "area_mu",
    "version",
    *FEATURE_HINTS,
    GEOJSON_TEXT,
)
# Looked up once per feature: a dict is several times cheaper than the enum's constructor.
_STATE_LABELS = {s.value: s.label for s in State}
_JUDGMENT_LABELS = {j.value: j.label for j in Judgment}


def feature_properties(r: dict[str, Any]) -> dict[str, Any]:
    """What travels with each feature: its case, labels, and the hints used for styling."""
    judgment = r["judgment"] or None
    return {
        "case_id": r["id"],
        "batch_id": r["batch_id"],
        "programme": r["programme"],
        "code": r["code"],
        "xzqdm": r["xzqdm"],
        "state": r["state"],
        "state_label": _STATE_LABELS[r["state"]],
        "judgment": judgment,
        "judgment_label": _JUDGMENT_LABELS[judgment] if judgment else None,
        "area_m2": r["area_m2"],
        "area_mu": r["area_mu"],
        "version": r["version"],
        # FEATURE_HINTS written out: a comprehension over them took more than half this time.
        "township_name": r.get("township_name"),
        "village_name": r.get("village_name"),
        "permit_relation": r.get("permit_relation"),
        "approval_share": r.get("approval_share"),
        "farmland_m2": r.get("farmland_m2"),
        "outside_share": r.get("outside_share"),
        "reissue_of_batch": r.get("reissue_of_batch"),
    }


def geojson_page(
    request: Request,
    geometries: Sequence[str | None],
    properties: list[dict[str, Any]],
    *,
    ids: list[int] | None,
    matched: int | None,
    limit: int,
    offset: int,
    counted_upto: int | None = None,
) -> Response:
    """One page of features in the OGC API - Features style: numberMatched, numberReturned and
    a ``next`` link (also as ``next``, like every other list of the API; null on the last).
    ``geometries`` are GeoJSON texts (``api.geojson.geometry_texts`` for shapely ones).

    ``matched`` None means more than ``counted_upto`` match: numberMatched is then left out
    (OGC makes it optional) and ``numberMatchedAbove`` says what was counted.
    """
    nxt = None
    if 0 < limit and (matched is None or offset + limit < matched):
        nxt = str(request.url.include_query_params(limit=limit, offset=offset + limit))
    links = [{"rel": "next", "type": GEOJSON, "href": nxt}] if nxt else []
    counted = {"numberMatched": matched} if matched is not None else {}
    if matched is None:
        counted["numberMatchedAbove"] = counted_upto
    members = {
        **counted,
        "numberReturned": len(properties),
        "limit": limit,
        "offset": offset,
        "next": nxt,
        "links": links,
    }
    body = feature_collection_text(geometries, properties, ids=ids, members=members)
    return Response(body, media_type=GEOJSON)


@router.get(
    "/{batch_id}/features",
    operation_id="batches-features",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **errors(400)},
)
def features(
    batch_id: int,
    request: Request,
    services: ServicesDep,
    settings: SettingsDep,
    scope: ScopeDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    state: Annotated[str | None, Query(description="states, comma-separated")] = None,
    township: Annotated[str | None, Query(description="township codes, comma-separated")] = None,
    limit: Annotated[int | None, Query(ge=0, le=MAX_FEATURES, description=LIMIT_HELP)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The batch's 图斑 meeting bbox and the filters, as GeoJSON, a page at a time.

    A page holds ``limit`` features (default: the server's feature_limit); ``next`` links the
    following page, so a client can read every feature of a view. ``numberMatched`` says how
    many meet the query in all when that is at most feature_limit (or offset + limit, if
    larger); above it the count stops and only ``numberMatchedAbove`` is given, so a map
    looking at the whole county learns it must zoom in at the cost of counting feature_limit
    rows (``limit=0`` asks only that, from the spatial index, without touching a geometry). A
    verifier's map shows only what is assigned to them.
    """
    cap = settings.feature_limit if limit is None else limit
    where = FeatureFilter(
        bbox=parse_bbox(bbox),
        states=_csv(state),
        townships=_csv(township),
        scope=scope,
    )
    # Counted on the spatial index, no further than needed; geometries read for this page only.
    upto = max(settings.feature_limit, offset + cap)
    rows, matched = services.map.page(
        batch_id=batch_id,
        where=where,
        limit=cap,
        offset=offset,
        count_upto=upto,
        columns=FEATURE_COLUMNS,
    )
    return geojson_page(
        request,
        [r[GEOJSON_TEXT] for r in rows],
        [feature_properties(r) for r in rows],
        ids=[r["id"] for r in rows],
        matched=matched,
        limit=cap,
        offset=offset,
        counted_upto=upto,
    )
