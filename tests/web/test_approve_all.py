"""Approving a whole draft at once: all or nothing, never two sessions of a coach at one time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import CoachingSession, OutboxMessage, Programme
from scheduler.services.errors import Conflict
from scheduler.services.planning import approval
from tests.web.conftest import Person, make_request, next_weekday_utc, propose


def _draft(db: Session, programme: Programme, coach: Person, email: str, start: dt.datetime):  # type: ignore[no-untyped-def]
    request, _ = make_request(db, programme, coachee_email=email)
    return propose(db, request, coach.coach_id or 0, [start, start + dt.timedelta(days=7)], status="draft")


def test_all_drafts_are_approved_with_their_invitations(db: Session, programme: Programme, coach: Person) -> None:
    start = next_weekday_utc(1, 10, weeks_ahead=2)
    one = _draft(db, programme, coach, "one@coachees.example", start)
    two = _draft(db, programme, coach, "two@coachees.example", start + dt.timedelta(hours=2))
    approved = approval.approve(db, programme)
    assert {e.id for e in approved} == {one.id, two.id}
    assert {e.status for e in approved} == {"approved"} and {e.request.status for e in approved} == {"proposed"}
    assert set(db.scalars(select(CoachingSession.status))) == {"scheduled"}
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "REQUEST")) == 8


def test_two_drafts_at_one_time_of_a_coach_are_refused_and_nothing_changes(
    db: Session, programme: Programme, coach: Person
) -> None:
    start = next_weekday_utc(1, 10, weeks_ahead=2)
    _draft(db, programme, coach, "one@coachees.example", start)
    _draft(db, programme, coach, "two@coachees.example", start + dt.timedelta(minutes=30))
    with pytest.raises(Conflict):
        approval.approve(db, programme)
    assert set(db.scalars(select(CoachingSession.status))) == {"draft"}
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0
