"""``tuban`` CLI entry point: import, ref, serve, worker, demo, export, report."""

from __future__ import annotations

import gc
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import TubanError
from geo.localtime import local_time
from geo.model import Programme
from geo.references import RefKind
from runtime.clock import Clock
from runtime.settings import Settings, load_settings
from tuban_cli import audit_cmd, backup_cmd, goals_cmd, jobs_cmd, patrol_cmd, report_cmd
from tuban_cli.common import DbOpt, fail, progress_bar, services_for, write_report

app = typer.Typer(
    help="图斑 Tuban：卫片执法与土地变更调查的图斑案件与绩效指标", no_args_is_help=True
)
user_app = typer.Typer(
    help="账号：外业核查员、执法人员、审核人、统计/报告、管理员", no_args_is_help=True
)
ref_app = typer.Typer(
    help="参考图层：村界、永久基本农田、采矿权、用地审批、设施农用地", no_args_is_help=True
)
app.add_typer(ref_app, name="ref")
app.add_typer(user_app, name="user")
goals_cmd.register(app)  # tuban goals …, tuban spend …
report_cmd.register(app)  # tuban report …, tuban snapshot …
audit_cmd.register(app)  # tuban audit verify|anchor, tuban dossier
backup_cmd.register(app)  # tuban backup, tuban restore
jobs_cmd.register(app)  # tuban worker
patrol_cmd.register(app)  # tuban patrol deadlines|watch-list|add

DEMO_DB = Path("tuban-data/demo.sqlite")


@app.command("import")
def import_cmd(
    path: Annotated[
        Path, typer.Argument(help=".shp / .zip / .gpkg / .geojson / .gdb / .kml / .xlsx / .csv")
    ],
    programme: Annotated[
        Programme, typer.Option(help="mining=矿山卫片 land=土地卫片 change_survey=土地变更调查")
    ],
    period: Annotated[str, typer.Option(help="e.g. 2019Q3, or 2019 for 变更调查")],
    authority: Annotated[str, typer.Option(help="下发单位, e.g. 河北省自然资源厅")],
    issued_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="下发日期")],
    due_on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="完成期限")],
    layer: Annotated[str | None, typer.Option(help="layer or sheet name")] = None,
    encoding: Annotated[str | None, typer.Option(help="attribute encoding, e.g. GBK")] = None,
    crs: Annotated[str | None, typer.Option(help="override the CRS, e.g. EPSG:4527")] = None,
    field_map: Annotated[Path | None, typer.Option(help="YAML/JSON {图斑编号: 源字段, …}")] = None,
    accept_partial: Annotated[
        bool, typer.Option(help="import good rows, list rejected ones")
    ] = False,
    report_dir: Annotated[
        Path | None, typer.Option(help="where to write the import report")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bar")] = False,
    db: DbOpt = None,
) -> None:
    """Import one issued batch of 图斑 (all or nothing; re-running the same file is a no-op)."""
    from geo.batch import BatchMeta
    from geo.fields import load_field_map
    from storage.imports import import_file

    meta = BatchMeta(programme, period, authority, issued_on.date(), due_on.date())
    try:
        mapping = load_field_map(field_map) if field_map else None
        services = services_for(db)
        settings = services.settings
        with progress_bar(not quiet) as progress:
            row, created = import_file(
                services.cases,
                path,
                meta,
                actor="cli",
                now=services.clock(),
                layer=layer,
                encoding=encoding,
                crs=crs,
                field_map=mapping,
                jurisdiction=settings.jurisdiction(),
                accept_partial=accept_partial,
                progress=progress,
                workers=settings.import_workers,
                chunk_rows=settings.import_chunk_rows,
            )
    except TubanError as exc:
        fail(exc)
    _print_batch(row, created)
    if created and row.get("report"):
        from geo.report import ImportReport

        report = ImportReport.from_dict(row["report"])
        for w in report.warnings:
            typer.secho(f"  提示：{w}", fg="yellow")
        stem = f"batch-{row['id']}-{row['period']}-{row['programme']}"
        js, page = write_report(report, report_dir or settings.reports_dir, stem)
        typer.echo(f"  报告：{page}（JSON：{js}）")


