"""Delivering the outbox: each message once, with retries, reminders and a sweeper.

How a message travels (each step its own short transaction; no transaction is open while
we talk to the mail server):

1. **Claim.** Read the row; if it is `pending` and due (or `sending` with a claim older
   than the lease, i.e. its worker died), compose the e-mail and move it to `sending`
   with compare-and-set on (status, attempts). `attempts` is the claim's fencing number.
   Two workers racing for one row: exactly one update matches, the other skips.
2. **Send** the composed bytes. The Message-ID is an HMAC of the outbox row's dedupe key
   (nothing personal in it), fixed at the first claim and reused by every later attempt;
   the calendar's DTSTAMP is the time of the change, and a coachee's status link is
   kept in the row until the send is recorded, so a re-send is the same message.
3. **Record** `sent` with compare-and-set on (status=sending, attempts=our claim).

What this guarantees, honestly: a change (session, recipient, method, sequence) has one
row (unique dedupe key), and only one worker at a time holds its claim, so a task that runs
twice, a redelivered broker message or a sweeper racing a worker sends nothing twice. A
worker killed before the server accepted the message (connecting, or anywhere before the
final "." of DATA) loses nothing: its claim expires after the lease and the sweeper
sends the message again, once. Only a crash in the instant between the server's "250 OK"
and our commit (RFC 1047's window, microseconds to milliseconds) can repeat a message;
the repeat is the same message (same Message-ID, same UID and SEQUENCE), which mail
systems may drop as a duplicate and which calendar clients apply as the same revision:
no second event appears. SMTP offers no way to close that window.

Failures: connection problems and SMTP 4xx go back to `pending` with exponential backoff
(the worker retries; the sweeper is the safety net); SMTP 5xx, or anything that makes the
message impossible to compose, is `failed` with `last_error` for the supervisor. A
REQUEST or REMINDER overtaken by a later change (higher sequence, cancelled session,
recipient no longer invited) is `superseded`, not sent. Logs carry row ids, kinds and
sequences only; never an address, a name or a token.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.settings import Settings
from scheduler.db import Database
from scheduler.invites import calendar as ical
from scheduler.invites.backends import MailBackend, PermanentSendError, SendError, make_backend
from scheduler.invites.i18n import effective_language, format_span, translations
from scheduler.invites.mail import Letter, compose
from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    OutboxMessage,
    OutboxStatus,
    Programme,
    SessionStatus,
    utcnow,
)
from scheduler.services.accounts.tokens import REQUEST_STATUS, issue_token
from scheduler.services.messaging import outbox

log = logging.getLogger(__name__)

SUPERSEDED = OutboxStatus.SUPERSEDED.value  # overtaken by a later change, deliberately not sent
DELIVER_TASK = "scheduler.tasks.deliver_message"

SessionFactory = Callable[[], Session]


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient failure, back to pending; try again in `retry_in` seconds
    FAILED = "failed"  # permanent failure (or attempts exhausted)
    SUPERSEDED = "superseded"
    SKIPPED = "skipped"  # already sent, failed, missing, or another worker holds the claim
    NOT_DUE = "not_due"  # pending but backing off; `retry_in` seconds left


@dataclass(frozen=True)
class DeliveryResult:
    outbox_id: int
    outcome: Outcome
    retry_in: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long a claim lasts, how often and how fast to retry, when the sweeper steps in."""

    lease: dt.timedelta = dt.timedelta(minutes=5)
    max_attempts: int = 8
    base_backoff: float = 30.0
    max_backoff: float = 3600.0
    # A never-tried row is only re-dispatched after this long, so a backlog the worker is
    # still working through is not queued a second time on every sweep.
    sweep_grace: dt.timedelta = dt.timedelta(minutes=5)
    alarm_minutes: int | None = 15

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the settings (OUTBOX_* environment variables) describe."""
        # A claim must outlive the slowest send, or a second worker would start the same one.
        lease = settings.outbox_lease_seconds or max(300.0, 4 * settings.smtp_timeout)
        return cls(
            lease=dt.timedelta(seconds=lease),
            max_attempts=settings.outbox_max_attempts,
            base_backoff=settings.outbox_retry_base_seconds,
            max_backoff=settings.outbox_retry_max_seconds,
            sweep_grace=dt.timedelta(seconds=settings.outbox_sweep_grace_seconds),
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        if attempts <= 0:
            return 0.0
        return float(min(self.base_backoff * 2 ** (attempts - 1), self.max_backoff))


def _sessions(database: Database | SessionFactory) -> SessionFactory:
    return database.sessions if isinstance(database, Database) else database


def message_id_for(settings: Settings, dedupe_key: str) -> str:
    """A Message-ID that names the change and the recipient without revealing either."""
    digest = hmac.new(settings.secret_key.encode(), dedupe_key.encode(), hashlib.sha256).hexdigest()[:40]
    domain = settings.mail_from.rpartition("@")[2] or "coaching-scheduler"
    return f"<{digest}@{domain}>"


def status_url(settings: Settings, token: str) -> str:
    """The coachee's private status page."""
    return f"{settings.base_url.rstrip('/')}/r/{token}"


