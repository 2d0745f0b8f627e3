"""Rows as the services leave them, built straight in the database, for the scheduler and web tests.

One way to put an engagement and its sessions in place, so a test that is not about
approval does not run the solver or the approval service to get there.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, CoachingSession, Engagement, EngagementStatus, SessionStatus, utcnow


def add_engagement(
    db: Session,
    request: CoachingRequest,
    coach_id: int,
    starts: list[dt.datetime],
    *,
    minutes: int = 60,
    status: str = EngagementStatus.APPROVED.value,
    approved_at: dt.datetime | None = None,
    session_status: str | None = None,
) -> Engagement:
    """An engagement with one session a start: scheduled sessions and an approval time when approved
    (now unless `approved_at`), draft sessions otherwise, unless `session_status` says."""
    approved = status == EngagementStatus.APPROVED.value
    engagement = Engagement(
        request_id=request.id, coach_id=coach_id, status=status, approved_at=(approved_at or utcnow()) if approved else None
    )
    db.add(engagement)
    db.flush()
    default_status = SessionStatus.SCHEDULED.value if approved else SessionStatus.DRAFT.value
    for start in starts:
        db.add(
            CoachingSession(
                engagement_id=engagement.id,
                coach_id=coach_id,
                start_utc=start,
                end_utc=start + dt.timedelta(minutes=minutes),
                status=session_status or default_status,
            )
        )
    db.flush()
    db.refresh(engagement)
    return engagement
