"""``tuban`` CLI entry point."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.settings import Settings
from geo.errors import TubanError
from geo.model import Programme

app = typer.Typer(
    help="图斑 Tuban：卫片执法与土地变更调查的图斑案件与绩效指标", no_args_is_help=True
)

DEMO_DB = Path("tuban-data/demo.sqlite")

DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="SQLite file (default: $TUBAN_DATABASE_URL or tuban-data/tuban.sqlite)"
    ),
]


def _settings(db: Path | None) -> Settings:
    if db is None:
        return Settings()
    db.parent.mkdir(parents=True, exist_ok=True)
    return Settings(database_url=f"sqlite:///{db.resolve()}")


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    from storage.engine import make_engine, migrate
    from storage.repository import CaseStore

    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    engine = make_engine(settings.database_url)
    migrate(engine)
    return CaseStore(engine)


def _fail(exc: TubanError) -> None:
    typer.secho(f"错误 [{exc.code}] {exc.message}", fg="red", err=True)
    for k, v in exc.details.items():
        typer.echo(f"  {k}: {v}", err=True)
    raise typer.Exit(2)


def _import_one(store, path: Path, meta, *, layer: str | None, encoding: str | None) -> None:  # type: ignore[no-untyped-def]
    from storage.imports import import_file

    row, created = import_file(
        store, path, meta, actor="cli", now=datetime.now(UTC), layer=layer, encoding=encoding
    )
    verb = "已导入" if created else "已存在（未重复导入）"
    typer.echo(
        f"{verb} 批次 #{row['id']} {row['period']} {meta.programme.label}："
        f"{row['feature_count']} 个图斑，{row['area_m2'] / 10000:.2f} 公顷；"
        f"坐标系 {row['source_crs']}；编码 {row['encoding']}"
    )


@app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(help=".shp / .zip / .gpkg / .geojson")],
    programme: Annotated[
        Programme, typer.Option(help="mining=矿山卫片 land=土地卫片 change_survey=土地变更调查")
    ],
    period: Annotated[str, typer.Option(help="e.g. 2019Q3, or 2019 for 变更调查")],
    authority: Annotated[str, typer.Option(help="下发单位, e.g. 河北省自然资源厅")],
    issued_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="下发日期")],
    due_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="完成期限")],
    layer: Annotated[str | None, typer.Option(help="layer name in a GeoPackage")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="override the attribute encoding, e.g. GBK")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Import one issued batch of 图斑 (all or nothing)."""
    from storage.repository import BatchMeta

    meta = BatchMeta(programme, period, authority, issued_on.date(), due_on.date())
    try:
        _import_one(_store(_settings(db)), path, meta, layer=layer, encoding=encoding)
    except TubanError as exc:
        _fail(exc)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from api.main import create_app

    typer.echo(f"Tuban 已启动：http://{host}:{port}/  (Ctrl+C 退出)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Serve the API and the web map."""
    _serve(_settings(db), host, port)


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="SQLite file for the demo")] = DEMO_DB,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    history: Annotated[
        bool, typer.Option("--history/--no-history", help="play a synthetic 2019 work history")
    ] = True,
) -> None:
    """Load the synthetic 丰润区 2019 data into the embedded store and serve it."""
    from tuban_cli.demo import load_batches, play_history

    settings = _settings(db)
    store = _store(settings)
    try:
        for row, created in load_batches(store):
            verb = "已导入" if created else "已存在"
            label = Programme(row["programme"]).label
            n = row["feature_count"]
            typer.echo(f"{verb} 批次 #{row['id']} {row['period']} {label}：{n} 个图斑")
    except TubanError as exc:
        _fail(exc)
    if history and store.counts()["events"] == 0:
        n = play_history(store)
        typer.echo(f"已生成 2019 年示例办理记录 {n} 条（操作人标注“示例”）")
    if serve_:
        _serve(settings, host, port)


@app.command()
def export(
    batch_id: Annotated[int, typer.Argument()],
    out: Annotated[Path, typer.Argument(help=".gpkg or .geojson")],
    db: DbOpt = None,
) -> None:
    """Export a batch's 图斑 with their current case state."""
    import geopandas as gpd
    import shapely

    from geo.area import CGCS2000
    from geo.model import State

    store = _store(_settings(db))
    try:
        rows = store.features(batch_id)
    except TubanError as exc:
        _fail(exc)
    frame = gpd.GeoDataFrame(
        {
            "TBBH": [r["code"] for r in rows],
            "XZQDM": [r["xzqdm"] for r in rows],
            "state": [r["state"] for r in rows],
            "state_label": [State(r["state"]).label for r in rows],
            "judgment": [r["judgment"] for r in rows],
            "area_m2": [r["area_m2"] for r in rows],
            "area_mu": [r["area_mu"] for r in rows],
        },
        geometry=shapely.from_wkb([r["geom"] for r in rows]),
        crs=CGCS2000,
    )
    frame.to_file(out, engine="pyogrio")
    typer.echo(f"已导出 {len(frame)} 个图斑到 {out}")


@app.command()
def report(
    project: Annotated[
        str, typer.Option(help="planning / mining_enforcement / land_change_survey")
    ],
    year: Annotated[int | None, typer.Option()] = None,
    db: DbOpt = None,
) -> None:
    """Print a goal table with its live indicator values."""
    from api.main import load_goal_books
    from geo.indicators import compute_project

    settings = _settings(db)
    books = load_goal_books(settings.goals_dir)
    try:
        book = books[year or max(books)]
        proj = book.project(project)
    except TubanError as exc:
        _fail(exc)
    except (KeyError, ValueError):
        typer.secho(f"没有 {year} 年的绩效目标表", fg="red", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{proj.table_title}（{book.unit_name}，{book.year} 年）")
    for rv in compute_project(proj, _store(settings).cases_frame()):
        values = "；".join(v.display for v in rv.values) or "（暂无自动取值）"
        typer.echo(
            f"- {rv.row.level1} / {rv.row.level2} / {rv.row.level3}\n"
            f"    目标：{rv.row.target}\n    实时：{values}"
        )


@app.command("db-upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Create or migrate the database schema to the latest revision."""
    _store(_settings(db))
    typer.echo("数据库结构已是最新")


if __name__ == "__main__":
    sys.exit(app())
