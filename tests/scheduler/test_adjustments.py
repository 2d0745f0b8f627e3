"""Pin, forbid, reassign: recorded on the request for the solver, contradicted drafts withdrawn."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import CoachingSession, EngagementStatus, Programme, RequestStatus
from scheduler.services.errors import Conflict, InvalidInput, NotFound
from scheduler.services.planning import adjustments
from scheduler.translator import build_instance, coach_ref
from tests.web.conftest import make_programme, make_request, propose
from tests.web.supervisor_builders import quick_coach


def _future(days: int) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)


@pytest.fixture
def world(db: Session) -> tuple[Programme, int, int, int]:
    programme = make_programme(db)
    ada = quick_coach(db, programme, "ada@coaches.example", name="Ada")
    bob = quick_coach(db, programme, "bob@coaches.example", name="Bob")
    request, _ = make_request(db, programme)
    propose(db, request, ada, [_future(9), _future(16)], status=EngagementStatus.DRAFT.value)
    db.commit()
    return programme, request.id, ada, bob


def test_pin_to_another_coach_withdraws_the_draft_and_reaches_the_solver(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    programme, request_id, _ada, bob = world
    request = adjustments.pin(db, programme, request_id, str(bob))
    assert request.pinned_coach_id == bob
    (engagement,) = request.engagements
    assert engagement.status == EngagementStatus.SUPERSEDED.value
    assert db.scalars(select(CoachingSession).where(CoachingSession.engagement_id == engagement.id)).all() == []
    instance = build_instance(db, programme, dt.datetime.now(dt.UTC))
    assert instance["requests"][0]["pinned_coach"] == coach_ref(bob)
    assert instance["current"] == []


def test_pin_to_the_draft_coach_keeps_the_draft(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    programme, request_id, ada, _bob = world
    request = adjustments.pin(db, programme, request_id, ada)
    assert request.engagements[0].status == EngagementStatus.DRAFT.value
    assert adjustments.unpin(db, programme, request_id).pinned_coach_id is None


def test_forbid_the_draft_coach_then_allow_again(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    programme, request_id, ada, _bob = world
    adjustments.pin(db, programme, request_id, ada)
    request = adjustments.forbid(db, programme, request_id, ada)
    assert request.excluded_coach_ids == [ada]
    assert request.pinned_coach_id is None  # a forbid lifts a pin to the same coach
    assert request.engagements[0].status == EngagementStatus.SUPERSEDED.value
    adjustments.forbid(db, programme, request_id, ada)
    assert request.excluded_coach_ids == [ada]  # once only
    db.commit()
    instance = build_instance(db, programme, dt.datetime.now(dt.UTC))
    assert instance["requests"][0]["excluded_coaches"] == [coach_ref(ada)]
    assert adjustments.allow(db, programme, request_id, ada).excluded_coach_ids == []


def test_reassign_on_sqlite_and_postgres(any_db: Session) -> None:
    db = any_db
    programme = make_programme(db)
    ada = quick_coach(db, programme, "ada@coaches.example", name="Ada")
    bob = quick_coach(db, programme, "bob@coaches.example", name="Bob")
    request, _ = make_request(db, programme)
    propose(db, request, ada, [_future(9)], status=EngagementStatus.DRAFT.value)
    db.commit()
    request_id = request.id
    request = adjustments.reassign(db, programme, request_id)
    assert request.excluded_coach_ids == [ada]
    with pytest.raises(Conflict, match="no coach in the draft"):
        adjustments.reassign(db, programme, request_id)
    assert adjustments.reassign(db, programme, request_id, bob).pinned_coach_id == bob


def test_the_rest_of_the_draft_stays_current_for_minimal_change(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    programme, request_id, _ada, bob = world
    other, _ = make_request(db, programme, coachee_email="other@x.example")
    propose(db, other, bob, [_future(10)], status=EngagementStatus.DRAFT.value)
    adjustments.reassign(db, programme, request_id)
    current = build_instance(db, programme, dt.datetime.now(dt.UTC))["current"]
    assert [c["request"] for c in current] == [f"r{other.id}"]


def test_bad_input_and_wrong_state(db: Session, world) -> None:  # type: ignore[no-untyped-def]
    programme, request_id, ada, _bob = world
    with pytest.raises(InvalidInput) as caught:
        adjustments.pin(db, programme, request_id, "nobody")
    assert caught.value.fields == {"coach_id": "must be a coach's id"}
    with pytest.raises(InvalidInput) as caught:
        adjustments.forbid(db, programme, request_id, 9999)
    assert "coach_id" in caught.value.fields
    with pytest.raises(NotFound):
        adjustments.pin(db, programme, 9999, ada)
    request = adjustments.waiting_request(db, programme, request_id)
    request.status = RequestStatus.CANCELLED.value
    with pytest.raises(Conflict, match="no longer waiting"):
        adjustments.pin(db, programme, request_id, ada)
