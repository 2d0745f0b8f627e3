"""The translator writes a valid solver instance of the programme's database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import solver
from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.models import Coach, CoachingRequest, CoachingSession, Engagement, Programme, SessionStatus
from scheduler.translator import build_instance, coach_ref, request_ref

NOW = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


@pytest.fixture
def database(sqlite_url: str) -> Database:
    database = Database(sqlite_url)
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1", today=NOW.date())
    return database


def _instance(database: Database) -> dict:
    with database.sessions() as db:
        return build_instance(db, db.scalars(select(Programme)).one(), NOW)


def test_demo_programme_is_a_valid_instance(database: Database) -> None:
    document = _instance(database)
    instance = solver.parse_instance(document)
    assert len(instance.coaches) == 16 and len(instance.requests) == 60
    with database.sessions() as db:
        coach = db.scalars(select(Coach).order_by(Coach.id)).first()
        assert coach is not None
        entry = next(c for c in document["coaches"] if c["id"] == coach_ref(coach.id))
        holiday = coach.exceptions[0].date.isoformat()
        assert {"date": holiday, "intervals": []} in entry["overrides"]
        weekdays = {("mon", "tue", "wed", "thu", "fri", "sat", "sun")[r.weekday] for r in coach.availability}
        assert set(entry["weekly"]) == weekdays


def test_booked_sessions_count_toward_supervision_hours_and_caps(database: Database) -> None:
    with database.sessions() as db, db.begin():
        coach = db.scalars(select(Coach).order_by(Coach.id)).first()
        request = db.scalars(select(CoachingRequest).order_by(CoachingRequest.id)).first()
        assert coach is not None and request is not None
        recorded = coach.coaching_hours_since_supervision
        coach.next_supervision = NOW + dt.timedelta(days=30)
        engagement = Engagement(request_id=request.id, coach_id=coach.id, status="approved")
        request.status = "confirmed"
        db.add(engagement)
        db.flush()
        for days in (7, 14, 45):  # the third is after the next supervision: it starts a new count
            start = NOW + dt.timedelta(days=days)
            db.add(CoachingSession(engagement_id=engagement.id, coach_id=coach.id, start_utc=start,
                                   end_utc=start + dt.timedelta(minutes=90), status=SessionStatus.SCHEDULED.value))
        coach_id, request_id = coach.id, request.id
    document = _instance(database)
    entry = next(c for c in document["coaches"] if c["id"] == coach_ref(coach_id))
    assert entry["coaching_hours_since_supervision"] == pytest.approx(recorded + 3.0)
    assert entry["active_coachees"] == 1
    assert sum(1 for b in entry["busy"] if b["session"]) == 3
    assert request_ref(request_id) not in {r["id"] for r in document["requests"]}  # served already


def test_inactive_coaches_leave_the_instance_with_references_to_them(database: Database) -> None:
    with database.sessions() as db, db.begin():
        coach = db.scalars(select(Coach).order_by(Coach.id)).first()
        requests = db.scalars(select(CoachingRequest).order_by(CoachingRequest.id).limit(2)).all()
        assert coach is not None
        coach.active = False
        requests[0].excluded_coach_ids = [coach.id]
        requests[1].pinned_coach_id = coach.id
        coach_id, forbidding, pinned = coach.id, requests[0].id, requests[1].id
    document = _instance(database)
    solver.parse_instance(document)  # no dangling reference
    assert coach_ref(coach_id) not in {c["id"] for c in document["coaches"]}
    ids = {r["id"] for r in document["requests"]}
    assert request_ref(forbidding) in ids
    assert request_ref(pinned) not in ids  # the solving service reports it as left out


@pytest.mark.parametrize("over_time", [True, False])
def test_running_engagements_pass_their_last_session_end_under_capacity_over_time(
    database: Database, over_time: bool
) -> None:
    with database.sessions() as db, db.begin():
        programme = db.scalars(select(Programme)).one()
        assert programme.capacity_over_time  # on by default for a new programme
        programme.capacity_over_time = over_time
        trainee = db.scalars(select(Coach).where(Coach.level == "trainee").order_by(Coach.id)).first()
        request = db.scalars(select(CoachingRequest).order_by(CoachingRequest.id)).first()
        assert trainee is not None and request is not None and trainee.supervisor_id is not None
        engagement = Engagement(request_id=request.id, coach_id=trainee.id, status="approved")
        request.status = "confirmed"
        db.add(engagement)
        db.flush()
        for days in (7, 14):
            start = NOW + dt.timedelta(days=days)
            db.add(CoachingSession(engagement_id=engagement.id, coach_id=trainee.id, start_utc=start,
                                   end_utc=start + dt.timedelta(minutes=60), status=SessionStatus.SCHEDULED.value))
        coach_id, supervisor_id = trainee.id, trainee.supervisor_id
    document = _instance(database)
    instance = solver.parse_instance(document)
    assert instance.capacity_over_time is over_time
    entry = next(c for c in document["coaches"] if c["id"] == coach_ref(coach_id))
    supervisor = next(s for s in document["supervisors"] if s["id"] == f"s{supervisor_id}")
    last_end = "2026-12-07T09:00:00Z"  # the second session: NOW + 14 days + 1 hour
    if over_time:
        assert entry["active_engagements_end"] == [last_end]
        assert last_end in supervisor["active_trainee_engagements_end"]
    else:
        assert "active_engagements_end" not in entry and "active_trainee_engagements_end" not in supervisor


def test_reasons_for_the_demo_programme_read_as_plain_words(database: Database) -> None:
    """Every reason the greedy plan and the explanations give on the demo programme (with
    capacity over time, as a new programme has it) passes the plain-words checks."""
    from tests.solver.test_reason_words import check_plain_words

    check_plain_words(_instance(database))
