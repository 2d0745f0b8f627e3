"""A real Celery worker delivers the outbox on Redis, RabbitMQ and the embedded SQLite transport,
and a worker SIGKILLed in the middle of a batch loses nothing and duplicates nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from kombu.asynchronous import set_event_loop
from sqlalchemy import select

from config.settings import PROJECT_ROOT, Settings
from scheduler import tasks
from scheduler.celery_app import make_celery
from scheduler.db import Database
from scheduler.models import OutboxMessage, utcnow
from scheduler.services.messaging import outbox
from tests.scheduler.conftest import Sessions, SmtpServer, make_settings, smtp_settings_for
from tests.scheduler.invite_checks import only_event
from tests.servers import RABBITMQ, REDIS, require_server

SOON = dt.datetime(2027, 6, 7, 16, 0, tzinfo=dt.UTC)


def _broker_url(kind: str, tmp_path: Path) -> str:
    if kind == "redis":
        require_server(REDIS)
        return "redis://127.0.0.1:6379/15"
    if kind == "rabbitmq":
        require_server(RABBITMQ)
        return "amqp://guest:guest@127.0.0.1:5672//"
    return f"sqla+sqlite:///{tmp_path / 'broker.db'}"


def _worker_settings(name: str, broker: str, tmp_path: Path, database: Database, server: SmtpServer) -> Settings:
    """Mail to `server` through workers of this test alone: a queue of its own on `broker`."""
    queue = f"coaching-{name}-{uuid.uuid4().hex[:8]}"
    return smtp_settings_for(
        tmp_path, database.url, server, celery_broker_url=_broker_url(broker, tmp_path), celery_queue=queue
    )


BROKERS = [
    pytest.param("sqlite", id="embedded-sqlite"),
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("rabbitmq", marks=pytest.mark.rabbitmq),
]


def _queue_sessions(database: Database, sessions: Sessions, count: int, start: dt.datetime = SOON) -> list[int]:
    with database.sessions() as db, db.begin():
        ids: list[int] = []
        for i in range(count):
            session = sessions.add(db, start + dt.timedelta(days=i))
            ids.extend(m.id for m in outbox.enqueue_session_messages(db, session, outbox.REQUEST))
    return ids


def _dispatched(settings: Settings, database: Database, sessions: Sessions, count: int) -> list[int]:
    """The invitations of `count` sessions queued and handed to the broker (no worker yet): their ids."""
    ids = _queue_sessions(database, sessions, count)
    assert tasks.dispatch_deliveries(settings, ids, app=_test_app(settings)) == len(ids)
    return ids


def _statuses(database: Database) -> Counter[str]:
    with database.sessions() as db:
        return Counter(db.scalars(select(OutboxMessage.status)))


def _wait(condition: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-12000:] if log and log.exists() else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}\n{tail}")
        time.sleep(0.1)


def _test_app(settings: Settings) -> Celery:
    # kombu keeps one event loop per process; a loop left by an earlier in-process worker
    # never fires this one's timers (a retry's countdown would wait forever).
    set_event_loop(None)
    app = make_celery(settings, name=f"test-{uuid.uuid4().hex[:6]}")
    app.conf.broker_connection_timeout = 3
    return app


@pytest.mark.timeout(90)
@pytest.mark.parametrize("broker", BROKERS)
def test_worker_delivers_reminders_and_sweeps_on_each_broker(
    broker: str, sqlite_db: Database, tmp_path: Path, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    queue = f"coaching-test-{uuid.uuid4().hex[:8]}"
    settings = smtp_settings_for(
        tmp_path,
        sqlite_db.url,
        smtp_server,
        celery_broker_url=_broker_url(broker, tmp_path),
        reminder_hours=24,
        extra={
            "celery_queue": queue,
            "outbox_lease_seconds": 2,
            "outbox_retry_base_seconds": 0.2,
            "outbox_sweep_grace_seconds": 0,
        },
    )
    # The first delivery attempt is refused with a 4xx: the task must retry it with backoff.
    refusals = iter(["451 4.3.0 busy, try later"])
    smtp_server.handler.on_rcpt = lambda address: next(refusals, None)
    ids = _queue_sessions(sqlite_db, sessions, 3)
    with sqlite_db.sessions() as db, db.begin():
        sessions.add(db, utcnow() + dt.timedelta(hours=3))  # due for a reminder
    app = _test_app(settings)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert tasks.dispatch_deliveries(settings, ids, app=app) == 6
        _wait(lambda: _statuses(sqlite_db)["sent"] == 6, 30, "six invites")
        app.send_task("scheduler.tasks.send_due_reminders")
        _wait(lambda: _statuses(sqlite_db)["sent"] == 8, 30, "two reminders")
        # A row left pending without a task (lost message): the sweeper sends it.
        with sqlite_db.sessions() as db, db.begin():
            session = sessions.add(db, SOON + dt.timedelta(days=30))
            outbox.enqueue_session_messages(db, session, outbox.REQUEST)
        app.send_task("scheduler.tasks.sweep_outbox")
        _wait(lambda: _statuses(sqlite_db)["sent"] == 10, 30, "the sweeper's two")
    received = smtp_server.received
    assert len(received) == 10
    assert Counter(r.message["Message-ID"] for r in received).most_common(1)[0][1] == 1
    with sqlite_db.sessions() as db:
        retried = db.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 1)).all()
        assert len(retried) == 1 and retried[0].status == "sent"


# --------------------------------------------------------------------------- SIGKILL in the middle of a batch


def _worker_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "SMTP_", "MAIL_", "OUTBOX_"))}
    env.update(
        APP_ENV="testing",
        PYTHONPATH=str(PROJECT_ROOT),
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=settings.database_url,
        CELERY_BROKER_URL=settings.celery_broker_url,
        CELERY_QUEUE=settings.celery_queue,
        MAIL_BACKEND="smtp",
        SMTP_HOST=settings.smtp_host,
        SMTP_PORT=str(settings.smtp_port),
        SECRET_KEY=settings.secret_key,
        MAIL_FROM=settings.mail_from,
        BASE_URL=settings.base_url,
        OUTBOX_LEASE_SECONDS="2",
        OUTBOX_SWEEP_GRACE_SECONDS="0",
        OUTBOX_RETRY_BASE_SECONDS="0.5",
        OUTBOX_SWEEP_SECONDS="1",
    )
    return env


def _start_worker(env: dict[str, str], log: Path, *, beat: bool, pool: str = "solo") -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "scheduler.celery_app",
        "worker",
        f"--pool={pool}",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat:
        command.append("--beat")
    with log.open("ab") as out:
        # Its own process group: a worker started with --beat forks a beat process, which a
        # SIGKILL of the worker alone would leave running after the test.
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        with contextlib.suppress(ProcessLookupError):  # the whole group may have ended already
            os.killpg(process.pid, signal.SIGKILL)  # the worker and what it forked (beat)
        process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("broker", BROKERS)
def test_worker_killed_mid_batch_delivers_every_invite_exactly_once_after_restart(
    broker: str,
    sqlite_db: Database,
    tmp_path: Path,
    smtp_server: SmtpServer,
    sessions: Sessions,
    workers: list[subprocess.Popen[bytes]],
    record_property: pytest.RecordProperty,
) -> None:
    settings = _worker_settings("kill", broker, tmp_path, sqlite_db, smtp_server)
    ids = _dispatched(settings, sqlite_db, sessions, 15)
    total = len(ids)
    env = _worker_env(settings, tmp_path)
    log = tmp_path / "worker.log"

    # The worker is killed while the server is in the middle of the 12th transaction:
    # the envelope is open, the message is not accepted.
    kill_at = 12
    rcpts = 0
    killed = threading.Event()

    def kill_during_rcpt(address: str) -> str | None:
        nonlocal rcpts
        rcpts += 1
        if rcpts == kill_at and not killed.is_set():
            os.kill(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=10)
            killed.set()
            return "421 4.3.2 connection closing"
        return None

    smtp_server.handler.on_rcpt = kill_during_rcpt
    workers.append(_start_worker(env, log, beat=False))
    assert killed.wait(timeout=60), f"worker never reached message {kill_at}:\n{log.read_text()[-3000:]}"
    assert workers[0].returncode == -signal.SIGKILL
    before = _statuses(sqlite_db)
    batch = 25  # OUTBOX_BATCH_SIZE: the first task claimed this many, sent and recorded 11 of them
    assert before["sent"] == kill_at - 1 == len(smtp_server.received)
    assert before["sending"] == batch - (kill_at - 1), before  # the rest of the killed worker's batch
    assert before["pending"] == total - batch, before

    smtp_server.handler.on_rcpt = None
    restarted = time.monotonic()
    workers.append(_start_worker(env, log, beat=True))
    _wait(lambda: _statuses(sqlite_db)["sent"] == total, 60, f"all {total} invites after the restart", log)
    recovery = time.monotonic() - restarted

    received = smtp_server.received
    per_change = Counter()
    for item in received:
        _, event = only_event(item.message)
        per_change[(str(event["UID"]), item.recipients[0], int(event["SEQUENCE"]))] += 1
    duplicates = len(received) - len(per_change)
    record_property("duplicates", f"{duplicates} of {total}")
    record_property("recovery_seconds", round(recovery, 1))
    print(
        f"\n[{broker}] SIGKILL at message {kill_at}: {len(received)} received for {total} invites, "
        f"{duplicates} duplicates, all sent {recovery:.1f}s after restart"
    )
    assert len(per_change) == total and set(per_change.values()) == {1}
    assert len(received) == total
    with sqlite_db.sessions() as db:
        rows = db.scalars(select(OutboxMessage)).all()
        assert all(r.status == "sent" for r in rows)
        # Only the claims of the killed worker were taken over (a second attempt each).
        assert sorted(r.attempts for r in rows).count(2) == batch - (kill_at - 1)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_worker_killed_between_the_last_250_and_quit_repeats_nothing(
    sqlite_db: Database, tmp_path: Path, smtp_server: SmtpServer, sessions: Sessions,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    """Each message is recorded right after the server's 250, before QUIT: a worker killed while
    the server holds its QUIT (a slow goodbye) has nothing left to send twice. The only repeat
    window left is between one 250 and that message's record (docs/mail-delivery.md)."""
    settings = _worker_settings("quit", "sqlite", tmp_path, sqlite_db, smtp_server)
    ids = _dispatched(settings, sqlite_db, sessions, 5)
    total = len(ids)
    env = _worker_env(settings, tmp_path)
    log = tmp_path / "worker.log"
    at_quit = threading.Event()
    release = threading.Event()

    def stall_quit() -> None:
        at_quit.set()
        release.wait(timeout=60)

    smtp_server.handler.on_quit = stall_quit
    workers.append(_start_worker(env, log, beat=False))
    assert at_quit.wait(timeout=60), f"the worker never said goodbye:\n{log.read_text()[-3000:]}"
    # The whole batch was accepted and recorded before QUIT: kill the worker in its goodbye.
    assert _statuses(sqlite_db) == Counter({"sent": total})
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].wait(timeout=10)
    smtp_server.handler.on_quit = None
    release.set()

    workers.append(_start_worker(env, log, beat=True))
    time.sleep(4)  # two leases and several sweeps: anything left would be sent again by now
    received = smtp_server.received
    assert len(received) == total
    assert len({r.message["Message-ID"] for r in received}) == total, "no repeat"
    assert _statuses(sqlite_db) == Counter({"sent": total})


