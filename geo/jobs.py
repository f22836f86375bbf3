"""Background jobs: their kinds, states and parameters, as words and rules without a queue.

A job is long work asked for by a user (a large import, a year's report file, re-counting the
indicators) that runs outside the request on a worker. Its record (``storage.jobs``) says where
it stands; the queue (``runtime.jobs``) only carries its id to a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from geo.errors import Conflict, InvalidValue


class JobKind(StrEnum):
    """What a job does."""

    IMPORT = "import"
    REPORT = "report"
    REBUILD_COUNTS = "rebuild_counts"

    @property
    def label(self) -> str:
        """The zh-CN name shown to users."""
        return KIND_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English name."""
        return KIND_LABELS[self][1]


class JobState(StrEnum):
    """Where a job stands: queued → running → succeeded / failed / cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The zh-CN name shown to users."""
        return STATE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English name."""
        return STATE_LABELS[self][1]

    @property
    def final(self) -> bool:
        """Whether the job has ended (it never changes state again)."""
        return self in FINAL


KIND_LABELS = {
    JobKind.IMPORT: ("导入图斑", "Import polygons"),
    JobKind.REPORT: ("生成报表", "Build report"),
    JobKind.REBUILD_COUNTS: ("重算指标", "Recount indicators"),
}
STATE_LABELS = {
    JobState.QUEUED: ("排队中", "Queued"),
    JobState.RUNNING: ("运行中", "Running"),
    JobState.SUCCEEDED: ("已完成", "Succeeded"),
    JobState.FAILED: ("失败", "Failed"),
    JobState.CANCELLED: ("已取消", "Cancelled"),
}
FINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})

# The stages an import reports through its Progress callback (storage.imports), in order, with
# the share of the whole each one starts at: reading and writing a large file take the longest.
IMPORT_STAGES: dict[str, tuple[float, str]] = {
    "读取": (0.0, "Reading"),
    "校验": (0.3, "Checking"),
    "预判": (0.4, "Pre-judging"),
    "写入": (0.6, "Writing"),
}
STAGE_SPAN = {"读取": 0.3, "校验": 0.1, "预判": 0.2, "写入": 0.4}
# The one stage of the other kinds.
REPORT_STAGE = "生成"
REBUILD_STAGE = "重算"
OTHER_STAGES = {REPORT_STAGE: "Building", REBUILD_STAGE: "Recounting"}

# Lengths of what a job row keeps: a stage's words and an error message shown to the user.
STAGE_MAX = 100
ERROR_MAX = 1000

# A running job's worker writes a heartbeat at least this often; one silent for STALE_AFTER is
# taken to have died (its process killed, its machine off).
HEARTBEAT_EVERY = timedelta(seconds=5)
STALE_AFTER = timedelta(seconds=60)
# On the worker's own host its pid tells: but a pid may be reused after a restart (a container's
# processes start at the same small pids), so a heartbeat silent this long fails the job too. It
# is long because SQLite keeps the job row locked while the import writes (no beat gets in).
STALE_ON_HOST = timedelta(minutes=30)

REPORT_FORMATS = ("xlsx", "html", "pdf", "docx")
REPORT_KINDS = ("self_evaluation", "targets")


class Cancelled(Exception):
    """Raised inside a running job when its cancel was asked for; the job's work is rolled back."""


def job_fraction(stage: str, done: int, total: int) -> float:
    """How far a job is, 0..1, from a Progress call (``stage``, ``done`` of ``total``): an
    import's stages each cover their share of the whole, any other stage the whole.

    >>> job_fraction("读取", 0, 1), job_fraction("写入", 50, 100), job_fraction("生成", 1, 2)
    (0.0, 0.8, 0.5)
    """
    part = min(1.0, max(0.0, done / total)) if total > 0 else 1.0
    if stage not in IMPORT_STAGES:
        return round(part, 4)
    return round(IMPORT_STAGES[stage][0] + STAGE_SPAN[stage] * part, 4)


def is_stale(heartbeat: datetime | None, now: datetime, after: timedelta = STALE_AFTER) -> bool:
    """Whether a running job's last heartbeat is too old (``after``) for its worker to be alive.

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> is_stale(t, t + timedelta(seconds=30)), is_stale(t, t + timedelta(minutes=2))
    (False, True)
    """
    return heartbeat is None or now - heartbeat > after


def check_cancellable(state: JobState) -> None:
    """Conflict unless a job in ``state`` may still be cancelled."""
    if state.final:
        raise Conflict(f"任务已{state.label}，不能取消", state=state.value)


@dataclass(frozen=True)
class ReportParams:
    """A report file to build: the year's goal table, its kind, the format, and as of a day."""

    year: int
    fmt: str = "xlsx"
    kind: str = "self_evaluation"
    as_of: date | None = None

    def __post_init__(self) -> None:
        """Refuse a year, format or kind Tuban does not make."""
        if not 2000 <= self.year <= 2100:
            raise InvalidValue("年份应在 2000 至 2100 之间", field="year", value=self.year)
        if self.fmt not in REPORT_FORMATS:
            raise InvalidValue("报表格式应为 " + "/".join(REPORT_FORMATS), field="fmt")
        if self.kind not in REPORT_KINDS:
            raise InvalidValue("报表种类应为 " + "/".join(REPORT_KINDS), field="kind")

    def to_json(self) -> dict[str, Any]:
        """The parameters as stored with the job."""
        return {
            "year": self.year,
            "fmt": self.fmt,
            "kind": self.kind,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ReportParams:
        """Parameters read back from a job row (checked again: a row is not trusted)."""
        day = raw.get("as_of")
        return cls(
            year=int(raw["year"]),
            fmt=str(raw.get("fmt", "xlsx")),
            kind=str(raw.get("kind", "self_evaluation")),
            as_of=date.fromisoformat(day) if day else None,
        )


def clean_error(exc: BaseException) -> str:
    """What a failed job tells its owner: Tuban's own message (with its details, and a read
    option named as the web form names it, since jobs are submitted through the API), or a
    plain sentence for anything else (a traceback or a library's internals are for the log,
    not the user).

    >>> from geo.errors import InvalidValue
    >>> clean_error(InvalidValue("bad"))
    'bad'
    >>> clean_error(KeyError("x"))
    '任务出错（KeyError），详情见服务器日志'
    """
    from geo.errors import TubanError

    if isinstance(exc, TubanError):
        return exc.explained("web")[:ERROR_MAX]
    return f"任务出错（{type(exc).__name__}），详情见服务器日志"


def vocabulary() -> dict[str, Any]:
    """The job words for clients (GET /api/meta): kinds, states and import stages."""
    return {
        "kinds": [{"code": k.value, "label": k.label, "label_en": k.label_en} for k in JobKind],
        "states": [
            {"code": s.value, "label": s.label, "label_en": s.label_en, "final": s.final}
            for s in JobState
        ],
        "stages": [
            {"code": s, "label": s, "label_en": en}
            for s, en in [*((s, en) for s, (_, en) in IMPORT_STAGES.items()), *OTHER_STAGES.items()]
        ],
    }
