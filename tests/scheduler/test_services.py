"""Request submission, tokens, compare-and-set and the no-overlap guarantee, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from scheduler.db import Database
from scheduler.demo import load_demo
from scheduler.models import (
    AccessToken,
    Coach,
    CoachingRequest,
    CoachingSession,
    EngagementStatus,
    OutboxMessage,
    Programme,
    RequestStatus,
    SessionStatus,
)
from scheduler.services.accounts.tokens import REQUEST_STATUS, resolve_token, token_hash
from scheduler.services.errors import Conflict, Forbidden, InvalidInput
from scheduler.services.planning.approval import schedule_session
from scheduler.services.requests import intake
from tests.builders import add_engagement

GOOD_REQUEST = {
    "coachee_name": "Lies Coppens",
    "coachee_email": "lies@members.example",
    "timezone": "Europe/Brussels",
    "languages": "nl, en",
    "topics": ["career-change"],
    "sessions_wanted": "3",
    "windows": "mon 18:00-21:00; sat 09:00-12:00",
    "consent": "yes",
}


@pytest.fixture
def programme(database: Database) -> Programme:
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1", today=dt.date(2026, 11, 23))
        return db.scalars(select(Programme)).one()


def test_submit_request_stores_it_and_only_a_hash_of_the_link(database: Database, programme: Programme) -> None:
    with database.sessions() as db, db.begin():
        submitted = intake.submit_request(db, programme, GOOD_REQUEST)
        request_id = submitted.request.id
    with database.sessions() as db:
        stored = db.get_one(CoachingRequest, request_id)
        assert stored.languages == ["nl", "en"]
        assert stored.windows == {"mon": [["18:00", "21:00"]], "sat": [["09:00", "12:00"]]}
        assert stored.status == RequestStatus.WAITING.value
        tokens = db.scalars(select(AccessToken).where(AccessToken.request_id == request_id)).all()
        assert [t.token_hash for t in tokens] == [token_hash(submitted.status_token)]
        assert submitted.status_token not in {t.token_hash for t in tokens}
        assert resolve_token(db, submitted.status_token, REQUEST_STATUS).request_id == request_id
        with pytest.raises(Forbidden):
            resolve_token(db, submitted.status_token, "set-password")  # single purpose
        link = db.scalars(select(OutboxMessage).where(OutboxMessage.request_id == request_id)).one()
        assert link.kind == "LINK" and link.recipient == "lies@members.example"


def test_expired_link_is_refused(database: Database, programme: Programme) -> None:
    with database.sessions() as db, db.begin():
        submitted = intake.submit_request(db, programme, GOOD_REQUEST, link_days=0)
    with database.sessions() as db, pytest.raises(Forbidden, match="expired"):
        resolve_token(db, submitted.status_token, REQUEST_STATUS)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("coachee_email", "not-an-address", "e-mail address"),
        ("timezone", "Mars/Olympus", "not a known timezone"),
        ("topics", "astrology", "not a topic"),
        ("sessions_wanted", "9", "from 1 to 6"),
        ("windows", "mon 21:00-18:00", "not after start"),
        ("windows", "someday 10:00-11:00", "unknown weekday"),
        ("consent", "", "consent"),
        ("languages", "", "at least one language"),
    ],
)
def test_bad_request_input_names_the_field_and_stores_nothing(
    database: Database, programme: Programme, field: str, value: str, message: str
) -> None:
    before = _count_requests(database)
    with database.sessions() as db, db.begin(), pytest.raises(InvalidInput) as caught:
        intake.submit_request(db, programme, {**GOOD_REQUEST, field: value})
    assert list(caught.value.fields) == [field]
    assert message in caught.value.fields[field]
    assert _count_requests(database) == before


def _count_requests(database: Database) -> int:
    with database.sessions() as db:
        return len(db.scalars(select(CoachingRequest.id)).all())


def test_status_change_is_compare_and_set(database: Database, programme: Programme) -> None:
    with database.sessions() as db, db.begin():
        request_id = intake.submit_request(db, programme, GOOD_REQUEST).request.id
    # Two people load the same request; the first cancels, the second's accept must lose.
    with database.sessions() as first, database.sessions() as second:
        mine = first.get_one(CoachingRequest, request_id)
        first.commit()  # end the read (SQLite serialises transactions)
        theirs = second.get_one(CoachingRequest, request_id)
        second.commit()
        with first.begin():
            intake.cancel_request(first, mine)
        with second.begin(), pytest.raises(Conflict, match="is cancelled"):
            intake.cancel_request(second, theirs)


def _two_sessions(database: Database, programme: Programme) -> tuple[int, int]:
    """Two draft sessions of one coach that overlap by 30 minutes."""
    with database.sessions() as db, db.begin():
        coach = db.scalars(select(Coach).order_by(Coach.id)).first()
        assert coach is not None
        ids = []
        for minute in (0, 30):
            request = intake.submit_request(db, programme, {**GOOD_REQUEST, "coachee_email": f"p{minute}@x.example"}).request
            start = dt.datetime(2026, 12, 7, 17, minute, tzinfo=dt.UTC)
            engagement = add_engagement(db, request, coach.id, [start], status=EngagementStatus.DRAFT.value)
            ids.append(engagement.sessions[0].id)
        return ids[0], ids[1]


def test_the_service_refuses_to_schedule_an_overlapping_session(database: Database, programme: Programme) -> None:
    first, second = _two_sessions(database, programme)
    with database.sessions() as db, db.begin():
        schedule_session(db, db.get_one(CoachingSession, first))
    with database.sessions() as db, db.begin(), pytest.raises(Conflict, match="overlapping"):
        schedule_session(db, db.get_one(CoachingSession, second))
    with database.sessions() as db:
        assert db.get_one(CoachingSession, second).status == SessionStatus.DRAFT.value


def _move_second(database: Database, second: int, minutes: int, buffer: int) -> None:
    with database.sessions() as db, db.begin():
        session = db.get_one(CoachingSession, second)
        session.start_utc += dt.timedelta(minutes=minutes)
        session.end_utc += dt.timedelta(minutes=minutes)
        session.coach.buffer_minutes = buffer


def test_sessions_that_only_touch_do_not_overlap(database: Database, programme: Programme) -> None:
    first, second = _two_sessions(database, programme)
    _move_second(database, second, 30, buffer=0)
    with database.sessions() as db, db.begin():
        schedule_session(db, db.get_one(CoachingSession, first))
        schedule_session(db, db.get_one(CoachingSession, second))


def test_a_session_inside_the_coachs_buffer_is_refused(database: Database, programme: Programme) -> None:
    first, second = _two_sessions(database, programme)
    _move_second(database, second, 30 + 10, buffer=15)  # ten minutes after the first ends
    with database.sessions() as db, db.begin():
        schedule_session(db, db.get_one(CoachingSession, first))
    with database.sessions() as db, pytest.raises(Conflict), db.begin():
        schedule_session(db, db.get_one(CoachingSession, second))
    _move_second(database, second, 5, buffer=15)  # fifteen minutes after: the buffer is kept
    with database.sessions() as db, db.begin():
        schedule_session(db, db.get_one(CoachingSession, second))


@pytest.mark.postgres
def test_postgresql_itself_refuses_overlapping_scheduled_sessions(postgres_url: str) -> None:
    database = Database(postgres_url)
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1", today=dt.date(2026, 11, 23))
        programme = db.scalars(select(Programme)).one()
    first, second = _two_sessions(database, programme)
    # Bypass the service: the exclusion constraint alone must refuse the second one.
    with database.sessions() as db, db.begin():
        db.execute(text("UPDATE coaching_session SET status = 'scheduled' WHERE id = :id"), {"id": first})
    with database.sessions() as db, pytest.raises(IntegrityError, match="session_no_overlap"), db.begin():
        db.execute(text("UPDATE coaching_session SET status = 'scheduled' WHERE id = :id"), {"id": second})
    # A cancelled session frees its time.
    with database.sessions() as db, db.begin():
        db.execute(text("UPDATE coaching_session SET status = 'cancelled' WHERE id = :id"), {"id": first})
        db.execute(text("UPDATE coaching_session SET status = 'scheduled' WHERE id = :id"), {"id": second})
    database.dispose()


def test_concurrent_writers_cannot_double_book_a_coach_on_sqlite(sqlite_url: str) -> None:
    """Two approvals racing for overlapping sessions: BEGIN IMMEDIATE makes the second see the first."""
    import threading

    database = Database(sqlite_url)
    with database.sessions() as db, db.begin():
        load_demo(db, password="demo-password-1", today=dt.date(2026, 11, 23))
        programme = db.scalars(select(Programme)).one()
    session_ids = _two_sessions(database, programme)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(session_id: int) -> None:
        barrier.wait()
        try:
            with database.sessions() as db, db.begin():
                schedule_session(db, db.get_one(CoachingSession, session_id))
            outcomes.append("scheduled")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=book, args=(sid,)) for sid in session_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "scheduled"]
    with database.sessions() as db:
        live = db.scalars(select(CoachingSession).where(CoachingSession.status == SessionStatus.SCHEDULED.value)).all()
        assert len(live) == 1
    database.dispose()


def test_one_solve_per_programme_even_when_two_requests_race(database: Database, programme: Programme) -> None:
    """Both edges read "nothing running" first: the database's partial unique index refuses the second run,
    and the service names the run in progress; a finished run does not count."""
    from scheduler.models import SolveRun, SolveRunStatus
    from scheduler.services.planning.solving import queue_solve

    with database.sessions() as db, db.begin():
        db.add(SolveRun(programme_id=programme.id, status=SolveRunStatus.DONE))
        first = queue_solve(db, db.get_one(Programme, programme.id))  # allowed: the earlier run has finished
    with database.sessions() as db, db.begin(), pytest.raises(IntegrityError):
        db.add(SolveRun(programme_id=programme.id, status=SolveRunStatus.RUNNING))
        db.flush()
    with database.sessions() as db, db.begin(), pytest.raises(Conflict, match=f"solve run {first.id} is already queued"):
        queue_solve(db, db.get_one(Programme, programme.id))
