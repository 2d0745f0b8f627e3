"""Whatever a page tells people is handed to the worker when its unit of work commits."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import icalendar
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import OutboxMessage, Programme
from tests.web.conftest import Person, booked, csrf_token, next_weekday_utc

pytest_plugins = ["tests.web.conftest_supervisor"]


def test_a_coachee_cancelling_on_the_page_sends_the_cancellations_at_once(
    eager_app: Flask, db: Session, programme: Programme, coach: Person
) -> None:
    engagement, token = booked(db, programme, coach, next_weekday_utc(0, 9, weeks_ahead=2))
    client = eager_app.test_client()
    page = f"/r/{token}"
    response = client.post(f"{page}/cancel", data={"csrf_token": csrf_token(client, page)})
    assert response.status_code in (200, 302, 303)

    db.expire_all()
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "CANCEL")).all()
    assert {r.recipient_role for r in rows} == {"coach", "coachee"}
    assert {r.status for r in rows} == {"sent"}, "eager worker: sent within the request"
    mail_dir = Path(eager_app.config["SETTINGS"].mail_dir)
    calendars = []
    for path in mail_dir.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        calendars += [
            (part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True)))
            for part in message.walk()
            if part.get_content_type() == "text/calendar"
        ]
    assert len(calendars) == 2
    for method, calendar in calendars:
        assert method == "CANCEL" == calendar["METHOD"]
        assert str(calendar.walk("VEVENT")[0]["UID"]) == engagement.sessions[0].calendar_uid
