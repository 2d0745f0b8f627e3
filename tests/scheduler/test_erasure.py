"""Erasure: no trace of the person anywhere in the database, CANCEL mails still delivered, statistics intact."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from scheduler.db import Database
from scheduler.models import (
    AccessToken,
    AuditEntry,
    Coach,
    CoachingRequest,
    CoachingSession,
    OutboxMessage,
    RequestStatus,
    SessionStatus,
    SolveRun,
    User,
    utcnow,
)
from scheduler.services import audit
from scheduler.services.accounts.users import create_user
from scheduler.services.messaging import delivery
from scheduler.services.privacy import erasure
from scheduler.services.requests.intake import send_new_link
from tests.scheduler.conftest import SmtpServer, smtp_settings_for
from tests.scheduler.privacy_builders import COACH_EMAIL, COACH_NAME, EMAIL, MESSAGE, NAME, ORGANISATION
from tests.scheduler.privacy_builders import coach as _coach
from tests.scheduler.privacy_builders import engaged as _engaged
from tests.scheduler.privacy_builders import programme as _programme
from tests.scheduler.privacy_builders import request as _request

SUPERVISOR = audit.Actor(1, "supervisor", "web")


def traces(database: Database, needles: list[str]) -> list[str]:
    """Every (table, column) whose value contains one of `needles`, in every table of the database."""
    metadata = MetaData()
    metadata.reflect(database.engine)
    found = []
    with database.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    text = json.dumps(value, default=str) if not isinstance(value, str) else value
                    found += [f"{table.name}.{column}: {n}" for n in needles if n.lower() in text.lower()]
    return found


@pytest.fixture
def settings(tmp_path: Path, database: Database, smtp_server: SmtpServer) -> Settings:
    return smtp_settings_for(tmp_path, database.url, smtp_server)


def test_erasing_a_request_with_future_sessions_leaves_no_trace_and_statistics_still_count_it(
    database: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    now = utcnow()
    with database.sessions() as db, db.begin():
        programme = _programme(db)
        coach = _coach(db, programme)
        request = _request(db, programme, now - dt.timedelta(days=30))
        _engaged(db, request, coach, [now - dt.timedelta(days=7), now + dt.timedelta(days=7),
                                      now + dt.timedelta(days=21)])
        send_new_link(db, request, link_days=60)
        request_id, coach_id = request.id, coach.id
    # 2 links, 2 upcoming sessions x 2 people; a session that has begun gets no invitation (it fails).
    assert delivery.deliver_all_pending(database, settings) == (6, 2)
    smtp_server.handler.received.clear()

    with database.sessions() as db, db.begin():
        audit.set_actor(db, SUPERVISOR)
        report = erasure.erase_request(db, db.get(CoachingRequest, request_id), settings, now=now)
        new_messages = db.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all()
    assert len(report.cancelled_sessions) == 2 and len(new_messages) == 4

    # Before the mails go, the rendered CANCELs are the only place the person remains.
    leftover = traces(database, [NAME, EMAIL])
    assert leftover and all(place.startswith("outbox_message.payload") for place in leftover)

    assert delivery.deliver_all_pending(database, settings) == (4, 0)
    received = smtp_server.received
    assert sorted(r.recipients[0] for r in received) == sorted([EMAIL, EMAIL, COACH_EMAIL, COACH_EMAIL])
    for mail in received:
        [calendar] = [p.get_content() for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
        text = calendar if isinstance(calendar, str) else calendar.decode()
        assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text
    coach_copy = next(r for r in received if r.recipients == [COACH_EMAIL]).message
    assert NAME in str(coach_copy["Subject"])  # rendered while the name still existed

    assert traces(database, [NAME, EMAIL, ORGANISATION, MESSAGE, "Zanzibar", "Marlowe"]) == []

    with database.sessions() as db, db.begin():
        # Statistics: the request, its topics and the session that took place still count.
        assert db.scalar(select(func.count()).select_from(CoachingRequest)) == 1
        erased = db.get(CoachingRequest, request_id)
        assert erased is not None and erased.erased_at is not None and erased.topics == ["career"]
        took_place = db.scalar(select(func.count()).select_from(CoachingSession).where(
            CoachingSession.status == SessionStatus.SCHEDULED.value, CoachingSession.end_utc <= now))
        assert took_place == 1
        assert db.scalar(select(func.count()).select_from(AccessToken)) == 0
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == audit.ERASE)).all()
        assert (entry.actor_role, entry.actor_user_id, entry.interface) == ("supervisor", 1, "web")
        assert (entry.object_type, entry.object_id, entry.request_id) == ("coaching_request", request_id, request_id)
        # The coach is untouched.
        assert db.get(Coach, coach_id).email == COACH_EMAIL  # type: ignore[union-attr]


def test_erasure_is_all_or_nothing(database: Database, settings: Settings) -> None:
    now = utcnow()
    with database.sessions() as db, db.begin():
        programme = _programme(db)
        request = _request(db, programme, now - dt.timedelta(days=3))
        engagement = _engaged(db, request, _coach(db, programme), [now + dt.timedelta(days=7)])
        session_id = engagement.sessions[0].id
        # A row already holds the key the erasure's coach CANCEL needs: the database refuses the second.
        db.add(OutboxMessage(recipient="x", recipient_role="coach", kind="CANCEL", sequence=1,
                             dedupe_key=f"erased:s{session_id}:coach:CANCEL:1"))
        request_id = request.id
    before = traces(database, [NAME, EMAIL, ORGANISATION, MESSAGE])

    with pytest.raises(IntegrityError), database.sessions() as db, db.begin():
        erasure.erase_request(db, db.get(CoachingRequest, request_id), settings, now=now)

    assert traces(database, [NAME, EMAIL, ORGANISATION, MESSAGE]) == before
    with database.sessions() as db:
        assert db.get(CoachingSession, session_id).status == SessionStatus.SCHEDULED.value  # type: ignore[union-attr]
        assert db.get(CoachingRequest, request_id).erased_at is None  # type: ignore[union-attr]


def test_closing_a_coach_account_returns_future_engagements_to_the_queue_and_tells_the_supervisor(
    database: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    now = utcnow()
    with database.sessions() as db, db.begin():
        programme = _programme(db)
        create_user(db, "supervisor@programme.example", "supervisor")
        coach = _coach(db, programme)
        db.get(User, coach.user_id).password_hash = "pbkdf2:sha256:1000$salt$0123"  # type: ignore[union-attr]
        # A solve run's reasons as the supervisor read them, naming the coach.
        db.add(SolveRun(programme_id=programme.id, status="done", unassigned=[
            {"request_id": 99, "reasons": [f"{COACH_NAME} has no free evening left", "no coach speaks fi"]}]))
        future = _request(db, programme, now - dt.timedelta(days=3))
        _engaged(db, future, coach, [now + dt.timedelta(days=7)])
        coach_id, future_id = coach.id, future.id
    delivery.deliver_all_pending(database, settings)
    smtp_server.handler.received.clear()

    with database.sessions() as db, db.begin():
        audit.set_actor(db, audit.Actor(5, "coach", "web"))
        report = erasure.close_coach_account(db, db.get(Coach, coach_id), settings, now=now)  # type: ignore[arg-type]
    assert report.returned_requests == [future_id]
    assert delivery.deliver_all_pending(database, settings) == (3, 0)
    recipients = sorted(r.recipients[0] for r in smtp_server.received)
    assert recipients == sorted([COACH_EMAIL, EMAIL, "supervisor@programme.example"])
    note = next(r for r in smtp_server.received if r.recipients == ["supervisor@programme.example"]).message
    assert f"#{future_id}" in note.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    assert traces(database, [COACH_NAME, COACH_EMAIL, "Coaching Guild"]) == []
    with database.sessions() as db:
        request = db.get(CoachingRequest, future_id)
        assert request is not None and request.status == RequestStatus.WAITING.value
        assert request.coachee_email == EMAIL  # the coachee is not erased
        coach = db.get(Coach, coach_id)
        assert coach is not None and not coach.active and coach.availability == []
        user = db.get(User, coach.user_id)
        assert user is not None and not user.active and user.password_hash is None
        actions = {e.action: e for e in db.scalars(select(AuditEntry))}
        assert actions[audit.CLOSE_ACCOUNT].actor_role == "coach"
        assert actions[audit.RETURN_TO_QUEUE].request_id == future_id


def test_a_request_cannot_be_erased_twice(database: Database, settings: Settings) -> None:
    from scheduler.services.errors import Conflict

    with database.sessions() as db, db.begin():
        request = _request(db, _programme(db), utcnow())
        erasure.erase_request(db, request, settings)
        with pytest.raises(Conflict):
            erasure.erase_request(db, request, settings)
