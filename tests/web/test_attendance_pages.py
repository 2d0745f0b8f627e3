"""Attendance through the sessions page, the API and the follow-up e-mail's link; role checks."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import OutboxMessage, Programme
from scheduler.services.attendance import operations as attendance
from scheduler.services.attendance.models import SessionAttendance
from tests.web.conftest import Person, make_coach, make_request, post, propose, sign_in


def _ended_session(db: Session, programme: Programme, coach: Person, days_ago: int = 2) -> int:
    request, _ = make_request(db, programme, coachee_email=f"kei-{days_ago}@coachees.example")
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=days_ago)
    assert coach.coach_id is not None
    engagement = propose(db, request, coach.coach_id, [start])
    db.commit()
    return engagement.sessions[0].id


def _outcome(db: Session, session_id: int) -> str | None:
    db.expire_all()
    record = db.get(SessionAttendance, session_id)
    return record.outcome if record else None


def test_coach_marks_a_session_from_the_page(client: FlaskClient, db: Session, programme: Programme, coach: Person) -> None:
    session_id = _ended_session(db, programme, coach)
    sign_in(client, coach)
    page = client.get("/coach/attendance").get_data(as_text=True)
    assert "Not marked yet" in page and "Kei Coachee" in page
    response = post(client, f"/coach/attendance/{session_id}", {"outcome": "no_show"}, page="/coach/attendance")
    assert response.status_code == 303
    assert _outcome(db, session_id) == "no_show"
    assert "The coachee did not come" in client.get("/coach/attendance").get_data(as_text=True)


def test_another_coach_cannot_mark_it_and_the_supervisor_page_is_for_coaches_only(
    client: FlaskClient, db: Session, programme: Programme, coach: Person, supervisor: Person
) -> None:
    session_id = _ended_session(db, programme, coach)
    other = make_coach(db, programme, "bo@coaches.example", name="Bo Other")
    db.commit()
    sign_in(client, other)
    response = post(client, f"/coach/attendance/{session_id}", {"outcome": "held"}, page="/coach/attendance")
    assert response.status_code == 404 and _outcome(db, session_id) is None
    client.post("/logout", data={})
    fresh = client.application.test_client()
    sign_in(fresh, supervisor)
    assert fresh.get("/coach/attendance").status_code == 403


def test_marking_needs_the_csrf_token(client: FlaskClient, db: Session, programme: Programme, coach: Person) -> None:
    session_id = _ended_session(db, programme, coach)
    sign_in(client, coach)
    assert client.post(f"/coach/attendance/{session_id}", data={"outcome": "held"}).status_code == 400
    assert _outcome(db, session_id) is None


def test_follow_up_link_records_with_one_button_and_nothing_else(client: FlaskClient, db: Session, programme: Programme, coach: Person) -> None:
    session_id = _ended_session(db, programme, coach)
    attendance.send_follow_ups(db)
    db.commit()
    token = db.scalar(select(OutboxMessage.payload).where(OutboxMessage.session_id == session_id))["token"]
    page = client.get(f"/attendance/{token}?outcome=no_show")
    assert page.status_code == 200 and 'value="no_show" checked' in page.get_data(as_text=True)
    assert _outcome(db, session_id) is None  # opening the link changes nothing
    response = post(client, f"/attendance/{token}", {"outcome": "no_show"}, page=f"/attendance/{token}")
    assert response.status_code == 200 and "recorded as" in response.get_data(as_text=True)
    assert _outcome(db, session_id) == "no_show"
    assert client.get("/attendance/not-a-token").status_code == 403
