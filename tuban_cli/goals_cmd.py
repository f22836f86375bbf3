"""``tuban goals`` (goal tables by year and version) and ``tuban spend`` (spending per project)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import TubanError
from geo.localtime import LOCAL_TZ, local_today
from tuban_cli.common import DbOpt, fail, services_for

goals_app = typer.Typer(help="绩效目标表：按年度导入、导出、查看版本", no_args_is_help=True)
spend_app = typer.Typer(help="预算执行：记录和查看项目支出", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``tuban goals`` and ``tuban spend`` to ``app``."""
    app.add_typer(goals_app, name="goals")
    app.add_typer(spend_app, name="spend")


def _books(db: Path | None):  # type: ignore[no-untyped-def]
    return services_for(db).goal_books


@goals_app.command("import")
def goals_import(
    path: Annotated[
        Path, typer.Argument(help="goal YAML, e.g. sample_data/goals/fengrun-2019.yaml")
    ],
    db: DbOpt = None,
) -> None:
    """Store a goal YAML as the next version of its year (an identical file adds nothing)."""
    services = services_for(db)
    try:
        year, version, created = services.goal_books.import_file(
            path, actor="cli", now=services.clock()
        )
    except TubanError as exc:
        fail(exc)
    if created:
        typer.echo(f"已导入 {year} 年绩效目标表，第 {version} 版")
    else:
        typer.echo(f"{year} 年绩效目标表与第 {version} 版相同，未新增版本")


@goals_app.command("export")
def goals_export(
    year: Annotated[int, typer.Argument()],
    version: Annotated[int | None, typer.Option(help="default: the latest")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="default: stdout")] = None,
    db: DbOpt = None,
) -> None:
    """Write a year's goal tables as YAML (edit it, then `tuban goals import` it again)."""
    from geo.goals import goals_to_yaml

    books = _books(db)
    try:
        book = books.get(year, version) if version is not None else books.latest(year)[0]
    except TubanError as exc:
        fail(exc)
    text = goals_to_yaml(book)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"已导出到 {out}", err=True)


@goals_app.command("versions")
def goals_versions(year: Annotated[int, typer.Argument()], db: DbOpt = None) -> None:
    """List the stored versions of a year's goal tables."""
    rows = _books(db).versions(year)
    if not rows:
        typer.echo(f"没有 {year} 年的绩效目标表")
        raise typer.Exit(1)
    for r in rows:
        note = f"  {r['note']}" if r["note"] else ""
        at = r["created_at"].astimezone(LOCAL_TZ)
        typer.echo(f"第 {r['version']} 版  {at:%Y-%m-%d %H:%M}  {r['created_by']}{note}")


@spend_app.command("add")
def spend_add(
    year: Annotated[int, typer.Option()],
    project: Annotated[str, typer.Option(help="planning / mining_enforcement / …")],
    on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="支出日期")],
    amount: Annotated[float, typer.Option(help="元；负数为冲减更正（须 --corrects）")],
    purpose: Annotated[str, typer.Option(help="用途")],
    voucher: Annotated[str | None, typer.Option(help="凭证号")] = None,
    corrects: Annotated[int | None, typer.Option(help="更正的那笔支出的编号")] = None,
    actor: Annotated[str, typer.Option(help="记录人")] = "cli",
    db: DbOpt = None,
) -> None:
    """Record one spending row (or a correction of an earlier one)."""
    services = services_for(db)
    try:
        row = services.expenditures.add(
            year,
            project,
            on.date(),
            amount,
            purpose,
            voucher,
            corrects,
            actor=actor,
            now=services.clock(),
        )
    except TubanError as exc:
        fail(exc)
    typer.echo(
        f"已记录第 {row['id']} 笔：{row['spent_on']} {row['amount_yuan']:,.2f} 元 {row['purpose']}"
    )


@spend_app.command("list")
def spend_list(
    year: Annotated[int, typer.Option()],
    project: Annotated[str | None, typer.Option()] = None,
    db: DbOpt = None,
) -> None:
    """List spending rows and, per project, cumulative spending against the plan."""
    from geo.budget import execution

    services = services_for(db)
    store = services.expenditures
    try:
        book = store.goals.latest(year)[0]
        projects = [book.project(project)] if project else list(book.projects)
    except TubanError as exc:
        fail(exc)
    rows = store.list(year, project)
    today = local_today(services.clock())
    for p in projects:
        mine = [r for r in rows if r["project_id"] == p.id]
        total = p.budget.get("total") or 0
        typer.echo(f"{p.name}（预算 {total:,.2f} 元）")
        for r in mine:
            fix = f"  更正第 {r['corrects_id']} 笔" if r["corrects_id"] else ""
            voucher = f"  凭证 {r['voucher_no']}" if r["voucher_no"] else ""
            typer.echo(
                f"  #{r['id']} {r['spent_on']} {r['amount_yuan']:>14,.2f}  {r['purpose']}"
                f"{voucher}{fix}"
            )
        spent = [(r["spent_on"], r["amount_yuan"]) for r in mine]
        for c in execution(p.spending_plan, total, spent, year, today):
            plan = "—" if c.planned_pct is None else f"{c.planned_pct:g}%"
            actual = "—" if c.actual_pct is None else f"{c.actual_pct:g}%"
            dev = "" if c.deviation_pct is None else f"  偏差 {c.deviation_pct:+g}"
            typer.echo(f"    {c.label}：计划 {plan}，实际 {actual}{dev}")
