"""Words of the invites in the recipient's language, through gettext (English is the source).

Catalogues go under `scheduler/invites/locale/<lang>/LC_MESSAGES/invites.mo`; a language
without one falls back to English.
"""

from __future__ import annotations

import datetime as dt
import gettext
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "invites"


@lru_cache(maxsize=32)
def translations(language: str | None) -> gettext.NullTranslations:
    """The catalogue for `language` (e.g. "fr"), English when there is none."""
    languages = [language] if language else []
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=languages or ["en"], fallback=True)


def effective_language(language: str | None) -> str:
    """The language the words will actually be in: `language` if it has a catalogue, else English."""
    if language and isinstance(translations(language), gettext.GNUTranslations):
        return language
    return "en"


def _day_names(t: gettext.NullTranslations) -> tuple[str, ...]:
    _ = t.gettext
    return (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))


def _month_names(t: gettext.NullTranslations) -> tuple[str, ...]:
    _ = t.gettext
    return (
        _("January"), _("February"), _("March"), _("April"), _("May"), _("June"),
        _("July"), _("August"), _("September"), _("October"), _("November"), _("December"),
    )


def format_span(start_utc: dt.datetime, end_utc: dt.datetime, tzid: str, language: str | None) -> str:
    """E.g. "Sunday 29 March 2026, 10:00–11:00 (Europe/Brussels)" in the recipient's zone."""
    t = translations(language)
    zone = ZoneInfo(tzid)
    start, end = start_utc.astimezone(zone), end_utc.astimezone(zone)
    return t.gettext("{weekday} {day} {month} {year}, {start}–{end} ({zone})").format(
        weekday=_day_names(t)[start.weekday()],
        day=start.day,
        month=_month_names(t)[start.month - 1],
        year=start.year,
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        zone=tzid,
    )