def coach_sessions_url(settings: Settings) -> str:
    """The coach's own page of sessions (behind login)."""
    return f"{settings.base_url.rstrip('/')}/coach/sessions"


# --------------------------------------------------------------------------- composing


@dataclass
class _Composed:
    raw: bytes
    recipient: str
    payload: dict[str, Any]
    message_id: str


@dataclass
class _Claim:
    outbox_id: int
    attempt: int
    kind: str
    sequence: int
    composed: _Composed


@dataclass
class _Person:
    email: str
    name: str
    timezone: str
    language: str | None


class _Superseded(Exception):
    """The message was overtaken by a later change."""


class _Unsendable(Exception):
    """The message cannot be composed (its session or token is gone)."""


def _first(languages: list[str] | None) -> str | None:
    return languages[0] if languages else None


def _coachee(request: CoachingRequest) -> _Person:
    return _Person(request.coachee_email, request.coachee_name, request.timezone, _first(request.languages))


def _coach(coach: Coach) -> _Person:
    return _Person(coach.email, coach.name, coach.timezone, _first(coach.languages))


def _recipient(db: Session, row: OutboxMessage, session: CoachingSession) -> tuple[_Person, bool]:
    """The recipient's details and whether they are still a participant of the session."""
    request = session.engagement.request
    if row.recipient_role == "coachee":
        return _coachee(request), request.coachee_email.lower() == row.recipient.lower()
    if session.coach.email.lower() == row.recipient.lower():
        return _coach(session.coach), True
    former = db.scalar(select(Coach).where(Coach.email == row.recipient))
    if former is None:
        raise _Unsendable("the recipient is no longer known")
    return _coach(former), False


def _coachee_link(db: Session, settings: Settings, row: OutboxMessage, payload: dict[str, Any]) -> str:
    """The coachee's status link; a token is issued once per message and kept until it is sent."""
    if "token" not in payload:
        payload["token"] = issue_token(
            db, REQUEST_STATUS, valid_for=dt.timedelta(days=settings.coachee_link_days), request_id=row.request_id
        )
    return status_url(settings, str(payload["token"]))


