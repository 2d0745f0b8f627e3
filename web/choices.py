"""What the forms offer to choose from: weekdays, timezones, language names."""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

WEEKDAY_NAMES = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)

LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian", "fi": "Finnish",
    "fr": "French", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "sv": "Swedish", "sw": "Swahili", "tr": "Turkish",
    "uk": "Ukrainian", "zh": "Chinese",
}  # fmt: skip


@cache
def timezone_names() -> tuple[str, ...]:
    """Canonical IANA zones people live in, and UTC.

    tzdata's `zone.tab` lists each region of each country once under its current name
    (Asia/Kolkata, Europe/Kyiv), never an old alias (Asia/Calcutta, Europe/Kiev, US/Eastern).
    """
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    names = {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    return (*sorted(names & available_timezones()), "UTC")


def utc_offset_label(zone: str, moment: dt.datetime) -> str:
    """`UTC+05:30`: the zone's offset at `moment`."""
    offset = moment.astimezone(ZoneInfo(zone)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def timezone_options(now: dt.datetime | None = None) -> tuple[tuple[str, str], ...]:
    """(zone, label) for the timezone picker; the label names the zone's UTC offset today."""
    moment = now or dt.datetime.now(dt.UTC)
    return _options_for_hour(moment.replace(minute=0, second=0, microsecond=0))


@lru_cache(maxsize=2)
def _options_for_hour(hour: dt.datetime) -> tuple[tuple[str, str], ...]:
    return tuple((zone, f"{zone.replace('_', ' ')} ({utc_offset_label(zone, hour)})") for zone in timezone_names())


def windows_text(form: dict[str, str]) -> str:
    """The weekly text form (`mon 17:00-20:00; sat 09:00-12:00`) from one input per weekday."""
    parts = []
    for day, _name in WEEKDAY_NAMES:
        value = (form.get(f"windows_{day}") or "").strip()
        if value:
            parts.append(f"{day} {value}")
    return "; ".join(parts)


def windows_fields(windows: dict[str, list[list[str]]]) -> dict[str, str]:
    """One input value per weekday from windows `{"mon": [["17:00", "20:00"]]}`."""
    return {
        f"windows_{day}": ", ".join(f"{start}-{end}" for start, end in windows.get(day, []))
        for day, _name in WEEKDAY_NAMES
    }