def _print_batch(row: dict, created: bool) -> None:
    verb = "已导入" if created else "已存在（未重复导入）"
    label = Programme(row["programme"]).label
    new = row.get("new_cases") if row.get("new_cases") is not None else row["feature_count"]
    sites, crs_how = 0, ""
    if row.get("report"):
        from geo.report import CRS_HOW_LABELS, ImportReport

        report = ImportReport.from_dict(row["report"])
        # By the exact counts: the report's list of links is capped.
        reasons = report.link_reasons
        sites = sum(n for reason, n in reasons.items() if reason.startswith("site_"))
        crs_how = f"（{CRS_HOW_LABELS.get(report.crs_how, report.crs_how)}）"
    typer.echo(
        f"{verb} 批次 #{row['id']} {row['period']} {label}：{row['feature_count']} 个图斑"
        f"（新建案件 {new}，重复下发并入已有案件 {row['feature_count'] - new}，"
        f"与其他项目同一地块 {sites}），"
        f"{row['area_m2'] / 10000:.2f} 公顷；坐标系 {row['source_crs']}{crs_how}；"
        f"编码 {row['encoding']}"
    )


@ref_app.command("import")
def ref_import(
    path: Annotated[Path, typer.Argument(help="the reference layer file")],
    kind: Annotated[
        RefKind,
        typer.Option(
            help="township / village / farmland / mining_permit / approval / facility_farmland"
        ),
    ],
    name: Annotated[str, typer.Option(help="e.g. 永久基本农田")],
    version: Annotated[str, typer.Option(help="e.g. 2019")],
    layer: Annotated[str | None, typer.Option()] = None,
    encoding: Annotated[str | None, typer.Option()] = None,
    crs: Annotated[str | None, typer.Option()] = None,
    db: DbOpt = None,
) -> None:
    """Import a named, versioned reference layer used for the automatic hints."""
    from storage.imports import import_reference

    try:
        services = services_for(db)
        row, created, _ = import_reference(
            services.cases,
            path,
            kind,
            name=name,
            version=version,
            actor="cli",
            now=services.clock(),
            layer=layer,
            encoding=encoding,
            crs=crs,
            jurisdiction=services.settings.jurisdiction(),
        )
    except TubanError as exc:
        fail(exc)
    verb = "已导入" if created else "已存在"
    typer.echo(
        f"{verb} 参考图层 #{row['id']} {kind.label}“{name}” {version}："
        f"{row['feature_count']} 个要素；坐标系 {row['source_crs']}"
    )


@ref_app.command("list")
def ref_list(db: DbOpt = None) -> None:
    """List the reference layers and their versions."""
    for r in services_for(db).refs.list_layers():
        typer.echo(
            f"#{r['id']} {RefKind(r['kind']).label} “{r['name']}” {r['version']}："
            f"{r['feature_count']} 个要素（{r['imported_at']:%Y-%m-%d}）"
        )


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[
        list[str], typer.Option(help="verifier / enforcer / reviewer / viewer / admin (repeatable)")
    ],
    name: Annotated[str | None, typer.Option(help="显示名, e.g. 王磊")] = None,
    township: Annotated[
        list[str] | None,
        typer.Option(help="township code whose 图斑 a verifier works (repeatable)"),
    ] = None,
    password: Annotated[str | None, typer.Option(help="omit to be asked (not echoed)")] = None,
    db: DbOpt = None,
) -> None:
    """Add an account; passwords are stored as argon2 hashes."""
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    services = services_for(db)
    try:
        u = services.users.add(
            username=username,
            display_name=name or username,
            password=password,
            roles=role,
            townships=township or [],
            by="cli",
            now=services.clock(),
        )
    except TubanError as exc:
        fail(exc)
    typer.echo(f"已添加账号 #{u.id} {u.username}（{'、'.join(r.label for r in u.roles)}）")


@user_app.command("list")
def user_list(db: DbOpt = None) -> None:
    """List accounts."""
    for u in services_for(db).users.list():
        state = "" if u.active else "（已停用）"
        towns = f" 乡镇 {','.join(u.townships)}" if u.townships else ""
        typer.echo(
            f"#{u.id} {u.username} {u.display_name} "
            f"{'、'.join(r.label for r in u.roles)}{towns}{state}"
        )