def test_run_solve_task_calls_the_solving_service(sqlite_db: Database, tmp_path: Path, sessions: Sessions) -> None:
    from scheduler.models import SolveRun

    settings = make_settings(tmp_path, sqlite_db.url, solver_time_limit=2.0)
    with sqlite_db.sessions() as db, db.begin():
        run = SolveRun(programme_id=sessions.programme(db).id, status="queued")
        db.add(run)
        db.flush()
        run_id = run.id
    app = _test_app(settings)
    app.conf.task_always_eager = True
    import scheduler.tasks  # noqa: F401

    app.tasks["scheduler.tasks.run_solve"].apply(args=[run_id]).get(timeout=30)
    with sqlite_db.sessions() as db:
        assert db.get_one(SolveRun, run_id).status == "done"


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("broker", BROKERS[1:])  # the embedded queue runs a solo pool (see make_celery)
def test_prefork_child_killed_mid_send_is_replaced_and_nothing_is_lost_or_repeated(
    broker: str, sqlite_db: Database, tmp_path: Path, smtp_server: SmtpServer, sessions: Sessions,
    workers: list[subprocess.Popen[bytes]],
) -> None:
    """The production shape (`coaching worker`: prefork pool and beat): the pool process that is
    sending is SIGKILLed; the parent reports the worker lost, rejects the task, starts a new
    child, and the sweeper sends the interrupted invite once its claim has expired."""
    import psutil

    settings = _worker_settings("prefork", broker, tmp_path, sqlite_db, smtp_server)
    ids = _queue_sessions(sqlite_db, sessions, 6)
    total = len(ids)
    env = _worker_env(settings, tmp_path) | {"OUTBOX_SWEEP_GRACE_SECONDS": "30"}
    log = tmp_path / "worker.log"
    killed: list[int] = []

    def kill_the_sending_child(address: str) -> str | None:
        if len(smtp_server.received) == 3 and not killed:
            children = psutil.Process(workers[0].pid).children()
            senders = [c for c in children if c.cmdline() and "Beat" not in " ".join(c.cmdline())]
            for child in senders:
                if any(conn.raddr and conn.raddr.port == smtp_server.port for conn in child.net_connections("tcp")):
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
            if killed:
                return "421 4.3.2 connection closing"
        return None

    smtp_server.handler.on_rcpt = kill_the_sending_child
    workers.append(_start_worker(env, log, beat=True, pool="prefork"))
    app = _test_app(settings)
    assert tasks.dispatch_deliveries(settings, ids, app=app) == total
    _wait(lambda: bool(killed), 60, "the sending child to be killed", log)
    _wait(lambda: _statuses(sqlite_db)["sent"] == total, 60, f"all {total} invites", log)
    assert workers[0].poll() is None, "the parent worker survives its child"
    received = smtp_server.received
    assert len(received) == total
    assert len({(r.recipients[0], str(only_event(r.message)[1]["UID"])) for r in received}) == total
    text = log.read_text(errors="replace")
    assert "signal 9 (SIGKILL)" in text and "WorkerLostError" in text


