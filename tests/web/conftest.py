"""Web fixtures: a migrated SQLite file per test, an app over it, and people in it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from config.settings import load_config
from scheduler.db import Database
from scheduler.models import (
    AvailabilityRule,
    Coach,
    CoachingRequest,
    Engagement,
    EngagementStatus,
    Programme,
    RequestStatus,
    Supervisor,
    utcnow,
)
from scheduler.services.accounts import users
from scheduler.services.accounts.tokens import REQUEST_STATUS, issue_token
from scheduler.services.intervision import operations as intervision
from scheduler.services.intervision.models import IntervisionRound
from tests.builders import add_engagement
from tests.web.openapi_contract import check_api_responses
from web import create_app

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs 0.1 s a hash by design; tests hash hundreds of times."""
    monkeypatch.setattr(users, "PASSWORD_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture
def web_database(sqlite_url: str) -> Iterator[Database]:
    db = Database(sqlite_url)
    yield db
    db.dispose()


def app_for_test(database: Database, tmp_path: Path, *, check_contract: bool = True, **settings: object) -> Flask:
    """An app over `database` for a test (VAR_DIR must point under tmp_path); its API answers are checked against the document."""
    values: dict[str, object] = {
        "database_url": database.url,
        "mail_dir": str(tmp_path / "mail"),
        "secret_key": "test-secret-key-not-for-production",
        "base_url": "http://127.0.0.1:5000",
        **settings,
    }
    app = create_app(load_config("testing", **values), database=database)
    if check_contract:
        check_api_responses(app)
    return app


@pytest.fixture
def app(web_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    return app_for_test(web_database, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(web_database: Database) -> Iterator[Session]:
    """A session for arranging and inspecting data; tests commit what the app must see.

    Its engine is plain pysqlite (reads take no lasting lock), unlike the app's, whose
    every transaction begins IMMEDIATE: a test reading between two requests must not
    keep the app waiting for the write lock.
    """
    engine = create_engine(web_database.url)
    with sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    engine.dispose()


def csrf_token(client: FlaskClient, page: str = "/request") -> str:
    """The CSRF token of the client's session, read from a form as a browser would."""
    html = client.get(page).get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    assert match, f"no CSRF field on {page}"
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, object] | None = None, *, page: str = "/request"):  # type: ignore[no-untyped-def]
    """POST a form with a valid CSRF token, as the page's form would."""
    return client.post(url, data={"csrf_token": csrf_token(client, page), **(data or {})})


def make_programme(db: Session) -> Programme:
    today = utcnow().date()
    programme = Programme(
        name="Spring coaching",
        timezone="Europe/Brussels",
        horizon_start=today,
        horizon_end=today + dt.timedelta(days=90),
        slot_minutes=30,
        session_minutes=60,
        min_notice_hours=48,
        min_gap_days=7,
        max_gap_days=21,
        topics=["career", "leadership", "wellbeing"],
        sensitive_topics=["wellbeing"],
        languages=["en", "nl", "fr"],
    )
    db.add(programme)
    db.flush()
    return programme


@pytest.fixture
def programme(db: Session) -> Programme:
    programme = make_programme(db)
    db.commit()
    return programme


@dataclass
class Person:
    email: str
    password: str
    user_id: int
    coach_id: int | None = None


def make_coach(db: Session, programme: Programme, email: str = "ada@coaches.example", **values: object) -> Person:
    user = users.create_user(db, email, "coach", PASSWORD)
    coach = Coach(
        programme_id=programme.id,
        name=str(values.pop("name", "Ada Coach")),
        email=email,
        timezone=str(values.pop("timezone", "America/New_York")),
        languages=["en", "fr"],
        topics=["career", "leadership"],
        user_id=user.id,
        **values,
    )
    coach.availability = [AvailabilityRule(weekday=day, start=dt.time(9, 0), end=dt.time(17, 0)) for day in range(0, 5)]
    db.add(coach)
    db.flush()
    return Person(email, PASSWORD, user.id, coach.id)


@pytest.fixture
def coach(db: Session, programme: Programme) -> Person:
    person = make_coach(db, programme)
    db.commit()
    return person


@pytest.fixture
def supervisor(db: Session, programme: Programme) -> Person:
    person = make_supervisor(db, programme)
    db.commit()
    return person


def make_supervisor(db: Session, programme: Programme) -> Person:
    user = users.create_user(db, "sam@programme.example", "supervisor", PASSWORD)
    db.add(Supervisor(programme_id=programme.id, name="Sam Supervisor", email=user.email, user_id=user.id))
    db.flush()
    return Person(user.email, PASSWORD, user.id)


def sign_in(client: FlaskClient, person: Person) -> None:
    response = post(client, "/login", {"email": person.email, "password": person.password})
    assert response.status_code == 302, response.get_data(as_text=True)


def make_request(db: Session, programme: Programme, **values: object) -> tuple[CoachingRequest, str]:
    """A waiting request (coachee in Asia/Tokyo by default) and its status-link token."""
    defaults: dict[str, object] = {
        "coachee_name": "Kei Coachee",
        "coachee_email": "kei@coachees.example",
        "timezone": "Asia/Tokyo",
        "languages": ["en"],
        "topics": ["career"],
        "sessions_wanted": 3,
        "earliest_start": programme.horizon_start,
        # Tokyo evenings/nights cover New York mornings on weekdays.
        "windows": {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        "consent": True,
        "submitted_at": utcnow() - dt.timedelta(days=3),
    }
    defaults.update(values)
    request = CoachingRequest(programme_id=programme.id, **defaults)
    db.add(request)
    db.flush()
    token = issue_token(db, REQUEST_STATUS, valid_for=dt.timedelta(days=30), request_id=request.id)
    return request, token


def propose(db: Session, request: CoachingRequest, coach_id: int, starts: list[dt.datetime], **options: Any) -> Engagement:
    """`add_engagement` as approval leaves it: an approved one leaves its request proposed."""
    engagement = add_engagement(db, request, coach_id, starts, **options)
    if engagement.status == EngagementStatus.APPROVED.value:
        request.status = RequestStatus.PROPOSED.value
        db.flush()
    return engagement


def booked(db: Session, programme: Programme, coach: Person, start: dt.datetime) -> tuple[Engagement, str]:
    """A coachee's request approved with `coach` for one session at `start`, committed: the engagement
    and the coachee's status-link token."""
    request, token = make_request(db, programme)
    engagement = propose(db, request, coach.coach_id or 0, [start])
    db.commit()
    return engagement, token


def next_weekday_utc(weekday: int, hour: int, *, weeks_ahead: int = 1, tz: str = "America/New_York") -> dt.datetime:
    """A local time `hour`:00 in `tz` on the given weekday, at least `weeks_ahead` weeks away, in UTC."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    today = utcnow().astimezone(zone).date()
    day = today + dt.timedelta(days=7 * weeks_ahead)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone).astimezone(dt.UTC)


def make_intervision_round(db: Session, programme: Programme) -> IntervisionRound:
    """An open intervision round two to six weeks ahead (Tuesday evenings)."""
    today = dt.date.today()
    return intervision.open_round(
        db,
        programme,
        {"title": "Spring round", "starts_on": (today + dt.timedelta(days=14)).isoformat(),
         "ends_on": (today + dt.timedelta(days=42)).isoformat(), "weekly": "tue 18:00-20:00"},
    )


@dataclass
class World:
    """Something behind every route: a programme, two coaches (Ada, Bea), the supervisor, a request
    engaged with Ada for three weekly sessions and a request still waiting, with their status links."""

    programme: Programme
    coach: Person
    other_coach: Person
    supervisor: Person
    engaged: CoachingRequest
    engaged_token: str
    engagement: Engagement
    waiting: CoachingRequest
    waiting_token: str


def make_world(db: Session) -> World:
    """A `World`, flushed (the caller adds its own rows and commits)."""
    programme = make_programme(db)
    coach = make_coach(db, programme)
    other_coach = make_coach(db, programme, "bea@coaches.example", name="Bea Coach")
    supervisor = make_supervisor(db, programme)
    engaged, engaged_token = make_request(db, programme)
    waiting, waiting_token = make_request(db, programme, coachee_email="wait@coachees.example")
    start = next_weekday_utc(1, 10, weeks_ahead=2)  # a Tuesday 10:00 in New York
    engagement = propose(db, engaged, coach.coach_id or 0, [start + dt.timedelta(weeks=w) for w in range(3)])
    return World(programme, coach, other_coach, supervisor, engaged, engaged_token, engagement, waiting, waiting_token)
