"""Builders for the supervisor and API tests: tokens, supervisors, coaches without accounts, future times."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import AvailabilityRule, Coach, Programme, Supervisor, User
from scheduler.services.accounts import users
from tests.web.conftest import PASSWORD


def api_headers(db: Session, email: str) -> dict[str, str]:
    """A bearer token for the user with `email`, as the API-token page would issue it."""
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    token = users.issue_api_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def add_supervisor(
    db: Session, programme: Programme, email: str = "sue@programme.example", **values: object
) -> Supervisor:
    user = users.create_user(db, email, "supervisor", PASSWORD)
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
