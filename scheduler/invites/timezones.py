"""VTIMEZONE components written with yearly RRULEs, derived from zoneinfo.

`icalendar` can derive a VTIMEZONE from zoneinfo, but it writes one long RDATE list, and
several common parsers read such a zone an hour off in summer. Calendar clients all
understand the Outlook-style shape: one STANDARD and one DAYLIGHT observance, each with
`RRULE:FREQ=YEARLY;BYMONTH=m;BYDAY=nSU`. We find the zone's transitions in the years an
invite covers, express them as such rules, and check the rules reproduce every transition
of those years; a zone whose rules cannot be written that way gets `None`, and the caller
then writes its times in UTC, which every client reads right.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

EPOCH_YEAR = 1970
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """One change of UTC offset: the instant, the offsets around it and the new name."""

    at_utc: dt.datetime
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str

    @property
    def local_onset(self) -> dt.datetime:
        """Wall-clock time of the change in the old offset (what RFC 5545 DTSTART holds)."""
        return (self.at_utc + self.offset_from).replace(tzinfo=None)

    @property
    def is_daylight(self) -> bool:
        return self.offset_to > self.offset_from


@dataclass(frozen=True)
class YearlyRule:
    """A transition that recurs on the n-th (or last, n=-1) weekday of a month at a wall time."""

    month: int
    ordinal: int
    weekday: int
    wall_time: dt.time
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str

    def local_onset(self, year: int) -> dt.datetime:
        days = [
            day
            for day in range(1, calendar.monthrange(year, self.month)[1] + 1)
            if dt.date(year, self.month, day).weekday() == self.weekday
        ]
        day = days[self.ordinal - 1] if self.ordinal > 0 else days[-1]
        return dt.datetime.combine(dt.date(year, self.month, day), self.wall_time)

    @property
    def rrule(self) -> dict[str, object]:
        return {"FREQ": "YEARLY", "BYMONTH": self.month, "BYDAY": f"{self.ordinal}{_WEEKDAYS[self.weekday]}"}


def _offset(zone: ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    return instant.astimezone(zone).utcoffset() or dt.timedelta(0)


def transitions(zone: ZoneInfo, year: int) -> list[Transition]:
    """Every change of UTC offset in `year`, found by a daily scan and bisection to the second."""
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    found: list[Transition] = []
    step = dt.timedelta(hours=12)
    cursor = start
    before = _offset(zone, cursor)
    while cursor < end:
        nxt = min(cursor + step, end)
        after = _offset(zone, nxt)
        if after != before:
            low, high = cursor, nxt
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            at = high.replace(microsecond=0)
            found.append(Transition(at, before, after, at.astimezone(zone).tzname() or ""))
        cursor, before = nxt, after
    return found


def _rule_for(transition: Transition) -> YearlyRule:
    onset = transition.local_onset
    last_day = calendar.monthrange(onset.year, onset.month)[1]
    ordinal = -1 if onset.day + 7 > last_day else (onset.day - 1) // 7 + 1
    return YearlyRule(
        month=onset.month,
        ordinal=ordinal,
        weekday=onset.weekday(),
        wall_time=onset.time(),
        offset_from=transition.offset_from,
        offset_to=transition.offset_to,
        name=transition.name,
    )


def _fmt_offset(delta: dt.timedelta) -> str:
    return dt.timezone(delta).tzname(None).removeprefix("UTC") or "+00:00"


@lru_cache(maxsize=256)
def yearly_rules(tzid: str, first_year: int, last_year: int) -> tuple[YearlyRule, ...] | None:
    """The zone's rules if they hold unchanged in every year from first_year to last_year.

    An empty tuple means the zone keeps one offset over those years; None means its
    changes cannot be written as nth-weekday yearly rules.
    """
    zone = ZoneInfo(tzid)
    per_year = {year: transitions(zone, year) for year in range(first_year, last_year + 1)}
    if all(not found for found in per_year.values()):
        offsets = {_offset(zone, dt.datetime(year, 7, 1, tzinfo=dt.UTC)) for year in per_year}
        return () if len(offsets) == 1 else None
    reference = per_year[first_year]
    if len(reference) != 2:
        return None
    rules = tuple(_rule_for(t) for t in reference)
    for year, found in per_year.items():
        if len(found) != len(rules):
            return None
        for rule, actual in zip(rules, found, strict=True):
            if (
                rule.local_onset(year) != actual.local_onset
                or (rule.offset_from, rule.offset_to) != (actual.offset_from, actual.offset_to)
            ):
                return None
    return rules


def vtimezone(tzid: str, first: dt.datetime, last: dt.datetime) -> Timezone | None:
    """A VTIMEZONE for `tzid` that is right from `first` to `last`, or None (write UTC instead)."""
    first_year, last_year = first.year - 1, last.year + 1
    rules = yearly_rules(tzid, first_year, last_year)
    if rules is None:
        return None
    zone = ZoneInfo(tzid)
    component = Timezone()
    component.add("TZID", tzid)
    if not rules:
        instant = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
        offset = _offset(zone, instant)
        standard = TimezoneStandard()
        standard.add("DTSTART", dt.datetime(EPOCH_YEAR, 1, 1))
        standard.add("TZOFFSETFROM", offset)
        standard.add("TZOFFSETTO", offset)
        standard.add("TZNAME", instant.astimezone(zone).tzname() or _fmt_offset(offset))
        component.add_component(standard)
        return component
    for rule in rules:
        observance = TimezoneDaylight() if rule.offset_to > rule.offset_from else TimezoneStandard()
        # DTSTART is the rule's onset in 1970 (wall time in the old offset), as Outlook and
        # Mozilla write it: it matches the RRULE, and parsers that probe years before the
        # session (vobject looks at 2000-2020) still see the zone's summer time.
        observance.add("DTSTART", rule.local_onset(EPOCH_YEAR))
        observance.add("TZOFFSETFROM", rule.offset_from)
        observance.add("TZOFFSETTO", rule.offset_to)
        observance.add("TZNAME", rule.name)
        observance.add("RRULE", rule.rrule)
        component.add_component(observance)
    return component