def _compose_session_message(
    db: Session, settings: Settings, policy: DeliveryPolicy, row: OutboxMessage, now: dt.datetime, message_id: str
) -> _Composed:
    session = db.get(CoachingSession, row.session_id) if row.session_id is not None else None
    if session is None:
        raise _Unsendable("the session no longer exists")
    person, participant = _recipient(db, row, session)
    live = session.status == SessionStatus.SCHEDULED.value
    if row.kind == outbox.REQUEST and (session.sequence > row.sequence or not live or not participant):
        raise _Superseded(f"session is now at sequence {session.sequence}, {session.status}")
    if row.kind == outbox.REMINDER and (not live or not participant or session.start_utc <= now):
        raise _Superseded("session no longer upcoming for this recipient")

    request = session.engagement.request
    programme = db.get(Programme, request.programme_id)
    organiser = programme.organiser_email if programme else settings.mail_from
    coach, coachee = _coach(session.coach), _coachee(request)
    other = coachee if row.recipient_role == "coach" else coach
    t = translations(person.language)
    _ = t.gettext
    when = format_span(session.start_utc, session.end_utc, person.timezone, person.language)
    payload = dict(row.payload or {})
    link = _coachee_link(db, settings, row, payload) if row.recipient_role == "coachee" else coach_sessions_url(settings)
    summary = _("Coaching session with {name}").format(name=other.name)
    greeting = _("Hello {name},").format(name=person.name)
    if row.kind == outbox.CANCEL:
        subject = _("Cancelled: {summary}").format(summary=summary)
        lines = [greeting, _("This coaching session has been cancelled:") + f"\n{when}"]
    elif row.kind == outbox.REMINDER:
        subject = _("Reminder: {summary}").format(summary=summary)
        lines = [greeting, _("A reminder of your coaching session:") + f"\n{when}"]
    elif row.sequence > 0:
        subject = _("Updated: {summary}").format(summary=summary)
        lines = [greeting, _("Your coaching session has changed. The new time is:") + f"\n{when}"]
    else:
        subject = _("Invitation: {summary}").format(summary=summary)
        lines = [greeting, _("You are invited to a coaching session:") + f"\n{when}"]
    link_label = _("Your request and its sessions:") if row.recipient_role == "coachee" else _("Your sessions:")
    letter = Letter(subject=subject, paragraphs=lines, link=link, link_label=link_label)

    calendar: bytes | None = None
    method: str | None = None
    if row.kind in (outbox.REQUEST, outbox.CANCEL):
        method = ical.REQUEST if row.kind == outbox.REQUEST else ical.CANCEL
        attendees = [ical.Attendee(coach.email, coach.name), ical.Attendee(coachee.email, coachee.name)]
        if not participant:
            attendees.append(ical.Attendee(person.email, person.name))
        event = ical.SessionEvent(
            uid=session.calendar_uid,
            sequence=row.sequence,
            start_utc=session.start_utc,
            end_utc=session.end_utc,
            summary=summary,
            description="\n\n".join([*lines[1:], f"{link_label}\n{link}"]),
            organizer_email=organiser,
            organizer_name=settings.mail_from_name,
            attendees=attendees,
            url=link,
        )
        calendar = ical.session_calendar(
            event, method, tzid=person.timezone, dtstamp=row.created_at, alarm_minutes=policy.alarm_minutes
        )
    raw = compose(
        letter,
        sender=settings.mail_from,
        sender_name=settings.mail_from_name,
        recipient=person.email,
        recipient_name=person.name,
        message_id=message_id,
        date=now,
        calendar=calendar,
        method=method,
        language=effective_language(person.language),
    )
    return _Composed(raw, person.email, payload, message_id)


def _plain_letter(
    settings: Settings, letter: Letter, person: _Person, row: OutboxMessage, now: dt.datetime, message_id: str
) -> _Composed:
    """A letter with a link and no calendar (the coachee's status link, a coach's invitation)."""
    raw = compose(
        letter,
        sender=settings.mail_from,
        sender_name=settings.mail_from_name,
        recipient=person.email,
        recipient_name=person.name,
        message_id=message_id,
        date=now,
        language=effective_language(person.language),
    )
    return _Composed(raw, person.email, dict(row.payload or {}), message_id)


def _compose_status_link(db: Session, settings: Settings, row: OutboxMessage, now: dt.datetime, message_id: str) -> _Composed:
    token = (row.payload or {}).get("token")
    request = db.get(CoachingRequest, row.request_id) if row.request_id is not None else None
    if not token or request is None:
        raise _Unsendable("the status link is no longer available")
    person = _coachee(request)
    _ = translations(person.language).gettext
    letter = Letter(
        subject=_("Your coaching request"),
        paragraphs=[
            _("Hello {name},").format(name=person.name),
            _("Thank you: we have your coaching request. Follow it, change it or cancel it with your private link."),
            _("Keep this link to yourself: anyone who has it can see and change your request."),
        ],
        link=status_url(settings, str(token)),
        link_label=_("Your request:"),
    )
    return _plain_letter(settings, letter, person, row, now, message_id)


