"""The demo: load the sample 丰润区 batches, then play a seeded, plausible 2019 work history.

The history is synthetic and labelled so (every actor name ends in “（示例）”). It exists so the
goal tables show meaningful live values on first start, while leaving open 图斑 — most of the
latest quarter's batches — for a newcomer to verify on the map. The demo runs on a clock that
starts in late 2019 (``DEMO_CLOCK``): the history ends the day before, batches the province had
not issued by then are not loaded, and the latest quarter is in progress, some of it overdue.

After the 卫片 history comes a year of 动态巡查 findings and reports with their quick response
(``play_patrol``, from the file sample_data/patrol.py writes): most done, some late, the latest
still open, two with their stop orders due on the clock's first day.
"""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import shapely

from geo import testing
from geo.batch import BatchMeta
from geo.localtime import LOCAL_TZ, local_today
from geo.model import Programme, State
from geo.patrol import parse_finding
from runtime.clock import RunningClock
from runtime.compose import Clock, Services, utc_now
from runtime.settings import REPO_ROOT
from storage.expenditures import ExpenditureStore
from storage.goalbooks import GoalBookStore
from storage.imports import import_file, import_reference
from storage.indicator_notes import NoteStore
from storage.patrol import PatrolStore
from storage.photo_store import PhotoStore
from storage.reporting import QUARTER_ENDS, take_snapshot
from storage.repository import CaseStore
from storage.users import UserStore

MANIFEST = REPO_ROOT / "sample_data" / "fengrun" / "batches.json"
REF_MANIFEST = REPO_ROOT / "sample_data" / "fengrun" / "reference_layers.json"
# 动态巡查: a year of findings and reports with what was done about them (sample_data/patrol.py).
PATROL_SAMPLE = REPO_ROOT / "sample_data" / "fengrun" / "patrol" / "patrol_2019.geojson"
VERIFIERS = ["王磊（示例）", "李娜（示例）", "张伟（示例）"]
OFFICERS = ["赵强（示例）", "陈静（示例）"]
REVIEWER = "孙丽（示例）"
# The demo's clock starts here (Beijing time): 2019Q3's batches are being worked, the mining one
# just past its due day, the land one and the 变更调查 still ahead of theirs.
DEMO_CLOCK = datetime(2019, 11, 20, 10, 0, tzinfo=LOCAL_TZ)


def with_demo_clock(services: Services, start: datetime | None = None) -> Services:
    """``services`` on a clock starting at ``start`` (else the settings' TUBAN_CLOCK, else
    ``DEMO_CLOCK``), or just after the store's latest event if that is later, so a demo
    restarted after some work never records an event before an earlier one."""
    start = start or services.settings.clock or DEMO_CLOCK
    latest = services.cases.last_event_at()
    if latest is not None and latest >= start:
        start = latest + timedelta(minutes=1)
    settings = services.settings.model_copy(update={"clock": start})
    return dataclasses.replace(services, settings=settings, clock=RunningClock(start))


def load_references(
    store: CaseStore, manifest: Path = REF_MANIFEST, *, clock: Clock = utc_now
) -> list[tuple[dict, bool]]:
    """Import the sample reference layers (boundaries first: they define the county)."""
    if not manifest.exists():
        return []
    items = json.loads(manifest.read_text(encoding="utf-8"))
    first = {"township": 0, "village": 1}
    out = []
    for item in sorted(items, key=lambda i: first.get(i["kind"], 2)):
        row, created, _ = import_reference(
            store,
            manifest.parent.parent / item["path"],
            item["kind"],
            name=item["name"],
            version=str(item["version"]),
            actor="demo",
            now=clock(),
            layer=item.get("layer"),
        )
        out.append((row, created))
    return out


def load_batches(
    store: CaseStore, manifest: Path = MANIFEST, *, clock: Clock = utc_now
) -> list[tuple[dict, bool]]:
    """Import every batch of the sample manifest the province had issued by the clock's day
    (idempotent); return (batch, created) pairs."""
    out = []
    today = local_today(clock())
    for item in json.loads(manifest.read_text(encoding="utf-8")):
        if date.fromisoformat(item["issued_on"]) > today:
            continue
        meta = BatchMeta(
            Programme(item["programme"]),
            item["period"],
            item["authority"],
            date.fromisoformat(item["issued_on"]),
            date.fromisoformat(item["due_on"]),
        )
        out.append(
            import_file(
                store,
                manifest.parent.parent / item["path"],
                meta,
                actor="demo",
                now=clock(),
                layer=item.get("layer"),
            )
        )
    return out