# --------------------------------------------------------------------------- the solve queue


@pytest.mark.timeout(90)
@pytest.mark.parametrize("broker", BROKERS)
def test_solves_go_to_their_own_queue_and_invitations_to_the_default_one(
    broker: str, sqlite_db: Database, tmp_path: Path, sessions: Sessions
) -> None:
    """The unit of work hands a committed solve run to the solve queue and invites to the default queue:
    a worker on the solve queue alone solves and sends nothing; one on the default queue sends."""
    from scheduler.models import SolveRun
    from scheduler.services.planning.solving import queue_solve
    from scheduler.unit_of_work import UnitOfWork

    suffix = uuid.uuid4().hex[:8]
    settings = make_settings(
        tmp_path, sqlite_db.url, celery_broker_url=_broker_url(broker, tmp_path), solver_time_limit=2.0,
        solver_workers=1, celery_queue=f"coaching-mail-{suffix}", solve_queue=f"coaching-solve-{suffix}",
    )
    app = _test_app(settings)
    with UnitOfWork(sqlite_db, settings, after_commit=partial(tasks.hand_over, app=app)) as db:
        for day in range(2):
            session = sessions.add(db, SOON + dt.timedelta(days=day))
            outbox.enqueue_session_messages(db, session, outbox.REQUEST)
        run_id = queue_solve(db, sessions.programme(db)).id

    def run_status() -> str:
        with sqlite_db.sessions() as db:
            return db.get_one(SolveRun, run_id).status

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[settings.solve_queue]):
        _wait(lambda: run_status() == "done", 30, "the solve on the solve queue")
    assert _statuses(sqlite_db) == {"pending": 4}, "the solve worker took no invitation"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[settings.celery_queue]):
        _wait(lambda: _statuses(sqlite_db)["sent"] == 4, 30, "the four invitations on the default queue")