def _compose_coach_invitation(settings: Settings, row: OutboxMessage, now: dt.datetime, message_id: str) -> _Composed:
    payload = row.payload or {}
    token = payload.get("token")
    if not token:
        raise _Unsendable("the invitation link is no longer available")
    _ = translations(None).gettext
    letter = Letter(
        subject=_("You are invited to coach in our programme"),
        paragraphs=[
            _("Hello {name},").format(name=payload.get("name") or row.recipient),
            _("The programme's supervisor has added you as a coach. Choose a password to sign in, then keep "
              "your availability, capacity and topics up to date."),
            _("The link works once and expires; ask the supervisor for a new one if it has."),
        ],
        link=f"{settings.base_url.rstrip('/')}/set-password/{token}",
        link_label=_("Set your password:"),
    )
    person = _Person(email=row.recipient, name=str(payload.get("name") or ""), timezone="UTC", language=None)
    return _plain_letter(settings, letter, person, row, now, message_id)


def _compose(
    db: Session, settings: Settings, policy: DeliveryPolicy, row: OutboxMessage, now: dt.datetime
) -> _Composed:
    message_id = row.message_id or message_id_for(settings, row.dedupe_key)
    if row.kind == outbox.STATUS_LINK:
        return _compose_status_link(db, settings, row, now, message_id)
    if row.kind == outbox.COACH_INVITATION:
        return _compose_coach_invitation(settings, row, now, message_id)
    if row.kind in (outbox.REQUEST, outbox.CANCEL, outbox.REMINDER):
        return _compose_session_message(db, settings, policy, row, now, message_id)
    raise _Unsendable(f"unknown message kind {row.kind!r}")


# --------------------------------------------------------------------------- delivering


def _without_token(payload: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (payload or {}).items() if k != "token"}


def _due(row: OutboxMessage, now: dt.datetime, policy: DeliveryPolicy) -> float:
    """Seconds until a pending row may be tried again (0: now)."""
    if row.claimed_at is None or row.attempts == 0:
        return 0.0
    wait = (row.claimed_at + dt.timedelta(seconds=policy.backoff(row.attempts)) - now).total_seconds()
    return max(wait, 0.0)


class _LostRace(Exception):
    pass


def _finish(db: Session, row_id: int, expected: tuple[str, int], **values: Any) -> bool:
    """Compare-and-set on (status, attempts): true if our view of the row still held."""
    status, attempts = expected
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == status, OutboxMessage.attempts == attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _claim(
    sessions: SessionFactory,
    settings: Settings,
    policy: DeliveryPolicy,
    outbox_id: int,
    now: dt.datetime,
    ignore_backoff: bool,
) -> _Claim | DeliveryResult:
    try:
        with sessions() as db, db.begin():
            row = db.get(OutboxMessage, outbox_id)
            if row is None:
                return DeliveryResult(outbox_id, Outcome.SKIPPED, error="no such message")
            if row.status == OutboxStatus.SENDING.value:
                if row.claimed_at is not None and row.claimed_at > now - policy.lease:
                    return DeliveryResult(outbox_id, Outcome.SKIPPED, error="being sent by another worker")
                log.warning("outbox %s: claim %s expired; sending again", row.id, row.attempts)
            elif row.status != OutboxStatus.PENDING.value:
                return DeliveryResult(outbox_id, Outcome.SKIPPED, error=f"already {row.status}")
            elif not ignore_backoff and (wait := _due(row, now, policy)) > 0:
                return DeliveryResult(outbox_id, Outcome.NOT_DUE, retry_in=wait)
            seen = (row.status, row.attempts)
            try:
                composed = _compose(db, settings, policy, row, now)
            except _Superseded as exc:
                if not _finish(db, row.id, seen, status=SUPERSEDED, last_error=str(exc), payload=_without_token(row.payload)):
                    raise _LostRace from exc
                log.info("outbox %s: %s seq %s superseded", row.id, row.kind, row.sequence)
                return DeliveryResult(outbox_id, Outcome.SUPERSEDED, error=str(exc))
            except Exception as exc:
                error = str(exc) if isinstance(exc, _Unsendable) else f"could not compose: {type(exc).__name__}"
                if not _finish(db, row.id, seen, status=OutboxStatus.FAILED.value, last_error=error,
                               payload=_without_token(row.payload)):
                    raise _LostRace from exc
                log.error("outbox %s: %s seq %s failed: %s", row.id, row.kind, row.sequence, error)
                return DeliveryResult(outbox_id, Outcome.FAILED, error=error)
            attempt = row.attempts + 1
            if not _finish(
                db, row.id, seen,
                status=OutboxStatus.SENDING.value, attempts=attempt, claimed_at=now,
                message_id=composed.message_id, payload=composed.payload,
            ):
                raise _LostRace
            return _Claim(row.id, attempt, row.kind, row.sequence, composed)
    except _LostRace:
        return DeliveryResult(outbox_id, Outcome.SKIPPED, error="claimed by another worker")


