"""The supervisor's group supervision pages: settings, plan, approve, attendance; role checks."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Coach, OutboxMessage, Programme
from scheduler.services.supervision_sessions.models import SupervisionSession, SupervisionStatus
from tests.web.conftest import Person, post, sign_in

PAGE = "/supervisor/supervision-sessions/"


def test_supervisor_sets_plans_and_approves_and_the_coach_sees_it(
    client: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person
) -> None:
    tired = db.get_one(Coach, coach.coach_id)
    tired.coaching_hours_since_supervision = 99.0  # over every limit: supervised as soon as possible
    db.commit()
    sign_in(client, supervisor)
    bad = post(client, PAGE, {"timezone": "Nowhere/City", "weekly": "someday", "session_minutes": "90", "max_group_size": "4"}, page=PAGE)
    assert bad.status_code == 200 and "There are 2 problems" in bad.get_data(as_text=True)
    saved = post(
        client, PAGE,
        {"timezone": "America/New_York", "weekly": "mon 09:00-17:00; wed 09:00-17:00", "session_minutes": "60", "max_group_size": "3"},
        page=PAGE,
    )  # fmt: skip
    assert saved.status_code == 303
    assert post(client, f"{PAGE}plan", page=PAGE).status_code == 303
    db.expire_all()
    [proposed] = db.scalars(select(SupervisionSession)).all()
    assert proposed.status == SupervisionStatus.PROPOSED.value
    assert [p.coach_id for p in proposed.participants] == [coach.coach_id]
    assert post(client, f"{PAGE}approve", page=PAGE).status_code == 303
    db.expire_all()
    assert db.get_one(SupervisionSession, proposed.id).status == SupervisionStatus.APPROVED.value
    assert db.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "SUPERVISION")).all() == [coach.email]
    ledger = client.get("/supervisor/supervision").get_data(as_text=True)
    assert "blocked" in ledger and "until" in ledger

    coach_client = client.application.test_client()
    sign_in(coach_client, coach)
    assert "Group supervision:" in coach_client.get("/coach/").get_data(as_text=True)
    assert coach_client.get(PAGE).status_code == 403
    assert coach_client.post(f"{PAGE}plan").status_code in (400, 403)


def test_attendance_form_records_who_came(client: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person) -> None:
    sign_in(client, supervisor)
    supervisor_id = db.scalar(select(SupervisionSession.supervisor_id))  # none yet
    assert supervisor_id is None
    from scheduler.models import Supervisor

    boss = db.scalars(select(Supervisor)).one()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    past = SupervisionSession(supervisor_id=boss.id, start_utc=start, end_utc=start + dt.timedelta(minutes=90), status="approved")
    from scheduler.services.supervision_sessions.models import SupervisionParticipant

    past.participants.append(SupervisionParticipant(coach_id=coach.coach_id))
    db.add(past)
    db.commit()
    assert "Record who came" in client.get(PAGE).get_data(as_text=True)
    response = post(client, f"{PAGE}{past.id}/attendance", {"attended": str(coach.coach_id)}, page=PAGE)
    assert response.status_code == 303
    db.expire_all()
    assert db.get_one(SupervisionSession, past.id).participants[0].attended is True
