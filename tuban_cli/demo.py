"""The demo: load the sample 丰润区 batches, then play a seeded, plausible 2019 work history.

The history is synthetic and labelled so (every actor name ends in “（示例）”). It exists so the
goal tables show meaningful live values on first start, while leaving open 图斑 — most of the
2019Q4 batches — for a newcomer to verify on the map.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from api.settings import REPO_ROOT
from geo import testing
from geo.model import Programme
from storage.imports import import_file, import_reference
from storage.photo_store import PhotoStore
from storage.repository import BatchMeta, CaseStore
from storage.users import UserStore

MANIFEST = REPO_ROOT / "sample_data" / "fengrun" / "batches.json"
REF_MANIFEST = REPO_ROOT / "sample_data" / "fengrun" / "reference_layers.json"
LOCAL = ZoneInfo("Asia/Shanghai")
VERIFIERS = ["王磊（示例）", "李娜（示例）", "张伟（示例）"]
OFFICERS = ["赵强（示例）", "陈静（示例）"]
REVIEWER = "孙丽（示例）"


def load_references(store: CaseStore, manifest: Path = REF_MANIFEST) -> list[tuple[dict, bool]]:
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
            now=datetime.now(UTC),
            layer=item.get("layer"),
        )
        out.append((row, created))
    return out


def load_batches(store: CaseStore, manifest: Path = MANIFEST) -> list[tuple[dict, bool]]:
    """Import every batch of the sample manifest (idempotent); return (batch, created) pairs."""
    out = []
    for item in json.loads(manifest.read_text(encoding="utf-8")):
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
                now=datetime.now(UTC),
                layer=item.get("layer"),
            )
        )
    return out


def _at(day: date, rng: np.random.Generator) -> datetime:
    """A working-hours moment on ``day``, local time, as UTC."""
    t = time(int(rng.integers(8, 18)), int(rng.integers(0, 60)))
    return datetime.combine(day, t, LOCAL).astimezone(UTC)


class _Case:
    """Plays actions on one case with increasing version and working-day timestamps."""

    def __init__(self, store: CaseStore, cid: int, rng: np.random.Generator) -> None:
        self.store, self.cid, self.rng, self.v = store, cid, rng, 0

    def act(self, action: str, who: str, on: date, **payload: object) -> None:
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


def _weipian(store: CaseStore, row: dict, batch: dict, rng: np.random.Generator) -> None:
    cid = row["id"]
    issued, due = batch["issued_on"], batch["due_on"]
    in_progress = batch["period"].endswith("Q4")  # the current quarter: mostly still open
    if rng.random() > (0.35 if in_progress else 0.94):
        return
    window = (due - issued).days
    day = issued + timedelta(days=int(rng.integers(3, window + 12)))  # some are late
    mining = batch["programme"] == Programme.MINING.value
    judgment = str(
        rng.choice(
            ["illegal", "legal", "other"], p=[0.35, 0.45, 0.20] if mining else [0.25, 0.55, 0.20]
        )
    )
    c = _Case(store, cid, rng)
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
    store: CaseStore, photos: PhotoStore, row: dict, batch: dict, rng: np.random.Generator
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
    c = _Case(store, row["id"], rng)
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


def play_history(store: CaseStore, photos: PhotoStore, seed: int = 2019) -> int:
    """Apply a seeded synthetic 2019 history to a freshly loaded demo store; return events added."""
    rng = np.random.default_rng(seed)
    before = store.counts()["events"]
    for batch in store.list_batches():
        for row in store.features(batch["id"]):
            if row.get("reissue_of_batch"):  # a re-issued 图斑: its case was played already
                continue
            if batch["programme"] == Programme.CHANGE_SURVEY.value:
                _change_survey(store, photos, row, batch, rng)
            else:
                _weipian(store, row, batch, rng)
    return store.counts()["events"] - before


DEMO_USERS = [
    ("admin", "管理员", "tuban-admin", ["admin"]),
    ("hecha", "外业核查员", "tuban-hecha", ["verifier"]),
    ("zhifa", "执法人员", "tuban-zhifa", ["enforcer"]),
    ("shenhe", "审核人", "tuban-shenhe", ["reviewer"]),
    ("tongji", "统计员", "tuban-tongji", ["viewer"]),
]


def create_users(users: UserStore, townships: list[str]) -> list[tuple[str, str, str]]:
    """The demo's accounts (only when the store has none); returns (username, password, roles)."""
    if users.list():
        return []
    now = datetime.now(UTC)
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
