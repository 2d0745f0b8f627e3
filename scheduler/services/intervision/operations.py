"""Use cases of intervision rounds. The grouping rules live in `solver.intervision`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler import queries
from scheduler.models import Programme, utcnow
from scheduler.services.errors import Conflict, InvalidInput, NotFound, found
from scheduler.services.fields import EMAIL, as_bool, as_int, as_list
from scheduler.services.intervision.letters import INVITATION
from scheduler.services.intervision.models import IntervisionGroup, IntervisionRound, IntervisionSignUp
from scheduler.services.supervision_sessions.operations import weekly_field
from scheduler.weekly import WEEKDAYS
from solver.intervision.codec import parse_instance
from solver.intervision.model import solve

EXPERIENCE = {"new": "New to coaching (under 2 years)", "experienced": "Experienced (2 years or more)"}
MAX_SLOTS = 60


def _text(data: Mapping[str, Any], name: str, errors: dict[str, str], *, limit: int = 200, required: bool = True) -> str:
    value = str(data.get(name, "") or "").strip()
    if required and not value:
        errors[name] = "is required"
    elif len(value) > limit:
        errors[name] = f"at most {limit} characters"
    elif any(ord(ch) < 32 for ch in value):
        errors[name] = "must not contain control characters"
    return value


def _date(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(data.get(name, "")).strip())
    except ValueError:
        errors[name] = "must be a date (YYYY-MM-DD)"
        return None


def round_slots(starts_on: dt.date, ends_on: dt.date, weekly: Mapping[str, list[list[str]]], minutes: int, timezone: str) -> list[dict[str, str]]:
    """The meeting times a round offers: back-to-back sessions inside each weekly window, every day of the range."""
    zone = ZoneInfo(timezone)
    slots = []
    day = starts_on
    while day <= ends_on:
        for start_text, end_text in weekly.get(WEEKDAYS[day.weekday()], []):
            start = dt.datetime.combine(day, dt.time.fromisoformat(start_text), zone)
            close = dt.datetime.combine(day, dt.time(0), zone) + dt.timedelta(
                hours=int(end_text[:2]), minutes=int(end_text[3:])
            )
            while start + dt.timedelta(minutes=minutes) <= close:
                end = start + dt.timedelta(minutes=minutes)
                slots.append(
                    {
                        "id": f"s{len(slots) + 1}",
                        "start": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "end": end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                )
                start = end
        day += dt.timedelta(days=1)
    return slots


def slot_times(round_: IntervisionRound) -> list[tuple[str, dt.datetime]]:
    """(slot id, start instant) of each meeting time the round offers."""
    return [(s["id"], dt.datetime.fromisoformat(s["start"])) for s in round_.slots]


def open_round(db: Session, programme: Programme, data: Mapping[str, Any]) -> IntervisionRound:
    """A new round: title, date range, weekly meeting times (programme's timezone), length and group size."""
    errors: dict[str, str] = {}
    title = _text(data, "title", errors)
    starts_on, ends_on = _date(data, "starts_on", errors), _date(data, "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = "must not be before the start date"
    elif starts_on and ends_on and (ends_on - starts_on).days > 92:
        errors["ends_on"] = "a round lasts at most three months"
    minutes = as_int(data.get("session_minutes"), "session_minutes", 30, 480, errors, 120)
    low = as_int(data.get("min_group_size"), "min_group_size", 2, 12, errors, 4)
    high = as_int(data.get("max_group_size"), "max_group_size", 2, 12, errors, 5)
    if "min_group_size" not in errors and "max_group_size" not in errors and high < low:
        errors["max_group_size"] = "must not be below the smallest group size"
    weekly = weekly_field(data, errors, "tue 18:00-20:00")
    slots: list[dict[str, str]] = []
    if not errors and starts_on and ends_on:
        slots = round_slots(starts_on, ends_on, weekly, minutes, programme.timezone)
        if not slots:
            errors["weekly"] = f"no {minutes}-minute meeting fits these times in the date range"
        elif len(slots) > MAX_SLOTS:
            errors["weekly"] = f"{len(slots)} meeting times: offer at most {MAX_SLOTS}"
    if errors:
        raise InvalidInput("The round was not opened.", errors)
    assert starts_on and ends_on
    round_ = IntervisionRound(
        programme_id=programme.id,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        session_minutes=minutes,
        min_group_size=low,
        max_group_size=high,
        slots=slots,
        status="open",
        left_out={},
    )
    db.add(round_)
    db.flush()
    return round_


def rounds(db: Session, programme: Programme) -> list[IntervisionRound]:
    return list(
        db.scalars(select(IntervisionRound).where(IntervisionRound.programme_id == programme.id).order_by(IntervisionRound.id.desc()))
    )


def round_by_id(db: Session, programme: Programme, round_id: int) -> IntervisionRound:
    found = db.get(IntervisionRound, round_id)
    if found is None or found.programme_id != programme.id:
        raise NotFound("No such intervision round.")
    return found


def round_by_ref(db: Session, ref: str) -> IntervisionRound:
    return found(
        db.scalar(select(IntervisionRound).where(IntervisionRound.public_ref == ref)),
        "No such intervision round.",
    )


def sign_up(db: Session, round_: IntervisionRound, programme: Programme, data: Mapping[str, Any]) -> IntervisionSignUp:
    """A member or coach signs up (again, to change their answers) while the round is open."""
    if round_.status != "open":
        raise Conflict("This round is closed: its groups are formed.")
    errors: dict[str, str] = {}
    name = _text(data, "name", errors)
    email = _text(data, "email", errors, limit=254).lower()
    if email and "email" not in errors and not EMAIL.match(email):
        errors["email"] = "must be an e-mail address like name@example.org"
    organisation = _text(data, "organisation", errors, required=False) or None
    languages = as_list(data.get("languages"))
    if not languages:
        errors["languages"] = "choose at least one language"
    elif unknown := [code for code in languages if code not in programme.languages]:
        errors["languages"] = f"unknown language {unknown[0]!r}"
    experience = str(data.get("experience", "")).strip()
    if experience not in EXPERIENCE:
        errors["experience"] = "choose one of the options"
    slot_ids = as_list(data.get("slots"))
    offered = {s["id"] for s in round_.slots}
    if not slot_ids:
        errors["slots"] = "choose at least one time you can come"
    elif any(s not in offered for s in slot_ids):
        errors["slots"] = "choose from the times offered"
    if errors:
        raise InvalidInput("The sign-up was not saved.", errors)
    existing = next((s for s in round_.sign_ups if s.email == email), None)
    person = existing or IntervisionSignUp(round_id=round_.id, email=email)
    person.name, person.organisation, person.languages = name, organisation, languages
    person.experience, person.facilitator, person.slots = experience, as_bool(data.get("facilitator")), slot_ids
    if existing is None:
        round_.sign_ups.append(person)
    db.flush()
    return person


def _met_before(db: Session, round_: IntervisionRound) -> list[list[str]]:
    """Pairs of this round's sign-ups (by id) who shared a group in an earlier round, matched by e-mail."""
    by_email = {s.email: str(s.id) for s in round_.sign_ups}
    pairs: set[tuple[str, str]] = set()
    earlier = db.scalars(
        select(IntervisionRound).where(
            IntervisionRound.programme_id == round_.programme_id, IntervisionRound.id != round_.id, IntervisionRound.status == "scheduled"
        )
    )
    for other in earlier:
        email_of = {s.id: s.email for s in other.sign_ups}
        for group in other.groups:
            ids = sorted(by_email[email_of[m]] for m in group.member_ids if email_of.get(m) in by_email)
            pairs.update(combinations(ids, 2))
    return [list(p) for p in sorted(pairs)]


def build_round_instance(db: Session, round_: IntervisionRound) -> dict[str, Any]:
    """The `intervision-instance/1` document of a round (docs/planners.md)."""
    return {
        "format": "intervision-instance/1",
        "group_size": {"min": round_.min_group_size, "max": round_.max_group_size},
        "mixed_experience": True,
        "slots": round_.slots,
        "participants": [
            {
                "id": str(s.id),
                "languages": s.languages,
                "organisation": s.organisation.strip().casefold() if s.organisation else None,
                "experience": s.experience,
                "facilitator": s.facilitator,
                "slots": s.slots,
            }
            for s in round_.sign_ups
        ],
        "met_before": _met_before(db, round_),
    }


def plan_round(db: Session, round_: IntervisionRound, *, time_limit: float = 10.0) -> IntervisionRound:
    """Form the round's groups (replacing an earlier proposal) and keep each left-out sign-up's reasons."""
    if round_.status == "scheduled":
        raise Conflict("This round is already scheduled.")
    plan = solve(parse_instance(build_round_instance(db, round_)), time_limit=time_limit)
    slots = {s["id"]: s for s in round_.slots}
    round_.groups.clear()
    db.flush()
    for group in plan.groups:
        slot = slots[group.slot]
        round_.groups.append(
            IntervisionGroup(
                start_utc=dt.datetime.fromisoformat(slot["start"]),
                end_utc=dt.datetime.fromisoformat(slot["end"]),
                language=group.language,
                facilitator_id=int(group.facilitator) if group.facilitator else None,
                member_ids=[int(m) for m in group.members],
            )
        )
    round_.left_out = {x.who: list(x.reasons) for x in plan.left_out}
    round_.status = "planned"
    db.flush()
    return round_


def schedule_round(db: Session, round_: IntervisionRound, *, now: dt.datetime | None = None) -> int:
    """Confirm the planned groups and invite every member (calendar invitation by e-mail)."""
    if round_.status != "planned":
        raise Conflict("Plan the round before scheduling it.")
    people = {s.id: s for s in round_.sign_ups}
    invited = 0
    for group in round_.groups:
        for member_id in group.member_ids:
            person = people[member_id]
            queries.queue_once(db, f"i{group.id}:{person.email}", person.email, "participant", INVITATION,
                               {"group_id": group.id}, created_at=now or utcnow())
            invited += 1
    round_.status = "scheduled"
    db.flush()
    return invited
