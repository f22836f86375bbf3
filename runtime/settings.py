"""Settings: every TUBAN_* environment variable, read here and nowhere else."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.crs import Jurisdiction

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOALS_DIR = REPO_ROOT / "sample_data" / "goals"


class Settings(BaseSettings):
    """Where data lives and what the server serves."""

    model_config = SettingsConfigDict(env_prefix="TUBAN_")

    database_url: str = "sqlite:///" + str(Path("tuban-data/tuban.sqlite").resolve())
    goals_dir: Path = DEFAULT_GOALS_DIR
    serve_webmap: bool = True
    # Request bodies, refused with 413 before they are read when the declared length is over and
    # cut off at the ceiling when none is declared: imports of a batch or reference layer, single
    # files (photos, evidence, province results), and every other (JSON) body.
    max_upload_mb: int = 200
    max_file_mb: int = 30
    max_json_kb: int = 1024
    # The county this installation serves: a CRS guessed for a file without one must put the
    # data here. A loaded township layer, when present, gives the exact extent instead.
    county_code: str = "130208"
    county_name: str = "丰润区"
    county_bbox: tuple[float, float, float, float] = (117.85, 39.55, 118.35, 40.10)
    reports_dir: Path = Path("tuban-data/reports")
    photos_dir: Path = Path("tuban-data/photos")
    # Web map. No basemap by default (offline); any XYZ or WMTS-KVP template with {z} {x} {y}
    # (and {s} with basemap_subdomains), e.g. 天地图 with the bureau's key. Each user may
    # override it in the browser (settings dialog, kept per user in localStorage).
    basemap_url: str | None = None
    basemap_attribution: str = ""
    basemap_subdomains: str = ""
    basemap_max_zoom: int = 18
    # An offline basemap the bureau supplies: one .mbtiles or .pmtiles file (raster png/jpg/webp
    # or vector pbf) served by Tuban itself at /api/basemap/{z}/{x}/{y}, and the web map's
    # default when set. Its path is never shown to a client.
    basemap_file: Path | None = None
    # Local tiles ({z}/{x}/{y}.png|jpg) served at /api/tiles/…, e.g. with basemap_url
    # "api/tiles/{z}/{x}/{y}.png".
    tiles_dir: Path | None = None
    # Before/after image chips named by relative paths in a 图斑's attributes
    # (前时相影像 / 后时相影像), served at /api/chips/….
    chips_dir: Path = Path("tuban-data/chips")
    # Batch-level imagery: {"2019Q3": {"before": "https://…/{z}/{x}/{y}", "after": "…"}} by period.
    imagery_tiles: dict[str, dict[str, str]] = {}
    # At most this many 图斑 per map request; above it the map asks to zoom in.
    feature_limit: int = 3000
    # Encoded vector tiles kept in memory by ETag (storage/tile_cache.py), MB; 0: none.
    tile_cache_mb: int = Field(256, ge=0, le=65536)
    # Processes for in-file duplicates and hints of a large import (0 or 1: none besides the
    # importer itself); unset lets the importer choose (one per core, up to 2).
    import_workers: int | None = None
    # A file with more 图斑 than this is imported a spatial chunk at a time (same result,
    # memory bounded whatever its size; storage/import_chunks.py).
    import_chunk_rows: int = Field(250_000, ge=1_000)
    # Logs are JSON lines on stderr (runtime/logging.py); the access log too unless a file is
    # named here.
    log_level: str = "INFO"
    # Threads serving the API's blocking endpoints (anyio's default is 40). Every request
    # holds the GIL for most of its work, so beyond a few per core threads only queue for it,
    # and their hand-offs cost more than the work (benchmarks/README.md, load benchmark).
    worker_threads: int = Field(8, ge=1)
    access_log: Path | None = None
    # Background jobs (runtime/jobs.py): the queue that carries them to a worker. Empty: a
    # SQLite file beside the store (no server needed); "redis://host:6379/0": Redis, for workers
    # on other machines (pip install redis; they must share jobs_dir); "memory": run each job at
    # once in the process that submits it (tests).
    job_queue: str = ""
    # Threads of `tuban serve` that run jobs in the server's own process (0: none, then
    # `tuban worker` must run beside it).
    job_workers: int = Field(1, ge=0, le=8)
    # A clock that starts at this instant and runs on with real time from server start (a demo
    # seen as of a day in 2019, runtime/clock.py); unset: the real clock, as deployments use.
    clock: datetime | None = None

    @field_validator("import_workers", mode="before")
    @classmethod
    def _workers(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return max(1, int(str(value).strip()))
        except ValueError:
            raise ValueError(f"TUBAN_IMPORT_WORKERS 应为整数，而不是 {value!r}") from None

    @field_validator("basemap_file", mode="before")
    @classmethod
    def _basemap_file(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if Path(str(value)).suffix.lower() not in (".mbtiles", ".pmtiles"):
            raise ValueError("TUBAN_BASEMAP_FILE 应为 .mbtiles 或 .pmtiles 文件")
        return value

    @field_validator("clock", mode="before")
    @classmethod
    def _no_clock(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("clock")
    @classmethod
    def _clock(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"TUBAN_CLOCK 应带时区，如 2019-11-20T10:00+08:00，而不是 {value}")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            wanted = "DEBUG/INFO/WARNING/ERROR/CRITICAL"
            raise ValueError(f"TUBAN_LOG_LEVEL 应为 {wanted}，而不是 {value!r}")
        return level

    def jurisdiction(self) -> Jurisdiction:
        """The county a CRS guess must land in."""
        return Jurisdiction(self.county_code, self.county_name, self.county_bbox)

    def evidence_dir(self) -> Path:
        """Evidence files of goal-table rows live beside the photos (tuban-data/evidence)."""
        return Path(self.photos_dir).parent / "evidence"

    def jobs_dir(self) -> Path:
        """Uploads waiting for their import job and finished report files (tuban-data/jobs)."""
        return Path(self.photos_dir).parent / "jobs"


def load_settings(db_file: Path | None = None) -> Settings:
    """Settings from the environment; with ``db_file``, that SQLite file and, beside it, the
    photos and reports belonging to it (the CLI's ``--db``)."""
    if db_file is None:
        return Settings()
    return Settings(
        database_url=f"sqlite:///{db_file.resolve()}",
        photos_dir=db_file.parent / "photos",
        reports_dir=db_file.parent / "reports",
    )
