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

from api.settings import REPO_ROOT
from geo.model import Programme
from storage.imports import import_file, import_reference
from storage.repository import BatchMeta, CaseStore

MANIFEST = REPO_ROOT / "sample_data" / "fengrun" / "batches.json"
REF_MANIFEST = REPO_ROOT / "sample_data" / "fengrun" / "reference_layers.json"
LOCAL = ZoneInfo("Asia/Shanghai")
VERIFIERS = ["王磊（示例）", "李娜（示例）", "张伟（示例）"]
OFFICERS = ["赵强（示例）", "陈静（示例）"]


def load_references(store: CaseStore, manifest: Path = REF_MANIFEST) -> list[tuple[dict, bool]]:
    """Import the sample reference layers (boundaries first: they define the county)."""
    if not manifest.exists():
        return []
    items = json.loads(manifest.read_text(encoding="utf-8"))
    first = {"township": 0, "village": 1}
    out = []
    for item in sorted(items, key=lambda i: first.get(i["kind"], 2)):
        row, created, _ = import_reference(
            store, manifest.parent.parent / item["path"], item["kind"], name=item["name"],
            version=str(item["version"]), actor="demo", now=datetime.now(UTC),
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


def _weipian(store: CaseStore, cid: int, batch: dict, rng: np.random.Generator) -> None:
    issued, due = batch["issued_on"], batch["due_on"]
    in_progress = batch["period"].endswith("Q4")  # the current quarter: mostly still open
    if rng.random() > (0.35 if in_progress else 0.94):
        return
    window = (due - issued).days
    day = issued + timedelta(days=int(rng.integers(3, window + 12)))  # some are late
    mining = batch["programme"] == Programme.MINING.value
    judgment = rng.choice(
        ["illegal", "legal", "other"], p=[0.35, 0.45, 0.20] if mining else [0.25, 0.55, 0.20]
    )
    v = 0

    def act(action: str, who: str, on: date, **payload) -> None:
        nonlocal v
        store.apply_action(
            cid, action, actor=who, payload=payload, expected_version=v, now=_at(on, rng)
        )
        v += 1

    act("verify", str(rng.choice(VERIFIERS)), day, judgment=str(judgment))
    officer = str(rng.choice(OFFICERS))
    if judgment != "illegal":
        if rng.random() < 0.7:
            act("close", officer, day + timedelta(days=int(rng.integers(2, 15))))
        return
    if in_progress or rng.random() > 0.9:
        return
    day += timedelta(days=int(rng.integers(5, 21)))
    case_no = f"丰国土资罚〔{day.year}〕{cid:03d}号"
    act("file", officer, day, case_no=case_no, filed_on=day.isoformat())
    if rng.random() > 0.75:
        return
    day += timedelta(days=int(rng.integers(10, 40)))
    fine = float(rng.integers(5, 200)) * 1000
    receipt = f"HB{day.year}{cid:06d}" if rng.random() < 0.85 else None
    act("penalise", officer, day, fine_yuan=fine, receipt_no=receipt, paid_on=day.isoformat())
    if rng.random() > 0.6:
        return
    day += timedelta(days=int(rng.integers(15, 60)))
    act("rectify", officer, day, rectified_on=day.isoformat(), note="已拆除复垦")
    if rng.random() < 0.7:
        act("close", officer, day + timedelta(days=int(rng.integers(3, 20))))


def _change_survey(
    store: CaseStore, cid: int, batch: dict, attrs: dict, rng: np.random.Generator
) -> None:
    if rng.random() > 0.85:
        return
    day = batch["issued_on"] + timedelta(days=int(rng.integers(10, 70)))
    who = str(rng.choice(VERIFIERS))
    before = attrs.get("前时相地类")
    after = attrs.get("后时相地类")
    v = 0

    def act(action: str, on: date, **payload) -> None:
        nonlocal v
        store.apply_action(
            cid, action, actor=who, payload=payload, expected_version=v, now=_at(on, rng)
        )
        v += 1

    act(
        "collect_evidence",
        day,
        land_class_before=before,
        land_class_after=after,
        photo_count=int(rng.integers(2, 6)),
    )
    if rng.random() > 0.85:
        return
    day = max(day, batch["due_on"] - timedelta(days=int(rng.integers(-5, 20))))
    act("submit", day)
    day += timedelta(days=int(rng.integers(20, 45)))
    if rng.random() < 0.86:
        act("pass", day)
        return
    act("return", day, reason="举证照片与图斑位置不符")
    if rng.random() < 0.5:
        act(
            "collect_evidence",
            day + timedelta(days=5),
            land_class_before=before,
            land_class_after=after,
            photo_count=4,
        )


def play_history(store: CaseStore, seed: int = 2019) -> int:
    """Apply a seeded synthetic 2019 history to a freshly loaded demo store; return events added."""
    rng = np.random.default_rng(seed)
    before = store.counts()["events"]
    for batch in store.list_batches():
        for row in store.features(batch["id"]):
            if row.get("reissue_of_batch"):  # a re-issued 图斑: its case was played already
                continue
            if batch["programme"] == Programme.CHANGE_SURVEY.value:
                _change_survey(store, row["id"], batch, row["attributes"], rng)
            else:
                _weipian(store, row["id"], batch, rng)
    return store.counts()["events"] - before
