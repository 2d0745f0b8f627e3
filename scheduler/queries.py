"""Reads that several use cases share: the queue, the draft, live engagements, coach names, ids.

One place for each, so the solver's queue, the supervisor's page and the API can never
disagree about who waits or what the draft is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import Session, selectinload

from scheduler.models import (
    Coach,
    CoachingRequest,
    CoachingSession,
    Engagement,
    EngagementStatus,
    Level,
    OutboxMessage,
    Programme,
    RequestStatus,
    SolveRun,
    Supervisor,
)

# A request whose engagement is live: proposed to the coachee or confirmed by them.
OPEN_REQUEST_STATES = (RequestStatus.PROPOSED, RequestStatus.CONFIRMED)
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a larger number names nothing
_COACH_REF = re.compile(r"\bc(\d+)\b")


def record_id(value: object) -> int | None:
    """A whole number that can be a row's id, or None (text, zero, negative or too large)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


OfProgramme = TypeVar("OfProgramme", Coach, CoachingRequest, SolveRun, Supervisor)


def of_programme(db: Session, model: type[OfProgramme], programme: Programme, value: object) -> OfProgramme | None:
    """The `model` row whose id is `value` if it belongs to `programme`, else None (the caller says what is wrong)."""
    number = record_id(value)
    row = db.get(model, number) if number is not None else None
    return row if row is not None and row.programme_id == programme.id else None


def waiting_requests(db: Session, programme: Programme) -> list[CoachingRequest]:
    """The queue: waiting requests, highest priority and longest waiting first."""
    return list(
        db.scalars(
            select(CoachingRequest)
            .where(CoachingRequest.programme_id == programme.id, CoachingRequest.status == RequestStatus.WAITING)
            .order_by(CoachingRequest.priority.desc(), CoachingRequest.submitted_at)
        )
    )


def waiting_count(db: Session, programme_id: int, *where: ColumnElement[bool]) -> int:
    """How many requests of the programme wait in the queue (and meet `where`)."""
    count = db.scalar(
        select(func.count())
        .select_from(CoachingRequest)
        .where(CoachingRequest.programme_id == programme_id, CoachingRequest.status == RequestStatus.WAITING, *where)
    )
    return int(count or 0)


def draft_engagements(db: Session, programme: Programme, *, with_history: bool = False) -> list[Engagement]:
    """The current draft plan, oldest request first, each engagement with its request, coach
    and sessions loaded in one query each rather than a few per engagement; `with_history`
    also loads each request's earlier engagements (what the draft page explains)."""
    request = selectinload(Engagement.request)
    return list(
        db.scalars(
            select(Engagement)
            .join(CoachingRequest)
            .where(CoachingRequest.programme_id == programme.id, Engagement.status == EngagementStatus.DRAFT)
            .order_by(CoachingRequest.submitted_at)
            .options(
                request.selectinload(CoachingRequest.engagements) if with_history else request,
                selectinload(Engagement.coach),
                selectinload(Engagement.sessions),
            )
        )
    )


def draft_count(db: Session, programme: Programme) -> int:
    """How many engagements the current draft holds."""
    return db.scalar(
        select(func.count(Engagement.id))
        .join(CoachingRequest)
        .where(CoachingRequest.programme_id == programme.id, Engagement.status == EngagementStatus.DRAFT)
    ) or 0


def _live(programme: Programme, *, with_draft: bool) -> ColumnElement[bool]:
    live = (Engagement.status == EngagementStatus.APPROVED) & CoachingRequest.status.in_(OPEN_REQUEST_STATES)
    return (CoachingRequest.programme_id == programme.id) & (
        (live | (Engagement.status == EngagementStatus.DRAFT)) if with_draft else live
    )


def live_engagements(db: Session, programme: Programme) -> list[Engagement]:
    """Approved engagements whose request is still open."""
    return list(
        db.scalars(
            select(Engagement)
            .join(CoachingRequest)
            .where(_live(programme, with_draft=False))
            .options(selectinload(Engagement.sessions), selectinload(Engagement.coach))
        )
    )


