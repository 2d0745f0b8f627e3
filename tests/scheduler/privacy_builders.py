"""A programme, a coach and a coachee with distinctive details, for the privacy tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from scheduler.models import AvailabilityRule, Coach, CoachingRequest, Engagement, Programme, RequestStatus
from scheduler.services.accounts.users import create_user
from scheduler.services.messaging import outbox
from scheduler.services.requests.intake import submit_request
from tests.builders import add_engagement

NAME = "Quintessa Marlowe-Vega"
EMAIL = "quintessa.mv@members.example"
ORGANISATION = "Obscurion Widgets"
MESSAGE = "At a crossroads after the Zanzibar reorganisation"
COACH_NAME = "Bartholomew Quennell"
COACH_EMAIL = "b.quennell@coaches.example"


def programme(db: Session) -> Programme:
    programme = Programme(name="Privacy programme", timezone="Europe/Brussels", horizon_start=dt.date(2026, 1, 1),
                          horizon_end=dt.date(2028, 12, 31), topics=["career", "burnout"], languages=["en"],
                          organiser_email="organiser@programme.example")
    db.add(programme)
    db.flush()
    return programme


def coach(db: Session, programme: Programme, name: str = COACH_NAME, email: str = COACH_EMAIL) -> Coach:
    user = create_user(db, email, "coach")  # no password: hashing is slow by design
    coach = Coach(programme_id=programme.id, name=name, email=email, timezone="Europe/Brussels", languages=["en"],
                  topics=["career"], organisation="Coaching Guild", user_id=user.id)
    db.add(coach)
    db.flush()
    db.add(AvailabilityRule(coach_id=coach.id, weekday=1, start=dt.time(18), end=dt.time(20)))
    return coach


def request(db: Session, programme: Programme, now: dt.datetime, email: str = EMAIL) -> CoachingRequest:
    return submit_request(db, programme, {
        "coachee_name": NAME, "coachee_email": email, "organisation": ORGANISATION, "message": MESSAGE,
        "timezone": "Europe/Amsterdam", "languages": ["en"], "topics": ["career"], "sessions_wanted": 2,
        "windows": "tue 18:00-20:00", "consent": True,
    }, now=now).request


def engaged(db: Session, request: CoachingRequest, coach: Coach, starts: list[dt.datetime]) -> Engagement:
    """An approved engagement with live sessions and their invitations queued, as approval leaves it."""
    request.status = RequestStatus.CONFIRMED.value
    engagement = add_engagement(db, request, coach.id, starts, approved_at=starts[0] - dt.timedelta(days=7))
    for session in engagement.sessions:
        outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    return engagement
