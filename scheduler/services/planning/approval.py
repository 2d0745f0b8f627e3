"""The supervisor approves draft engagements: sessions become scheduled and invites are queued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.models import (
    Coach,
    CoachingSession,
    Engagement,
    EngagementStatus,
    Programme,
    RequestStatus,
    SessionStatus,
    utcnow,
)
from scheduler.queries import draft_engagements
from scheduler.services import audit
from scheduler.services.errors import Conflict, NotFound
from scheduler.services.messaging import outbox
from scheduler.services.transitions import change_status, change_statuses


def assert_coach_free(db: Session, session: CoachingSession) -> None:
    """Conflict if the coach already has a scheduled session overlapping `session` or within their buffer of it.

    On SQLite this check is safe because every transaction began with BEGIN IMMEDIATE. On
    PostgreSQL the coach's row is locked first, so two bookings for one coach take turns and
    the second sees the first (the buffer holds too); the exclusion constraint
    `session_no_overlap` backs up the overlap rule.
    """
    coach = db.scalar(select(Coach).where(Coach.id == session.coach_id).with_for_update())
    buffer = dt.timedelta(minutes=coach.buffer_minutes if coach is not None else 0)
    clash = db.scalar(
        select(CoachingSession).where(
            CoachingSession.coach_id == session.coach_id,
            CoachingSession.status == SessionStatus.SCHEDULED,
            CoachingSession.id != session.id,
            CoachingSession.start_utc < session.end_utc + buffer,
            CoachingSession.end_utc > session.start_utc - buffer,
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
    change_status(db, session, SessionStatus.DRAFT, SessionStatus.SCHEDULED)


def approve(db: Session, programme: Programme, engagement_ids: Iterable[int] | None = None) -> list[Engagement]:
    """Approve the given draft engagements (all drafts when None) and queue their invites.

    A few statements for the whole draft, not a few per session, so approving all of a
    full draft answers at once; the invitations go out from the worker after the commit.
    """
    drafts = {e.id: e for e in draft_engagements(db, programme)}
    if engagement_ids is None:
        chosen = list(drafts.values())
    else:
        chosen = []
        for engagement_id in engagement_ids:
            if engagement_id not in drafts:
                known = db.get(Engagement, engagement_id)
                if known is not None and known.request.programme_id == programme.id:
                    # Approved, withdrawn or declined meanwhile (perhaps by a concurrent request).
                    raise Conflict(f"engagement {engagement_id} is no longer a draft; reload the draft")
                raise NotFound(f"engagement {engagement_id} is not a draft of this programme")
            chosen.append(drafts[engagement_id])
    if not chosen:
        return []
    # Load what approving touches in three queries (identity map: the same objects).
    db.scalars(
        select(Engagement)
        .where(Engagement.id.in_([e.id for e in chosen]))
        .options(
            selectinload(Engagement.request),
            selectinload(Engagement.sessions).selectinload(CoachingSession.coach),
        )
    ).all()
    sessions = [s for e in chosen for s in e.sessions]
    _assert_coaches_free(db, sessions)
    change_statuses(db, [e.request for e in chosen], RequestStatus.WAITING, RequestStatus.PROPOSED)
    change_statuses(db, chosen, EngagementStatus.DRAFT, EngagementStatus.APPROVED, approved_at=utcnow())
    for engagement in chosen:
        audit.record(db, audit.APPROVE, engagement, old=EngagementStatus.DRAFT, new=EngagementStatus.APPROVED)
    change_statuses(db, sessions, SessionStatus.DRAFT, SessionStatus.SCHEDULED)
    outbox.enqueue_sessions_messages(db, sessions, outbox.REQUEST)
    db.flush()
    return chosen


def _assert_coaches_free(db: Session, sessions: list[CoachingSession]) -> None:
    """Conflict if any of `sessions` overlaps, or comes within the coach's buffer of, another of
    them or a scheduled session of the same coach.

    The coaches' rows are locked first (in id order, so two approvals cannot deadlock), as in
    `assert_coach_free`: concurrent bookings for one coach take turns and the later one sees
    the earlier. PostgreSQL's exclusion constraint backs up the overlap rule.
    """
    if not sessions:
        return
    coaches = db.scalars(
        select(Coach).where(Coach.id.in_({s.coach_id for s in sessions})).order_by(Coach.id).with_for_update()
    ).all()
    buffer = {coach.id: dt.timedelta(minutes=coach.buffer_minutes) for coach in coaches}
    widest = max(buffer.values(), default=dt.timedelta(0))
    lo, hi = min(s.start_utc for s in sessions), max(s.end_utc for s in sessions)
    scheduled = db.scalars(
        select(CoachingSession).where(
            CoachingSession.coach_id.in_(buffer),
            CoachingSession.status == SessionStatus.SCHEDULED,
            CoachingSession.start_utc < hi + widest,
            CoachingSession.end_utc > lo - widest,
        )
    ).all()
    by_coach: dict[int, list[CoachingSession]] = {}
    for session in {s.id: s for s in [*scheduled, *sessions]}.values():
        by_coach.setdefault(session.coach_id, []).append(session)
    for coach_id, spans in by_coach.items():
        spans.sort(key=lambda s: s.start_utc)
        for before, after in pairwise(spans):
            if after.start_utc < before.end_utc + buffer.get(coach_id, dt.timedelta(0)):
                raise Conflict(
                    f"the coach already has a session from {before.start_utc:%Y-%m-%d %H:%M} UTC overlapping "
                    f"{after.start_utc:%Y-%m-%d %H:%M} UTC or within their buffer; re-solve before approving"
                )
