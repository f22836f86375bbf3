"""What every ``tuban`` command shares: its services, errors, progress and reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo.errors import TubanError
from geo.report import ImportReport

if TYPE_CHECKING:
    from runtime.compose import Services

DbOpt = Annotated[
    Path | None,
    typer.Option(
        "--db", help="SQLite file (default: $TUBAN_DATABASE_URL or tuban-data/tuban.sqlite)"
    ),
]


def services_for(db: Path | None) -> Services:
    """The database of ``--db`` (else of the environment), opened as the API opens it."""
    # Imported here so that `tuban --help` does not load the stores.
    from pydantic import ValidationError

    from runtime.compose import build
    from runtime.settings import load_settings

    try:
        settings = load_settings(db)
    except ValidationError as exc:  # a TUBAN_* variable that does not parse
        for e in exc.errors():
            name = f"TUBAN_{str(e['loc'][0]).upper()}" if e["loc"] else "TUBAN_*"
            typer.secho(f"设置错误 {name}：{e['msg']}", fg="red", err=True)
        raise typer.Exit(2) from None
    return build(settings)


def fail(exc: TubanError) -> None:
    """Print a Tuban error to stderr (code, message, details; at most 20 rejected rows) and exit
    with status 2."""
    typer.secho(f"错误 [{exc.code}] {exc.told('cli')}", fg="red", err=True)
    for k, v in exc.details.items():
        if k == "option":  # named in the message, as its command-line option
            continue
        if k == "rejected" and isinstance(v, list):
            typer.echo(f"  rejected: {len(v)} 行", err=True)
            for r in v[:20]:
                typer.echo(f"    第 {r['row']} 行 {r.get('code') or ''}：{r['reason']}", err=True)
            continue
        typer.echo(f"  {k}: {v}", err=True)
    raise typer.Exit(2)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator:  # type: ignore[type-arg]
    """A rich progress display fed by the importer's (stage, done, total) callbacks."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    tasks: dict[str, int] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


def write_report(report: ImportReport, directory: Path, stem: str) -> tuple[Path, Path]:
    """Write an import report as ``<stem>.json`` and ``<stem>.html`` in ``directory``; returns both
    paths."""
    directory.mkdir(parents=True, exist_ok=True)
    js, page = directory / f"{stem}.json", directory / f"{stem}.html"
    js.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    page.write_text(report.to_html(), encoding="utf-8")
    return js, page
