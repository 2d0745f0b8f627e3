"""The programme's settings (horizon, session length, notice, gaps, topics, languages, supervision hours).

One reader for the supervisor's form and the API: every value is checked and each bad
one is named in `InvalidInput.fields`; nothing changes unless everything is right.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import CoachingRequest, Programme, RequestStatus
from scheduler.services import audit, boundary
from scheduler.services.errors import InvalidInput
from scheduler.services.fields import as_bool, as_int, as_list, valid_timezone

_TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]{0,48}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_HORIZON_DAYS = 366

EDITABLE = (
    "name",
    "timezone",
    "horizon_start",
    "horizon_end",
    "session_minutes",
    "slot_minutes",
    "min_notice_hours",
    "min_gap_days",
    "max_gap_days",
    "topics",
    "sensitive_topics",
    "languages",
    "max_hours_trainee",
    "max_hours_accredited",
    "max_hours_senior",
    "capacity_over_time",
)


def settings_of(programme: Programme) -> dict[str, Any]:
    """The editable settings as plain values (dates as ISO text)."""
    values = {name: getattr(programme, name) for name in EDITABLE}
    values["horizon_start"] = programme.horizon_start.isoformat()
    values["horizon_end"] = programme.horizon_end.isoformat()
    values["topics"] = list(programme.topics)
    values["sensitive_topics"] = list(programme.sensitive_topics)
    values["languages"] = list(programme.languages)
    return values


def _date(value: Any, name: str, errors: dict[str, str]) -> dt.date | None:
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors[name] = "must be a date (YYYY-MM-DD)"
            return None
    if not 2000 <= day.year <= 2100:
        errors[name] = "must be a date between the years 2000 and 2100"
        return None
    return day


def _hours(value: Any, name: str, errors: dict[str, str]) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = "must be a number of hours"
        return 0.0
    if not 0 < number <= 500:
        errors[name] = "must be more than 0 and at most 500 hours"
    return number


def parse_settings(
    db: Session, programme: Programme, data: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Clean settings from `data`; with `partial`, missing keys keep the programme's value."""
    unknown = sorted(set(data) - set(EDITABLE))
    errors: dict[str, str] = {key: "is not a setting" for key in unknown if key != "csrf_token"}
    declared = boundary.problems(boundary.ProgrammeChange, data)
    merged = settings_of(programme)
    if partial:
        merged.update({k: v for k, v in data.items() if k in EDITABLE})
    else:
        merged.update({k: data.get(k) for k in EDITABLE})
    clean: dict[str, Any] = {}

    clean["name"] = str(merged["name"] or "").strip()
    if not clean["name"]:
        errors["name"] = "is required"
    elif len(clean["name"]) > 200:
        errors["name"] = "is longer than 200 characters"
    clean["timezone"] = str(merged["timezone"] or "").strip()
    if not valid_timezone(clean["timezone"]):
        errors["timezone"] = f"{clean['timezone']!r} is not a known timezone (e.g. Europe/Brussels)"

    start = _date(merged["horizon_start"], "horizon_start", errors)
    end = _date(merged["horizon_end"], "horizon_end", errors)
    if start and end:
        if end < start:
            errors["horizon_end"] = "must be on or after the horizon's start"
        elif (end - start).days >= MAX_HORIZON_DAYS:
            errors["horizon_end"] = f"the horizon can be at most {MAX_HORIZON_DAYS} days long"
    clean["horizon_start"], clean["horizon_end"] = start, end

    clean["slot_minutes"] = as_int(merged["slot_minutes"], "slot_minutes", 5, 60, errors, 30)
    clean["session_minutes"] = as_int(merged["session_minutes"], "session_minutes", 15, 240, errors, 60)
    if (
        "slot_minutes" not in errors
        and "session_minutes" not in errors
        and clean["session_minutes"] % clean["slot_minutes"]
    ):
        errors["session_minutes"] = f"must be a multiple of the {clean['slot_minutes']}-minute slot"
    clean["min_notice_hours"] = as_int(merged["min_notice_hours"], "min_notice_hours", 0, 720, errors, 48)
    clean["min_gap_days"] = as_int(merged["min_gap_days"], "min_gap_days", 0, 90, errors, 7)
    clean["max_gap_days"] = as_int(merged["max_gap_days"], "max_gap_days", 1, 180, errors, 21)
    if "min_gap_days" not in errors and "max_gap_days" not in errors and clean["max_gap_days"] < clean["min_gap_days"]:
        errors["max_gap_days"] = "must be at least the minimum gap"

    topics = [t.lower() for t in as_list(merged["topics"])]
    if not topics:
        errors["topics"] = "give at least one topic"
    elif bad := [t for t in topics if not _TOPIC.match(t)]:
        errors["topics"] = f"{', '.join(bad)}: write topics in lower case with hyphens, e.g. career-change"
    else:
        in_use = _topics_in_use(db, programme) - set(topics)
        if in_use:
            errors["topics"] = f"{', '.join(sorted(in_use))}: asked for by waiting requests; keep them for now"
    clean["topics"] = list(dict.fromkeys(topics))
    sensitive = [t.lower() for t in as_list(merged["sensitive_topics"])]
    if stray := [t for t in sensitive if t not in clean["topics"]]:
        errors["sensitive_topics"] = f"{', '.join(stray)}: not among the topics"
    clean["sensitive_topics"] = list(dict.fromkeys(sensitive))
    languages = [lang.lower() for lang in as_list(merged["languages"])]
    if not languages:
        errors["languages"] = "give at least one language code, e.g. en"
    elif bad := [lang for lang in languages if not _LANGUAGE.match(lang)]:
        errors["languages"] = f"{', '.join(bad)}: use two-letter language codes such as en, nl, fr"
    clean["languages"] = list(dict.fromkeys(languages))

    for level in ("trainee", "accredited", "senior"):
        name = f"max_hours_{level}"
        clean[name] = _hours(merged[name], name, errors)

    # Coaches take new coachees as engagements end (a check box: absent means off).
    clean["capacity_over_time"] = as_bool(merged["capacity_over_time"])

    errors = {**declared, **errors}  # the service's own words first
    if errors:
        raise InvalidInput("The settings were not saved: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return clean


def _topics_in_use(db: Session, programme: Programme) -> set[str]:
    used: set[str] = set()
    for topics in db.scalars(
        select(CoachingRequest.topics).where(
            CoachingRequest.programme_id == programme.id, CoachingRequest.status == RequestStatus.WAITING
        )
    ):
        used.update(topics or [])
    return used


def update_settings(db: Session, programme: Programme, data: Mapping[str, Any], *, partial: bool = False) -> Programme:
    """Check and save the programme's settings (all or nothing)."""
    clean = parse_settings(db, programme, data, partial=partial)
    before = settings_of(programme)
    for name, value in clean.items():
        setattr(programme, name, value)
    db.flush()
    after = settings_of(programme)
    changed = sorted(name for name in after if after[name] != before[name])
    if changed:
        audit.record(db, audit.SETTINGS, programme, old={n: before[n] for n in changed},
                     new={n: after[n] for n in changed})
    return programme
