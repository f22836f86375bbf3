"""``tuban backup`` / ``tuban restore``: the database, photos and evidence files in one tar."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from geo.errors import TubanError
from tuban_cli.common import DbOpt, fail, services_for


def register(app: typer.Typer) -> None:
    """Add ``tuban backup`` and ``tuban restore`` to ``app``."""
    app.command("backup")(backup)
    app.command("restore")(restore)


def _store(db: Path | None):  # type: ignore[no-untyped-def]
    from runtime.settings import load_settings
    from storage.backup import Store

    settings = load_settings(db)
    return Store(settings.database_url, settings.photos_dir, settings.evidence_dir())


def backup(
    out: Annotated[Path, typer.Option("-o", "--out", help="备份文件，或放置备份文件的目录")],
    db: DbOpt = None,
) -> None:
    """Back up the database (online: the server may keep running), photos and evidence files."""
    from storage import backup as b

    try:
        path = b.backup(_store(db), out, datetime.now(UTC))
    except TubanError as exc:
        fail(exc)
    typer.echo(f"已备份到 {path}")


def restore(
    archive: Annotated[Path, typer.Argument(help="tuban backup 写出的 .tar 文件")],
    force: Annotated[bool, typer.Option("--force", help="覆盖已有数据的数据库")] = False,
    db: DbOpt = None,
) -> None:
    """Restore a backup (stop the server first); the manifest is checked before anything is
    written, and the hash chain is verified afterwards."""
    from storage import audit
    from storage import backup as b

    store = _store(db)
    try:
        done = b.restore(store, archive, force=force)
    except TubanError as exc:
        fail(exc)
    services = services_for(db)  # opened as the server will open it
    verdict = audit.verify(services.engine)
    services.close()
    typer.echo(f"已恢复：{verdict.cases} 个图斑，{verdict.events} 个事件，{done['files']} 个文件")
    if not verdict.ok:
        typer.secho("警告：恢复后的哈希链校验未通过（tuban audit verify 查看详情）", fg="red")
        raise typer.Exit(1)
