"""Use cases of attendance. Services never commit; the edge does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler import queries
from scheduler.models import CoachingSession, Engagement, OutboxMessage, SessionStatus, utcnow
from scheduler.services.accounts.tokens import new_secret, token_hash
from scheduler.services.attendance.models import AttendanceLink, Outcome, RecordedBy, SessionAttendance
from scheduler.services.errors import Forbidden, InvalidInput, NotFound

FOLLOW_UP = "ATTENDANCE"  # outbox kind: "how did it go?" with the one-click link
AUTO_HELD = "ATTENDANCE_AUTO"  # outbox kind: "we counted it as held; correct it if not"
GRACE_DAYS = 7  # a session not marked this many days after its end counts as held
LINK_DAYS = 30
QUIET_AFTER_DAYS = 7  # sessions settled this long after the grace period ended are settled quietly
OUTCOME_LABELS = {
    Outcome.HELD.value: "held",
    Outcome.NO_SHOW.value: "the coachee did not come",
    Outcome.CANCELLED_LATE.value: "cancelled late",
}


def _hours(session: CoachingSession) -> float:
    return (session.end_utc - session.start_utc).total_seconds() / 3600


def parse_outcome(value: object) -> Outcome:
    """The outcome a person chose, or InvalidInput naming the field."""
    try:
        return Outcome(str(value))
    except ValueError:
        raise InvalidInput(
            "Choose what happened.", {"outcome": "must be one of held, no_show, cancelled_late"}
        ) from None


def record_outcome(
    db: Session,
    session_id: int,
    outcome: Outcome | str,
    *,
    coach_id: int,
    now: dt.datetime | None = None,
    by: RecordedBy = RecordedBy.COACH,
) -> SessionAttendance:
    """The coach records what happened at one of their sessions, once it has ended (and may correct it)."""
    now = now or utcnow()
    session = db.get(CoachingSession, session_id)
    # Another coach's session is "not found", so the answer does not reveal that it exists;
    # checked before the answer itself, so nobody learns more from a bad answer.
    if session is None or session.coach_id != coach_id or session.status != SessionStatus.SCHEDULED.value:
        raise NotFound("No such session of yours.")
    outcome = parse_outcome(outcome.value if isinstance(outcome, Outcome) else outcome)
    if session.end_utc > now:
        raise InvalidInput("A session can be marked once it is over.", {"outcome": "the session has not ended yet"})
    record = db.get(SessionAttendance, session_id)
    if record is None:
        record = SessionAttendance(session_id=session_id, outcome=outcome.value, recorded_by=by.value, recorded_at=now)
        db.add(record)
    else:
        record.outcome, record.recorded_by, record.recorded_at = outcome.value, by.value, now
    db.flush()
    return record


def session_for_link(db: Session, token: str, now: dt.datetime | None = None) -> CoachingSession:
    """The session a follow-up link marks, or Forbidden (unknown or expired link)."""
    now = now or utcnow()
    link = db.scalar(select(AttendanceLink).where(AttendanceLink.token_hash == token_hash(token)))
    if link is None:
        raise Forbidden("This link is not valid. Mark the session from your sessions page.")
    if link.expires_at <= now:
        raise Forbidden("This link has expired. Mark the session from your sessions page.")
    session = db.get(CoachingSession, link.session_id)
    if session is None or session.status != SessionStatus.SCHEDULED.value:
        raise Forbidden("This session was cancelled.")
    return session


def record_by_link(db: Session, token: str, outcome: Outcome | str, now: dt.datetime | None = None) -> SessionAttendance:
    """Mark the session of a follow-up link: the link can do nothing else."""
    session = session_for_link(db, token, now)
    return record_outcome(db, session.id, outcome, coach_id=session.coach_id, now=now)


def _ended_unmarked(db: Session, now: dt.datetime) -> list[CoachingSession]:
    return list(
        db.scalars(
            select(CoachingSession)
            .outerjoin(SessionAttendance, SessionAttendance.session_id == CoachingSession.id)
            .where(
                CoachingSession.status == SessionStatus.SCHEDULED.value,
                CoachingSession.end_utc <= now,
                SessionAttendance.session_id.is_(None),
            )
            .options(selectinload(CoachingSession.coach))
            .order_by(CoachingSession.end_utc, CoachingSession.id)
        )
    )


def _enqueue(db: Session, session: CoachingSession, kind: str, token: str) -> OutboxMessage:
    email = session.coach.email
    return queries.queue_once(db, f"s{session.id}:{email.lower()}", email, "coach", kind, {"token": token},
                              session_id=session.id)


def send_follow_ups(db: Session, now: dt.datetime | None = None, *, grace_days: int = GRACE_DAYS) -> int:
    """Ask each coach how their sessions that just ended went (one e-mail and link per session);
    a session still unmarked after `grace_days` counts as held and its coach is told so."""
    now = now or utcnow()
    linked = set(db.scalars(select(AttendanceLink.session_id)))
    sent = 0
    for session in _ended_unmarked(db, now):
        settle = session.end_utc <= now - dt.timedelta(days=grace_days)
        link = None if session.id not in linked else db.scalar(
            select(AttendanceLink).where(AttendanceLink.session_id == session.id)
        )
        token, digest = new_secret()
        if link is None:
            link = AttendanceLink(
                session_id=session.id,
                token_hash=digest,
                created_at=now,
                expires_at=now + dt.timedelta(days=LINK_DAYS),
            )
            db.add(link)
            if not settle:
                _enqueue(db, session, FOLLOW_UP, token)
                sent += 1
        if settle:
            record_outcome(db, session.id, Outcome.HELD, coach_id=session.coach_id, now=now, by=RecordedBy.AUTOMATIC)
            if session.end_utc < now - dt.timedelta(days=grace_days + QUIET_AFTER_DAYS):
                continue  # long past (e.g. before attendance was recorded at all): settled without a message
            # A fresh link in the reminder: the first one is only ever known to the coach's inbox.
            link.token_hash, link.expires_at, link.reminded_at = digest, now + dt.timedelta(days=LINK_DAYS), now
            _enqueue(db, session, AUTO_HELD, token)
            sent += 1
    db.flush()
    return sent


# --- hours since supervision -------------------------------------------------------------


@dataclass(frozen=True)
class EndedSession:
    session: CoachingSession
    outcome: str | None
    recorded_by: str | None


def ended_sessions(db: Session, coach_id: int, now: dt.datetime | None = None, *, days: int = 60) -> list[EndedSession]:
    """The coach's sessions that ended in the last `days` days, newest first, with what was recorded."""
    now = now or utcnow()
    rows = db.execute(
        select(CoachingSession, SessionAttendance.outcome, SessionAttendance.recorded_by)
        .outerjoin(SessionAttendance, SessionAttendance.session_id == CoachingSession.id)
        .where(
            CoachingSession.coach_id == coach_id,
            CoachingSession.status == SessionStatus.SCHEDULED.value,
            CoachingSession.end_utc <= now,
            CoachingSession.end_utc > now - dt.timedelta(days=days),
        )
        .options(selectinload(CoachingSession.engagement).selectinload(Engagement.request))
        .order_by(CoachingSession.end_utc.desc())
    )
    return [EndedSession(s, o, b) for s, o, b in rows]
