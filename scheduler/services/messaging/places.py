"""Changing where sessions happen: a coach's place, or the supervisor's place for one engagement.

A change of place is told like a change of time: every upcoming live session whose place
actually changes gets a new SEQUENCE and a REQUEST to both people (calendars update the
event they have). Sessions that already began, or whose place stays the same (an
engagement with its own place when the coach's changes), are left alone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.invites.places import HasPlace, Place, PlaceError, meeting_place, place_of
from scheduler.models import Coach, CoachingSession, Engagement, SessionStatus, utcnow
from scheduler.services.errors import InvalidInput
from scheduler.services.messaging import outbox
from scheduler.services.transitions import change_status


def checked_place(url: str | None, address: str | None, note: str | None) -> Place | None:
    """The place from form or API values, or InvalidInput naming the field."""
    try:
        return meeting_place(url, address, note)
    except PlaceError as exc:
        raise InvalidInput(f"Meeting place: {exc}", {exc.field: str(exc)}) from exc


def _store(target: HasPlace, place: Place | None) -> None:
    target.meeting_url = place.url if place else None
    target.meeting_address = place.address if place else None
    target.meeting_note = place.note if place else None


def _renew(db: Session, sessions: list[CoachingSession], before: dict[int, Place | None],
           now: dt.datetime) -> list[CoachingSession]:
    changed = []
    for session in sessions:
        if session.start_utc <= now or place_of(session.engagement, session.coach) == before[session.id]:
            continue
        change_status(db, session, SessionStatus.SCHEDULED.value, SessionStatus.SCHEDULED.value,
                      sequence=session.sequence + 1)
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
        changed.append(session)
    return changed


def _live(db: Session, *criteria: object) -> list[CoachingSession]:
    return list(db.scalars(
        select(CoachingSession)
        .where(CoachingSession.status == SessionStatus.SCHEDULED.value, *criteria)  # type: ignore[arg-type]
        .order_by(CoachingSession.start_utc)
    ))


def _set_place(db: Session, target: HasPlace, sessions: list[CoachingSession], url: str | None,
               address: str | None, note: str | None, now: dt.datetime | None) -> list[CoachingSession]:
    place = checked_place(url, address, note)
    before = {s.id: place_of(s.engagement, s.coach) for s in sessions}
    _store(target, place)
    db.flush()
    return _renew(db, sessions, before, now or utcnow())


def set_coach_place(db: Session, coach: Coach, url: str | None, address: str | None, note: str | None, *,
                    now: dt.datetime | None = None) -> list[CoachingSession]:
    """Set the coach's own place; returns the sessions told of the change."""
    return _set_place(db, coach, _live(db, CoachingSession.coach_id == coach.id), url, address, note, now)


def set_engagement_place(db: Session, engagement: Engagement, url: str | None, address: str | None,
                         note: str | None, *, now: dt.datetime | None = None) -> list[CoachingSession]:
    """The supervisor's place for one engagement (empty: the coach's own again)."""
    return _set_place(db, engagement, _live(db, CoachingSession.engagement_id == engagement.id), url, address, note,
                      now)
