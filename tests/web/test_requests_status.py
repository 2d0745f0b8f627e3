"""The coachee's private status page and its actions."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, CoachingSession, OutboxMessage, Programme
from tests.web.conftest import Person, make_request, next_weekday_utc, post, propose


@pytest.fixture
def proposed(db: Session, programme: Programme, coach: Person) -> tuple[CoachingRequest, str, list[CoachingSession]]:
    request, token = make_request(db, programme)
    first = next_weekday_utc(0, 10, weeks_ahead=2)
    engagement = propose(db, request, coach.coach_id, [first + dt.timedelta(days=7 * i) for i in range(3)])
    db.commit()
    return request, token, list(engagement.sessions)


def test_waiting_page_shows_how_long_and_place_in_queue(client: FlaskClient, db: Session, programme: Programme) -> None:
    make_request(
        db, programme, coachee_email="first@x.example", submitted_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=9)
    )
    _, token = make_request(db, programme)
    db.commit()
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Waiting for a coach" in html
    assert "3 days ago" in html
    assert "number 2</strong> of 2" in html


def test_proposal_shows_coach_and_sessions_in_coachee_timezone(client: FlaskClient, proposed) -> None:  # type: ignore[no-untyped-def]
    _, token, sessions = proposed
    response = client.get(f"/r/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Ada Coach" in html
    tokyo = sessions[0].start_utc.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert tokyo.strftime("%a %d %b %Y, %H:%M") in html
    assert "Asia/Tokyo, JST" in html
    assert "Accept coach and sessions" in html and "Decline" in html and "Move session 1" in html


def test_unknown_or_expired_link_is_refused(client: FlaskClient, programme: Programme) -> None:
    response = client.get("/r/not-a-real-token")
    assert response.status_code == 403
    assert "Ask for a new one" in response.get_data(as_text=True)


def test_accept_confirms(client: FlaskClient, db: Session, proposed) -> None:  # type: ignore[no-untyped-def]
    request, token, _ = proposed
    response = post(client, f"/r/{token}/accept")
    assert response.status_code == 303
    db.refresh(request)
    assert request.status == "confirmed"
    assert "Confirmed" in client.get(f"/r/{token}").get_data(as_text=True)
    # accepting twice is a conflict page, not a traceback
    again = post(client, f"/r/{token}/accept")
    assert again.status_code == 409


def test_decline_cancels_the_sessions(client: FlaskClient, db: Session, proposed) -> None:  # type: ignore[no-untyped-def]
    request, token, sessions = proposed
    assert post(client, f"/r/{token}/decline").status_code == 303
    db.expire_all()
    assert db.get(CoachingRequest, request.id).status == "declined"
    assert {db.get(CoachingSession, s.id).status for s in sessions} == {"cancelled"}
    cancels = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "CANCEL")).all()
    assert len(cancels) == 6  # coach and coachee, three sessions


def test_cancel_a_waiting_request(client: FlaskClient, db: Session, programme: Programme) -> None:
    request, token = make_request(db, programme)
    db.commit()
    assert post(client, f"/r/{token}/cancel").status_code == 303
    db.refresh(request)
    assert request.status == "cancelled"


def test_actions_need_the_csrf_token(client: FlaskClient, db: Session, proposed) -> None:  # type: ignore[no-untyped-def]
    request, token, _ = proposed
    for action in ("accept", "decline", "cancel"):
        assert client.post(f"/r/{token}/{action}").status_code == 400
    db.refresh(request)
    assert request.status == "proposed"


def test_reschedule_offers_free_times_and_moves_the_session(client: FlaskClient, db: Session, proposed) -> None:  # type: ignore[no-untyped-def]
    _, token, sessions = proposed
    first = sessions[0]
    page = client.get(f"/r/{token}/sessions/{first.id}/reschedule")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'type="radio"' in html and "Asia/Tokyo" in html
    choice = html.split('name="start" value="')[1].split('"')[0]
    response = post(client, f"/r/{token}/sessions/{first.id}/reschedule", {"start": choice})
    assert response.status_code == 303
    db.expire_all()
    moved = db.get(CoachingSession, first.id)
    assert moved.start_utc.strftime("%Y-%m-%dT%H:%MZ") == choice
    assert moved.sequence == 1 and moved.status == "scheduled"
    invites = db.scalars(select(OutboxMessage).where(OutboxMessage.session_id == first.id)).all()
    assert {(m.kind, m.sequence, m.recipient_role) for m in invites} == {
        ("REQUEST", 1, "coach"),
        ("REQUEST", 1, "coachee"),
    }


def test_reschedule_to_a_time_that_is_not_offered_is_refused(client: FlaskClient, db: Session, proposed) -> None:  # type: ignore[no-untyped-def]
    _, token, sessions = proposed
    url = f"/r/{token}/sessions/{sessions[0].id}/reschedule"
    taken = sessions[1].start_utc.strftime("%Y-%m-%dT%H:%MZ")
    conflict = post(client, url, {"start": taken})
    assert conflict.status_code == 409
    assert "no longer free" in conflict.get_data(as_text=True)
    garbage = post(client, url, {"start": "tomorrow"})
    assert garbage.status_code == 422
    assert 'id="start-error"' in garbage.get_data(as_text=True)


def test_cannot_reschedule_another_requests_session(
    client: FlaskClient, db: Session, programme: Programme, proposed
) -> None:  # type: ignore[no-untyped-def]
    _, _, sessions = proposed
    _, other_token = make_request(db, programme, coachee_email="other@x.example")
    db.commit()
    assert client.get(f"/r/{other_token}/sessions/{sessions[0].id}/reschedule").status_code == 404


def test_expired_link_offers_a_new_one(client: FlaskClient, db: Session, programme: Programme) -> None:
    from scheduler.models import AccessToken

    _, token = make_request(db, programme)
    for record in db.scalars(select(AccessToken)):
        record.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.commit()
    response = client.get(f"/r/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "expired" in html and 'href="/request/new-link"' in html


def test_declined_and_cancelled_pages_offer_a_new_request(client: FlaskClient, db: Session, proposed) -> None:  # type: ignore[no-untyped-def]
    _, token, _ = proposed
    post(client, f"/r/{token}/decline")
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "You declined the proposed coach" in html and "Move session" not in html and "Cancel my request" not in html
