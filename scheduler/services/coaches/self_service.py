"""A coach keeps their own record true: profile, availability, capacity, answers to engagements.

The calendar-feed link is `scheduler.services.coaches.feeds`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import (
    AvailabilityException,
    Coach,
    CoachingSession,
    Engagement,
    EngagementStatus,
    Programme,
    SessionStatus,
    utcnow,
)
from scheduler.services import audit, boundary
from scheduler.services.coaches.roster import weekly_rules
from scheduler.services.errors import InvalidInput, NotFound, found
from scheduler.services.fields import as_int, as_list, as_name, as_timezone, as_topics
from scheduler.services.messaging import outbox
from scheduler.services.planning import drafts
from scheduler.services.transitions import change_status
from scheduler.weekly import WEEKDAYS, WindowError, format_weekly, from_time, parse_time, parse_weekly, to_time

ACCEPTED = "accepted"
DECLINED = "declined"


def coach_for_user(db: Session, user_id: int) -> Coach:
    """The coach record of a signed-in user, or NotFound."""
    return found(
        db.scalar(select(Coach).where(Coach.user_id == user_id)),
        "Your account is not linked to a coach. Ask the supervisor.",
    )


def update_profile(db: Session, coach: Coach, programme: Programme, data: Mapping[str, Any]) -> None:
    """Name, timezone, languages and topics (the level is the supervisor's to set)."""
    declared = boundary.problems(boundary.CoachProfile, data)
    errors: dict[str, str] = {}
    name = as_name(data.get("name"), "name", errors)
    timezone = as_timezone(data.get("timezone"), "timezone", errors)
    languages = list(dict.fromkeys(code.lower() for code in as_list(data.get("languages"))))
    if not languages:
        errors["languages"] = "choose at least one language"
    elif programme.languages and (unknown := [c for c in languages if c not in programme.languages]):
        errors["languages"] = f"{', '.join(unknown)}: not offered in this programme"
    topics = as_topics(data.get("topics"), programme.topics, errors)
    errors = {**declared, **errors}  # the service's own words first
    if errors:
        raise InvalidInput("The profile has problems.", errors)
    before = (coach.name, coach.timezone, coach.languages, coach.topics)
    coach.name, coach.timezone, coach.languages, coach.topics = name, timezone, languages, topics
    db.flush()
    changed = [f for f, old, new in zip(("name", "timezone", "languages", "topics"), before,
                                        (name, timezone, languages, topics), strict=True) if old != new]
    audit.record(db, audit.PROFILE, coach, old=None, new=changed)


def weekly_windows(coach: Coach) -> dict[str, list[list[str]]]:
    """The coach's weekly availability as `{"mon": [["09:00", "12:00"]]}` in their timezone."""
    weekly: dict[str, list[list[str]]] = {}
    for rule in sorted(coach.availability, key=lambda r: (r.weekday, r.start)):
        weekly.setdefault(WEEKDAYS[rule.weekday], []).append([from_time(rule.start), from_time(rule.end)])
    return weekly


def set_weekly_availability(db: Session, coach: Coach, windows: Any) -> None:
    """Replace the weekly pattern (text `mon 09:00-12:00; ...` or a mapping), in the coach's timezone."""
    try:
        weekly = parse_weekly(windows if windows is not None else "")
    except WindowError as exc:
        raise InvalidInput(f"The weekly availability cannot be read: {exc}", {"weekly": str(exc)}) from exc
    coach.availability = weekly_rules(weekly)
    db.flush()
    audit.record(db, audit.PROFILE, coach, old=None, new=["availability"])


def add_exception(db: Session, coach: Coach, data: Mapping[str, Any]) -> AvailabilityException:
    """A date whose availability replaces the weekly pattern: a span, or none at all."""
    errors: dict[str, str] = {}
    day: dt.date | None = None
    raw_date = str(data.get("date") or "").strip()
    try:
        day = dt.date.fromisoformat(raw_date)
    except ValueError:
        errors["date"] = "must be a date YYYY-MM-DD" if raw_date else "is required"
    available = str(data.get("available") or "no") == "yes"
    start = end = None
    if available:
        times: dict[str, str] = {}
        for name in ("start", "end"):
            try:
                times[name] = parse_time(str(data.get(name) or ""))
            except WindowError as exc:
                errors[name] = str(exc) if data.get(name) else "is required when you are available that day"
        if len(times) == 2:
            if times["end"] <= times["start"]:
                errors["end"] = f"must be after the start {times['start']}"
            start, end = to_time(times["start"]), to_time(times["end"])
    if day is not None and any(e.date == day for e in coach.exceptions):
        errors["date"] = f"{day.isoformat()} has an exception already: remove it first"
    if errors:
        raise InvalidInput("The date exception has problems.", errors)
    assert day is not None
    exception = AvailabilityException(date=day, start=start, end=end)
    coach.exceptions.append(exception)
    db.flush()
    audit.record(db, audit.PROFILE, coach, old=None, new=["availability exception"])
    return exception


def remove_exception(db: Session, coach: Coach, exception_id: int) -> None:
    exception = next((e for e in coach.exceptions if e.id == exception_id), None)
    if exception is None:
        raise NotFound("That date exception is not one of yours.")
    coach.exceptions.remove(exception)
    db.flush()
    audit.record(db, audit.PROFILE, coach, old=["availability exception"], new=None)


CAPACITY_FIELDS = {
    "max_active_coachees": (0, 20),
    "max_sessions_per_week": (0, 30),
    "max_sessions_per_day": (0, 10),
    "buffer_minutes": (0, 240),
}


def update_capacity(db: Session, coach: Coach, data: Mapping[str, Any]) -> None:
    """Coachees at once, sessions per week and per day, buffer minutes between sessions."""
    errors: dict[str, str] = {}
    values = {
        name: as_int(data.get(name), name, low, high, errors, getattr(coach, name))
        for name, (low, high) in CAPACITY_FIELDS.items()
    }
    for name in CAPACITY_FIELDS:
        if name not in errors and str(data.get(name, "")).strip() in ("", "None"):
            errors[name] = "is required"
    if not errors and values["max_sessions_per_day"] > values["max_sessions_per_week"]:
        errors["max_sessions_per_day"] = "cannot be more than the sessions per week"
    if errors:
        raise InvalidInput("The capacity has problems.", errors)
    old = {name: getattr(coach, name) for name in values}
    for name, value in values.items():
        setattr(coach, name, value)
    db.flush()
    audit.record(db, audit.PROFILE, coach, old=old, new=values)


def upcoming_sessions(db: Session, coach: Coach, *, now: dt.datetime | None = None) -> list[CoachingSession]:
    """The coach's scheduled sessions that have not ended yet, in time order."""
    now = now or utcnow()
    return list(
        db.scalars(
            select(CoachingSession)
            .where(
                CoachingSession.coach_id == coach.id,
                CoachingSession.status == SessionStatus.SCHEDULED,
                CoachingSession.end_utc > now,
            )
            .order_by(CoachingSession.start_utc)
        )
    )


def engagements_to_answer(db: Session, coach: Coach) -> list[Engagement]:
    """Approved engagements the coach has not accepted or declined yet."""
    return list(
        db.scalars(
            select(Engagement)
            .where(
                Engagement.coach_id == coach.id,
                Engagement.status == EngagementStatus.APPROVED,
                Engagement.coach_response.is_(None),
            )
            .order_by(Engagement.id)
        )
    )


def respond_to_engagement(db: Session, coach: Coach, engagement_id: int, *, accept: bool) -> Engagement:
    """The coach accepts, or declines: then the sessions are cancelled and the request waits again."""
    engagement = db.get(Engagement, engagement_id)
    if engagement is None or engagement.coach_id != coach.id:
        raise NotFound("That engagement is not one of yours.")
    if engagement.coach_response is not None:
        raise InvalidInput(
            f"You have {engagement.coach_response} this engagement already.", {"response": "was given already"}
        )
    if accept:
        change_status(
            db, engagement, EngagementStatus.APPROVED, EngagementStatus.APPROVED, coach_response=ACCEPTED
        )
        audit.record(db, audit.ACCEPT, engagement, old=None, new=ACCEPTED)
        outbox.enqueue_engagement_notice(db, engagement, outbox.COACH_ACCEPTED)
        return engagement
    change_status(
        db, engagement, EngagementStatus.APPROVED, EngagementStatus.DECLINED, coach_response=DECLINED
    )
    for session in engagement.sessions:
        if session.status == SessionStatus.SCHEDULED:
            change_status(
                db, session, SessionStatus.SCHEDULED, SessionStatus.CANCELLED, sequence=session.sequence + 1
            )
            outbox.enqueue_session_messages(db, session, outbox.CANCEL)
    drafts.return_to_queue(db, engagement.request, exclude_coach=coach.id)
    audit.record(db, audit.DECLINE, engagement, old=EngagementStatus.APPROVED.value, new=EngagementStatus.DECLINED.value)
    outbox.enqueue_engagement_notice(db, engagement, outbox.FINDING_ANOTHER_COACH)
    return engagement


def weekly_text(coach: Coach) -> str:
    return format_weekly(weekly_windows(coach))
