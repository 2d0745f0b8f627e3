"""Moving one session: other times the solver package finds for it, then the move itself.

The hard rules live in the solver alone. The translator builds the instance for the
question "where else may this session go?" (`build_move_question`), `solver.alternatives`
proposes times from the solver's own calendar, spread over weeks and days, nearest
first, and each time, the one finally chosen included, is accepted only when
`solver.validate` finds every hard rule kept with the session in its new place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import solver
from scheduler.models import CoachingSession, RequestStatus, SessionStatus, utcnow
from scheduler.services import audit
from scheduler.services.errors import Conflict
from scheduler.services.messaging import outbox
from scheduler.services.planning.approval import assert_coach_free
from scheduler.services.transitions import change_status
from scheduler.translator import build_move_question
from solver.alternatives import alternatives as solver_alternatives
from solver.alternatives import move_problems

RESCHEDULABLE = (RequestStatus.PROPOSED, RequestStatus.CONFIRMED)
SHOWN_AT_FIRST = 6  # alternatives on the page before "more times"


@dataclass(frozen=True)
class Alternative:
    """A time the session could move to."""

    start_utc: dt.datetime
    end_utc: dt.datetime

    @property
    def key(self) -> str:
        """How a form names this alternative."""
        return self.start_utc.strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class _Question:
    instance: solver.Instance
    engagement: solver.Assignment
    index: int
    not_after: dt.date | None


def _question(db: Session, session: CoachingSession, now: dt.datetime) -> _Question:
    asked = build_move_question(db, session, now)
    sessions = tuple(
        solver.Session(dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
        for s in asked.engagement["sessions"]
    )
    engagement = solver.Assignment(asked.engagement["request"], asked.engagement["coach"], sessions)
    return _Question(solver.parse_instance(asked.instance), engagement, asked.index, asked.not_after)


def alternatives(
    db: Session, session: CoachingSession, *, now: dt.datetime | None = None, limit: int = SHOWN_AT_FIRST
) -> list[Alternative]:
    """Up to `limit` times the session could move to: one per week, then one per day, nearest first."""
    question = _question(db, session, now or utcnow())
    found = solver_alternatives(
        question.instance, question.engagement, question.index, limit=limit, not_after=question.not_after
    )
    return [Alternative(s.start, s.end) for s in found]


def _fits(db: Session, session: CoachingSession, start: dt.datetime, now: dt.datetime) -> bool:
    question = _question(db, session, now)
    moved = solver.Session(start, start + (session.end_utc - session.start_utc))
    if question.not_after is not None:
        local_date = start.astimezone(ZoneInfo(session.engagement.request.timezone)).date()
        if local_date > question.not_after:
            return False
    return start != session.start_utc and not move_problems(
        question.instance, question.engagement, question.index, moved
    )


def move_session(
    db: Session, session: CoachingSession, new_start: dt.datetime, *, now: dt.datetime | None = None
) -> CoachingSession:
    """Move a scheduled session to one of its alternatives; both people get an updated invite."""
    request = session.engagement.request
    if request.status not in RESCHEDULABLE or session.status != SessionStatus.SCHEDULED:
        raise Conflict("Only a scheduled session of a proposed or confirmed request can be moved.")
    # Checked again here, inside this transaction, so the time is still free when it commits.
    if not _fits(db, session, new_start, now or utcnow()):
        raise Conflict(
            "That time is no longer free. Please choose another one.",
            {"start": "is not one of the free times for this session"},
        )
    old_start = session.start_utc
    chosen = Alternative(new_start, new_start + (session.end_utc - session.start_utc))
    change_status(
        db,
        session,
        SessionStatus.SCHEDULED,
        SessionStatus.SCHEDULED,
        start_utc=chosen.start_utc,
        end_utc=chosen.end_utc,
        sequence=session.sequence + 1,
        reminder_sent_at=None,  # the moved session gets its own reminder
    )
    assert_coach_free(db, session)
    outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    audit.record(db, audit.RESCHEDULE, session, old=old_start.isoformat(), new=session.start_utc.isoformat())
    return session
