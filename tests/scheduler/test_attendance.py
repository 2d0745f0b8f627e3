"""Attendance: coaches mark ended sessions; unmarked ones count as held after the grace period;
held hours since the last attended supervision feed the solver's rule 10 (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.db import Database
from scheduler.models import Coach, CoachingSession, OutboxMessage, Programme
from scheduler.services.attendance import operations as attendance
from scheduler.services.attendance.models import Outcome, SessionAttendance
from scheduler.services.errors import Forbidden, InvalidInput, NotFound
from scheduler.services.planning.solving import instance_document
from scheduler.services.supervision_sessions import queries as supervision_queries
from scheduler.services.supervision_sessions.models import (
    SupervisionParticipant,
    SupervisionSession,
    SupervisionStatus,
)
from tests.web.conftest import make_programme, make_request, propose
from tests.web.supervisor_builders import add_supervisor, quick_coach

NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def db(database: Database) -> Iterator[Session]:
    with database.sessions() as session:
        yield session


def _setup(db: Session, starts_days: list[int]) -> tuple[Coach, list[CoachingSession]]:
    programme = make_programme(db)
    coach = db.get_one(Coach, quick_coach(db, programme, "ada@coaches.example"))
    request, _ = make_request(db, programme)
    engagement = propose(db, request, coach.id, [NOW + dt.timedelta(days=d) for d in starts_days])
    db.flush()
    return coach, list(engagement.sessions)


def test_a_coach_marks_an_ended_session_and_may_correct_it(db: Session) -> None:
    coach, [past] = _setup(db, [-2])
    attendance.record_outcome(db, past.id, "no_show", coach_id=coach.id, now=NOW)
    assert db.get_one(SessionAttendance, past.id).outcome == "no_show"
    attendance.record_outcome(db, past.id, Outcome.HELD, coach_id=coach.id, now=NOW)
    assert db.get_one(SessionAttendance, past.id).outcome == "held"


def test_a_session_not_yet_ended_cannot_be_marked(db: Session) -> None:
    coach, [future] = _setup(db, [3])
    with pytest.raises(InvalidInput) as err:
        attendance.record_outcome(db, future.id, "held", coach_id=coach.id, now=NOW)
    assert "outcome" in err.value.fields


def test_another_coachs_session_is_not_found_and_a_bad_outcome_names_the_field(db: Session) -> None:
    coach, [past] = _setup(db, [-2])
    with pytest.raises(NotFound):
        attendance.record_outcome(db, past.id, "held", coach_id=coach.id + 1000, now=NOW)
    with pytest.raises(InvalidInput) as err:
        attendance.record_outcome(db, past.id, "maybe", coach_id=coach.id, now=NOW)
    assert err.value.fields == {"outcome": "must be one of held, no_show, cancelled_late"}


def test_follow_up_link_marks_that_session_only_and_expires(db: Session) -> None:
    _coach, [second, first] = _setup(db, [-9, -1])  # in time order: the older one is past the grace period
    assert attendance.send_follow_ups(db, NOW) == 2
    kinds = {m.session_id: m.kind for m in db.scalars(select(OutboxMessage))}
    # The recent session gets a follow-up; the one past the grace period counts as held.
    assert kinds == {first.id: attendance.FOLLOW_UP, second.id: attendance.AUTO_HELD}
    assert db.get_one(SessionAttendance, second.id).recorded_by == "automatic"
    token = next(m.payload["token"] for m in db.scalars(select(OutboxMessage)) if m.session_id == first.id)
    attendance.record_by_link(db, token, "cancelled_late", now=NOW)
    assert db.get_one(SessionAttendance, first.id).outcome == "cancelled_late"
    assert db.get(SessionAttendance, second.id).outcome == "held"  # untouched by the other link
    with pytest.raises(Forbidden):
        attendance.record_by_link(db, token + "x", "held", now=NOW)
    with pytest.raises(Forbidden):
        attendance.record_by_link(db, token, "held", now=NOW + dt.timedelta(days=attendance.LINK_DAYS + 1))
    # Nothing is sent twice.
    assert attendance.send_follow_ups(db, NOW) == 0


def test_unmarked_session_within_grace_is_not_settled(db: Session) -> None:
    _, [past] = _setup(db, [-2])
    attendance.send_follow_ups(db, NOW)
    assert db.get(SessionAttendance, past.id) is None
    attendance.send_follow_ups(db, NOW + dt.timedelta(days=attendance.GRACE_DAYS))
    assert db.get_one(SessionAttendance, past.id).outcome == "held"
    assert [m.kind for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))] == [
        attendance.FOLLOW_UP,
        attendance.AUTO_HELD,
    ]


def test_held_hours_since_the_last_attended_supervision_drive_the_solver_instance(db: Session) -> None:
    coach, sessions = _setup(db, [-20, -12, -5, -3])
    coach.coaching_hours_since_supervision = 4.0
    attendance.record_outcome(db, sessions[2].id, "no_show", coach_id=coach.id, now=NOW)
    hours = supervision_queries.hours_since_supervision(db, [coach], NOW)[coach.id]
    assert (hours.carried, hours.held, hours.total) == (4.0, 3.0, 7.0)  # the no-show does not count

    # A supervision the coach attended, between the second and third sessions, resets the count.
    supervision = _supervision_eight_days_ago(db, coach, attended=True)
    coach.coaching_hours_since_supervision = 0.0  # as recording attendance does
    db.flush()
    hours = supervision_queries.hours_since_supervision(db, [coach], NOW)[coach.id]
    assert hours.total == 1.0 and hours.since == supervision.end_utc
    instance = instance_document(db, db.get_one(Programme, coach.programme_id), NOW)
    assert instance["coaches"][0]["coaching_hours_since_supervision"] == 1.0


def test_a_supervision_missed_does_not_reset(db: Session) -> None:
    coach, _ = _setup(db, [-20, -3])
    _supervision_eight_days_ago(db, coach, attended=False)
    db.flush()
    assert supervision_queries.hours_since_supervision(db, [coach], NOW)[coach.id].total == 2.0


def _supervision_eight_days_ago(db: Session, coach: Coach, *, attended: bool) -> SupervisionSession:
    """An approved 90-minute group supervision the coach took part in (`attended` or not)."""
    start = NOW - dt.timedelta(days=8)
    supervision = SupervisionSession(
        supervisor_id=_a_supervisor(db, coach),
        start_utc=start,
        end_utc=start + dt.timedelta(minutes=90),
        status=SupervisionStatus.APPROVED.value,
    )
    supervision.participants.append(SupervisionParticipant(coach_id=coach.id, attended=attended))
    db.add(supervision)
    return supervision


def _a_supervisor(db: Session, coach: Coach) -> int:
    return add_supervisor(db, db.get_one(Programme, coach.programme_id)).id


def test_follow_up_e_mail_reaches_the_coach_with_the_link(sqlite_db: Database, smtp_settings, smtp_server) -> None:  # type: ignore[no-untyped-def]
    from scheduler.services.messaging import delivery

    with sqlite_db.sessions() as db, db.begin():
        _, [_past] = _setup(db, [-1])
        attendance.send_follow_ups(db)
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (1, 0)
    [mail] = smtp_server.handler.received
    body = mail.message.get_body(("plain",)).get_content()
    assert mail.message["Subject"] == "How did your coaching session go?"
    assert mail.recipients == ["ada@coaches.example"]
    assert "https://coaching.example/attendance/" in body


def test_long_past_sessions_are_settled_without_a_message(db: Session) -> None:
    _, [old] = _setup(db, [-40])
    assert attendance.send_follow_ups(db, NOW) == 0
    assert db.get_one(SessionAttendance, old.id).outcome == "held"
    assert db.scalars(select(OutboxMessage)).all() == []
