"""Weekly time windows in the coaching domain: parsing and printing `mon 17:00-20:00; sat 09:00-12:00`.

The same text form is used by the request form, CSV import/export and the CLI, so a person
can read and write it; the solver contract's JSON form is `{"mon": [["17:00", "20:00"]]}`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class WindowError(ValueError):
    """A weekly window that cannot be read; the message says which part and why."""


def parse_time(text: str) -> str:
    """`"9:00"` -> `"09:00"`; raises WindowError for anything that is not a time of day."""
    text = text.strip()
    if re.fullmatch(r"\d:\d\d", text):
        text = "0" + text
    if not _TIME.match(text):
        raise WindowError(f"{text!r} is not a time of day (HH:MM)")
    return text


DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True))


def _check_interval(day: str, start: str, end: str) -> list[str]:
    start, end = parse_time(start), parse_time(end)
    if end <= start:
        raise WindowError(f"{DAY_NAMES[day]}: end {end} is not after start {start}")
    return [start, end]


def parse_weekly(value: Any) -> dict[str, list[list[str]]]:
    """Windows from text (`mon 17:00-20:00, 20:30-21:00; sat 09:00-12:00`) or a mapping."""
    result: dict[str, list[list[str]]] = {}
    if isinstance(value, str):
        for part in filter(None, (p.strip() for p in value.split(";"))):
            day, _, spans = part.partition(" ")
            day = day.strip().lower()[:3]
            if day not in WEEKDAYS:
                raise WindowError(f"{part!r}: unknown weekday (use mon..sun)")
            for span in filter(None, (s.strip() for s in spans.split(","))):
                start, sep, end = span.partition("-")
                if not sep:
                    raise WindowError(f"{part!r}: write times as HH:MM-HH:MM")
                result.setdefault(day, []).append(_check_interval(day, start, end))
    elif isinstance(value, Mapping):
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise WindowError(f"{day!r}: unknown weekday (use mon..sun)")
            for span in spans:
                if not isinstance(span, (list, tuple)) or len(span) != 2:
                    raise WindowError(f"{day}: each window is [start, end]")
                result.setdefault(day, []).append(_check_interval(day, str(span[0]), str(span[1])))
    else:
        raise WindowError("windows must be text like 'mon 17:00-20:00' or a mapping")
    for day, spans in result.items():
        spans.sort()
        for (first_start, end), (start, last_end) in pairwise(spans):
            if start < end:
                raise WindowError(
                    f"{DAY_NAMES[day]}: {first_start}-{end} and {start}-{last_end} overlap; "
                    "make them one time or leave a gap between them"
                )
    return result


def format_weekly(windows: Mapping[str, list[list[str]]]) -> str:
    """The text form of `windows`, weekdays in order."""
    return "; ".join(
        f"{day} " + ", ".join(f"{s}-{e}" for s, e in windows[day]) for day in WEEKDAYS if windows.get(day)
    )


def to_time(text: str) -> dt.time:
    """`"24:00"` has no `datetime.time`; it is stored as 23:59:59.999999 and printed back as 24:00."""
    if text == "24:00":
        return dt.time(23, 59, 59, 999999)
    return dt.time.fromisoformat(text)


def from_time(value: dt.time) -> str:
    if value == dt.time(23, 59, 59, 999999):
        return "24:00"
    return value.strftime("%H:%M")
