"""``tuban report``: goal tables with their values, on screen or as a file; ``tuban snapshot``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import TubanError
from geo.report_doc import file_name
from tuban_cli.common import DbOpt, fail, services_for

FORMATS = ("text", "json", "xlsx", "html", "pdf", "docx")
snapshot_app = typer.Typer(help="冻结某一报告日的指标值（快照）", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``tuban report`` and ``tuban snapshot`` to ``app``."""
    app.command()(report)
    app.add_typer(snapshot_app, name="snapshot")


def _context(db: Path | None, year: int | None):  # type: ignore[no-untyped-def]
    services = services_for(db)
    services.seed_goal_books()
    latest = services.goal_books.latest_books()
    if not latest:
        typer.secho("库中没有绩效目标表（tuban goals import FILE）", fg="red", err=True)
        raise typer.Exit(2)
    year = year or max(latest)
    if year not in latest:
        typer.secho(f"没有 {year} 年的绩效目标表，已有：{sorted(latest)}", fg="red", err=True)
        raise typer.Exit(2)
    return services, latest[year], services.report_sources()


def report(
    project: Annotated[
        str | None,
        typer.Option(help="只看一个项目：planning / mining_enforcement / land_change_survey"),
    ] = None,
    year: Annotated[int | None, typer.Option()] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="取该日（YYYY-MM-DD）结束时的值")
    ] = None,
    township: Annotated[str | None, typer.Option(help="只统计一个乡镇（乡镇代码）")] = None,
    period: Annotated[str | None, typer.Option(help="只统计一期下发，如 2019Q3")] = None,
    snapshot: Annotated[int | None, typer.Option(help="显示该快照的冻结值")] = None,
    kind: Annotated[
        str, typer.Option(help="self_evaluation（绩效自评表）或 targets（绩效目标表）")
    ] = "self_evaluation",
    fmt: Annotated[str, typer.Option("--format", help="/".join(FORMATS))] = "text",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="输出文件")] = None,
    db: DbOpt = None,
) -> None:
    """Goal tables with their values: live, as of a day, per township or quarter, or frozen."""
    from storage.report_document import ReportQuery, report_document

    if fmt not in FORMATS:
        typer.secho(f"--format 应为 {'/'.join(FORMATS)}", fg="red", err=True)
        raise typer.Exit(2)
    if kind not in ("self_evaluation", "targets"):
        typer.secho("--kind 应为 self_evaluation 或 targets", fg="red", err=True)
        raise typer.Exit(2)
    services, book, sources = _context(db, year)
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        typer.secho(f"--as-of 应为 YYYY-MM-DD：{as_of}", fg="red", err=True)
        raise typer.Exit(2) from None
    query = ReportQuery(kind, day, township, period, snapshot)  # type: ignore[arg-type]
    try:
        if project is not None:
            book.project(project)
        doc = report_document(book, sources, query, maps=fmt in ("html", "pdf", "docx"))
    except TubanError as exc:
        fail(exc)
    if project is not None:
        doc["projects"] = [p for p in doc["projects"] if p["id"] == project]
    if fmt == "text":
        _print(doc)
        return
    if fmt == "json":
        data = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    else:
        from reports import render

        data = render(doc, fmt)
    what = "绩效自评" if kind == "self_evaluation" else "绩效目标"
    name = file_name(doc, fmt) if doc.get("dated") else f"{book.year}年{what}.{fmt}"
    target = out or Path(services.settings.reports_dir) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    typer.echo(f"已写出 {target}（{len(data) / 1024:,.0f} KB）")


def _print(doc: dict) -> None:
    mode = (
        f"冻结快照“{doc['snapshot']['label']}”（{doc['snapshot']['as_of']}）"
        if doc["snapshot"]
        else f"实时数据（截至 {doc['as_of']}）"
    )
    typer.echo(f"{doc['title']}\n{mode}")
    for p in doc["projects"]:
        typer.echo(f"\n{p['table_title']}（{doc['unit_name']}，{doc['year']} 年）")
        for r in p["rows"]:
            actual = r["actual"] or "（暂无自动取值）"
            line = f"- {r['level1']} / {r['level2']} / {r['level3']}\n    目标：{r['target']}"
            typer.echo(f"{line}\n    {'冻结' if doc['snapshot'] else '实时'}：{actual}")
            if r["deviation"]:
                typer.echo(f"    偏差：{r['deviation']}")
        for c in p["spending"]:
            if c["actual_pct"] is not None or c["planned_pct"] is not None:
                planned = "—" if c["planned_pct"] is None else f"{c['planned_pct']:.0f}%"
                actual = "—" if c["actual_pct"] is None else f"{c['actual_pct']:.1f}%"
                typer.echo(f"    支出 {c['label']}：计划 {planned}，实际 {actual}")
        for w in p["warnings"]:
            typer.secho(f"    ⚠ {w}", fg="yellow")
    for d in doc["differences"]:
        typer.echo(
            f"与实时不同：{d['project']} {d['label']}：冻结 {d['frozen']} → 实时 {d['live']}"
        )


@snapshot_app.command("take")
def snapshot_take(
    label: Annotated[str, typer.Option(help="快照名称，如 2019年第三季度")],
    as_of: Annotated[str, typer.Option("--as-of", help="冻结该日（YYYY-MM-DD）结束时的值")],
    year: Annotated[int | None, typer.Option()] = None,
    actor: Annotated[str, typer.Option(help="记录为操作人")] = "cli",
    db: DbOpt = None,
) -> None:
    """Freeze every project's values as of a reporting date."""
    from storage.reporting import take_snapshot

    services, book, sources = _context(db, year)
    _, version = sources.books.latest(book.year)
    try:
        saved = take_snapshot(
            sources.counts,
            sources.snapshots,
            book,
            goal_version=version,
            label=label,
            as_of=date.fromisoformat(as_of),
            actor=actor,
            now=services.clock(),
        )
    except TubanError as exc:
        fail(exc)
    typer.echo(f"已冻结快照 #{saved['id']}“{saved['label']}”（截至 {saved['as_of']}）")


@snapshot_app.command("list")
def snapshot_list(year: Annotated[int | None, typer.Option()] = None, db: DbOpt = None) -> None:
    """List the snapshots."""
    for s in services_for(db).snapshots.list(year):
        typer.echo(
            f"#{s['id']}  {s['year']}  {s['label']}  截至 {s['as_of']}  "
            f"{s['taken_by']} 于 {s['taken_at']:%Y-%m-%d %H:%M} 冻结"
        )