def not_yet_issued(manifest: Path = MANIFEST, *, clock: Clock = utc_now) -> list[str]:
    """The manifest's batches the province issues after the clock's day (period and programme),
    which ``load_batches`` leaves out."""
    today = local_today(clock())
    return [
        f"{item['period']} {Programme(item['programme']).label}"
        for item in json.loads(manifest.read_text(encoding="utf-8"))
        if date.fromisoformat(item["issued_on"]) > today
    ]


def _at(day: date, rng: np.random.Generator) -> datetime:
    """A working-hours moment on ``day``, local time, as UTC."""
    t = time(int(rng.integers(8, 18)), int(rng.integers(0, 60)))
    return datetime.combine(day, t, LOCAL_TZ).astimezone(UTC)


class _Later(Exception):
    """The case's next step falls on or after the demo's today: it has not happened yet."""


class _Case:
    """Plays actions on one case with increasing version and working-day timestamps, up to the
    day before ``until``."""

    def __init__(
        self, store: CaseStore, cid: int, rng: np.random.Generator, until: date | None = None
    ) -> None:
        self.store, self.cid, self.rng, self.v, self.until = store, cid, rng, 0, until

    def _not_yet(self, on: date) -> None:
        if self.until is not None and on >= self.until:
            raise _Later

    def act(self, action: str, who: str, on: date, **payload: object) -> None:
        self._not_yet(on)
        self.store.apply_action(
            self.cid,
            action,
            actor=who,
            payload=payload,
            expected_version=self.v,
            now=_at(on, self.rng),
        )
        self.v += 1

    def photo(self, photos: PhotoStore, geom: object, who: str, on: date, k: int) -> None:
        self._not_yet(on)
        c = shapely.from_wkb(geom).centroid
        # A few metres off the centroid, facing it: what a careful verifier would shoot.
        data = testing.jpeg(
            lon=c.x - 0.0002 * (k + 1), lat=c.y, direction=90, taken=f"{on:%Y:%m:%d} 10:{10 + k}:00"
        )
        photos.add(
            self.cid,
            data,
            f"IMG_{self.cid:05d}_{k}.jpg",
            actor=who,
            now=_at(on, self.rng),
            expected_version=self.v,
        )
        self.v += 1


def _reason(judgment: str, mining: bool, row: dict, rng: np.random.Generator) -> str:
    """A plausible controlled reason, consistent with the automatic hints where they speak."""
    if judgment == "illegal":
        if mining:
            return {"partly_outside": "beyond_boundary_mining"}.get(
                row.get("permit_relation"),
                str(rng.choice(["unlicensed_mining", "mining_under_exploration"])),
            )
        share = row.get("approval_share") or 0
        return (
            "exceed_approval"
            if 0 < share < 1
            else str(rng.choice(["built_before_approval", "illegal_occupation", "farmland_damage"]))
        )
    if judgment == "legal":
        if mining:
            return "permitted_mining"
        return (
            "approved"
            if (row.get("approval_share") or 0) >= 0.999
            else str(rng.choice(["facility_farmland", "temporary_use", "pre_existing"]))
        )
    return str(rng.choice(["pseudo_change", "agri_restructure", "unchanged"]))


