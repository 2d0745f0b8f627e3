"""The input boundary: every field that enters (form, API, CSV import) declared once, with its type, length and character policy.

The declarations are pydantic models. The API reads its JSON bodies with them (wrong
types, unknown keys and missing keys become 422 naming the field), the OpenAPI document's
request schemas are generated from them, and forms and CSV rows pass through
`refuse_control_characters` with the same policy before the services' own rules
(a topic the programme offers, a known timezone, a date inside the horizon) are checked.

Character policy: NUL and every other control character are refused everywhere; tab and
line breaks only in multi-line text. Names, e-mail addresses and anything that may reach
a mail header are single-line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError

from scheduler.services.errors import InvalidInput
from scheduler.services.fields import valid_timezone

# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_EXCEPT_TEXT_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")

NAME_LENGTH = 200
EMAIL_LENGTH = 254
MESSAGE_LENGTH = 2000
WEEKLY_TEXT_LENGTH = 1000
CODE_LENGTH = 64
LIST_LENGTH = 50

# Fields whose text may span lines (everything else is single-line).
MULTI_LINE_FIELDS = frozenset({"message", "note", "notes", "feedback", "reason", "comment", "meeting_address", "meeting_note"})


def control_character_problem(value: str, *, multi_line: bool = False) -> str | None:
    """What is wrong with `value`'s characters under the policy, or None."""
    pattern = _CONTROL_EXCEPT_TEXT_BREAKS if multi_line else _CONTROL
    if match := pattern.search(value):
        if match.group() in "\r\n\u2028\u2029":
            return "must be a single line"
        return f"contains a control character (U+{ord(match.group()):04X})"
    return None


def _single_line(value: str) -> str:
    if problem := control_character_problem(value):
        raise ValueError(problem)
    return value


def _multi_line(value: str) -> str:
    if problem := control_character_problem(value, multi_line=True):
        raise ValueError(problem)
    return value


def single_line(max_length: int) -> Any:
    """A single-line text field of at most `max_length` characters."""
    return Annotated[str, Field(max_length=max_length), AfterValidator(_single_line)]


def multi_line(max_length: int) -> Any:
    return Annotated[str, Field(max_length=max_length), AfterValidator(_multi_line)]


def _known_timezone(value: str) -> str:
    if not valid_timezone(value):
        raise ValueError(f"{value!r} is not a known timezone (e.g. Europe/Brussels)" if value else "is required")
    return value


Name = single_line(NAME_LENGTH)
Timezone = Annotated[
    str,
    Field(max_length=CODE_LENGTH, json_schema_extra={"examples": ["Europe/Brussels"]}),
    AfterValidator(_known_timezone),
]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    _single_line(value)
    if not _EMAIL.match(value):
        raise ValueError("must be an e-mail address like name@example.org")
    return value


