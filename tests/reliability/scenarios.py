"""Crash and concurrency checks against a real server: what was tried, and what survived.

Each check takes a backend (``sqlite`` or ``postgresql``) and a scratch directory, runs a real
``tuban serve`` (tests/reliability/server.py), kills it with SIGKILL in the middle of the work,
restarts it on the same store and looks at what was left behind. It returns a :class:`Result`
whose ``problems`` are empty when the store survived. ``tests/reliability/test_crash.py``
asserts that; ``benchmarks/reliability_report.py`` writes the table in docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from geo import testing
from geo.batch import BatchMeta
from geo.model import Programme
from runtime.compose import Services
from storage.imports import import_file
from storage.tables import batches, case_events, cases, photos
from tests import factories
from tests.reliability.server import (
    Server,
    add_admin,
    json_of,
    open_services,
    running,
    store_url,
    wait_busy,
)

BIG_IMPORT = 50_000  # 图斑: ~2 s of import work here, so a kill at 0.5 CPU-s lands inside it
FORM = {
    "programme": "mining",
    "period": "2019Q4",
    "authority": "河北省自然资源厅",
    "issued_on": "2019-10-15",
    "due_on": "2019-11-30",
}


@dataclass
class Result:
    """One check: what was tried, on which backend, what happened, and what went wrong."""

    check: str
    backend: str
    tried: str
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def survived(self) -> bool:
        """Nothing went wrong."""
        return not self.problems


def events_digest(services: Services) -> tuple[int, str]:
    """How many events, and a hash over them in id order: equal digests, untouched events."""
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(case_events.c.id, case_events.c.case_id, case_events.c.seq).order_by(
                case_events.c.id
            )
        ).all()
    return len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def half_batches(services: Services) -> list[str]:
    """Batches whose stored cases are fewer or more than the batch's new cases said."""
    q = (
        select(batches.c.id, batches.c.new_cases, func.count(cases.c.id))
        .outerjoin(cases, cases.c.batch_id == batches.c.id)
        .group_by(batches.c.id, batches.c.new_cases)
    )
    with services.engine.connect() as conn:
        rows = conn.execute(q).all()
    return [f"批次 {b}：新建 {n} 个，库中 {k} 个" for b, n, k in rows if n != k]


def _import_small(services: Services, tmp: Path, n: int = 3) -> list[int]:
    src = factories.write(factories.squares(n), tmp / "small.gpkg")
    meta = BatchMeta(
        Programme.MINING, "2019Q3", "河北省自然资源厅", date(2019, 10, 1), date(2019, 11, 30)
    )
    row, _ = import_file(services.cases, src, meta, actor="test", now=datetime.now(UTC))
    with services.engine.connect() as conn:
        return list(conn.execute(select(cases.c.id).where(cases.c.batch_id == row["id"])).scalars())