def _weipian(
    store: CaseStore,
    row: dict,
    batch: dict,
    rng: np.random.Generator,
    *,
    in_progress: bool,
    until: date | None,
) -> None:
    """One 卫片 case's history; ``in_progress``: of the quarter being worked (mostly open)."""
    cid = row["id"]
    issued, due = batch["issued_on"], batch["due_on"]
    if rng.random() > (0.35 if in_progress else 0.94):
        return
    window = (due - issued).days
    day = issued + timedelta(days=int(rng.integers(3, window + 12)))  # some are late
    mining = batch["programme"] == Programme.MINING.value
    # Land 卫片 are rarely illegal in a county that watches its 耕地; at this rate the demo's
    # 违法占用耕地 share lands just past 令第15号's 15% line, so the alarm can be seen.
    judgment = str(
        rng.choice(
            ["illegal", "legal", "other"], p=[0.35, 0.45, 0.20] if mining else [0.065, 0.735, 0.20]
        )
    )
    c = _Case(store, cid, rng, until)
    verifier, reviewer = str(rng.choice(VERIFIERS)), REVIEWER
    reason = _reason(judgment, mining, row, rng)
    c.act("verify", verifier, day, judgment=judgment, reason=reason)
    if in_progress and rng.random() < 0.5:
        return  # awaiting review
    day += timedelta(days=int(rng.integers(1, 6)))
    if rng.random() < 0.12:  # returned once, verified again
        c.act("return_verification", reviewer, day, reason="照片未反映图斑全貌，请补拍")
        day += timedelta(days=int(rng.integers(2, 8)))
        c.act("verify", verifier, day, judgment=judgment, reason=reason)
        day += timedelta(days=2)
    c.act("approve", reviewer, day)
    officer = str(rng.choice(OFFICERS))
    if judgment != "illegal":
        if rng.random() < 0.7:
            c.act("close", reviewer, day + timedelta(days=int(rng.integers(2, 15))))
        return
    if in_progress or rng.random() > 0.9:
        return
    day += timedelta(days=int(rng.integers(5, 21)))
    c.act(
        "file",
        officer,
        day,
        case_no=f"丰国土资罚〔{day.year}〕{cid:03d}号",
        filed_on=day.isoformat(),
        offender="某采石场" if mining else "某村民委员会",
    )
    if rng.random() > 0.75:
        return
    day += timedelta(days=int(rng.integers(10, 40)))
    fine = float(rng.integers(5, 200)) * 1000
    receipt = f"HB{day.year}{cid:06d}" if rng.random() < 0.85 else None
    c.act(
        "penalise",
        officer,
        day,
        decision_no=f"丰国土资罚决〔{day.year}〕{cid:03d}号",
        fine_yuan=fine,
        receipt_no=receipt,
        paid_on=day.isoformat() if receipt else None,
    )
    if rng.random() > 0.6:
        return
    day += timedelta(days=int(rng.integers(15, 60)))
    c.act("rectify", officer, day, rectified_on=day.isoformat(), note="已拆除复垦")
    if rng.random() < 0.7:
        c.act("close", reviewer, day + timedelta(days=int(rng.integers(3, 20))))


def _change_survey(
    store: CaseStore,
    photos: PhotoStore,
    row: dict,
    batch: dict,
    rng: np.random.Generator,
    *,
    until: date | None,
) -> None:
    if rng.random() > 0.85:
        return
    day = batch["issued_on"] + timedelta(days=int(rng.integers(10, 70)))
    who = str(rng.choice(VERIFIERS))
    attrs = row["attributes"]
    classes = {
        "land_class_before": attrs.get("前时相地类"),
        "land_class_after": attrs.get("后时相地类"),
    }
    c = _Case(store, row["id"], rng, until)
    c.act("collect_evidence", who, day, **classes)
    for k in range(2):
        c.photo(photos, row["geom"], who, day, k)
    if rng.random() > 0.85:
        return
    day = max(day, batch["due_on"] - timedelta(days=int(rng.integers(-5, 20))))
    c.act("submit", REVIEWER, day)
    day += timedelta(days=int(rng.integers(20, 45)))
    if rng.random() < 0.86:
        c.act("pass", REVIEWER, day)
        return
    c.act("return", REVIEWER, day, reason="举证照片与图斑位置不符")
    if rng.random() < 0.5:
        c.act("collect_evidence", who, day + timedelta(days=5), **classes)


def play_history(services: Services, seed: int = 2019) -> int:
    """Apply a seeded synthetic 2019 history to a freshly loaded demo store; return events added.

    The 卫片 and 变更调查 history comes from ``seed``; the 动态巡查 sample after it is a file of
    its own (``play_patrol``). Besides the case events this stores the 2019 goal tables and
    records the year's spending and a few notes beside goal-table rows (they are not case
    events).
    """
    rng = np.random.default_rng(seed)
    store, photos = services.cases, services.photos
    until = local_today(services.clock())  # nothing happens on or after the clock's day
    load_goal_books(services.goal_books, clock=services.clock)
    record_spending(services.expenditures, until=until)
    record_notes(services.notes(), until=until)
    before = store.counts()["events"]
    batches = store.list_batches()
    weipian = [b for b in batches if b["programme"] != Programme.CHANGE_SURVEY.value]
    # The quarter being worked: the latest issued (2019Q3 on the demo clock, Q4 on today's).
    latest = max((b["issued_on"] for b in weipian), default=until)
    for batch in batches:
        for row in store.features(batch["id"]):
            if row.get("reissue_of_batch"):  # a re-issued 图斑: its case was played already
                continue
            try:
                if batch["programme"] == Programme.CHANGE_SURVEY.value:
                    _change_survey(store, photos, row, batch, rng, until=until)
                else:
                    current = batch["issued_on"] >= latest - timedelta(days=14)
                    _weipian(store, row, batch, rng, in_progress=current, until=until)
            except _Later:
                continue  # its next step lies ahead of the demo's today
    play_patrol(services, until=until)
    take_quarter_snapshots(services, until=until)
    return store.counts()["events"] - before


