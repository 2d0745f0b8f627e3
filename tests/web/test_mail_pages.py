"""The outbox on the supervisor's page and /health; meeting places set by a coach and by the supervisor."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Coach, CoachingSession, OutboxMessage, OutboxState, Programme, utcnow
from tests.web.conftest import Person, booked, csrf_token, next_weekday_utc

pytest_plugins = ["tests.web.conftest_supervisor"]


def _failed(db: Session, reason: str = "RecipientsRefused (SMTP 550)") -> OutboxMessage:
    message = OutboxMessage(recipient="gone@coachees.example", recipient_role="coachee", kind="LINK", sequence=0,
                            payload={}, status="failed", attempts=1, last_error=reason, dedupe_key="test:failed:1")
    db.add(message)
    db.commit()
    return message


def test_health_shows_the_outbox_state_without_anything_personal(
    client: FlaskClient, db: Session, programme: Programme
) -> None:
    _failed(db)
    db.add(OutboxMessage(recipient="kei@coachees.example", recipient_role="coachee", kind="LINK", sequence=0,
                         payload={}, dedupe_key="test:pending:1", created_at=utcnow() - dt.timedelta(minutes=5)))
    db.add(OutboxState(id=1, paused_since=utcnow() - dt.timedelta(minutes=3), last_error="SMTP unavailable"))
    db.commit()
    response = client.get("/health")
    assert response.status_code == 200
    outbox = response.get_json()["outbox"]
    assert (outbox["pending"], outbox["failed"], outbox["paused"]) == (1, 1, True)
    assert 290 <= outbox["oldest_pending_seconds"] <= 400 and outbox["paused_since"]
    assert "@" not in response.get_data(as_text=True)


def test_health_of_a_quiet_outbox(client: FlaskClient, programme: Programme) -> None:
    outbox = client.get("/health").get_json()["outbox"]
    assert outbox == {"pending": 0, "sending": 0, "failed": 0, "oldest_pending_seconds": None, "paused": False,
                      "paused_since": None, "last_error": None}


def test_the_supervisor_sees_failed_messages_and_sends_one_again(
    supervisor_client: FlaskClient, db: Session, eager_app: Flask
) -> None:
    failed = _failed(db)
    page = supervisor_client.get("/supervisor/outbox")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "RecipientsRefused (SMTP 550)" in html and "Send message" in html and "Sending normally" in html
    token = csrf_token(supervisor_client, "/supervisor/outbox")
    response = supervisor_client.post(f"/supervisor/outbox/{failed.id}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    db.expire_all()
    # The eager worker took it at once; its request is gone, so it is failed again, for that reason.
    row = db.get(OutboxMessage, failed.id)
    assert row is not None and row.attempts == 1 and row.last_error == "the status link is no longer available"
    again = supervisor_client.post("/supervisor/outbox/999999/retry", data={"csrf_token": token})
    assert again.status_code == 404


def test_the_outbox_page_is_the_supervisors_only(coach_client: FlaskClient, db: Session) -> None:
    failed = _failed(db)
    assert coach_client.get("/supervisor/outbox").status_code == 403
    token = csrf_token(coach_client, "/coach/profile")
    assert coach_client.post(f"/supervisor/outbox/{failed.id}/retry", data={"csrf_token": token}).status_code == 403
    db.expire_all()
    assert db.get_one(OutboxMessage, failed.id).status == "failed"


def test_a_coach_sets_a_video_room_and_both_people_get_an_update(
    coach_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    engagement, _ = booked(db, programme, coach, next_weekday_utc(0, 9, weeks_ahead=2))
    page = "/coach/meeting-place"
    token = csrf_token(coach_client, page)
    refused = coach_client.post(page, data={"csrf_token": token, "meeting_url": "http://video.example/r"})
    assert refused.status_code == 422 and "https://" in refused.get_data(as_text=True)
    db.expire_all()
    assert db.get_one(Coach, coach.coach_id).meeting_url is None
    saved = coach_client.post(page, data={"csrf_token": token, "meeting_url": "https://video.example/r/ada",
                                          "meeting_note": "Knock twice"})
    assert saved.status_code == 303
    db.expire_all()
    session = db.scalars(select(CoachingSession).where(CoachingSession.engagement_id == engagement.id)).one()
    assert session.sequence == 1
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.session_id == session.id)).all()
    assert {(r.recipient_role, r.sequence, r.status) for r in rows} == {("coach", 1, "sent"), ("coachee", 1, "sent")}


def test_the_supervisor_sets_a_place_for_one_engagement(
    supervisor_client: FlaskClient, db: Session, programme: Programme, coach: Person
) -> None:
    engagement, _ = booked(db, programme, coach, next_weekday_utc(1, 10, weeks_ahead=2))
    page = f"/supervisor/engagements/{engagement.id}/place"
    assert supervisor_client.get(page).status_code == 200
    token = csrf_token(supervisor_client, page)
    response = supervisor_client.post(page, data={"csrf_token": token, "meeting_address": "Rue de la Loi 16\r\nBrussels"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get_one(CoachingSession, engagement.sessions[0].id).sequence == 1
    assert supervisor_client.get("/supervisor/engagements/999999/place").status_code == 404
