"""``tuban audit verify`` / ``tuban audit anchor``: check and anchor the event log's hash chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo.errors import TubanError
from tuban_cli.common import DbOpt, fail, services_for

audit_app = typer.Typer(help="审计：事件哈希链校验与每日锚定", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``tuban audit …`` and ``tuban dossier`` to ``app``."""
    app.add_typer(audit_app, name="audit")
    app.command("dossier")(dossier)


def dossier(
    case: Annotated[int, typer.Argument(help="图斑案件 id")],
    out: Annotated[Path, typer.Option("-o", "--out", help="输出的 PDF 文件")],
    db: DbOpt = None,
) -> None:
    """Export a case's evidence dossier (PDF: timeline, judgments, enforcement, photos with
    their checks and hashes, map, chain hash) for an administrative review or a court."""
    from reports.dossier import render_dossier
    from storage.dossier import dossier_source

    services = services_for(db)
    try:
        src = dossier_source(services.photos, case, with_enforcement=True)
    except TubanError as exc:
        fail(exc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_dossier(src, now=services.clock()))
    state = "哈希链校验通过" if src["chain"]["broken"] is None else "哈希链校验未通过"
    typer.echo(f"已导出证据卷宗 {out}（{state}，链头 {src['chain']['head'] or '无'}）")


@audit_app.command("verify")
def verify(
    case: Annotated[int | None, typer.Option("--case", help="只校验一个图斑（案件 id）")] = None,
    db: DbOpt = None,
) -> None:
    """Recompute every event hash (and the daily anchors); exit 1 at the first broken link.

    With the whole store intact, the local days that are over get their anchors.
    """
    from storage import audit

    services = services_for(db)
    verdict = audit.verify(services.engine, case)
    if verdict.broken is not None:
        b = verdict.broken
        typer.secho(
            f"哈希链断裂：图斑 {b.case_id}，序号 {b.seq if b.seq is not None else '-'}，"
            f"事件 id {b.event_id if b.event_id is not None else '-'}：{b.reason}",
            fg="red",
            err=True,
        )
        typer.echo(f"  应为：{b.expected}\n  存储：{b.stored}", err=True)
        raise typer.Exit(1)
    if verdict.anchor_break is not None:
        typer.secho(f"日锚不符：{verdict.anchor_break}", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"哈希链完好：{verdict.cases} 个图斑，{verdict.events} 个事件，{verdict.anchors} 个日锚相符"
    )
    if case is None:
        _anchor(services)


@audit_app.command("anchor")
def anchor(db: DbOpt = None) -> None:
    """Anchor the local days that are over; print each new digest (copy it off the server)."""
    _anchor(services_for(db))


def _anchor(services) -> None:  # type: ignore[no-untyped-def]
    from storage import audit

    try:
        new = audit.anchor(services.engine, services.clock())
    except ValueError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None
    for a in new:
        typer.echo(f"日锚 {a['day']}：{a['digest']}（{a['cases']} 个图斑，{a['events']} 个事件）")
    if not new:
        typer.echo("没有需要新锚定的日期")