# What a finding that joins the open case at its site leaves to that case's 立案.
_LEFT_TO_THE_SITE = frozenset(
    {"penalise", "rectify", "close", "watch", "reinspect", "reinspect_active"}
)


class _Patrol:
    """Plays one patrol case's planned steps at their instants, up to the day before ``until``."""

    def __init__(self, services: Services, made: dict, until: date | None) -> None:
        self.services, self.cid, self.v = services, made["case_id"], made["version"]
        self.linked, self.until, self.photos = made["linked_case_id"], until, 0

    def play(self, steps: list[dict]) -> None:
        """Every step before ``until``; a case joined to an open case at its site (it was
        already being handled there) is filed into that case's 立案, whose penalty and
        closure then cover it, or waits while that case is not filed yet."""
        filed_with = None
        if self.linked is not None:
            filed_with = self.services.cases.get_case_row(self.linked)["case_no"]
        for step in steps:
            at = datetime.fromisoformat(step["at"])
            if self.until is not None and local_today(at) >= self.until:
                return
            action, payload = step["action"], step.get("payload", {})
            if self.linked is not None and action in _LEFT_TO_THE_SITE:
                continue
            if self.linked is not None and action == "file":
                if filed_with is None:
                    continue
                payload = {"case_no": filed_with, "filed_on": payload["filed_on"]}
            if action == "add_photo":
                self.photo(step["by"], at, step["photo"])
            else:
                self.act(action, step["by"], at, payload)

    def act(self, action: str, who: str, at: datetime, payload: dict) -> None:
        """One workflow action, recorded at ``at``."""
        case = self.services.cases.apply_action(
            self.cid, action, actor=who, payload=payload, expected_version=self.v, now=at
        )
        self.v = case.version

    def photo(self, who: str, at: datetime, shot: dict) -> None:
        """A photo with the position, direction and time its EXIF says it was taken at."""
        data = testing.jpeg(
            lon=shot["lon"], lat=shot["lat"], direction=shot["direction"], taken=shot["taken"]
        )
        self.photos += 1
        self.services.photos.add(
            self.cid,
            data,
            f"IMG_XC_{self.cid:05d}_{self.photos}.jpg",
            actor=who,
            now=at,
            expected_version=self.v,
        )
        self.v += 1


def play_patrol(
    services: Services, *, until: date | None = None, path: Path = PATROL_SAMPLE
) -> int:
    """Record the sample's patrol findings and reports (动态巡查) as the phone and the desk
    would, then play what was done about each, up to the day before ``until``; returns how
    many cases were made.

    Everything goes through the store's own code: the finding is parsed like a form
    (``geo.patrol.parse_finding``) and recorded by ``PatrolStore.create`` (township, hints and
    site matching from the store), each step by ``CaseStore.apply_action`` or
    ``PhotoStore.add`` at its planned instant.
    """
    if not path.exists():
        return 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    patrol = PatrolStore(services.engine)
    made = 0
    earlier: list[tuple[str, int]] = []
    for feature in doc["features"]:
        p = feature["properties"]
        recorded = datetime.fromisoformat(p["recorded_at"])
        if until is not None and local_today(recorded) >= until:
            continue
        form = {
            **{k: p[k] for k in ("source", "violation", "found_at", "note")},
            **(p["report"] or {}),
            "geometry": feature["geometry"],
        }
        finding = parse_finding(form, now=recorded)
        case = patrol.create(finding, actor=p["recorded_by"], now=recorded)
        _Patrol(services, case, until).play(p["steps"])
        made += 1
        if (p.get("weipian_site") or {}).get("found") == "before":
            earlier.append((p["weipian_site"]["code"], case["case_id"]))
    _already_handled(services, earlier, until)
    return made


_DONE = (State.RECTIFIED.value, State.CLOSED.value)
# The 2019Q3 图斑 over sites patrol had found before the imagery showed them are verified on
# these days (working days after the batch's issue on 2019-10-15), one each.
_ANSWERED_ON = ("2019-10-17T10:20", "2019-10-21T15:05", "2019-10-24T09:40", "2019-10-29T14:30")