Email = Annotated[
    str,
    Field(max_length=EMAIL_LENGTH, json_schema_extra={"format": "email", "pattern": _EMAIL.pattern}),
    AfterValidator(_email),
]
Code = single_line(CODE_LENGTH)
Message = multi_line(MESSAGE_LENGTH)
Codes = Annotated[list[Code], Field(max_length=LIST_LENGTH)]
# A list, or the same written as text separated by commas (what forms and CSV send).
CodesText = single_line(1000)
CodesOrText = Codes | CodesText
Time = Annotated[str, Field(max_length=5, pattern=r"^([01]?\d|2[0-3]):[0-5]\d$|^24:00$")]
Span = Annotated[list[Time], Field(min_length=2, max_length=2)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weekly = Annotated[dict[Weekday, Annotated[list[Span], Field(max_length=24)]], Field(max_length=7)]

Level = Literal["trainee", "accredited", "senior"]


def _given(value: bool) -> bool:
    if value is not True:
        raise ValueError("must be true")
    return value


Consent = Annotated[
    bool,
    Field(
        description="The coachee agrees that these details are used to match them with a coach",
        json_schema_extra={"const": True},
    ),
    AfterValidator(_given),
]
RecordId = Annotated[int, Field(ge=1, le=2**31 - 1)]
# JSON dates arrive as text: read them from ISO text even when everything else is strict.
Day = Annotated[dt.date, Strict(False)]


def _count(low: int, high: int) -> Any:
    return Annotated[int, Field(ge=low, le=high)]


SessionsWanted = _count(1, 6)
CoachCount = _count(0, 50)
SessionsPerDay = _count(0, 20)
BufferMinutes = _count(0, 240)
ActiveCoachees = _count(0, 20)
SessionsPerWeek = _count(0, 30)
SessionsOnADay = _count(0, 10)
SessionMinutes = _count(15, 240)
SlotMinutes = _count(5, 60)
NoticeHours = _count(0, 720)
MinGapDays = _count(0, 90)
MaxGapDays = _count(1, 180)
WeeklyText = single_line(WEEKLY_TEXT_LENGTH)
WeeklyOrText = Weekly | WeeklyText


class Declaration(BaseModel):
    """A body of named fields: no unknown keys, every value of its declared type."""

    # Strict for JSON (the API): "4" is not a number and "yes" not a boolean there.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


# --- coachee ------------------------------------------------------------------------------


class NewCoachingRequest(Declaration):
    coachee_name: Name = Field(min_length=1)
    coachee_email: Email
    organisation: Name | None = None
    timezone: Timezone
    languages: CodesOrText = Field(description="In order of preference")
    topics: CodesOrText
    sessions_wanted: SessionsWanted = 3
    windows: WeeklyOrText
    earliest_start: Day | None = None
    message: Message = ""
    consent: Consent


class RequestChange(Declaration):
    """What a coachee may change while their request waits; each field sent replaces the stored one."""

    timezone: Timezone | None = None
    languages: CodesOrText | None = Field(default=None, description="In order of preference")
    topics: CodesOrText | None = None
    sessions_wanted: SessionsWanted | None = None
    windows: WeeklyOrText | None = None


# --- coaches ------------------------------------------------------------------------------


class CoachInvitation(Declaration):
    name: Name = Field(min_length=1)
    email: Email
    timezone: Timezone
    languages: CodesOrText
    topics: CodesOrText = ""
    level: Level = "accredited"
    supervisor_id: RecordId | None = None
    organisation: Name | None = None
    max_active_coachees: CoachCount = 3
    max_sessions_per_week: CoachCount = 4
    max_sessions_per_day: SessionsPerDay = 2
    buffer_minutes: BufferMinutes = 15
    availability: WeeklyText = ""


class CoachProfile(Declaration):
    name: Name = Field(min_length=1)
    timezone: Timezone
    languages: Codes
    topics: Codes


class Capacity(Declaration):
    max_active_coachees: ActiveCoachees
    max_sessions_per_week: SessionsPerWeek
    max_sessions_per_day: SessionsOnADay
    buffer_minutes: BufferMinutes


class WeeklyAvailability(Declaration):
    """Replaces the whole weekly pattern: `weekly` is required and never null (no silent wipe)."""

    weekly: WeeklyOrText


class DateException(Declaration):
    date: Day
    available: bool = False
    start: Time | None = None
    end: Time | None = None


class CoachChange(Declaration):
    level: Level | None = None
    supervisor_id: RecordId | None = None
    active: bool | None = None


# --- supervisor ---------------------------------------------------------------------------


Hours = Annotated[float, Field(gt=0, le=500, allow_inf_nan=False)]


class ProgrammeChange(Declaration):
    """A partial change of the programme's settings (PATCH): only the keys sent change."""

    name: Name | None = Field(default=None, min_length=1)
    timezone: Timezone | None = None
    horizon_start: Day | None = None
    horizon_end: Day | None = None
    session_minutes: SessionMinutes | None = None
    slot_minutes: SlotMinutes | None = None
    min_notice_hours: NoticeHours | None = None
    min_gap_days: MinGapDays | None = None
    max_gap_days: MaxGapDays | None = None
    topics: CodesOrText | None = None
    sensitive_topics: CodesOrText | None = None
    languages: CodesOrText | None = None
    max_hours_trainee: Hours | None = None
    max_hours_accredited: Hours | None = None
    max_hours_senior: Hours | None = None
    capacity_over_time: bool | None = None


class CoachChoice(Declaration):
    coach_id: RecordId
    resolve: bool = False


class Approval(Declaration):
    engagement_ids: Annotated[list[RecordId], Field(min_length=1, max_length=1000)] | None = None
    all: bool = False


class ReassignChoice(Declaration):
    coach_id: RecordId | None = None
    resolve: bool = False


# --- reading ------------------------------------------------------------------------------


def _field_of(error: Mapping[str, Any]) -> str:
    location = [part for part in error["loc"] if isinstance(part, str)]
    return location[0] if location else "body"


def _message(error: Mapping[str, Any]) -> str:
    kind, text = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        return "is not a field here"
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return text.removeprefix("Value error, ")
    if kind == "string_too_long":
        return f"is longer than {error['ctx']['max_length']} characters"
    if kind == "string_too_short" and error["ctx"]["min_length"] == 1:
        return "is required"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {error['ctx'].get('ge', error['ctx'].get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {error['ctx'].get('le', error['ctx'].get('lt'))}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    return text[0].lower() + text[1:] if text else kind


def _by_field(errors: list[Any]) -> dict[str, str]:
    """One message per field; of a union's alternatives the character policy speaks first."""
    found: dict[str, str] = {}
    for error in sorted(errors, key=lambda e: e["type"] != "value_error"):
        found.setdefault(_field_of(error), _message(error))
    return found


def read(declaration: type[Declaration], data: Any, *, only_sent: bool = False) -> dict[str, Any]:
    """The values of `data` under `declaration`, or InvalidInput naming each bad field (422).

    With `only_sent`, keys that were not sent are left out (partial changes).
    """
    if not isinstance(data, Mapping):
        raise InvalidInput("Send a JSON object.", {"body": "must be a JSON object"})
    try:
        model = declaration.model_validate(dict(data))
    except ValidationError as exc:
        errors = _by_field(exc.errors())
        raise InvalidInput(
            "The input has problems: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        ) from None
    return model.model_dump(exclude_unset=only_sent)


def problems(declaration: type[Declaration], data: Mapping[str, Any]) -> dict[str, str]:
    """What breaks `declaration`'s types, lengths and character policy in form or CSV values, by field.

    Forms and CSV send text ("4", "yes") and leave optional fields empty, so values are read
    leniently, empty ones count as not sent, and missing or unknown keys are left to the
    caller's own rules (which name them in their own words).
    """
    sent = {k: v for k, v in data.items() if k in declaration.model_fields and v not in ("", None, [])}
    try:
        declaration.model_validate(sent, strict=False)
    except ValidationError as exc:
        return _by_field([e for e in exc.errors() if e["type"] not in ("missing", "extra_forbidden")])
    return {}


def refuse_control_characters(data: Mapping[str, Any], *, where: str = "") -> None:
    """InvalidInput naming each field whose text breaks the character policy (forms, CSV rows)."""
    errors: dict[str, str] = {}
    for name, value in data.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if isinstance(item, str) and (
                problem := control_character_problem(item, multi_line=name in MULTI_LINE_FIELDS)
            ):
                errors[str(name)] = problem
                break
    if errors:
        raise InvalidInput(
            f"{where}The input has problems: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )


def request_schema(declaration: type[Declaration]) -> dict[str, Any]:
    """The JSON Schema of a declaration for the OpenAPI document (refs under #/components/schemas)."""
    schema: dict[str, Any] = declaration.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("title", None)
    return schema