def live_engagement_rows(db: Session, programme: Programme) -> list[Row[tuple[int, int, str]]]:
    """(id, coach_id, status) of every live and draft engagement (`live_engagements` with the
    draft): columns only, for pages that count rather than show them."""
    return list(
        db.execute(
            select(Engagement.id, Engagement.coach_id, Engagement.status)
            .join(CoachingRequest)
            .where(_live(programme, with_draft=True))
        ).all()
    )


def live_session_rows(
    db: Session, programme: Programme, since: dt.datetime, states: Iterable[str]
) -> list[Row[tuple[int, dt.datetime, dt.datetime]]]:
    """(engagement_id, start_utc, end_utc) of the sessions in `states` from `since` on, of every
    live and draft engagement."""
    return list(
        db.execute(
            select(CoachingSession.engagement_id, CoachingSession.start_utc, CoachingSession.end_utc)
            .join(Engagement)
            .join(CoachingRequest)
            .where(
                _live(programme, with_draft=True),
                CoachingSession.status.in_(list(states)),
                CoachingSession.start_utc >= since,
            )
        ).all()
    )


def draft_coach_and_start(db: Session, programme: Programme) -> dict[int, tuple[int, dt.datetime | None]]:
    """Per request in the current draft: its draft coach's id and its first session's start."""
    rows = db.execute(
        select(Engagement.request_id, Engagement.coach_id, func.min(CoachingSession.start_utc))
        .join(CoachingRequest)
        .outerjoin(CoachingSession, CoachingSession.engagement_id == Engagement.id)
        .where(CoachingRequest.programme_id == programme.id, Engagement.status == EngagementStatus.DRAFT)
        .group_by(Engagement.request_id, Engagement.coach_id)
    )
    return {request_id: (coach_id, start) for request_id, coach_id, start in rows}


def live_engagement(request: CoachingRequest) -> Engagement | None:
    """The approved engagement of a request, if any (`live_engagements` for one request)."""
    for engagement in request.engagements:
        if engagement.status == EngagementStatus.APPROVED:
            return engagement
    return None


def coach_names(db: Session, programme_id: int) -> dict[int, str]:
    """Each coach's name by id, for the programme."""
    rows = db.execute(select(Coach.id, Coach.name).where(Coach.programme_id == programme_id))
    return {coach_id: name for coach_id, name in rows}


def name_coaches(text: str, names: dict[int, str]) -> str:
    """The solver's text with coach ids (`c12`) replaced by the coaches' names: a person reads names."""
    return _COACH_REF.sub(lambda m: names.get(int(m.group(1)), m.group(0)), text)


def add_once(db: Session, message: OutboxMessage) -> OutboxMessage:
    """Add `message` unless the same change for the same person is already in the outbox.

    Here, beside the reads, so every feature that queues a message (and messaging, which
    writes the letters of those features) depends on this one place, not on each other."""
    existing = db.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == message.dedupe_key))
    if existing is not None:
        return existing
    db.add(message)  # the unit of work hands every new row to delivery after commit
    return message


def queue_once(
    db: Session, about: str, recipient: str, role: str, kind: str, payload: dict[str, Any], *, sequence: int = 0,
    **columns: Any,
) -> OutboxMessage:
    """`add_once` a message to `recipient`. `about` names the subject and the person (`i12:ann@x.org`);
    the dedupe key adds the kind and the sequence, so one change reaches one person once."""
    return add_once(
        db,
        OutboxMessage(recipient=recipient, recipient_role=role, kind=kind, sequence=sequence, payload=payload,
                      dedupe_key=f"{about}:{kind}:{sequence}", **columns),
    )


def max_hours_for(programme: Programme, level: str) -> float:
    """Most coaching hours a coach of `level` may give between two supervisions."""
    return {
        Level.TRAINEE: programme.max_hours_trainee,
        Level.ACCREDITED: programme.max_hours_accredited,
        Level.SENIOR: programme.max_hours_senior,
    }.get(level, programme.max_hours_accredited)