def _record(sessions: SessionFactory, claim: _Claim, **values: Any) -> bool:
    with sessions() as db, db.begin():
        return _finish(db, claim.outbox_id, (OutboxStatus.SENDING.value, claim.attempt), **values)


def deliver_message(
    database: Database | SessionFactory,
    settings: Settings,
    outbox_id: int,
    *,
    backend: MailBackend | None = None,
    now: dt.datetime | None = None,
    policy: DeliveryPolicy | None = None,
    ignore_backoff: bool = False,
) -> DeliveryResult:
    """Deliver one outbox message at most once per claim (see the module's docstring)."""
    sessions = _sessions(database)
    policy = policy or DeliveryPolicy.from_settings(settings)
    claimed = _claim(sessions, settings, policy, outbox_id, now or utcnow(), ignore_backoff)
    if isinstance(claimed, DeliveryResult):
        return claimed
    composed = claimed.composed
    own_backend = backend is None
    sender = backend or make_backend(settings)
    try:
        sender.send(composed.raw, sender=settings.mail_from, recipients=[composed.recipient],
                    message_id=composed.message_id)
    except Exception as exc:
        return _record_failure(sessions, policy, claimed, exc)
    finally:
        if own_backend:
            sender.close()
    if not _record(sessions, claimed, status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error=None,
                   payload=_without_token(composed.payload)):
        log.warning("outbox %s: claim %s expired during the send; it may be sent twice", claimed.outbox_id,
                    claimed.attempt)
    log.info("outbox %s: %s seq %s sent (attempt %s)", claimed.outbox_id, claimed.kind, claimed.sequence,
             claimed.attempt)
    return DeliveryResult(claimed.outbox_id, Outcome.SENT)


def _record_failure(sessions: SessionFactory, policy: DeliveryPolicy, claim: _Claim, exc: Exception) -> DeliveryResult:
    error = str(exc) if isinstance(exc, SendError) else f"unexpected error: {type(exc).__name__}"
    permanent = isinstance(exc, PermanentSendError)
    if permanent or claim.attempt >= policy.max_attempts:
        if not permanent:
            error = f"gave up after {claim.attempt} attempts: {error}"
        _record(sessions, claim, status=OutboxStatus.FAILED.value, last_error=error,
                payload=_without_token(claim.composed.payload))
        log.error("outbox %s: %s seq %s failed: %s", claim.outbox_id, claim.kind, claim.sequence, error)
        return DeliveryResult(claim.outbox_id, Outcome.FAILED, error=error)
    _record(sessions, claim, status=OutboxStatus.PENDING.value, last_error=error, claimed_at=utcnow())
    wait = policy.backoff(claim.attempt)
    log.warning("outbox %s: attempt %s failed (%s); retry in %.0fs", claim.outbox_id, claim.attempt, error, wait)
    return DeliveryResult(claim.outbox_id, Outcome.RETRY, retry_in=wait, error=error)


# --------------------------------------------------------------------------- batches, sweeper, reminders


