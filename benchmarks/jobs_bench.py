"""What running an import as a background job costs, against the same import called directly.

Three phases on a fresh embedded store each, same file, same run:

- ``direct``: ``storage.imports.import_file`` as ``tuban import`` and ``POST /api/batches`` call it;
- ``job (run)``: the job's own work, ``runtime.jobs.JobRunner.run``: the claim, progress rows,
  the cancel check at each stage, the heartbeat thread, the end;
- ``job (queue)``: submitted to the default SQLite huey queue and taken by an in-process
  consumer thread (as ``tuban serve`` runs it), from submit to the row saying it ended; this adds
  the queue's poll (at most 1 s apart) to the job's work.

Wall and CPU seconds (CPU: this process, every thread) are printed with the machine and its load
before each phase; the machine is shared, so read ratios from one run, not across runs. Nothing
in CI runs this.

    .venv/bin/python benchmarks/jobs_bench.py --n 40000 --repeat 2
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from geo.batch import BatchMeta
from geo.jobs import JobKind
from geo.model import Programme
from runtime.compose import Services, build
from runtime.jobs import JobRunner, import_parameters
from runtime.settings import Settings
from storage.imports import import_file

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import factories  # noqa: E402 - the tests' synthetic 图斑 near Fengrun

META = BatchMeta(
    Programme.MINING, "2019Q3", "河北省自然资源厅", date(2019, 10, 15), date(2019, 11, 30)
)


def _services(root: Path, queue: str) -> Services:
    settings = Settings(
        database_url=f"sqlite:///{root / 'bench.sqlite'}",
        photos_dir=root / "photos",
        reports_dir=root / "reports",
        job_queue=queue,
        import_workers=1,
    )
    return build(settings)


def _admin(services: Services) -> int:
    user = services.users.add(
        username="bench", display_name="基准", password="Bench-mark: 7 rivers, 3 bridges!",
        roles=["admin"], by="bench", now=services.clock(),
    )  # fmt: skip
    return user.id


def _submit(runner: JobRunner, owner: int, src: Path) -> int:
    folder = runner.upload_dir()
    dest = Path(shutil.copy(src, folder / src.name))
    params = import_parameters(META, dest, runner)
    return runner.submit(JobKind.IMPORT, owner_id=owner, parameters=params)["id"]


def direct(root: Path, src: Path) -> None:
    services = _services(root, "memory")
    _admin(services)  # as in the job phases, so the account's hashing is on every side
    import_file(services.cases, src, META, actor="bench", now=services.clock(), workers=1)
    services.close()


def job_run(root: Path, src: Path) -> None:
    services = _services(root, "memory")  # "memory": submit runs the job right here
    runner = JobRunner(services)
    job_id = _submit(runner, _admin(services), src)
    assert services.jobs.get(job_id)["state"] == "succeeded"
    services.close()


def job_queue(root: Path, src: Path) -> None:
    services = _services(root, "")
    runner = JobRunner(services)
    owner = _admin(services)
    consumer = runner.consumer(1, in_process=True)
    consumer.start()
    try:
        job_id = _submit(runner, owner, src)
        while services.jobs.get(job_id)["state"] not in ("succeeded", "failed", "cancelled"):
            time.sleep(0.02)
        assert services.jobs.get(job_id)["state"] == "succeeded"
    finally:
        consumer.stop(graceful=True)
        services.close()


def _timed(phase: Callable[[Path, Path], None], src: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="tuban-jobs-bench-") as tmp:
        w0, c0 = time.perf_counter(), time.process_time()
        phase(Path(tmp), src)
        return time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40_000, help="图斑 in the file")
    ap.add_argument("--repeat", type=int, default=1, help="runs per phase; the fastest is kept")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuban-jobs-data-") as data:
        src = factories.write(factories.grid(args.n), Path(data) / f"grid-{args.n}.gpkg")
        phases = {"direct": direct, "job (run)": job_run, "job (queue)": job_queue}
        best: dict[str, tuple[float, float]] = {}
        print(
            f"machine: {platform.node()}, {os.cpu_count()} cores,"
            f" Python {platform.python_version()}"
        )
        print(f"file: {args.n} 图斑 ({src.stat().st_size >> 20} MB GeoPackage), embedded store")
        for k in range(args.repeat):
            for name, phase in phases.items():
                load = os.getloadavg()[0]
                wall, cpu = _timed(phase, src)
                print(
                    f"  run {k + 1} {name:<12} wall {wall:7.2f} s  cpu {cpu:7.2f} s"
                    f"  load {load:.1f}"
                )
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, cpu)
    base = best["direct"][0]
    print()
    print("| phase | wall s | CPU s | wall / direct |")
    print("|---|---:|---:|---:|")
    for name, (wall, cpu) in best.items():
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / base:.2f} |")


if __name__ == "__main__":
    main()
