"""Answers from calendars: iTIP REPLY messages (RFC 5546 3.2.3) read and acted on.

One service, two doors: `coaching inbound` (an SMTP listener a mail server forwards the
organizer address to) and the IMAP poller (beat) both hand each received e-mail to
`handle_reply_mail`. A REPLY is matched by UID and attendee address to a live session at
its current SEQUENCE; anything else (unknown UID, an address that is not that session's
coach or coachee, an older or newer SEQUENCE, a RECURRENCE-ID) is ignored and logged with
a reason and no personal data.

Mail can be forged, so a REPLY changes one thing only: the participant's answer on the
session. ACCEPTED records it. DECLINED, or TENTATIVE with a comment, also tells the other
participant and the programme's supervisors, and offers the coachee a link to ask for
another time; nothing is cancelled or moved by a REPLY alone. The same REPLY twice changes
nothing the second time (the answer is already recorded; the notices have one outbox row
per session, sequence, participant and answer).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import CoachingSession, Role, SessionStatus, User
from scheduler.services.messaging import outbox

log = logging.getLogger(__name__)

ANSWERS = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative"}
_CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar"}
MAX_COMMENT = 500


class Outcome(enum.StrEnum):
    APPLIED = "applied"  # the participant's answer changed
    UNCHANGED = "unchanged"  # the same answer was already recorded
    IGNORED = "ignored"  # not a REPLY we can match (see `reason`)


@dataclass(frozen=True)
class ReplyResult:
    outcome: Outcome
    reason: str = ""
    session_id: int | None = None


@dataclass(frozen=True)
class _Reply:
    uid: str
    sequence: int
    attendee: str
    partstat: str
    comment: str
    recurrence: bool


def _calendars(message: EmailMessage) -> list[bytes]:
    found = []
    for part in message.walk():
        if part.get_content_type() in _CALENDAR_TYPES:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append(payload)
    return found


def _address(value: object) -> str:
    text = str(value)
    return (text[7:] if text.lower().startswith("mailto:") else text).strip().lower()


def _replies(raw: bytes) -> list[_Reply]:
    message = message_from_bytes(raw, policy=policy.default)
    if not isinstance(message, EmailMessage):
        return []
    replies: dict[tuple[str, str], _Reply] = {}  # Google sends the same REPLY inline and as an .ics file
    for data in _calendars(message):
        try:
            calendar = icalendar.Calendar.from_ical(data)
        except ValueError:
            continue
        if str(calendar.get("METHOD", "")).upper() != "REPLY":
            continue
        for event in calendar.walk("VEVENT"):
            attendees = event.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees] if attendees else []
            if len(attendees) != 1:  # RFC 5546: a REPLY carries the one attendee who answers
                continue
            attendee = attendees[0]
            partstat = str(attendee.params.get("PARTSTAT", "")).upper()
            try:
                sequence = int(event.get("SEQUENCE", 0))
            except (TypeError, ValueError):
                continue
            reply = _Reply(
                uid=str(event.get("UID", "")),
                sequence=sequence,
                attendee=_address(attendee),
                partstat=partstat,
                comment=" ".join(str(event.get("COMMENT", "")).split())[:MAX_COMMENT],
                recurrence=event.get("RECURRENCE-ID") is not None,
            )
            replies[(reply.uid, reply.attendee)] = reply
    return list(replies.values())


def _ignored(reason: str, session_id: int | None = None) -> ReplyResult:
    # The reason names the rule, never the address, UID or name.
    log.info("calendar reply ignored: %s%s", reason, f" (session {session_id})" if session_id else "")
    return ReplyResult(Outcome.IGNORED, reason, session_id)


def apply_reply(db: Session, reply: _Reply) -> ReplyResult:
    """Record one participant's answer on a live session; notices for a decline (see the module)."""
    if reply.partstat not in ANSWERS:
        return _ignored(f"answer {reply.partstat or 'missing'} is not acted on")
    if reply.recurrence:
        return _ignored("a reply to one occurrence (RECURRENCE-ID) of a single event")
    session = db.scalar(select(CoachingSession).where(CoachingSession.calendar_uid == reply.uid)) if reply.uid else None
    if session is None:
        return _ignored("unknown UID")
    if session.status != SessionStatus.SCHEDULED.value:
        return _ignored("the session is not live", session.id)
    request = session.engagement.request
    if reply.attendee == session.coach.email.lower():
        role = "coach"
    elif reply.attendee == request.coachee_email.lower():
        role = "coachee"
    else:
        return _ignored("the attendee is not a participant of this session", session.id)
    if reply.sequence != session.sequence:
        return _ignored(f"SEQUENCE {reply.sequence} is not the current {session.sequence}", session.id)
    answer = ANSWERS[reply.partstat]
    column = f"{role}_answer"
    if getattr(session, column) == answer:
        return ReplyResult(Outcome.UNCHANGED, "already recorded", session.id)
    setattr(session, column, answer)
    log.info("calendar reply: session %s, %s %s", session.id, role, answer)
    if answer == "declined" or (answer == "tentative" and reply.comment):
        supervisors = db.scalars(select(User).where(User.role == Role.SUPERVISOR.value, User.active.is_(True))).all()
        outbox.enqueue_answer_notices(db, session, role, answer, reply.comment, [u.email for u in supervisors])
    db.flush()
    return ReplyResult(Outcome.APPLIED, answer, session.id)


def handle_reply_mail(db: Session, raw: bytes) -> list[ReplyResult]:
    """Act on every REPLY in one received e-mail (an e-mail without one is ignored)."""
    replies = _replies(raw)
    if not replies:
        return [_ignored("no iTIP REPLY in the message")]
    return [apply_reply(db, reply) for reply in replies]
