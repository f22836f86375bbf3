"""``tuban worker``: run background jobs from the queue; and the consumer ``tuban serve`` starts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tuban_cli.common import DbOpt, services_for

if TYPE_CHECKING:
    from huey.consumer import Consumer

    from runtime.jobs import JobRunner


def start_in_server(runner: JobRunner) -> Consumer | None:
    """Start ``settings.job_workers`` job threads inside the server (none when 0, or when the
    queue runs each job where it is submitted); the caller stops the consumer at shutdown."""
    settings = runner.services.settings
    if settings.job_workers == 0 or settings.job_queue.strip() == "memory":
        return None
    consumer = runner.consumer(settings.job_workers, in_process=True)
    consumer.start()
    return consumer


def register(app: typer.Typer) -> None:
    """Add ``tuban worker`` to ``app``."""

    @app.command()
    def worker(
        db: DbOpt = None,
        threads: Annotated[int, typer.Option(min=1, max=8, help="jobs run at the same time")] = 1,
    ) -> None:
        """Run background jobs (imports, report files, recounts) until stopped (Ctrl+C).

        At start, jobs whose worker died are marked failed (nothing of them was kept) and jobs
        still queued are taken up.
        """
        from runtime.jobs import JobRunner
        from runtime.logging import configure

        services = services_for(db)
        configure(services.settings.log_level, services.settings.access_log)
        runner = JobRunner(services)
        if services.settings.job_queue.strip() == "memory":
            typer.echo("TUBAN_JOB_QUEUE=memory 时任务在提交处运行，无需 worker", err=True)
            raise typer.Exit(2)
        typer.echo(f"Tuban 任务进程已启动（{threads} 个线程，Ctrl+C 退出）")
        runner.consumer(threads).run()
