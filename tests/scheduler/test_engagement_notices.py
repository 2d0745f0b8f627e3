"""Who accepted, and that another coach is sought, reach the other person by e-mail from the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from config.settings import Settings
from scheduler.db import Database
from scheduler.models import Coach, OutboxMessage, RequestStatus
from scheduler.services.coaches.self_service import respond_to_engagement
from scheduler.services.messaging import delivery, outbox
from scheduler.services.requests.intake import accept_proposal
from tests.scheduler.conftest import Sessions, SmtpServer

SOON = dt.datetime(2027, 3, 22, 17, 0, tzinfo=dt.UTC)


def _engagement(database: Database, sessions: Sessions) -> tuple[int, int]:
    with database.sessions() as db, db.begin():
        session = sessions.add(db, SOON)
        session.engagement.request.status = RequestStatus.PROPOSED.value
        return session.engagement_id, session.coach_id


def _notices(database: Database) -> list[tuple[str, str]]:
    with database.sessions() as db:
        rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == outbox.NOTICE))
        return sorted((r.recipient_role, r.payload["notice"]) for r in rows)


def test_both_acceptances_are_told_to_the_other_person(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    engagement_id, coach_id = _engagement(sqlite_db, sessions)
    with sqlite_db.sessions() as db, db.begin():
        engagement = respond_to_engagement(db, db.get_one(Coach, coach_id), engagement_id, accept=True)
        accept_proposal(db, engagement.request)
    assert _notices(sqlite_db) == [("coach", outbox.COACHEE_ACCEPTED), ("coachee", outbox.COACH_ACCEPTED)]
    assert delivery.deliver_all_pending(sqlite_db, smtp_settings) == (2, 0)
    subjects = [str(item.message["Subject"]) for item in smtp_server.received]
    assert sum(s.endswith("accepted the sessions") for s in subjects) == 1
    assert sum(s.endswith("confirmed your coaching") for s in subjects) == 1


def test_a_declining_coach_leaves_the_coachee_a_note_that_another_coach_is_sought(
    sqlite_db: Database, smtp_settings: Settings, smtp_server: SmtpServer, sessions: Sessions
) -> None:
    engagement_id, coach_id = _engagement(sqlite_db, sessions)
    with sqlite_db.sessions() as db, db.begin():
        respond_to_engagement(db, db.get_one(Coach, coach_id), engagement_id, accept=False)
    assert _notices(sqlite_db) == [("coachee", outbox.FINDING_ANOTHER_COACH)]
    delivery.deliver_all_pending(sqlite_db, smtp_settings)
    notes = [m.message for m in smtp_server.received if "another coach" in str(m.message["Subject"])]
    assert len(notes) == 1
    body = notes[0].get_body(("plain",))
    assert body is not None and "keep your place in the queue" in body.get_content()
