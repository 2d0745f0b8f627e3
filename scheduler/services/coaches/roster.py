"""The programme's coaches: parse and add coaches (supervisor's form, API and CSV import share this)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import AvailabilityRule, Coach, Level, Programme, Supervisor
from scheduler.services.errors import InvalidInput
from scheduler.services.fields import EMAIL, as_int, as_list, valid_timezone
from scheduler.weekly import (
    WEEKDAYS,
    WindowError,
    format_weekly,
    from_time,
    parse_weekly,
    to_time,
)

LEVELS = [level.value for level in Level]


def parse_coach_input(db: Session, programme: Programme, data: Mapping[str, Any]) -> dict[str, Any]:
    """Clean values for a Coach; InvalidInput names each bad field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    clean["name"] = str(data.get("name") or "").strip()
    if not clean["name"]:
        errors["name"] = "is required"
    clean["email"] = str(data.get("email") or "").strip()
    if not EMAIL.match(clean["email"]):
        errors["email"] = "must be an e-mail address like name@example.org"
    clean["timezone"] = str(data.get("timezone") or "").strip()
    if not valid_timezone(clean["timezone"]):
        errors["timezone"] = f"{clean['timezone']!r} is not a known timezone (e.g. Europe/Brussels)"
    clean["languages"] = [lang.lower() for lang in as_list(data.get("languages"))]
    if not clean["languages"]:
        errors["languages"] = "give at least one language code, e.g. en"
    clean["topics"] = as_list(data.get("topics"))
    if unknown := [t for t in clean["topics"] if t not in programme.topics]:
        errors["topics"] = f"{', '.join(unknown)}: not a topic of this programme"
    clean["level"] = str(data.get("level") or Level.ACCREDITED).strip().lower()
    if clean["level"] not in LEVELS:
        errors["level"] = f"must be one of {', '.join(LEVELS)}"
    supervisor_email = str(data.get("supervisor_email") or "").strip()
    clean["supervisor_id"] = None
    if supervisor_email:
        supervisor = db.scalar(
            select(Supervisor).where(Supervisor.programme_id == programme.id, Supervisor.email == supervisor_email)
        )
        if supervisor is None:
            errors["supervisor_email"] = f"no supervisor with e-mail {supervisor_email}"
        else:
            clean["supervisor_id"] = supervisor.id
    elif clean["level"] == Level.TRAINEE:
        errors["supervisor_email"] = "a trainee coach needs a supervisor"
    clean["organisation"] = str(data.get("organisation") or "").strip() or None
    clean["max_active_coachees"] = as_int(data.get("max_active_coachees"), "max_active_coachees", 0, 50, errors, 3)
    clean["max_sessions_per_week"] = as_int(data.get("max_sessions_per_week"), "max_sessions_per_week", 0, 50, errors, 4)
    clean["max_sessions_per_day"] = as_int(data.get("max_sessions_per_day"), "max_sessions_per_day", 0, 20, errors, 2)
    clean["buffer_minutes"] = as_int(data.get("buffer_minutes"), "buffer_minutes", 0, 240, errors, 15)
    try:
        clean["weekly"] = parse_weekly(data.get("availability") or "")
    except WindowError as exc:
        errors["availability"] = str(exc)
    if errors:
        raise InvalidInput("The coach has problems: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return clean


def weekly_rules(weekly: Mapping[str, list[list[str]]]) -> list[AvailabilityRule]:
    """AvailabilityRule rows for windows in the text/JSON weekly form."""
    return [
        AvailabilityRule(weekday=WEEKDAYS.index(day), start=to_time(start), end=to_time(end))
        for day, spans in weekly.items()
        for start, end in spans
    ]


def weekly_text(coach: Coach) -> str:
    """The coach's weekly availability in the text form."""
    weekly: dict[str, list[list[str]]] = {}
    for rule in coach.availability:
        weekly.setdefault(WEEKDAYS[rule.weekday], []).append([from_time(rule.start), from_time(rule.end)])
    return format_weekly(weekly)


def add_coach(db: Session, programme: Programme, values: Mapping[str, Any]) -> Coach:
    """A new coach from values cleaned by `parse_coach_input`."""
    if db.scalar(select(Coach.id).where(Coach.email == values["email"])) is not None:
        raise InvalidInput(f"a coach with e-mail {values['email']} exists already", {"email": "is already a coach"})
    fields = {k: v for k, v in values.items() if k != "weekly"}
    coach = Coach(programme_id=programme.id, **fields)
    coach.availability = weekly_rules(values["weekly"])
    db.add(coach)
    db.flush()
    return coach

