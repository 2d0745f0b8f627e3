"""Celery tasks, and the hand-over of committed work to them.

Tasks are thin wrappers that take ids, open a unit of work, call a service. They are
`shared_task`s, so they run on whichever app is current: the module app of
`scheduler.celery_app`, a test's app, or the web's (`celery_init_app`).

`hand_over` is the task side of the unit of work's after-commit port
(`scheduler.unit_of_work.set_after_commit_handler`): each new outbox row becomes a
delivery task on the default queue, each queued solve run a solve task on the solve
queue (`SOLVE_QUEUE`), so a long solve never holds up an invitation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from celery import Celery, Task, shared_task
from sqlalchemy.exc import OperationalError

from config.settings import Settings
from scheduler.celery_app import app_for, database_for, settings_of
from scheduler.models import SolveRun, SolveRunStatus, utcnow
from scheduler.services.messaging import delivery
from scheduler.services.planning import review
from scheduler.services.planning.solving import execute_solve_run
from scheduler.unit_of_work import AfterCommit, UnitOfWork

log = logging.getLogger(__name__)


def _context(task: Task) -> tuple[Settings, Any]:
    settings = settings_of(task.app)
    return settings, database_for(settings)


def _unit_of_work(task: Task) -> UnitOfWork:
    """A unit of work whose committed rows go to this task's own app."""
    settings, database = _context(task)
    return UnitOfWork(database, settings, after_commit=partial(hand_over, app=task.app),
                      acting={"user_id": None, "role": None, "interface": "task"})


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
    return len(delivery.sweep_outbox(database, settings, dispatch=partial(dispatch_deliveries, settings, app=self.app)))


@shared_task(bind=True, name="scheduler.tasks.send_due_reminders", ignore_result=True)  # type: ignore[misc]
def send_due_reminders(self: Task) -> int:
    """Write reminder rows for sessions starting within REMINDER_HOURS; they are queued after commit."""
    unit = _unit_of_work(self)
    with unit as db:
        count = len(delivery.enqueue_due_reminders(db, utcnow(), unit.settings.reminder_hours))
    return count


@shared_task(bind=True, name="scheduler.tasks.send_attendance_follow_ups", ignore_result=True)  # type: ignore[misc]
def send_attendance_follow_ups(self: Task) -> int:
    """Ask coaches how their ended sessions went (settling those left unmarked past the grace period) and
    send feedback forms to coachees whose engagement is over and to intervision participants after
    their meeting; the messages are queued after commit."""
    from scheduler.services.attendance import operations as attendance
    from scheduler.services.feedback import operations as feedback

    with _unit_of_work(self) as db:
        now = utcnow()
        return (
            attendance.send_follow_ups(db, now)
            + feedback.send_due_feedback_forms(db, now)
            + feedback.send_due_intervision_feedback(db, now)
        )


@shared_task(bind=True, name="scheduler.tasks.send_status_links", ignore_result=True)  # type: ignore[misc]
def send_status_links(self: Task, programme_id: int, email: str) -> int:
    """Fresh private links for a coachee's open requests (the web request only queues this)."""
    from scheduler.models import Programme
    from scheduler.services.requests.status import send_links_for_email

    unit = _unit_of_work(self)
    with unit as db:
        programme = db.get_one(Programme, programme_id)
        count = send_links_for_email(db, programme, email, link_days=unit.settings.coachee_link_days)
    return count


@shared_task(bind=True, name="scheduler.tasks.poll_calendar_replies", ignore_result=True)  # type: ignore[misc]
def poll_calendar_replies(self: Task) -> int:
    """Read calendar answers (iTIP REPLY) from the IMAP mailbox; notices go to the worker after commit."""
    from scheduler.inbound import poll_mailbox

    settings, database = _context(self)
    return poll_mailbox(database, settings, dispatch=partial(dispatch_deliveries, settings, app=self.app))


@shared_task(bind=True, name="scheduler.tasks.run_solve", ignore_result=True)  # type: ignore[misc]
def run_solve(self: Task, run_id: int) -> None:
    """Run one queued solve; the service records progress and the result on the run."""
    settings, database = _context(self)
    execute_solve_run(database, run_id, settings)


@shared_task(bind=True, name="scheduler.tasks.apply_retention", ignore_result=True)  # type: ignore[misc]
def apply_retention(self: Task) -> dict[str, int]:
    """Expire requests left waiting and anonymise closed ones past their retention period."""
    from scheduler.services.privacy.retention import apply_retention as retention

    unit = _unit_of_work(self)
    with unit as db:
        report = retention(db, unit.settings)
    return {"expired": len(report.expired), "anonymised": len(report.anonymised)}


# --------------------------------------------------------------------------- after commit


def dispatch_deliveries(settings: Settings, outbox_ids: Iterable[int], *, app: Celery | None = None) -> int:
    """Queue a delivery task per outbox row; call it after the commit that wrote the rows.

    If the broker cannot be reached the rows stay pending and the sweeper sends them
    later, so this never fails the caller's request. Returns how many were queued.
    """
    ids = [int(i) for i in outbox_ids]
    if not ids:
        return 0
    celery = app or app_for(settings)
    queued = 0
    try:
        task = celery.tasks[deliver_message.name]
        for outbox_id in ids:
            task.apply_async(args=[outbox_id])
            queued += 1
    except Exception as exc:
        log.warning("could not queue %s delivery task(s) (%s); the sweeper will retry",
                    len(ids) - queued, type(exc).__name__)
    return queued


def dispatch_solve(settings: Settings, run_id: int, *, app: Celery | None = None) -> bool:
    """Queue the solve task of a committed run on the solve queue.

    If the broker cannot take it, the run is marked failed at once, so it does not block
    the programme's next solve.
    """
    celery = app or app_for(settings)
    try:
        celery.tasks[run_solve.name].apply_async(args=[run_id], queue=settings.solve_queue)
        return True
    except Exception as exc:
        log.exception("could not start solve run %s", run_id)
        with database_for(settings).sessions() as db, db.begin():
            run = db.get(SolveRun, run_id)
            if run is not None and run.status == SolveRunStatus.QUEUED:
                # A task run in-process (eager) records its own failure; only a run no worker has is failed here.
                review.fail_run(db, run, f"The solve could not be started ({type(exc).__name__}); try again.")
        return False


def hand_over(settings: Settings, work: AfterCommit, *, app: Celery | None = None) -> None:
    """The after-commit handler: committed outbox rows and solve runs become tasks."""
    dispatch_deliveries(settings, work.outbox_ids, app=app)
    for run_id in work.solve_run_ids:
        dispatch_solve(settings, run_id, app=app)
