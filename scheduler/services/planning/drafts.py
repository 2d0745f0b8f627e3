"""A request's draft (the engagement the last solve proposes) and its way back to the queue.

Steering the solver, deactivating a coach and erasing a person each withdraw drafts the
same way: the draft sessions go, the engagement stays as superseded (the audit trail).
A coach who declines or leaves sends their requests back to the queue the same way too.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scheduler.models import (
    CoachingRequest,
    CoachingSession,
    Engagement,
    EngagementStatus,
    RequestStatus,
    SessionStatus,
)
from scheduler.services.transitions import change_status


def current_draft(request: CoachingRequest) -> Engagement | None:
    return next((e for e in request.engagements if e.status == EngagementStatus.DRAFT), None)


def withdraw_draft(db: Session, engagement: Engagement) -> None:
    """Take a draft engagement out of the plan (superseded), with its draft sessions."""
    db.execute(
        delete(CoachingSession).where(
            CoachingSession.engagement_id == engagement.id, CoachingSession.status == SessionStatus.DRAFT
        )
    )
    change_status(db, engagement, EngagementStatus.DRAFT, EngagementStatus.SUPERSEDED)
    db.expire(engagement, ["sessions"])


def withdraw_drafts(db: Session, engagements: list[Engagement]) -> None:
    """`withdraw_draft` for those of `engagements` that are drafts."""
    for engagement in engagements:
        if engagement.status == EngagementStatus.DRAFT:
            withdraw_draft(db, engagement)


def withdraw_coach_drafts(db: Session, coach_id: int) -> None:
    """Withdraw every draft that proposes this coach (a coach who stops coaching)."""
    drafts = db.scalars(
        select(Engagement).where(Engagement.coach_id == coach_id, Engagement.status == EngagementStatus.DRAFT)
    )
    withdraw_drafts(db, list(drafts))

def return_to_queue(db: Session, request: CoachingRequest, *, exclude_coach: int | None = None) -> None:
    """A proposed or confirmed request waits again for the next solve (Conflict if it is neither);
    the solver never proposes `exclude_coach` for it again."""
    if exclude_coach is not None:
        request.excluded_coach_ids = sorted({*request.excluded_coach_ids, exclude_coach})
    change_status(db, request, (RequestStatus.PROPOSED, RequestStatus.CONFIRMED), RequestStatus.WAITING)
