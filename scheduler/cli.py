"""The `coaching` command: set up, load the demo, solve, approve, send invites, serve, import/export.

Each command is one unit of work calling the same services as the web pages and tasks.
Problems the user can fix get one clear message and exit status 2, never a traceback.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import ConfigError, Settings, load_config
from scheduler.db import Database
from scheduler.models import Programme, SolveRunStatus
from scheduler.schema import upgrade_to_head
from scheduler.services.errors import ServiceError
from scheduler.services.fields import valid_timezone
from scheduler.services.programmes.current import current_programme
from scheduler.unit_of_work import UnitOfWork, actor, set_after_commit_handler


class UsageProblem(click.ClickException):
    """A problem the user can fix: printed as `Error: ...`, exit status 2."""

    exit_code = 2


class Context:
    def __init__(self) -> None:
        try:
            self.settings: Settings = load_config()
        except ConfigError as exc:
            raise UsageProblem(str(exc)) from exc
        self._database: Database | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.database_url)
        return self._database

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction; a ServiceError rolls it back and becomes exit status 2.

        After the commit, new outbox rows go to the worker like the web's do (with no worker
        running they wait in the queue; `coaching send-invites` sends them at once).
        """
        from scheduler import tasks

        set_after_commit_handler(tasks.hand_over)
        try:
            with UnitOfWork(self.database, self.settings, acting=actor(None, None, "cli")) as db:
                yield db
        except ServiceError as exc:
            raise UsageProblem(exc.message) from exc


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group()
def main() -> None:
    """Scheduler for volunteer coaching programmes."""


@main.command("init-db")
@pass_context
def init_db(ctx: Context) -> None:
    """Create or migrate the database to the newest schema."""
    upgrade_to_head(ctx.settings.database_url)
    click.echo("database is at the newest schema")


@main.command()
@click.option("--password", envvar="DEMO_PASSWORD", help="Password for the demo accounts (default: random, printed).")
@click.option("--if-empty", is_flag=True, help="Do nothing if a programme exists already.")
@pass_context
def demo(ctx: Context, password: str | None, if_empty: bool) -> None:
    """Load a demo programme: 16 coaches, 1 supervisor, 60 requests."""
    from scheduler.demo import load_demo

    with ctx.unit_of_work() as db:
        if if_empty and db.scalar(select(Programme.id).limit(1)) is not None:
            click.echo("a programme exists already; demo not loaded")
            return
        logins = load_demo(db, password=password)
    click.echo("demo programme loaded: 16 coaches, 1 supervisor, 60 requests")
    click.echo(f"supervisor sign-in: {logins.supervisor_email} / {logins.supervisor_password}")
    click.echo(f"coach sign-in:      {logins.coach_email} / {logins.coach_password}")


@main.command()
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Seconds the solver may take.")
@click.option("--workers", type=click.IntRange(min=1), help="Solver threads.")
@click.option("--timezone", help="Tell the reasons' times in this IANA zone (default: the programme's).")
@pass_context
def solve(ctx: Context, time_limit: float | None, workers: int | None, timezone: str | None) -> None:
    """Solve the queue and store the plan as a draft for approval."""
    from scheduler.services.planning.review import run_unserved
    from scheduler.services.planning.solving import solve_now

    if timezone is not None and not valid_timezone(timezone):
        raise click.BadParameter(f"{timezone!r} is not a known timezone (e.g. Europe/Brussels)", param_hint="--timezone")
    settings = ctx.settings
    if time_limit is not None:
        settings = replace(settings, solver_time_limit=time_limit)
    if workers is not None:
        settings = replace(settings, solver_workers=workers)
    with ctx.unit_of_work() as db:
        programme_id = current_programme(db).id
    try:
        run = solve_now(ctx.database, programme_id, settings)
    except ServiceError as exc:
        raise UsageProblem(exc.message) from exc
    if run.status != SolveRunStatus.DONE:
        raise UsageProblem(run.error or "the solve failed")
    click.echo(
        f"solve run {run.id}: {run.solver_status}, served weight {run.served_weight} "
        f"(bound {run.served_weight_bound}), {len(run.unassigned)} request(s) unassigned"
    )
    with ctx.unit_of_work() as db:
        unserved = run_unserved(db, run, timezone)
    for item in unserved:
        click.echo(f"  request {item['request_id']}: {'; '.join(item['reasons'])}")


@main.command()
@click.argument("request_id", type=int)
@click.argument("coach_id", type=int)
@pass_context
def pin(ctx: Context, request_id: int, coach_id: int) -> None:
    """Pin a waiting request to a coach: the next solve places it there whenever any placement exists."""
    from scheduler.services.planning.adjustments import pin as pin_request

    with ctx.unit_of_work() as db:
        item = pin_request(db, current_programme(db), request_id, coach_id)
        click.echo(f"request {item.id} is pinned to coach {coach_id}; run `coaching solve` to place it")