@user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument()],
    password: Annotated[str | None, typer.Option(help="omit to be asked (not echoed)")] = None,
    db: DbOpt = None,
) -> None:
    """Set a new password (ends the account's sessions)."""
    services = services_for(db)
    users = services.users
    match = [u for u in users.list() if u.username == username]
    if not match:
        typer.secho(f"没有账号 {username}", fg="red", err=True)
        raise typer.Exit(2)
    if password is None:
        password = typer.prompt("新密码", hide_input=True, confirmation_prompt=True)
    try:
        users.update(match[0].id, by="cli", now=services.clock(), password=password)
    except TubanError as exc:
        fail(exc)
    typer.echo(f"已更新 {username} 的密码")


key_app = typer.Typer(
    help=(
        "API 密钥：供 QGIS、GDAL 等桌面 GIS 读取 /ogc，--edit 的密钥还可提交核查"
        "（只显示一次，只存其哈希）"
    ),
    no_args_is_help=True,
)
user_app.add_typer(key_app, name="api-key")


@key_app.command("create")
def api_key_create(
    username: Annotated[str, typer.Argument(help="the account the key acts as")],
    label: Annotated[str, typer.Option(help="what the key is for, e.g. 王磊的 QGIS")] = "",
    edit: Annotated[
        bool, typer.Option("--edit", help="may also record verifications (OGC Part 4)")
    ] = False,
    db: DbOpt = None,
) -> None:
    """Make a key for /ogc (read-only unless --edit); printed once, stored only as its SHA-256."""
    services = services_for(db)
    try:
        key, record = services.api_keys().create(
            username, label=label, by="cli", now=services.clock(), can_edit=edit
        )
    except TubanError as exc:
        fail(exc)
    typer.echo(f"已为 {username} 创建 API 密钥 #{record.id}（只显示这一次，请妥善保存）：")
    typer.echo(key)


@key_app.command("list")
def api_key_list(db: DbOpt = None) -> None:
    """List keys (never the keys themselves): id, account, label, made, revoked."""
    for k in services_for(db).api_keys().list():
        state = f"（已吊销 {k.revoked_at:%Y-%m-%d}）" if k.revoked_at else ""
        right = "可编辑" if k.can_edit else "只读"
        typer.echo(f"#{k.id} {k.username} {k.label or '-'} {right} {k.created_at:%Y-%m-%d}{state}")


@key_app.command("revoke")
def api_key_revoke(key_id: Annotated[int, typer.Argument()], db: DbOpt = None) -> None:
    """Revoke a key by its id: it is refused (401) from then on."""
    services = services_for(db)
    try:
        services.api_keys().revoke(key_id, now=services.clock())
    except TubanError as exc:
        fail(exc)
    typer.echo(f"已吊销 API 密钥 #{key_id}")


def _serve(settings: Settings, host: str, port: int, clock: Clock | None = None) -> None:
    import uvicorn

    from api.main import create_app
    from runtime.logging import configure

    configure(settings.log_level, settings.access_log)
    api = create_app(settings, clock=clock)
    # Background jobs run in this process too unless TUBAN_JOB_WORKERS=0 (then `tuban worker`).
    consumer = jobs_cmd.start_in_server(api.state.jobs)
    # What is alive now (modules, the app, its routes) lives as long as the process: kept out
    # of the collector's reach, a full collection no longer walks it. A page of 3 000 features
    # makes thousands of dicts, which every so often sets one off: on the 1M benchmark store
    # that took a village view's p95 from ~45 to ~115 ms of CPU (benchmarks/README.md).
    gc.collect()
    gc.freeze()
    typer.echo(f"Tuban 已启动：http://{host}:{port}/  (Ctrl+C 退出)")
    try:
        # log_config=None keeps uvicorn off our handlers; its access log is ours (request_log).
        uvicorn.run(api, host=host, port=port, log_config=None, access_log=False)
    finally:
        if consumer is not None:
            consumer.stop(graceful=False)


