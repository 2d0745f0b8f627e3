"""The Celery application: `celery -A scheduler.celery_app worker --beat` runs the background jobs.

Settings come from `load_config()` (environment variables) for the module-level `app`, or
from the caller through `make_celery(settings)`. Importing this module does nothing: the
module-level `app` is made on first use (PEP 562 `__getattr__`), so importing it never
creates folders or a development secret key. Tasks take ids and are acknowledged late:
a worker that dies mid-task leaves its message to be delivered again (RabbitMQ at once,
Redis after the visibility timeout); the outbox's compare-and-set makes that harmless,
and the beat-scheduled sweeper finds anything a broker lost (the SQLite transport
cannot redeliver what a killed worker had fetched).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery

from config.settings import PROJECT_ROOT, Settings, load_config
from scheduler.db import Database


def _var_dir() -> Path:
    return Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var")).resolve()


def _prepare_broker(url: str) -> None:
    """kombu's SQLAlchemy transport on SQLite needs the file's folder to exist."""
    if url.startswith("sqla+sqlite:///"):
        Path(url.removeprefix("sqla+sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _poll_sql_broker_promptly() -> None:
    """Poll the embedded SQL queue every 0.1 s instead of every second.

    Between two messages the worker sleeps one polling interval; kombu's default is 1 s.
    The usual knob
    (`broker_transport_options["polling_interval"]`) cannot be used with this transport:
    it hands every option to SQLAlchemy's `create_engine`, which refuses it.
    """
    from kombu.transport import sqlalchemy as sql_transport

    sql_transport.Transport.polling_interval = 0.1


def make_celery(settings: Settings, *, name: str = "scheduler") -> Celery:
    """A Celery app for `settings`, with our tasks, serializer, acknowledgement and beat schedule."""
    _prepare_broker(settings.celery_broker_url)
    _var_dir().mkdir(parents=True, exist_ok=True)  # beat keeps its schedule there
    app = Celery(name, broker=settings.celery_broker_url, backend=settings.celery_result_backend, include=["scheduler.tasks"])
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_always_eager=settings.celery_task_always_eager,
        task_eager_propagates=settings.celery_task_always_eager,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        timezone="UTC",
        enable_utc=True,
        task_default_queue=settings.celery_queue,
        task_routes={"scheduler.tasks.run_solve": {"queue": settings.solve_queue}},
        beat_schedule={
            "sweep-outbox": {
                "task": "scheduler.tasks.sweep_outbox",
                "schedule": settings.outbox_sweep_seconds,
            },
            "send-due-reminders": {
                "task": "scheduler.tasks.send_due_reminders",
                "schedule": settings.reminder_scan_seconds,
            },
            "apply-retention": {
                "task": "scheduler.tasks.apply_retention",
                "schedule": settings.retention_scan_seconds,
            },
            "attendance-follow-ups": {
                "task": "scheduler.tasks.send_attendance_follow_ups",
                "schedule": settings.reminder_scan_seconds,
            },
        },
        beat_schedule_filename=str(_var_dir() / "celerybeat-schedule"),
    )
    if settings.inbound_replies == "imap":
        # Calendar answers from a mailbox (the other door, `coaching inbound`, is its own process).
        app.conf.beat_schedule["poll-calendar-replies"] = {
            "task": "scheduler.tasks.poll_calendar_replies",
            "schedule": settings.imap_poll_seconds,
        }
    if settings.celery_broker_url.startswith(("amqp://", "amqps://", "pyamqp://")):
        # With AMQP heartbeats on, a solo-pool worker here took up to 10 s to fetch the next
        # message after each late ack (measured: 6 invites in 11-40 s, 2 s without). Dead
        # connections are still noticed through TCP keepalive, which py-amqp switches on.
        app.conf.broker_heartbeat = 0
    if settings.celery_broker_url.startswith("sqla+"):
        _poll_sql_broker_promptly()
        # Celery's loop for polling transports acknowledges a pool's results only every
        # 2 s, so a prefork worker on this queue sent one invite per 2 s; the solo pool
        # runs each task inline and acknowledges at once (about 10 invites/s measured).
        app.conf.worker_pool = "solo"
    if settings.celery_broker_url.startswith(("redis://", "rediss://")):
        # A message a dead worker had taken comes back after this long (the sweeper is faster).
        app.conf.broker_transport_options = {"visibility_timeout": 600}
    app.coaching_settings = settings
    return app


_databases: dict[tuple[int, str], Database] = {}
_apps: dict[str, Celery] = {}


def settings_of(app: Any) -> Settings:
    """The settings an app was made with (the environment's when it was not made by us)."""
    settings = getattr(app, "coaching_settings", None)
    return settings if isinstance(settings, Settings) else load_config()


def database_for(settings: Settings) -> Database:
    """One engine per process and URL (a forked worker child builds its own)."""
    key = (os.getpid(), settings.database_url)
    if key not in _databases:
        _databases[key] = Database(settings.database_url)
    return _databases[key]


def app_for(settings: Settings) -> Celery:
    """The app to queue tasks with for these settings: one made once per broker, queue and database."""
    key = "|".join(map(str, (settings.celery_broker_url, settings.celery_task_always_eager, settings.database_url,
                             settings.celery_queue, settings.solve_queue)))
    if key not in _apps:
        _apps[key] = make_celery(settings)
    return _apps[key]


def __getattr__(name: str) -> Celery:
    """`app`, the environment's app that `celery -A scheduler.celery_app` runs, made on first use."""
    if name == "app":
        return app_for(load_config())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
