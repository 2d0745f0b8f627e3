"""The supervisor approves draft engagements: sessions become scheduled and invites are queued."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import (
    CoachingSession,
    Engagement,
    EngagementStatus,
    Programme,
    RequestStatus,
    SessionStatus,
    utcnow,
)
from scheduler.services.errors import Conflict, NotFound
from scheduler.services.messaging import outbox
from scheduler.services.planning.solving import draft_engagements
from scheduler.services.transitions import change_status


def assert_coach_free(db: Session, session: CoachingSession) -> None:
    """Conflict if the coach already has a scheduled session overlapping `session`.

    On SQLite this check is safe because every transaction began with BEGIN IMMEDIATE;
    on PostgreSQL the exclusion constraint `session_no_overlap` backs it up.
    """
    clash = db.scalar(
        select(CoachingSession).where(
            CoachingSession.coach_id == session.coach_id,
            CoachingSession.status == SessionStatus.SCHEDULED.value,
            CoachingSession.id != session.id,
            CoachingSession.start_utc < session.end_utc,
            CoachingSession.end_utc > session.start_utc,
        )
    )
    if clash is not None:
        raise Conflict(
            f"the coach already has a session from {clash.start_utc:%Y-%m-%d %H:%M} UTC overlapping "
            f"{session.start_utc:%Y-%m-%d %H:%M} UTC; re-solve before approving"
        )


def schedule_session(db: Session, session: CoachingSession) -> None:
    """Make a draft session live, after checking the coach is free then."""
    assert_coach_free(db, session)
    change_status(db, session, SessionStatus.DRAFT.value, SessionStatus.SCHEDULED.value)


def approve(db: Session, programme: Programme, engagement_ids: Iterable[int] | None = None) -> list[Engagement]:
    """Approve the given draft engagements (all drafts when None) and queue their invites."""
    drafts = {e.id: e for e in draft_engagements(db, programme)}
    if engagement_ids is None:
        chosen = list(drafts.values())
    else:
        chosen = []
        for engagement_id in engagement_ids:
            if engagement_id not in drafts:
                raise NotFound(f"engagement {engagement_id} is not a draft of this programme")
            chosen.append(drafts[engagement_id])
    for engagement in chosen:
        change_status(db, engagement.request, RequestStatus.WAITING.value, RequestStatus.PROPOSED.value)
        change_status(db, engagement, EngagementStatus.DRAFT.value, EngagementStatus.APPROVED.value, approved_at=utcnow())
        for session in engagement.sessions:
            schedule_session(db, session)
            outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    db.flush()
    return chosen