@app.command()
def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Serve the API and the web map."""
    _serve(load_settings(db), host, port)


@app.command()
def demo(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help=f"SQLite file for the demo (default: TUBAN_DATABASE_URL when set, else {DEMO_DB})",
        ),
    ] = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    history: Annotated[
        bool, typer.Option("--history/--no-history", help="play a synthetic 2019 work history")
    ] = True,
    clock: Annotated[
        bool,
        typer.Option(
            "--clock/--real-clock",
            help="演示时钟：从 TUBAN_CLOCK（默认 2019-11-20 10:00 北京时间）起随真实时间走；"
            "--real-clock 用真实时钟",
        ),
    ] = True,
) -> None:
    """Load the synthetic 丰润区 2019 data into the store and serve it: the database of
    ``--db``, else of TUBAN_DATABASE_URL (PostgreSQL/PostGIS too), else a SQLite demo file.

    The demo runs on a clock that starts in late 2019 (a quarter in progress, shown in the web
    map's header) unless ``--real-clock``."""
    import dataclasses

    from runtime.clock import utc_now
    from tuban_cli.demo import (
        create_users,
        load_batches,
        load_references,
        not_yet_issued,
        play_history,
        with_demo_clock,
    )

    services = services_for(db if db is not None or _database_url_set() else DEMO_DB)
    if clock:
        services = with_demo_clock(services)
        typer.echo(
            f"演示时钟：{local_time(services.clock()):%Y-%m-%d %H:%M}（北京时间），随真实时间走"
        )
    else:
        real = services.settings.model_copy(update={"clock": None})
        services = dataclasses.replace(services, settings=real, clock=utc_now)
    store = services.cases
    try:
        for row, created in load_references(store, clock=services.clock):
            verb = "已导入" if created else "已存在"
            label = RefKind(row["kind"]).label
            typer.echo(f"{verb} 参考图层 {label}：{row['feature_count']} 个要素")
        for row, created in load_batches(store, clock=services.clock):
            _print_batch(row, created)
        later = not_yet_issued(clock=services.clock)
        if later:
            typer.echo(f"演示时钟之后才下发的批次暂不导入：{'、'.join(later)}")
    except TubanError as exc:
        fail(exc)
    if history and store.counts()["events"] == 0:
        n = play_history(services)
        typer.echo(f"已生成 2019 年示例办理记录 {n} 条（操作人标注“示例”）")
    refs = services.refs
    towns = refs.current().get(RefKind.TOWNSHIP)
    codes = sorted(set(refs.frame(towns["id"])["ident"])) if towns else []
    for username, password, name in create_users(services.users, codes, clock=services.clock):
        typer.echo(f"演示账号  {name}：{username} / {password}")
    if serve_:
        _serve(services.settings, host, port, services.clock)


def _database_url_set() -> bool:
    """Whether the environment names a database (TUBAN_DATABASE_URL)."""
    from pydantic import ValidationError

    from runtime.settings import load_settings

    try:
        return "database_url" in load_settings().model_fields_set
    except ValidationError:  # reported by services_for, which parses the settings again
        return False


@app.command("export")
def export(
    batch_id: Annotated[int, typer.Argument()],
    out: Annotated[
        Path,
        typer.Argument(help=".gpkg .geojson .fgb .kml .gdb .csv .xlsx，或 .zip（省厅格式）"),
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="gpkg geojson fgb kml gdb csv xlsx province（默认按扩展名）"),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="province：省厅格式（GBK Shapefile + 核查结果表，zip）")
    ] = None,
    zone: Annotated[int, typer.Option(help="省厅格式的 3° 高斯-克吕格分带（39 或 40）")] = 39,
    zone_prefix: Annotated[
        bool, typer.Option(help="省厅格式的 X 坐标是否带带号（EPSG:4527 / 4548）")
    ] = True,
    geometry: Annotated[
        str, typer.Option(help="CSV/XLSX 的几何：wkt 或 centre（中心点经纬度）")
    ] = "wkt",
    db: DbOpt = None,
) -> None:
    """Export a batch's 图斑: delivered fields plus township, village, state, judgment, dates,
    case number and fine (docs/exports.md)."""
    from geo.export_formats import choose_format
    from geo.export_writer import ExportOptions

    try:
        if profile not in (None, "province"):
            from geo.errors import InvalidValue

            raise InvalidValue(f"未知的导出方案 {profile}；可用：province", field="profile")
        chosen = choose_format(out.name, "province" if profile else fmt)
        options = ExportOptions(geometry=geometry, zone=zone, zone_prefix=zone_prefix)
        options.check()
        summary = services_for(db).exports().export(batch_id, chosen, out, options)
    except TubanError as exc:
        fail(exc)
    typer.echo(f"已导出 {summary.rows} 个图斑到 {out}（{chosen.label}）")
    for note in summary.notes:
        typer.secho(f"注意：{note}", fg="yellow")


@app.command("db-upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Create or migrate the database schema to the latest revision."""
    services_for(db)
    typer.echo("数据库结构已是最新")


if __name__ == "__main__":
    sys.exit(app())