def _post_in_thread(call: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["response"] = call()
        except httpx.HTTPError as exc:
            out["error"] = type(exc).__name__

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def import_killed(backend: str, tmp: Path) -> Result:
    """kill -9 while the server imports a large file; after restart: no half batch, events
    untouched, and the next import works."""
    res = Result("import", backend, f"kill -9 during POST /api/batches ({BIG_IMPORT} 图斑)")
    started = time.monotonic()
    src = factories.write(factories.grid(BIG_IMPORT), tmp / "big.gpkg")
    with store_url(backend, tmp) as url:
        services = open_services(url, tmp)
        add_admin(services)
        _import_small(services, tmp)
        before = events_digest(services)
        server = Server(url, tmp).start()
        try:
            client = server.client(timeout=300)
            with src.open("rb") as f:
                body = f.read()
            thread, out = _post_in_thread(
                lambda: client.post("/api/batches", data=FORM, files={"file": ("big.gpkg", body)})
            )
            res.figures["busy_before_kill"] = wait_busy(server, cpu=0.5, timeout=60)
            server.kill()
            thread.join(60)
            answered = "response" in out
            if answered or not res.figures["busy_before_kill"]:
                # The kill must land inside the import, or the check proves nothing.
                res.problems.append("终止时导入不在进行中（已完成或未开始），检查无效")
            res.figures["client_saw"] = (
                out["response"].status_code if answered else out.get("error", "nothing")
            )
            server.start()
            _after_import_kill(res, server, open_services(url, tmp), before, answered, tmp)
        finally:
            server.kill()
            services.close()
    res.seconds = round(time.monotonic() - started, 1)
    return res


def _after_import_kill(
    res: Result,
    server: Server,
    services: Services,
    before: tuple[int, str],
    answered: bool,
    tmp: Path,
) -> None:
    try:
        res.problems += half_batches(services)
        with services.engine.connect() as conn:
            n_batches = conn.execute(select(func.count()).select_from(batches)).scalar_one()
        # The small batch, plus the big one only if the server had answered before the kill.
        res.figures["batches_after"] = n_batches
        if n_batches != (2 if answered else 1):
            res.problems.append(
                f"重启后有 {n_batches} 个批次，客户端{'已' if answered else '未'}收到应答"
            )
        if events_digest(services) != before:
            res.problems.append("已有的办理记录被改动")
        again = factories.write(factories.squares(4), tmp / "again.gpkg")
        r = server.client().post(
            "/api/batches",
            data={**FORM, "period": "2020Q1"},
            files={"file": ("again.gpkg", again.read_bytes())},
        )
        if r.status_code != 201:
            res.problems.append(f"重启后导入失败：{r.status_code} {json_of(r)}")
    finally:
        services.close()


def _photo(k: int, lon: float, lat: float) -> bytes:
    # Noise makes a large, slow-to-process file; EXIF puts it beside the 图斑.
    return testing.jpeg(
        lon=lon,
        lat=lat,
        direction=90,
        size=(1600, 1200),
        noise=True,
        taken=f"2019:11:05 10:{10 + k}:00",
    )


def photo_upload_killed(backend: str, tmp: Path, uploads: int = 8) -> Result:
    """kill -9 while several photos upload at once; after restart every photo row has its
    file (same hash) and thumbnail, every acknowledged upload has its row and event."""
    res = Result("photo", backend, f"kill -9 during {uploads} concurrent photo uploads")
    started = time.monotonic()
    with store_url(backend, tmp) as url:
        services = open_services(url, tmp)
        add_admin(services)
        case_id = _import_small(services, tmp)[0]
        lon, lat = _centre(services, case_id)
        services.close()
        server = Server(url, tmp).start()
        try:
            client = server.client(timeout=120)
            threads = [
                _post_in_thread(
                    lambda k=k: client.post(
                        f"/api/cases/{case_id}/photos",
                        files={"file": (f"IMG_{k}.jpg", _photo(k, lon, lat), "image/jpeg")},
                    )
                )
                for k in range(uploads)
            ]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and sum("response" in o for _, o in threads) < 2:
                time.sleep(0.01)
            server.kill()
            for thread, _ in threads:
                thread.join(60)
            acked = [
                o["response"].json()["sha256"]
                for _, o in threads
                if "response" in o and o["response"].status_code == 201
            ]
            res.figures.update(acknowledged=len(acked), cut_off=uploads - len(acked))
            server.start()
            services = open_services(url, tmp)
            _check_photos(res, services, case_id, acked)
            _check_photos_served(res, server, case_id)
        finally:
            server.kill()
            services.close()
    res.seconds = round(time.monotonic() - started, 1)
    return res


def _centre(services: Services, case_id: int) -> tuple[float, float]:
    import shapely

    with services.engine.connect() as conn:
        geom = conn.execute(select(cases.c.geom).where(cases.c.id == case_id)).scalar_one()
    c = shapely.from_wkb(geom).centroid
    return c.x - 0.0002, c.y


def _check_photos(res: Result, services: Services, case_id: int, acked: list[str]) -> None:
    with services.engine.connect() as conn:
        rows = conn.execute(select(photos.c.sha256).where(photos.c.case_id == case_id)).all()
        n_events = conn.execute(
            select(func.count())
            .select_from(case_events)
            .where(case_events.c.case_id == case_id, case_events.c.action == "add_photo")
        ).scalar_one()
    stored = {r.sha256 for r in rows}
    blobs = services.photos.blobs
    for sha in stored:
        path = blobs.path(sha)
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            res.problems.append(f"照片记录 {sha[:12]} 的文件缺失或内容不符")
        if not blobs.thumbnail_path(sha).is_file():
            res.problems.append(f"照片 {sha[:12]} 缺少缩略图")
    res.problems += [f"已确认的照片 {s[:12]} 在重启后丢失" for s in acked if s not in stored]
    if n_events != len(rows):
        res.problems.append(f"照片 {len(rows)} 张，add_photo 记录 {n_events} 条")
    on_disk = {p.name for p in blobs.root.glob("??/??/*") if p.is_file()}
    res.figures.update(rows_after=len(rows), orphan_files=len(on_disk - stored))


def _check_photos_served(res: Result, server: Server, case_id: int) -> None:
    client = server.client()
    case = client.get(f"/api/cases/{case_id}").json()
    for p in case.get("photos", []):
        r = client.get(f"/api/photos/{p['sha256']}")
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != p["sha256"]:
            res.problems.append(f"重启后照片 {p['sha256'][:12]} 无法读取：{r.status_code}")


def report_killed(backend: str, tmp: Path) -> Result:
    """kill -9 while the server renders the PDF report and takes a snapshot; after restart the
    events are untouched, no snapshot is half-written, and the report renders."""
    res = Result(
        "report", backend, "kill -9 during GET /api/reports/2019.pdf + POST /api/snapshots"
    )
    started = time.monotonic()
    with store_url(backend, tmp) as url:
        services = open_services(url, tmp)
        add_admin(services)
        _import_small(services, tmp)
        before = events_digest(services)
        services.close()
        server = Server(url, tmp).start()
        try:
            client = server.client(timeout=300)
            pdf, pdf_out = _post_in_thread(lambda: client.get("/api/reports/2019.pdf"))
            snap, snap_out = _post_in_thread(
                lambda: client.post(
                    "/api/snapshots",
                    json={"year": 2019, "label": "崩溃测试", "as_of": "2019-12-31"},
                )
            )
            res.figures["busy_before_kill"] = wait_busy(server, cpu=1.0, timeout=120)
            server.kill()
            pdf.join(60)
            snap.join(60)
            res.figures["pdf_answered"] = "response" in pdf_out
            snap_acked = "response" in snap_out and snap_out["response"].status_code == 201
            server.start()
            services = open_services(url, tmp)
            _after_report_kill(res, server, services, before, snap_acked)
        finally:
            server.kill()
            services.close()
    res.seconds = round(time.monotonic() - started, 1)
    return res


def _after_report_kill(
    res: Result, server: Server, services: Services, before: tuple[int, str], snap_acked: bool
) -> None:
    if events_digest(services) != before:
        res.problems.append("已有的办理记录被改动")
    client = server.client(timeout=300)
    snaps = client.get("/api/snapshots", params={"year": 2019})
    if snaps.status_code != 200:
        res.problems.append(f"重启后无法列出快照：{snaps.status_code} {json_of(snaps)}")
        return
    body = snaps.json()
    listed = body["data"] if isinstance(body, dict) else body
    labels = [s["label"] for s in listed]
    if snap_acked and "崩溃测试" not in labels:
        res.problems.append("已确认的快照在重启后丢失")
    for s in listed:
        one = client.get(f"/api/snapshots/{s['id']}")
        if one.status_code != 200 or not one.json().get("projects"):
            res.problems.append(f"快照 {s['id']} 不完整：{one.status_code}")
    r = client.get("/api/reports/2019.pdf")
    res.figures["snapshots_after"] = len(labels)
    if r.status_code != 200 or not r.content.startswith(b"%PDF"):
        res.problems.append(f"重启后报表无法生成：{r.status_code}")


def concurrent_writers(backend: str, tmp: Path, writers: int = 8, rounds: int = 3) -> Result:
    """``writers`` threads act on one case with the same ETag, ``rounds`` times: exactly one
    wins each round, the rest get 409, and every win is one event."""
    res = Result("writers", backend, f"{writers} writers × {rounds} rounds, one case, same ETag")
    started = time.monotonic()
    with store_url(backend, tmp) as url:
        services = open_services(url, tmp)
        add_admin(services)
        case_id = _import_small(services, tmp)[0]
        try:
            n0 = _events_of(services, case_id)
            with running(url, tmp) as server:
                wins = _race(res, server, case_id, writers, rounds)
            n1 = _events_of(services, case_id)
        finally:
            services.close()
        res.figures.update(wins=wins, events_added=n1 - n0)
        if n1 - n0 != wins:
            res.problems.append(f"{wins} 次成功写入，办理记录增加 {n1 - n0} 条")
    res.seconds = round(time.monotonic() - started, 1)
    return res


def _events_of(services: Services, case_id: int) -> int:
    with services.engine.connect() as conn:
        q = select(func.count()).select_from(case_events).where(case_events.c.case_id == case_id)
        return int(conn.execute(q).scalar_one())


def _race(res: Result, server: Server, case_id: int, writers: int, rounds: int) -> int:
    clients = [server.client() for _ in range(writers)]
    bodies = [
        {"action": "verify", "payload": {"judgment": "other", "reason": "pseudo_change"}},
        {"action": "return_verification", "payload": {"reason": "并发测试"}},
    ]
    wins, statuses = 0, []
    for i in range(rounds):
        etag = clients[0].get(f"/api/cases/{case_id}").headers["etag"]
        barrier = threading.Barrier(writers)

        def write(
            c: httpx.Client,
            body: dict = bodies[i % 2],
            etag: str = etag,
            barrier: threading.Barrier = barrier,
        ) -> int:
            barrier.wait(timeout=30)
            return c.post(
                f"/api/cases/{case_id}/actions", json=body, headers={"If-Match": etag}
            ).status_code

        threads = [_post_in_thread(lambda c=c: write(c)) for c in clients]
        for t, _ in threads:
            t.join(60)
        got = sorted(o.get("response", 0) for _, o in threads)
        statuses.append(got)
        won = sum(200 <= s < 300 for s in got)
        wins += won
        if won != 1 or any(s not in (200, 409) for s in got):
            res.problems.append(f"第 {i + 1} 轮：{got}（应为一个 200，其余 409）")
    res.figures["statuses"] = statuses
    return wins


CHECKS = {
    "import": import_killed,
    "photo": photo_upload_killed,
    "report": report_killed,
    "writers": concurrent_writers,
}
