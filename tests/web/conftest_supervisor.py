"""Fixtures for the supervisor pages and the API (imported explicitly by those test modules).

The app here runs Celery eagerly, so "run the solver" executes the real task in the
request and the page shows the finished run; the solver gets a short time limit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from config.settings import load_config
from scheduler.db import Database
from scheduler.models import Programme, Supervisor, User
from scheduler.services import accounts
from tests.web.conftest import PASSWORD, Person, make_coach, make_request, propose, sign_in
from web import create_app

__all__ = ["api_headers", "eager_app", "make_coach", "make_request", "propose", "sign_in", "supervisor_client"]


@pytest.fixture
def eager_app(web_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    settings = load_config(
        "testing",
        database_url=web_database.url,
        mail_dir=str(tmp_path / "mail"),
        secret_key="test-secret-key-not-for-production",
        celery_task_always_eager=True,
        celery_broker_url=f"sqla+sqlite:///{tmp_path / 'broker.db'}",
        solver_time_limit=3.0,
        solver_workers=1,
    )
    return create_app(settings, database=web_database)


@pytest.fixture
def supervisor_client(eager_app: Flask, supervisor: Person) -> FlaskClient:
    client = eager_app.test_client()
    sign_in(client, supervisor)
    return client


@pytest.fixture
def coach_client(eager_app: Flask, coach: Person) -> FlaskClient:
    client = eager_app.test_client()
    sign_in(client, coach)
    return client


def api_headers(db: Session, email: str) -> dict[str, str]:
    """A bearer token for the user with `email`, as the API-token page would issue it."""
    from sqlalchemy import select

    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    token = accounts.issue_api_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def add_supervisor(
    db: Session, programme: Programme, email: str = "sue@programme.example", **values: object
) -> Supervisor:
    user = accounts.create_user(db, email, "supervisor", PASSWORD)
    supervisor = Supervisor(
        programme_id=programme.id,
        name=str(values.pop("name", "Sue Supervisor")),
        email=email,
        user_id=user.id,
        **values,
    )
    db.add(supervisor)
    db.flush()
    return supervisor


def days_ahead(days: int, hour: int = 14) -> dt.datetime:
    base = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return (base + dt.timedelta(days=days)).replace(hour=hour)


def quick_coach(db: Session, programme: Programme, email: str, **values: object) -> int:
    """A coach without an account (no password hashing: fast), available on weekdays 09:00-17:00 New York."""
    from scheduler.models import AvailabilityRule, Coach

    coach = Coach(
        programme_id=programme.id,
        name=str(values.pop("name", email.split("@")[0].title())),
        email=email,
        timezone=str(values.pop("timezone", "America/New_York")),
        languages=list(values.pop("languages", ["en", "fr"])),  # type: ignore[call-overload]
        topics=list(values.pop("topics", ["career", "leadership"])),  # type: ignore[call-overload]
        **values,
    )
    coach.availability = [AvailabilityRule(weekday=d, start=dt.time(9), end=dt.time(17)) for d in range(5)]
    db.add(coach)
    db.flush()
    return coach.id
