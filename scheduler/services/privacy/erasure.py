"""Erasure: a coachee's request, or a coach's account, reduced to anonymous facts.

One transaction does all of it or none of it (the caller's unit of work commits):

1. Future sessions are cancelled, and the CANCEL mails to both people are *rendered now*,
   while the names and addresses they need still exist. Each is stored in its outbox row
   as finished bytes plus the address it goes to (`payload["raw"]`, `payload["to"]`);
   the row's own recipient column already says `ERASED`. Delivery sends those bytes as
   they are and drops them (and the address) when the row is settled: sent, failed or
   superseded. Until then the mail is the only place the person's details remain; the
   retention job supersedes and clears such a row if it is still unsent after
   `STALE_PRERENDERED` (the mail server gone for a week).
2. Every other outbox row addressed to the person loses its address, payload, error text
   and the address inside its dedupe key; unsent ones are superseded.
3. Private links (tokens) are deleted; personal fields are replaced irreversibly.
4. What statistics need stays: the request's submission time, status, topics,
   languages, number of sessions wanted, the sessions that took place; for a coach,
   their level and the sessions they gave.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler import queries
from scheduler.invites import letters
from scheduler.invites.mail import compose
from scheduler.models import (
    AccessToken,
    AvailabilityException,
    AvailabilityRule,
    BusyTime,
    Coach,
    CoachingRequest,
    Engagement,
    EngagementStatus,
    OutboxMessage,
    OutboxStatus,
    RequestStatus,
    SessionStatus,
    SolveRun,
    User,
    utcnow,
)
from scheduler.services import audit
from scheduler.services.errors import Conflict
from scheduler.services.messaging import delivery, links, outbox
from scheduler.services.messaging.compose import message_id_for
from scheduler.services.planning.drafts import return_to_queue, withdraw_drafts
from scheduler.services.transitions import change_status

ERASED = "(erased)"
CLOSED_COACH_NAME = "(closed account)"
STALE_PRERENDERED = dt.timedelta(days=7)
OPEN_STATES = (RequestStatus.WAITING.value, RequestStatus.PROPOSED.value, RequestStatus.CONFIRMED.value)
NOTE = "NOTE"  # outbox kind: a note to the supervisor


@dataclass
class ErasureReport:
    cancelled_sessions: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)  # prerendered CANCEL mails and notes
    returned_requests: list[int] = field(default_factory=list)  # a closed coach's requests back in the queue


def _cancel_future_sessions(
    db: Session, settings: Settings, engagement: Engagement, now: dt.datetime, report: ErasureReport
) -> bool:
    """Cancel the engagement's sessions still to come; CANCEL mails are rendered now. Any cancelled?"""
    cancelled = False
    for session in list(engagement.sessions):
        if session.status != SessionStatus.SCHEDULED.value or session.start_utc <= now:
            continue
        change_status(db, session, SessionStatus.SCHEDULED.value, SessionStatus.CANCELLED.value,
                      sequence=session.sequence + 1)
        for row in outbox.enqueue_session_messages(db, session, outbox.CANCEL):
            # Rendered now, while the names and addresses it needs exist; sent as it is.
            delivery.prerender(db, settings, row, now)
            row.recipient = ERASED
            row.dedupe_key = f"erased:s{session.id}:{row.recipient_role}:{row.kind}:{row.sequence}"
            report.messages.append(row.id)
        report.cancelled_sessions.append(session.id)
        cancelled = True
    return cancelled


def _scrub_rows(db: Session, rows: list[OutboxMessage], keep: set[int]) -> None:
    """Rows addressed to an erased person: no address, payload or error text; unsent ones superseded."""
    for row in rows:
        if row.id in keep:
            continue
        if row.status in (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value):
            row.status = OutboxStatus.SUPERSEDED.value
        row.recipient = ERASED
        row.payload = {}
        row.last_error = None
        row.dedupe_key = f"erased:{row.id}"


def erase_request(
    db: Session, request: CoachingRequest, settings: Settings, *, now: dt.datetime | None = None,
    action: str = audit.ERASE,
) -> ErasureReport:
    """Erase a coachee's request (see the module docstring); the caller commits."""
    now = now or utcnow()
    if request.erased_at is not None:
        raise Conflict("This request has already been erased.")
    report = ErasureReport()
    old_status = request.status
    for engagement in request.engagements:
        if (
            engagement.status == EngagementStatus.APPROVED.value
            and _cancel_future_sessions(db, settings, engagement, now, report)
            and not any(s.status == SessionStatus.SCHEDULED.value for s in engagement.sessions)
        ):
            change_status(db, engagement, EngagementStatus.APPROVED.value, EngagementStatus.CANCELLED.value)
    withdraw_drafts(db, list(request.engagements))
    if request.status in OPEN_STATES and not _served(request, now):
        change_status(db, request, request.status, RequestStatus.CANCELLED.value)

    rows = db.scalars(select(OutboxMessage).where(
        OutboxMessage.request_id == request.id, OutboxMessage.recipient_role == "coachee")).all()
    _scrub_rows(db, list(rows), keep=set(report.messages))
    db.execute(delete(AccessToken).where(AccessToken.request_id == request.id))

    request.coachee_name = ERASED
    request.coachee_email = ""
    request.organisation = None
    request.message = ""
    request.windows = {}
    request.timezone = "UTC"
    request.earliest_start = request.submitted_at.date()
    request.preferred_coach_ids = []
    request.public_ref = secrets.token_hex(8)  # breaks any link between the person and the row
    request.erased_at = now
    db.flush()
    audit.record(db, action, request, old=old_status, new=request.status, at=now)
    return report


