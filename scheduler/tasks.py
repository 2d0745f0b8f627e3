"""Celery tasks: thin wrappers that take ids, open a session, call a service, commit.

They are `shared_task`s, so they run on whichever app is current: the module app of
`scheduler.celery_app`, a test's app, or the web's (`celery_init_app`).
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from scheduler.celery_app import database_for, settings_of
from scheduler.models import utcnow
from scheduler.services.messaging import delivery


def _context(task: Task) -> tuple[Any, Any]:
    settings = settings_of(task.app)
    return settings, database_for(settings)


@shared_task(  # type: ignore[misc]
    bind=True,
    name="scheduler.tasks.deliver_message",
    ignore_result=True,
    acks_late=True,
    # The database away or locked: try again soon (the row is untouched, or the sweeper has it).
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def deliver_message(self: Task, message_id: int) -> str:
    """Deliver one outbox message, and other due ones with it over one connection (a batch).

    A 4xx is retried with backoff; while the outbox is paused nothing is retried here:
    the sweeper hands the messages over again once the mail server answers.
    """
    settings, database = _context(self)
    result = delivery.deliver_message(database, settings, message_id, fill=True)
    if result.outcome in (delivery.Outcome.RETRY, delivery.Outcome.NOT_DUE) and result.retry_in is not None:
        raise self.retry(countdown=max(result.retry_in, 1.0), max_retries=None)
    return result.outcome.value


@shared_task(bind=True, name="scheduler.tasks.sweep_outbox", ignore_result=True)  # type: ignore[misc]
def sweep_outbox(self: Task) -> int:
    """Re-dispatch outbox rows left pending or stuck in `sending` by a dead worker."""
    settings, database = _context(self)
    return len(delivery.sweep_outbox(database, settings, dispatch=lambda ids: delivery.dispatch_pending(
        settings, ids, app=self.app)))


@shared_task(bind=True, name="scheduler.tasks.send_due_reminders", ignore_result=True)  # type: ignore[misc]
def send_due_reminders(self: Task) -> int:
    """Write reminder rows for sessions starting within REMINDER_HOURS, then queue them."""
    settings, database = _context(self)
    with database.sessions() as db, db.begin():
        ids = [m.id for m in delivery.enqueue_due_reminders(db, utcnow(), settings.reminder_hours)]
    delivery.dispatch_pending(settings, ids, app=self.app)
    return len(ids)


@shared_task(bind=True, name="scheduler.tasks.poll_calendar_replies", ignore_result=True)  # type: ignore[misc]
def poll_calendar_replies(self: Task) -> int:
    """Read calendar answers (iTIP REPLY) from the IMAP mailbox; notices go to the worker after commit."""
    from scheduler.inbound import poll_mailbox

    settings, database = _context(self)
    return poll_mailbox(database, settings, dispatch=lambda ids: delivery.dispatch_pending(settings, ids,
                                                                                           app=self.app))


@shared_task(bind=True, name="scheduler.tasks.run_solve", ignore_result=True)  # type: ignore[misc]
def run_solve(self: Task, run_id: int) -> None:
    """Run one queued solve; the service records progress and the result on the run."""
    from scheduler.services.planning.solving import execute_solve_run

    settings, database = _context(self)
    execute_solve_run(database, run_id, settings)