def _already_handled(services: Services, sites: list[tuple[str, int]], until: date | None) -> None:
    """Answer the quarter's 图斑 that show a site patrol had found earlier: 违法, 已查处 — the
    图斑 joins the patrol case at its site (``already_handled``), so the site is one story and
    is counted once. Only a 图斑 still waiting for its verification, at a case still open."""
    for i, (code, patrol_case) in enumerate(sites):
        at = datetime.fromisoformat(_ANSWERED_ON[i % len(_ANSWERED_ON)]).replace(tzinfo=LOCAL_TZ)
        if until is not None and local_today(at) >= until:
            continue
        row = services.cases.case_by_code(Programme.MINING.value, code)
        if row is None or row["state"] != State.ISSUED.value:
            continue
        if services.cases.get_case_row(patrol_case)["state"] in _DONE:
            continue
        services.cases.apply_action(
            row["id"],
            "verify",
            actor=VERIFIERS[i % len(VERIFIERS)],
            payload={
                "judgment": "illegal",
                "reason": "already_handled",
                "note": "巡查已发现并立案查处（示例）",
            },  # fmt: skip
            expected_version=row["version"],
            now=at,
        )


QUARTER_LABELS = ("第一季度", "第二季度", "第三季度")


def take_quarter_snapshots(
    services: Services, year: int = 2019, *, until: date | None = None
) -> int:
    """Freeze the values at the first three quarter ends (those reported before ``until``), as
    the bureau does when it reports, so the demo shows frozen figures and how the live ones
    moved on since."""
    book, version = services.goal_books.latest(year)
    snapshots = services.snapshots
    have = {s["label"] for s in snapshots.list(year)}
    source = services.indicators
    taken = 0
    for (m, d), name in zip(QUARTER_ENDS, QUARTER_LABELS, strict=False):
        label = f"{year}年{name}（示例）"
        if label in have:
            continue
        end = date(year, m, d)
        if until is not None and end + timedelta(days=5) >= until:
            continue
        take_snapshot(
            source,
            snapshots,
            book,
            goal_version=version,
            label=label,
            as_of=end,
            actor=BOOKKEEPER,
            now=datetime.combine(end + timedelta(days=5), time(9), LOCAL_TZ),
        )
        taken += 1
    return taken


GOALS_YAML = REPO_ROOT / "sample_data" / "goals" / "fengrun-2019.yaml"
BOOKKEEPER = "刘洋（示例）"

# 2019 spending (project, date, 元, purpose, voucher, corrects: index of the row it corrects).
# 矿山卫片执法 follows its 10/40/60/100% plan; 规划编制 pays after the June contract; 土地变更调查
# falls behind its “all by October” plan (the final payment waits for the provincial check).
SPENDING_2019: list[tuple[str, str, float, str, str | None, int | None]] = [
    ("mining_enforcement", "2019-03-15", 28500, "第三方监管服务费（一季度）", "记-2019-031", None),
    ("mining_enforcement", "2019-03-28", 3000, "外业车辆燃油", "记-2019-044", None),
    ("mining_enforcement", "2019-05-20", 45000, "卫片图斑现状测量（二季度）", "记-2019-097", None),
    ("mining_enforcement", "2019-06-12", 86000, "执法文书印制", "记-2019-118", None),
    (
        "mining_enforcement",
        "2019-06-14",
        -77400,
        "更正：执法文书印制应为 8600 元",
        "记-2019-121",
        3,
    ),
    ("mining_enforcement", "2019-06-25", 42000, "第三方监管服务费（二季度）", "记-2019-126", None),
    ("mining_enforcement", "2019-09-10", 30000, "卫片执法检查报告编制", "记-2019-188", None),
    ("mining_enforcement", "2019-10-20", 25000, "第三方监管服务费（三季度）", "记-2019-215", None),
    ("mining_enforcement", "2019-12-10", 85000, "第三方监管服务费（四季度）", "记-2019-262", None),
    ("mining_enforcement", "2019-12-25", 30000, "年度卫片执法检查报告", "记-2019-281", None),
    ("planning", "2019-07-05", 160000, "规划编制合同首付款（40%）", "记-2019-140", None),
    ("planning", "2019-11-28", 200000, "规划成果验收后付款", "记-2019-250", None),
    ("planning", "2019-12-20", 36000, "规划成果专家论证评审", "记-2019-275", None),
    ("land_change_survey", "2019-04-15", 60000, "变更调查作业预付款", "记-2019-072", None),
    ("land_change_survey", "2019-09-30", 90000, "监测图斑外业举证", "记-2019-201", None),
    ("land_change_survey", "2019-12-20", 120000, "省级检查通过后付尾款", "记-2019-276", None),
]