def _served(request: CoachingRequest, now: dt.datetime) -> bool:
    """Whether any session of the request has taken place."""
    return any(
        s.status == SessionStatus.SCHEDULED.value and s.end_utc <= now
        for e in request.engagements for s in e.sessions
    )


def _note_to_supervisors(db: Session, settings: Settings, coach: Coach, returned: list[int], now: dt.datetime,
                         report: ErasureReport) -> None:
    """A short mail to each supervisor: which requests are back in the queue (no names in it)."""
    supervisors = db.scalars(select(User).where(User.role == "supervisor", User.active.is_(True))).all()
    letter = letters.render(letters.COACH_CLOSED, None, coach_id=coach.id, returned=bool(returned),
                            returned_refs=", ".join(f"#{r}" for r in returned),
                            manage_url=links.supervisor_queue_url(settings))
    for supervisor in supervisors:
        key = f"note:close-coach:{coach.id}:u{supervisor.id}"
        message_id = message_id_for(settings, key)
        raw = compose(letter, sender=settings.mail_from, sender_name=settings.mail_from_name,
                      recipient=supervisor.email, recipient_name=None, message_id=message_id, date=now)
        row = OutboxMessage(recipient=supervisor.email, recipient_role="supervisor", kind=NOTE, sequence=0,
                            payload=delivery.prerendered_payload(raw, supervisor.email), message_id=message_id,
                            dedupe_key=key)
        added = queries.add_once(db, row)
        db.flush()
        report.messages.append(added.id)


def _unname_in_solve_runs(db: Session, coach: Coach) -> None:
    """Solve runs keep their reasons as read (coaches named): the closed coach's name goes from them."""
    for run in db.scalars(select(SolveRun).where(SolveRun.programme_id == coach.programme_id)):
        if coach.name not in json.dumps(run.unassigned, ensure_ascii=False):
            continue
        run.unassigned = [
            {**item, "reasons": [str(r).replace(coach.name, CLOSED_COACH_NAME) for r in item.get("reasons", [])]}
            for item in run.unassigned
        ]


def close_coach_account(db: Session, coach: Coach, settings: Settings, *, now: dt.datetime | None = None) -> ErasureReport:
    """Close a coach's account: future engagements back to the queue, personal fields erased."""
    now = now or utcnow()
    if coach.erased_at is not None:
        raise Conflict("This coach's account is already closed.")
    report = ErasureReport()
    engagements = db.scalars(select(Engagement).where(Engagement.coach_id == coach.id).order_by(Engagement.id)).all()
    for engagement in engagements:
        if engagement.status != EngagementStatus.APPROVED.value:
            continue
        if not _cancel_future_sessions(db, settings, engagement, now, report):
            continue
        change_status(db, engagement, EngagementStatus.APPROVED.value, EngagementStatus.CANCELLED.value)
        request = engagement.request
        if request.status in (RequestStatus.PROPOSED.value, RequestStatus.CONFIRMED.value):
            old = request.status
            return_to_queue(db, request)
            audit.record(db, audit.RETURN_TO_QUEUE, request, old=old, new=RequestStatus.WAITING.value, at=now)
            report.returned_requests.append(request.id)
    withdraw_drafts(db, list(engagements))
    for request in db.scalars(select(CoachingRequest).where(CoachingRequest.pinned_coach_id == coach.id)):
        request.pinned_coach_id = None

    user = db.get(User, coach.user_id) if coach.user_id is not None else None
    addresses = {coach.email.lower()} | ({user.email.lower()} if user is not None else set())
    rows = db.scalars(select(OutboxMessage).where(func.lower(OutboxMessage.recipient).in_(addresses))).all()
    _scrub_rows(db, list(rows), keep=set(report.messages))
    _note_to_supervisors(db, settings, coach, report.returned_requests, now, report)

    _unname_in_solve_runs(db, coach)
    placeholder = f"closed-{coach.id}@erased.invalid"
    for model in (AvailabilityRule, AvailabilityException, BusyTime):
        db.execute(delete(model).where(model.coach_id == coach.id))  # type: ignore[attr-defined]
    db.expire(coach, ["availability", "exceptions", "busy"])
    coach.name = CLOSED_COACH_NAME
    coach.email = placeholder
    coach.organisation = None
    coach.languages = []
    coach.topics = []
    coach.feed_token_hash = None
    coach.next_supervision = None
    coach.active = False
    coach.erased_at = now
    if user is not None:
        db.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
        user.email = placeholder
        user.password_hash = None
        user.api_token_hash = None
        user.active = False
    db.flush()
    audit.record(db, audit.CLOSE_ACCOUNT, coach, old="active", new="closed", at=now)
    return report


def stale_prerendered_rows(db: Session, now: dt.datetime) -> list[OutboxMessage]:
    """Unsent mails rendered at erasure and still waiting after STALE_PRERENDERED."""
    return list(db.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == ERASED,
        or_(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.status == OutboxStatus.SENDING.value),
        OutboxMessage.created_at < now - STALE_PRERENDERED,
    )))


def drop_stale_prerendered(db: Session, now: dt.datetime) -> int:
    """Give up on mails to erased people the server would not take for a week: their details go."""
    rows = stale_prerendered_rows(db, now)
    _scrub_rows(db, rows, keep=set())
    return len(rows)
