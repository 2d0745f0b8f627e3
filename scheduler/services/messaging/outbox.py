"""Writing the outbox: every change people must hear about becomes rows in the same transaction.

Delivery (building the calendar and the e-mail, sending it exactly once) is in
`scheduler.services.messaging.delivery`; here we only record *what* must be said to *whom*.
The unit of work (`scheduler.unit_of_work`) hands every row added here to delivery once
the transaction has committed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, CoachingSession, Engagement, OutboxMessage
from scheduler.queries import add_once

REQUEST = "REQUEST"  # new or changed session: iCalendar METHOD:REQUEST
CANCEL = "CANCEL"  # cancelled session: iCalendar METHOD:CANCEL
REMINDER = "REMINDER"  # reminder before a session
STATUS_LINK = "LINK"  # the coachee's private status link
COACH_INVITATION = "INVITATION"  # a new coach's link to set a password
NOTICE = "NOTICE"  # a short note about an engagement: who accepted, or that another coach is sought
ANSWER = "ANSWER"  # a participant declined (or was tentative) in their calendar: told to the others

# What a NOTICE says (its payload's "notice"), and to whom.
COACH_ACCEPTED = "coach_accepted"  # to the coachee: the coach confirmed
COACHEE_ACCEPTED = "coachee_accepted"  # to the coach: the coachee accepted the sessions
FINDING_ANOTHER_COACH = "finding_another_coach"  # to the coachee: the coach declined, we look again
NOTICE_RECIPIENT = {COACH_ACCEPTED: "coachee", COACHEE_ACCEPTED: "coach", FINDING_ANOTHER_COACH: "coachee"}


def session_recipients(session: CoachingSession) -> list[tuple[str, str]]:
    """(role, e-mail) of everyone invited to a session: the coach and the coachee."""
    request = session.engagement.request
    return [("coach", session.coach.email), ("coachee", request.coachee_email)]


def enqueue_session_messages(db: Session, session: CoachingSession, kind: str) -> list[OutboxMessage]:
    """One message per participant for this session at its current sequence."""
    return enqueue_sessions_messages(db, [session], kind)


def enqueue_sessions_messages(db: Session, sessions: list[CoachingSession], kind: str) -> list[OutboxMessage]:
    """`enqueue_session_messages` for many sessions, with one look-up for those already queued."""
    wanted = [
        OutboxMessage(
            session_id=session.id,
            request_id=session.engagement.request_id,
            recipient=email,
            recipient_role=role,
            kind=kind,
            sequence=session.sequence,
            dedupe_key=f"s{session.id}:{email.lower()}:{kind}:{session.sequence}",
        )
        for session in sessions
        for role, email in session_recipients(session)
    ]
    queued = {
        m.dedupe_key: m
        for m in db.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.in_([w.dedupe_key for w in wanted])))
    }
    messages = []
    for message in wanted:
        if message.dedupe_key in queued:
            messages.append(queued[message.dedupe_key])
            continue
        db.add(message)  # the unit of work hands every new row to delivery after commit
        queued[message.dedupe_key] = message
        messages.append(message)
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
    return add_once(db, message)


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
    return add_once(db, message)


def enqueue_engagement_notice(db: Session, engagement: Engagement, notice: str) -> OutboxMessage:
    """A NOTICE about `engagement` to the person `notice` is for (once per engagement and notice).

    Only ids travel in the payload; names and times are read when the mail is written.
    """
    role = NOTICE_RECIPIENT[notice]
    email = engagement.request.coachee_email if role == "coachee" else engagement.coach.email
    message = OutboxMessage(
        request_id=engagement.request_id,
        recipient=email,
        recipient_role=role,
        kind=NOTICE,
        sequence=0,
        payload={"notice": notice, "engagement_id": engagement.id},
        dedupe_key=f"e{engagement.id}:{email.lower()}:{NOTICE}:{notice}",
    )
    return add_once(db, message)


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
        messages.append(add_once(db, OutboxMessage(
            session_id=session.id, request_id=session.engagement.request_id, recipient=email,
            recipient_role=role, kind=ANSWER, sequence=session.sequence, dedupe_key=key,
            payload={"who": who, "answer": answer, "comment": comment},
        )))
    db.flush()
    return messages