def deliverable_ids(
    database: Database | SessionFactory,
    now: dt.datetime | None = None,
    policy: DeliveryPolicy | None = None,
    *,
    grace: bool = True,
    ignore_backoff: bool = False,
) -> list[int]:
    """Ids of rows someone should try now: pending and due, or claimed by a worker that died."""
    policy = policy or DeliveryPolicy()
    now = now or utcnow()
    ids = []
    with _sessions(database)() as db, db.begin():
        rows = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_((OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)))
            .order_by(OutboxMessage.id)
        )
        for row in rows:
            if row.status == OutboxStatus.SENDING.value:
                if row.claimed_at is None or row.claimed_at <= now - policy.lease:
                    ids.append(row.id)
            elif row.attempts == 0:
                if not grace or row.created_at <= now - policy.sweep_grace:
                    ids.append(row.id)
            elif ignore_backoff or _due(row, now, policy) == 0:
                ids.append(row.id)
    return ids


def sweep_outbox(
    database: Database | SessionFactory,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    dispatch: Callable[[list[int]], Any] | None = None,
) -> list[int]:
    """Find what was left behind (lost task, dead worker, retry due) and dispatch it again."""
    policy = DeliveryPolicy.from_settings(settings)
    ids = deliverable_ids(database, now, policy)
    if ids:
        log.info("sweeper: re-dispatching %s outbox message(s)", len(ids))
        (dispatch or (lambda found: dispatch_pending(settings, found)))(ids)
    return ids


def deliver_all_pending(database: Database | SessionFactory, settings: Settings) -> tuple[int, int]:
    """Send every queued message now, in this process, over one connection: (sent, failed).

    `failed` counts permanent failures and messages left pending after a transient one.
    """
    policy = DeliveryPolicy.from_settings(settings)
    sent = failed = 0
    with make_backend(settings) as backend:
        for outbox_id in deliverable_ids(database, None, policy, grace=False, ignore_backoff=True):
            result = deliver_message(database, settings, outbox_id, backend=backend, policy=policy,
                                     ignore_backoff=True)
            sent += result.outcome == Outcome.SENT
            failed += result.outcome in (Outcome.FAILED, Outcome.RETRY)
    return sent, failed


def enqueue_due_reminders(db: Session, now: dt.datetime, hours: int) -> list[OutboxMessage]:
    """Reminder rows for live sessions starting within `hours`, once per session (compare-and-set)."""
    due = db.scalars(
        select(CoachingSession).where(
            CoachingSession.status == SessionStatus.SCHEDULED.value,
            CoachingSession.reminder_sent_at.is_(None),
            CoachingSession.start_utc > now,
            CoachingSession.start_utc <= now + dt.timedelta(hours=hours),
        ).order_by(CoachingSession.start_utc)
    ).all()
    messages: list[OutboxMessage] = []
    for session in due:
        marked = db.execute(
            update(CoachingSession)
            .where(CoachingSession.id == session.id, CoachingSession.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount == 1:  # type: ignore[attr-defined]
            messages.extend(outbox.enqueue_session_messages(db, session, outbox.REMINDER))
    return messages


# --------------------------------------------------------------------------- dispatch from the edges


def dispatch_pending(settings: Settings, outbox_ids: Iterable[int], *, app: Any = None) -> int:
    """Queue a delivery task per outbox row; call it after the commit that wrote the rows.

    If the broker cannot be reached the rows stay pending and the sweeper sends them
    later, so this never fails the caller's request. Returns how many were queued.
    """
    ids = [int(i) for i in outbox_ids]
    if not ids:
        return 0
    import scheduler.tasks  # noqa: F401  (registers the tasks on every app)
    from scheduler.celery_app import app_for

    celery = app or app_for(settings)
    queued = 0
    try:
        task = celery.tasks.get(DELIVER_TASK)
        for outbox_id in ids:
            if task is not None:
                task.apply_async(args=[outbox_id])
            else:
                celery.send_task(DELIVER_TASK, args=[outbox_id])
            queued += 1
    except Exception as exc:
        log.warning("could not queue %s delivery task(s) (%s); the sweeper will retry",
                    len(ids) - queued, type(exc).__name__)
    return queued
