"""Writing the outbox: every change people must hear about becomes rows in the same transaction.

Delivery (building the calendar and the e-mail, sending it exactly once) is in
`scheduler.services.messaging.delivery`; here we only record *what* must be said to *whom*.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, CoachingSession, OutboxMessage

REQUEST = "REQUEST"  # new or changed session: iCalendar METHOD:REQUEST
CANCEL = "CANCEL"  # cancelled session: iCalendar METHOD:CANCEL
REMINDER = "REMINDER"  # reminder before a session
STATUS_LINK = "LINK"  # the coachee's private status link
COACH_INVITATION = "INVITATION"  # a new coach's link to set a password


_NEW = "outbox_new_messages"


def _add_once(db: Session, message: OutboxMessage) -> OutboxMessage:
    """Add `message` unless the same change for the same person is already in the outbox."""
    existing = db.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == message.dedupe_key))
    if existing is not None:
        return existing
    db.add(message)
    db.info.setdefault(_NEW, []).append(message)
    return message


def take_new_message_ids(db: Session) -> list[int]:
    """Ids of the rows this unit of work added to the outbox (and forget them).

    Call it at the end of the unit of work, then, once it has committed, hand the ids to
    `scheduler.services.messaging.delivery.dispatch_pending(settings, ids)`.
    """
    db.flush()
    messages = db.info.pop(_NEW, [])
    return [m.id for m in messages if m.id is not None]


def session_recipients(session: CoachingSession) -> list[tuple[str, str]]:
    """(role, e-mail) of everyone invited to a session: the coach and the coachee."""
    request = session.engagement.request
    return [("coach", session.coach.email), ("coachee", request.coachee_email)]


def enqueue_session_messages(db: Session, session: CoachingSession, kind: str) -> list[OutboxMessage]:
    """One message per participant for this session at its current sequence."""
    messages = []
    for role, email in session_recipients(session):
        key = f"s{session.id}:{email.lower()}:{kind}:{session.sequence}"
        messages.append(
            _add_once(
                db,
                OutboxMessage(
                    session_id=session.id,
                    request_id=session.engagement.request_id,
                    recipient=email,
                    recipient_role=role,
                    kind=kind,
                    sequence=session.sequence,
                    dedupe_key=key,
                ),
            )
        )
    db.flush()
    return messages


def enqueue_status_link(db: Session, request: CoachingRequest, token: str) -> OutboxMessage:
    """The coachee's confirmation e-mail with their private link.

    The token itself must travel in the payload (only its hash is kept elsewhere); the row
    is cleared of it once the mail is sent.
    """
    db.flush()
    sequence = db.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.request_id == request.id, OutboxMessage.kind == STATUS_LINK)
    ) or 0
    message = OutboxMessage(
        request_id=request.id,
        recipient=request.coachee_email,
        recipient_role="coachee",
        kind=STATUS_LINK,
        sequence=sequence,
        payload={"token": token},
        dedupe_key=f"r{request.id}:{request.coachee_email.lower()}:{STATUS_LINK}:{sequence}",
    )
    return _add_once(db, message)


def enqueue_coach_invitation(db: Session, user_id: int, email: str, name: str, token: str) -> OutboxMessage:
    """A coach's invitation with their set-password link (token in the payload until sent)."""
    prefix = f"u{user_id}:{email.lower()}:{COACH_INVITATION}:"
    sequence = (
        db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix)))
        or 0
    )
    message = OutboxMessage(
        recipient=email,
        recipient_role="coach",
        kind=COACH_INVITATION,
        sequence=sequence,
        payload={"name": name, "token": token},
        dedupe_key=f"{prefix}{sequence}",
    )
    return _add_once(db, message)


ANSWER = "ANSWER"  # a participant declined (or was tentative) in their calendar: told to the others


def hand_over(db: Session, message: OutboxMessage) -> None:
    """Hand an existing row (pending again, e.g. the supervisor's retry) to the worker after commit."""
    db.info.setdefault(_NEW, []).append(message)


def enqueue_answer_notices(
    db: Session, session: CoachingSession, who: str, answer: str, comment: str, supervisors: list[str]
) -> list[OutboxMessage]:
    """Tell the other participant and the supervisors of `who`'s answer; the coachee always hears,
    with a link to ask for another time. One row per session, sequence, recipient and answer."""
    request = session.engagement.request
    recipients = [("coach", session.coach.email), ("coachee", request.coachee_email)]
    recipients = [(role, email) for role, email in recipients if role != who or role == "coachee"]
    recipients += [("supervisor", email) for email in supervisors]
    messages = []
    for role, email in recipients:
        key = f"s{session.id}:{email.lower()}:{ANSWER}:{session.sequence}:{who}:{answer}"
        messages.append(_add_once(db, OutboxMessage(
            session_id=session.id, request_id=session.engagement.request_id, recipient=email,
            recipient_role=role, kind=ANSWER, sequence=session.sequence, dedupe_key=key,
            payload={"who": who, "answer": answer, "comment": comment},
        )))
    db.flush()
    return messages
