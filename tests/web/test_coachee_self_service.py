"""A coachee changes a waiting request, cancels one session, asks for another coach; one open request each."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, CoachingSession, OutboxMessage, Programme
from tests.web.conftest import Person, make_request, next_weekday_utc, post, propose
from tests.web.test_requests_form import GOOD

EDIT = {
    "topics": ["leadership"],
    "language_1": "fr",
    "language_2": "en",
    "language_3": "",
    "sessions_wanted": "2",
    "timezone": "Europe/Brussels",
    "windows_tue": "18:00-20:00",
}


def test_the_status_page_shows_what_was_sent(client: FlaskClient, db: Session, programme: Programme) -> None:
    _request, token = make_request(db, programme, windows={"mon": [["17:00", "20:00"]], "sat": [["09:00", "12:00"]]})
    db.commit()
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Monday: 17:00–20:00" in page and "Saturday: 09:00–12:00" in page
    assert "Change my request" in page


def test_a_waiting_request_is_changed_and_keeps_its_place(
    client: FlaskClient, db: Session, programme: Programme
) -> None:
    request, token = make_request(db, programme)
    make_request(
        db, programme, coachee_email="later@coachees.example", submitted_at=request.submitted_at + dt.timedelta(hours=1)
    )
    db.commit()
    submitted_at = request.submitted_at
    form = client.get(f"/r/{token}/edit").get_data(as_text=True)
    assert "Change your request" in form and "coachee_email" not in form
    response = post(client, f"/r/{token}/edit", EDIT, page=f"/r/{token}/edit")
    assert response.status_code == 303
    db.expire_all()
    changed = db.get_one(CoachingRequest, request.id)
    assert changed.topics == ["leadership"] and changed.languages == ["fr", "en"] and changed.sessions_wanted == 2
    assert changed.windows == {"tue": [["18:00", "20:00"]]} and changed.timezone == "Europe/Brussels"
    assert changed.submitted_at == submitted_at and changed.coachee_email == "kei@coachees.example"
    assert "number 1</strong> of 2" in client.get(f"/r/{token}").get_data(as_text=True)


def test_a_bad_change_names_the_field_and_keeps_the_request(
    client: FlaskClient, db: Session, programme: Programme
) -> None:
    request, token = make_request(db, programme)
    db.commit()
    response = post(
        client, f"/r/{token}/edit", {**EDIT, "topics": [], "windows_tue": "25:00-26:00"}, page=f"/r/{token}/edit"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="topics-error"' in page and 'id="windows-error"' in page
    db.expire_all()
    assert db.get_one(CoachingRequest, request.id).topics == ["career"]


def _proposed(db: Session, programme: Programme, coach: Person, sessions: int = 1) -> tuple[CoachingRequest, str, Any]:
    """A request with a proposed coach and `sessions` weekly sessions from two weeks ahead."""
    request, token = make_request(db, programme)
    first = next_weekday_utc(2, 10, weeks_ahead=2)
    engagement = propose(db, request, coach.coach_id or 0, [first + dt.timedelta(days=7 * k) for k in range(sessions)])
    db.commit()
    return request, token, engagement


def test_only_a_waiting_request_can_be_changed(
    client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    _request, token, _engagement = _proposed(db, programme, coach)
    assert "Change my request" not in client.get(f"/r/{token}").get_data(as_text=True)
    assert post(client, f"/r/{token}/edit", EDIT, page=f"/r/{token}").status_code == 409


def test_one_session_is_cancelled_and_the_rest_stands(
    client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, token, engagement = _proposed(db, programme, coach, sessions=2)
    one, two = sorted(engagement.sessions, key=lambda s: s.start_utc)
    assert post(client, f"/r/{token}/sessions/{one.id}/cancel", page=f"/r/{token}").status_code == 303
    db.expire_all()
    assert db.get_one(CoachingSession, one.id).status == "cancelled"
    assert db.get_one(CoachingSession, two.id).status == "scheduled"
    assert db.get_one(CoachingRequest, request.id).status == "proposed"
    kinds = {
        (m.kind, m.recipient_role) for m in db.scalars(select(OutboxMessage).where(OutboxMessage.session_id == one.id))
    }
    assert kinds == {("CANCEL", "coach"), ("CANCEL", "coachee")}
    # The last one cannot go alone: that is cancelling the request.
    assert post(client, f"/r/{token}/sessions/{two.id}/cancel", page=f"/r/{token}").status_code == 409
    db.expire_all()
    assert db.get_one(CoachingSession, two.id).status == "scheduled"


def test_asking_for_another_coach_waits_again_without_that_coach(
    client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    request, token, _engagement = _proposed(db, programme, coach)
    submitted_at = request.submitted_at
    assert post(client, f"/r/{token}/another-coach", page=f"/r/{token}").status_code == 303
    db.expire_all()
    again = db.get_one(CoachingRequest, request.id)
    assert (
        again.status == "waiting" and coach.coach_id in again.excluded_coach_ids and again.submitted_at == submitted_at
    )
    assert (
        db.scalar(select(func.count()).select_from(CoachingSession).where(CoachingSession.status == "scheduled")) == 0
    )


def test_a_second_open_request_from_one_address_is_not_stored(
    client: FlaskClient, db: Session, programme: Programme
) -> None:
    assert post(client, "/request", GOOD, page="/request").status_code == 303
    second = post(client, "/request", {**GOOD, "coachee_email": GOOD["coachee_email"].upper()}, page="/request")
    assert second.status_code == 303
    assert db.scalar(select(func.count()).select_from(CoachingRequest)) == 1
    links = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "LINK")).all()
    assert len(links) == 2, "the link to the open request went out again"
    assert "did not open a second" in client.get("/request/sent").get_data(as_text=True)
    # Another address is a request of its own.
    post(client, "/request", {**GOOD, "coachee_email": "someone@else.example"}, page="/request")
    assert db.scalar(select(func.count()).select_from(CoachingRequest)) == 2


def test_a_coachee_is_told_when_no_coach_is_free_at_their_times(
    client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    # The coach (New York) works weekdays 09:00-17:00: Tokyo's Sunday afternoon is his Saturday night.
    _late, late_token = make_request(db, programme, windows={"sun": [["13:00", "15:00"]]})
    _open, open_token = make_request(db, programme, coachee_email="any@x.example")
    db.commit()
    assert "No coach of the programme is free" in client.get(f"/r/{late_token}").get_data(as_text=True)
    assert "No coach of the programme is free" not in client.get(f"/r/{open_token}").get_data(as_text=True)
