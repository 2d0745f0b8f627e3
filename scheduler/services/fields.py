"""Reading user input field by field (forms, API, CSV): each helper records what is wrong under the field's name."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str) -> bool:
    """True for an IANA timezone name this machine knows."""
    if name not in _known_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def as_list(value: Any) -> list[str]:
    """A list from a list or from text separated by commas, semicolons or spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,;\s]+", value) if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def as_int(value: Any, name: str, low: int, high: int, errors: dict[str, str], default: int) -> int:
    """A whole number in [low, high]; an empty value gives `default`."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = f"must be a whole number from {low} to {high}"
        return default
    if not low <= number <= high:
        errors[name] = f"must be from {low} to {high}"
    return number


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "y"}
    return bool(value)


def as_name(value: Any, name: str, errors: dict[str, str]) -> str:
    """A person's name: required, at most 200 characters."""
    text = str(value or "").strip()
    if not text:
        errors[name] = "is required"
    elif len(text) > 200:
        errors[name] = "is longer than 200 characters"
    return text


def as_timezone(value: Any, name: str, errors: dict[str, str]) -> str:
    """An IANA timezone name, required."""
    zone = str(value or "").strip()
    if not valid_timezone(zone):
        errors[name] = f"{zone!r} is not a known timezone (e.g. Europe/Brussels)" if zone else "is required"
    return zone


def as_topics(value: Any, offered: list[str], errors: dict[str, str]) -> list[str]:
    """The programme topics chosen, each once, in order: at least one, all of them offered."""
    topics = list(dict.fromkeys(as_list(value)))
    if not topics:
        errors["topics"] = "choose at least one topic"
    elif unknown := [t for t in topics if t not in offered]:
        errors["topics"] = f"{', '.join(unknown)}: not a topic of this programme"
    return topics