def load_goal_books(
    books: GoalBookStore, path: Path = GOALS_YAML, *, clock: Clock = utc_now
) -> tuple[int, int, bool]:
    """Store the sample goal tables (a no-op when the same document is already the latest)."""
    return books.import_file(path, actor="demo", now=clock())


def record_spending(spend: ExpenditureStore, year: int = 2019, *, until: date | None = None) -> int:
    """Record the sample spending once, up to the day before ``until`` (nothing when the year
    already has spending)."""
    if spend.list(year):
        return 0
    ids: dict[int, int] = {}  # SPENDING_2019 index → recorded id
    for i, (project, on, amount, purpose, voucher, corrects) in enumerate(SPENDING_2019):
        day = date.fromisoformat(on)
        if until is not None and day >= until:
            continue
        row = spend.add(
            year,
            project,
            day,
            amount,
            f"{purpose}（示例）",
            voucher,
            None if corrects is None else ids[corrects],
            actor=BOOKKEEPER,
            now=datetime.combine(day, time(16, 30), LOCAL_TZ).astimezone(UTC),
        )
        ids[i] = row["id"]
    return len(ids)


def evidence_png() -> bytes:
    """A small bar chart standing in for a scanned 满意度回访汇总表 (five answers of ten)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 140), "white")
    draw = ImageDraw.Draw(img)
    for i, n in enumerate([9, 10, 8, 10, 9]):
        x = 20 + 42 * i
        draw.rectangle([x, 125 - 10 * n, x + 28, 125], fill=(46, 110, 180))
    draw.line([12, 125, 230, 125], fill="black")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def record_notes(notes: NoteStore, year: int = 2019, *, until: date | None = None) -> int:
    """A few notes beside goal-table rows: 满意度 actual values, one with evidence, a reason;
    written at the year's end, or the day before ``until`` when that is earlier."""
    if notes.current(year, "mining_enforcement"):
        return 0
    day = date(year, 12, 27)
    if until is not None:
        day = min(day, until - timedelta(days=1))
    now = datetime.combine(day, time(10), LOCAL_TZ).astimezone(UTC)
    notes.put(
        year,
        "mining_enforcement",
        6,
        actual_text=(
            "全年违法案件均依法处理，未发生行政复议或诉讼；回访 10 家单位，满意 9 家（示例）"
        ),
        actor=BOOKKEEPER,
        now=now,
    )
    notes.add_evidence(
        year,
        "mining_enforcement",
        6,
        evidence_png(),
        "满意度回访汇总（示例）.png",
        actor=BOOKKEEPER,
        now=now,
    )
    notes.put(
        year,
        "land_change_survey",
        1,
        reason="部分监测图斑举证照片与图斑位置不符，被省级退回后重新举证（示例）",
        actor=BOOKKEEPER,
        now=now,
    )
    notes.put(
        year,
        "planning",
        5,
        actual_text="成果已在各乡镇备案，用于指导空心村建设（示例）",
        actor=BOOKKEEPER,
        now=now,
    )
    return 3


DEMO_USERS = [
    ("admin", "管理员", "tuban-admin", ["admin"]),
    ("hecha", "外业核查员", "tuban-hecha", ["verifier"]),
    ("zhifa", "执法人员", "tuban-zhifa", ["enforcer"]),
    ("shenhe", "审核人", "tuban-shenhe", ["reviewer"]),
    ("tongji", "统计员", "tuban-tongji", ["viewer"]),
]


def create_users(
    users: UserStore, townships: list[str], *, clock: Clock = utc_now
) -> list[tuple[str, str, str]]:
    """The demo's accounts (only when the store has none); returns (username, password, roles)."""
    if users.list():
        return []
    now = clock()
    out = []
    for username, name, password, roles in DEMO_USERS:
        towns = townships if "verifier" in roles else []
        users.add(
            username=username,
            display_name=name,
            password=password,
            roles=roles,
            townships=towns,
            by="demo",
            now=now,
        )
        out.append((username, password, name))
    return out
