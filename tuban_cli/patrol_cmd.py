"""``tuban patrol``: the quick response's deadlines, the watch list, and findings entered from a
script (动态巡查)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from geo.errors import InvalidValue, NotFound, TubanError
from geo.localtime import beijing_text, local_today
from geo.model import Action, Programme
from geo.roles import Role, may_act
from tuban_cli.common import DbOpt, fail, services_for

if TYPE_CHECKING:
    from runtime.compose import Services
    from storage.users import User

patrol_app = typer.Typer(help="动态巡查：时限设置、监管名单、录入巡查发现", no_args_is_help=True)
deadlines_app = typer.Typer(
    help="快速反应时限：不带子命令时显示现行时限和修改记录；set 修改（留有记录）",
    invoke_without_command=True,
)
patrol_app.add_typer(deadlines_app, name="deadlines")

# What each setting means, as the command prints it beside its value.
MEANINGS = {
    "stop_within_hours": "制止：发现后多少小时内",
    "file_within_days": "立案：发现后多少日内",
    "report_by_month_end": "报告：是否以发现当月月底为准",
    "report_within_days": "报告：月底（或发现日）后再加多少日",
    "reinspect_every_days": "列入监管的地块默认每多少日复查一次",
}
ByOpt = Annotated[str, typer.Option("--by", help="the account doing it (its username)")]


def register(app: typer.Typer) -> None:
    """Add ``tuban patrol`` to ``app``."""
    app.add_typer(patrol_app, name="patrol")


def _account(services: Services, username: str) -> User:
    """The active account ``username``; NotFound otherwise."""
    for u in services.users.list():
        if u.username == username and u.active:
            return u
    raise NotFound(f"没有启用的账号 {username}", username=username)


@deadlines_app.callback()
def deadlines(ctx: typer.Context, db: DbOpt = None) -> None:
    """Show the deadlines in force and every saved version (who, when, why)."""
    if ctx.invoked_subcommand is not None:
        return
    rules = services_for(db).patrol_rules()
    typer.echo("快速反应时限（现行）：")
    for name, value in rules.current().to_doc().items():
        typer.echo(f"  {name} = {str(value).lower()}    {MEANINGS.get(name, '')}")
    history = rules.history()
    if not history:
        typer.echo("修改记录：无（使用默认时限）")
        return
    typer.echo("修改记录（新的在前）：")
    for v in history:
        note = f"  {v['note']}" if v["note"] else ""
        typer.echo(f"  {beijing_text(v['created_at'])}  {v['created_by']}{note}")


def _value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return text  # refused by the rules' own check, naming the setting


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` words as a dict (true/false as booleans, whole numbers as integers).

    >>> parse_settings(["stop_within_hours=48", "report_by_month_end=false"])
    {'stop_within_hours': 48, 'report_by_month_end': False}
    """
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            said = f"应为 名称=值，例如 stop_within_hours=48，收到 {item!r}"
            raise InvalidValue(said, field=item)
        out[name.strip()] = _value(value.strip())
    return out


@deadlines_app.command("set")
def deadlines_set(
    settings: Annotated[
        list[str], typer.Argument(help="NAME=VALUE …, e.g. stop_within_hours=48 file_within_days=5")
    ],
    by: ByOpt,
    note: Annotated[str | None, typer.Option(help="why: the notice that changed them")] = None,
    db: DbOpt = None,
) -> None:
    """Change some deadlines (the others stay); saved as a new version naming who and why.
    Cases found before keep the deadlines of their day."""
    services = services_for(db)
    try:
        who = _account(services, by)
        if Role.ADMIN not in who.roles:
            raise InvalidValue(f"只有管理员可以修改时限：{who.username} 不是管理员", field="by")
        rules = services.patrol_rules().save(
            parse_settings(settings), by=who.actor, now=services.clock(), note=note
        )
    except TubanError as exc:
        fail(exc)
    typer.echo("已保存新的时限：")
    for name, value in rules.to_doc().items():
        typer.echo(f"  {name} = {str(value).lower()}")


@patrol_app.command("watch-list")
def watch_list(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100, db: DbOpt = None
) -> None:
    """The closed illegal sites under watch, overdue re-inspections first."""
    services = services_for(db)
    rows, count = services.patrol_sites().watch(today=local_today(services.clock()), limit=limit)
    if not count:
        typer.echo("监管名单为空")
        return
    shown = f"（列出前 {len(rows)} 处）" if count > len(rows) else ""
    typer.echo(f"监管名单：共 {count} 处{shown}")
    for r in rows:
        late = "  已逾期" if r["overdue"] else ""
        last = beijing_text(r["last_inspected_at"]) if r["last_inspected_at"] else "未复查"
        typer.echo(
            f"  {r['code']}  {Programme(r['programme']).label}  {r['township_name'] or '—'}"
            f"  {r['state_label']}  每 {r['watch_interval_days']} 日  下次复查 {r['watch_due_on']}"
            f"{late}  上次 {last}"
        )


@patrol_app.command("add")
def add(
    violation: Annotated[str, typer.Option(help="illegal_mining, illegal_building, other …")],
    lon: Annotated[float, typer.Option(help="CGCS2000 longitude")],
    lat: Annotated[float, typer.Option(help="CGCS2000 latitude")],
    by: ByOpt,
    found_at: Annotated[
        str | None, typer.Option(help="ISO 8601, e.g. 2019-10-20T09:30 (Beijing time); default now")
    ] = None,
    note: Annotated[str | None, typer.Option()] = None,
    client_ref: Annotated[
        str | None, typer.Option(help="the script's own id: a rerun finds the case it made")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Record a violation found on patrol at a point (for scripted entry), as the account
    ``--by`` (who must be one that records findings); a verifier's is assigned to them."""
    from geo.patrol import check_client_ref, parse_finding

    services = services_for(db)
    now: datetime = services.clock()
    try:
        who = _account(services, by)
        if not may_act(who.roles, Action.FIND):
            raise InvalidValue(f"{who.username} 的角色不能登记巡查发现", field="by")
        ref = check_client_ref(client_ref)
        doc = {"violation": violation, "found_at": found_at, "note": note,
               "geometry": {"type": "Point", "coordinates": [lon, lat]}}  # fmt: skip
        finding = parse_finding(doc, now=now)
        mine = who.id if Role.VERIFIER in who.roles else None
        done = services.patrol().create(
            finding, actor=who.actor, now=now, assign_to=mine, client_ref=ref
        )
    except TubanError as exc:
        fail(exc)
    verb = "已登记过（未重复登记）" if done["existing"] else "已登记"
    typer.echo(f"{verb} {done['code']}（案件 {done['case_id']}）")
    if done["linked_case_id"]:
        typer.echo(f"  该地块已有在办案件 {done['linked_case_id']}，本发现并入其中")
    elif done["site_id"]:
        typer.echo(f"  与案件 {done['site_id']} 为同一地块")