@main.command()
@click.option("--all", "approve_all", is_flag=True, help="Approve every draft engagement.")
@click.argument("engagement_ids", nargs=-1, type=int)
@pass_context
def approve(ctx: Context, approve_all: bool, engagement_ids: tuple[int, ...]) -> None:
    """Approve draft engagements (by id, or --all); invites are queued."""
    from scheduler.services.planning.approval import approve as approve_drafts

    if approve_all == bool(engagement_ids):
        raise UsageProblem("give engagement ids or --all (not both)")
    with ctx.unit_of_work() as db:
        approved = approve_drafts(db, current_programme(db), None if approve_all else engagement_ids)
        sessions = sum(len(e.sessions) for e in approved)
    click.echo(f"approved {len(approved)} engagement(s) with {sessions} session(s); invites queued")


@main.command("send-invites")
@pass_context
def send_invites(ctx: Context) -> None:
    """Send every queued message now, without a worker."""
    from scheduler.services.messaging.delivery import deliver_all_pending

    sent, failed = deliver_all_pending(ctx.database, ctx.settings)
    click.echo(f"sent {sent} message(s), {failed} failed")
    if failed:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@pass_context
def serve(ctx: Context, host: str, port: int) -> None:
    """Serve the web pages (development server; use gunicorn in production)."""
    from web import create_app

    app = create_app(ctx.settings)
    click.echo(f"serving on http://{host}:{port}/")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@main.command()
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--beat/--no-beat", default=True, show_default=True, help="Also run the periodic jobs.")
@click.option("--queues", help="Comma-separated queues to take tasks from (default: CELERY_QUEUE and SOLVE_QUEUE).")
@pass_context
def worker(ctx: Context, concurrency: int, beat: bool, queues: str | None) -> None:
    """Run a Celery worker for invites, reminders and solves."""
    from scheduler.celery_app import make_celery

    queues = queues or f"{ctx.settings.celery_queue},{ctx.settings.solve_queue}"
    argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", f"--queues={queues}"]
    if beat:
        argv.append("--beat")
    make_celery(ctx.settings).worker_main(argv)


@main.command()
@click.option("--host", help="Address to listen on (default INBOUND_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (default INBOUND_PORT).")
@pass_context
def inbound(ctx: Context, host: str | None, port: int | None) -> None:
    """Listen for calendar answers (iTIP REPLY) forwarded by the mail server to the organizer address."""
    import signal
    import threading

    from scheduler.inbound import reply_listener

    listener = reply_listener(ctx.database, ctx.settings, host=host, port=port)
    listener.start()
    click.echo(f"taking calendar replies over SMTP on {listener.hostname}:{listener.port}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    listener.stop()


KINDS = click.Choice(["coaches", "requests"])


@main.command("import")
@click.argument("kind", type=KINDS)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def import_csv(ctx: Context, kind: str, path: Path) -> None:
    """Import coaches or requests from a CSV file (all rows or none)."""
    from scheduler.services.programmes import transfer

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageProblem(f"{path}: not UTF-8 text ({exc.reason})") from exc
    with ctx.unit_of_work() as db:
        programme = current_programme(db)
        if kind == "coaches":
            count = len(transfer.import_coaches(db, programme, io.StringIO(text)))
        else:
            count = len(transfer.import_requests(db, programme, io.StringIO(text), link_days=ctx.settings.coachee_link_days))
    click.echo(f"imported {count} {kind}")


@main.command("export")
@click.argument("kind", type=KINDS)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: standard output).")
@pass_context
def export_csv(ctx: Context, kind: str, output: Path | None) -> None:
    """Export coaches or requests as CSV."""
    from scheduler.services.programmes import transfer

    with ctx.unit_of_work() as db:
        programme = current_programme(db)
        text = transfer.export_coaches(db, programme) if kind == "coaches" else transfer.export_requests(db, programme)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Backup file (default: BACKUP_DIR/coaching-<UTC time>.db or .dump).")
@pass_context
def backup(ctx: Context, output: Path | None) -> None:
    """Back up the database (SQLite online backup, or pg_dump for PostgreSQL)."""
    from scheduler.services.privacy import backup as backups

    url = ctx.settings.database_url
    try:
        target = output or Path(ctx.settings.backup_dir) / backups.default_name(url)
        made = backups.backup(url, target)
    except ServiceError as exc:
        raise UsageProblem(exc.message) from exc
    click.echo(f"backed up the {made.kind} database to {made.path} ({made.size} bytes)")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def restore(ctx: Context, path: Path) -> None:
    """Restore a backup into the (empty) database DATABASE_URL names."""
    from scheduler.services.privacy import backup as backups

    try:
        kind = backups.restore(ctx.settings.database_url, path)
    except ServiceError as exc:
        raise UsageProblem(exc.message) from exc
    click.echo(f"restored {path} into the {kind} database; run `coaching init-db` if the backup is older")


if __name__ == "__main__":
    main()
