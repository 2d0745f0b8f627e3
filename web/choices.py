"""What the forms offer to choose from: weekdays, timezones, language names."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

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
    """IANA names people live in (no legacy aliases such as `EST5EDT` or `Etc/GMT+3`)."""
    living = (z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/")))
    return (*sorted(living), "UTC")


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
