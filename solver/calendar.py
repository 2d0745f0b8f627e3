"""Wall-clock calendars to UTC: where a coach and a coachee can meet.

Internally an instant is a whole number of minutes since 1970-01-01T00:00Z and a
local date is a whole number of days since 1970-01-01. Every local time goes
through the timezone's real UTC offsets (from `zoneinfo`), so daylight-saving
changes are right by construction (contract rule 2): a session at 18:00 stays at
18:00 local, a local time skipped by a change does not exist, a repeated local
time exists twice, and no session spans an offset change on either side.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from solver.domain import WEEKDAYS, Coach, CoachingRequest, Instance

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = date(1970, 1, 1)
MINUTES_PER_DAY = 1440


def to_minutes(moment: datetime) -> int:
    """Whole minutes since the epoch (sub-minute parts are cut, as times are on a grid)."""
    return int((moment - EPOCH).total_seconds() // 60)


def from_minutes(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


def day_number(day: date) -> int:
    return (day - EPOCH_DATE).days


def day_of(number: int) -> date:
    return EPOCH_DATE + timedelta(days=number)


def weekday_of(day_num: int) -> int:
    """0 = Monday; 1970-01-01 was a Thursday."""
    return (day_num + 3) % 7


def iso_week_key(day_num: int) -> int:
    """The day number of the Monday starting the ISO week that holds `day_num`."""
    return day_num - weekday_of(day_num)


class Clock:
    """UTC offsets of one timezone over a span, looked up by bisection."""

    def __init__(self, name: str, lo: int, hi: int) -> None:
        zone = ZoneInfo(name)

        def offset_at(minute: int) -> int:
            off = from_minutes(minute).astimezone(zone).utcoffset()
            assert off is not None
            return int(off.total_seconds() // 60)

        self._offset_at = offset_at
        self.lo, self.hi = lo, hi

        self.starts: list[int] = [lo]
        self.offsets: list[int] = [offset_at(lo)]
        t = lo
        while t < hi:
            step = min(60, hi - t)
            if offset_at(t + step) != self.offsets[-1]:
                # The change falls in (t, t + step]: find its first minute.
                a, b = t, t + step
                while b - a > 1:
                    mid = (a + b) // 2
                    if offset_at(mid) == self.offsets[-1]:
                        a = mid
                    else:
                        b = mid
                self.starts.append(b)
                self.offsets.append(offset_at(b))
            t += step
        self.distinct_offsets = sorted(set(self.offsets))

    def offset(self, minute: int) -> int:
        if not self.lo <= minute < self.hi:
            return self._offset_at(minute)  # outside the tabulated span (e.g. old busy entries)
        return self.offsets[bisect.bisect_right(self.starts, minute) - 1]

    def local(self, minute: int) -> int:
        """Local wall-clock minutes since the epoch for a UTC minute."""
        return minute + self.offset(minute)

    def to_utc(self, local: int) -> list[int]:
        """Every UTC minute that reads `local` on this clock: none in a gap, two in a repeat."""
        found = {local - o for o in self.distinct_offsets if self.offset(local - o) == o}
        return sorted(found)

    def steady(self, start: int, end: int) -> bool:
        """True when [start, end) does not span a change of UTC offset."""
        return self.offset(start) == self.offset(end - 1)


@lru_cache(maxsize=512)
def shared_clock(name: str, lo: int, hi: int) -> Clock:
    """One Clock per zone and span in the process: its table depends on nothing else, is never
    changed once built, and building it walks the span an hour at a time (a few ms a zone), which
    a page that builds a calendar for one request would otherwise pay on every view."""
    return Clock(name, lo, hi)


@dataclass(frozen=True, slots=True)
class Slot:
    """One possible session: UTC minutes [start, end) and the local dates that rules use."""

    start: int
    end: int
    coach_day: int
    coach_week: int
    coachee_day: int


class Calendar:
    """Candidate session starts of an instance, cached per coach and duration."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        prog = ZoneInfo(instance.timezone)
        start_local = datetime.combine(instance.horizon_start, datetime.min.time(), prog)
        end_local = datetime.combine(instance.horizon_end + timedelta(days=1), datetime.min.time(), prog)
        self.horizon_lo = to_minutes(start_local)
        self.horizon_hi = to_minutes(end_local)
        notice_seconds = (instance.now - EPOCH).total_seconds() + instance.min_notice_hours * 3600
        notice = math.ceil(notice_seconds / 60 - 1e-9)
        self.earliest = max(self.horizon_lo, notice)
        self._span = (self.horizon_lo - 3 * MINUTES_PER_DAY, self.horizon_hi + 3 * MINUTES_PER_DAY)
        self._clocks: dict[str, Clock] = {}
        self._coach_slots: dict[tuple[str, int], list[Slot]] = {}
        self._coach_arrays_cache: dict[tuple[str, int], PairTimes] = {}
        self._piece_arrays_cache: dict[str, tuple[npt.NDArray[np.int64], ...]] = {}
        self._masks: dict[str, int] = {}
        self.shared: dict[tuple[str, int], tuple[npt.NDArray[np.int64], ...]] = {}  # for survey()
        self._pieces: dict[str, list[tuple[int, int, int]]] = {}
        self._day_intervals: dict[tuple[str, int, int], npt.NDArray[np.int64]] = {}
        self._zones: dict[str, tuple[list[npt.NDArray[np.int64]], list[tuple[int, int, int]]]] = {}
        self._coach_words: npt.NDArray[np.uint64] | None = None  # hour masks as 64-bit words (meet_mask)

    def clock(self, name: str) -> Clock:
        if name not in self._clocks:
            self._clocks[name] = shared_clock(name, *self._span)
        return self._clocks[name]

    def coach_intervals(self, coach: Coach, day_num: int) -> tuple[tuple[int, int], ...]:
        """The coach's availability on a local date: the override if any, else the weekly pattern."""
        day = day_of(day_num)
        if day in coach.override_by_date:
            return coach.override_by_date[day]
        return coach.weekly.get(WEEKDAYS[weekday_of(day_num)], ())

    def _coach_day_intervals(self, coach: Coach, first_day: int, last_day: int) -> npt.NDArray[np.int64]:
        """Rows (local date, start, end) of the coach's availability from `first_day` to `last_day`."""
        key = (coach.id, first_day, last_day)
        cached = self._day_intervals.get(key)
        if cached is None:
            days = np.arange(first_day, last_day + 1, dtype=np.int64)
            overrides = {day_number(d): intervals for d, intervals in coach.override_by_date.items()}
            overridden = np.isin(days, np.array(list(overrides), dtype=np.int64))
            weekday = (days + 3) % 7
            parts: list[npt.NDArray[np.int64]] = []
            for w, name in enumerate(WEEKDAYS):
                on = days[(weekday == w) & ~overridden]
                for lo, hi in coach.weekly.get(name, ()):
                    parts.append(np.stack([on, np.full(len(on), lo), np.full(len(on), hi)], axis=1))
            for day_num, intervals in overrides.items():
                if first_day <= day_num <= last_day:
                    parts.extend(np.array([[day_num, lo, hi]], dtype=np.int64) for lo, hi in intervals)
            # In any order: the slots are sorted by start afterwards.
            cached = np.concatenate(parts).astype(np.int64) if parts else np.zeros((0, 3), dtype=np.int64)
            self._day_intervals[key] = cached
        return cached

    def coach_slots(self, coach: Coach, minutes: int) -> list[Slot]:
        """Starts on the coach's grid, inside availability, horizon and notice, clear of busy time."""
        key = (coach.id, minutes)
        if key not in self._coach_slots:
            self._coach_slots[key] = self.coach_times(coach, minutes).slots()
        return self._coach_slots[key]

    def _coach_start_arrays(self, coach: Coach, minutes: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """UTC starts (ascending) and coach-local dates of `coach_slots`, in a few array operations.

        Every grid minute of every availability interval, to UTC at each of the clock's
        offsets that reads it (none in a skipped hour, two in a repeated one); then the
        horizon, notice, offset-change and busy-time filters, as in the rules.
        """
        clock = self.clock(coach.timezone)
        grid = self.instance.slot_minutes
        first_day = (self.earliest + min(clock.distinct_offsets)) // MINUTES_PER_DAY - 1
        last_day = (self.horizon_hi + max(clock.distinct_offsets)) // MINUTES_PER_DAY + 1
        rows = self._coach_day_intervals(coach, first_day, last_day)
        empty = np.zeros(0, dtype=np.int64)
        if not len(rows):
            return empty, empty
        day, lo, hi = rows[:, 0], rows[:, 1], rows[:, 2]
        first = -(-lo // grid) * grid
        counts = np.maximum(0, (hi - minutes - first) // grid + 1)
        total = int(counts.sum())
        if not total:
            return empty, empty
        offsets = np.cumsum(counts) - counts
        step = np.arange(total, dtype=np.int64) - np.repeat(offsets, counts)
        local = np.repeat(day * MINUTES_PER_DAY + first, counts) + step * grid
        local_day = np.repeat(day, counts)
        starts_table = np.array(clock.starts, dtype=np.int64)
        offsets_table = np.array(clock.offsets, dtype=np.int64)

        def offset_of(minute: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            # Only called on minutes inside the clock's tabulated span (the horizon and then some).
            found: npt.NDArray[np.int64] = offsets_table[np.searchsorted(starts_table, minute, "right") - 1]
            return found

        parts_start, parts_day = [], []
        for o in clock.distinct_offsets:
            start = local - o
            inside = (start >= self.earliest) & (start + minutes <= self.horizon_hi)
            start, at_day = start[inside], local_day[inside]
            keep = (offset_of(start) == o) & (offset_of(start + minutes - 1) == o)
            parts_start.append(start[keep])
            parts_day.append(at_day[keep])
        start = np.concatenate(parts_start)
        at_day = np.concatenate(parts_day)
        busy = sorted((to_minutes(b.start), to_minutes(b.end)) for b in coach.busy)
        if busy and len(start):
            # Clear of every busy entry by the buffer: the entries starting before end + buffer
            # are a prefix of the sorted list, and the latest end among them decides.
            buffer = coach.buffer_minutes
            busy_start = np.array([b[0] for b in busy], dtype=np.int64)
            latest_end = np.maximum.accumulate(np.array([b[1] for b in busy], dtype=np.int64))
            i = np.searchsorted(busy_start, start + minutes + buffer, "left")
            hits = (i > 0) & (latest_end[np.maximum(i - 1, 0)] + buffer > start)
            start, at_day = start[~hits], at_day[~hits]
        # Overlapping availability intervals must not double a slot (a start has one local date).
        start, index = np.unique(start, return_index=True)
        return start, at_day[index]

    def coachee_pieces(self, request: CoachingRequest) -> list[tuple[int, int, int]]:
        """UTC stretches [lo, hi) inside one coachee window at one UTC offset, with their local date.

        A session fits the coachee's windows without spanning an offset change (rule 2)
        exactly when it lies inside one piece.
        """
        if request.id not in self._pieces:
            lo, hi, day = self.piece_arrays(request)
            self._pieces[request.id] = list(zip(lo.tolist(), hi.tolist(), day.tolist(), strict=True))
        return self._pieces[request.id]

    def _piece_arrays(self, request: CoachingRequest) -> tuple[npt.NDArray[np.int64], ...]:
        """`coachee_pieces` as three arrays, sorted as the tuples (lo, hi, date) sort."""
        days_by_weekday, bounds = self._zone_days(request.timezone)
        windows = _windows_by_weekday(request)
        on_parts, lo_parts, hi_parts = [], [], []
        for w, intervals in enumerate(windows):
            for lo, hi in intervals:
                on = days_by_weekday[w]
                on_parts.append(on)
                lo_parts.append(np.full(len(on), lo, dtype=np.int64))
                hi_parts.append(np.full(len(on), hi, dtype=np.int64))
        if not on_parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        on = np.concatenate(on_parts)
        base = on * MINUTES_PER_DAY
        start = base + np.concatenate(lo_parts)
        stop = base + np.concatenate(hi_parts)
        parts: list[tuple[npt.NDArray[np.int64], ...]] = []
        for seg_lo, seg_hi, off in bounds:
            a = np.maximum(np.maximum(start - off, seg_lo), self.earliest)
            b = np.minimum(np.minimum(stop - off, seg_hi), self.horizon_hi)
            keep = a < b
            parts.append((a[keep], b[keep], on[keep]))
        a = np.concatenate([p[0] for p in parts])
        b = np.concatenate([p[1] for p in parts])
        d = np.concatenate([p[2] for p in parts])
        order = np.lexsort((d, b, a))
        return a[order], b[order], d[order]

    def _zone_days(self, zone: str) -> tuple[list[npt.NDArray[np.int64]], list[tuple[int, int, int]]]:
        """For a coachee's timezone: the local dates around the horizon by weekday (0 = Monday),
        and the clock's stretches of one UTC offset as (first minute, end, offset)."""
        if zone not in self._zones:
            clock = self.clock(zone)
            bounds = list(zip(clock.starts, [*clock.starts[1:], self._span[1]], clock.offsets, strict=True))
            first_day = (self.earliest + min(clock.distinct_offsets)) // MINUTES_PER_DAY - 1
            last_day = (self.horizon_hi + max(clock.distinct_offsets)) // MINUTES_PER_DAY + 1
            days = np.arange(first_day, last_day + 1, dtype=np.int64)
            weekday = (days + 3) % 7
            self._zones[zone] = ([days[weekday == w] for w in range(7)], bounds)
        return self._zones[zone]

    def coach_times(self, coach: Coach, minutes: int) -> PairTimes:
        key = (coach.id, minutes)
        if key not in self._coach_arrays_cache:
            start, day = self._coach_start_arrays(coach, minutes)
            self._coach_arrays_cache[key] = PairTimes(
                start,
                start + minutes,
                day,
                day - (day + 3) % 7,
                np.zeros(len(start), dtype=np.int64),
            )
        return self._coach_arrays_cache[key]

    def piece_arrays(self, request: CoachingRequest) -> tuple[npt.NDArray[np.int64], ...]:
        if request.id not in self._piece_arrays_cache:
            self._piece_arrays_cache[request.id] = self._piece_arrays(request)
        return self._piece_arrays_cache[request.id]

    def _hour_mask(self, key: str, zone: str, patterns: list[tuple[int, tuple[tuple[int, int], ...]]]) -> int:
        """Bits of the UTC hours of the week (Monday 00:00 UTC = bit 0) any local interval can touch."""
        if key not in self._masks:
            mask = 0
            for offset in self.clock(zone).distinct_offsets:
                for weekday, intervals in patterns:
                    for lo, hi in intervals:
                        first = weekday * MINUTES_PER_DAY + lo - offset
                        last = weekday * MINUTES_PER_DAY + hi - offset - 1
                        for hour in range(first // 60, last // 60 + 1):
                            mask |= 1 << (hour % 168)
            self._masks[key] = mask
        return self._masks[key]

    def may_meet(self, request: CoachingRequest, coach: Coach) -> bool:
        """Cheap test: False when the two weekly calendars share no UTC hour at any offset."""
        return bool(self._coach_hour_mask(coach) & self._request_hour_mask(request))

    def _coach_hour_mask(self, coach: Coach) -> int:
        coach_mask = self._masks.get("c:" + coach.id)
        if coach_mask is None:
            coach_patterns = [(WEEKDAYS.index(d), ivs) for d, ivs in coach.weekly.items()]
            coach_patterns += [(o.date.weekday(), o.intervals) for o in coach.overrides]
            coach_mask = self._hour_mask("c:" + coach.id, coach.timezone, coach_patterns)
        return coach_mask

    def _request_hour_mask(self, request: CoachingRequest) -> int:
        request_mask = self._masks.get("r:" + request.id)
        if request_mask is None:
            request_patterns = [(WEEKDAYS.index(d), ivs) for d, ivs in request.windows.items()]
            request_mask = self._hour_mask("r:" + request.id, request.timezone, request_patterns)
        return request_mask

    def meet_mask(
        self, request: CoachingRequest, positions: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.bool_]:
        """`may_meet(request, coach)` for every coach of the instance in instance order, or for
        the coaches at `positions`."""
        if self._coach_words is None:
            masks = [self._coach_hour_mask(c) for c in self.instance.coaches]
            words = np.array([_words(m) for m in masks], dtype=np.uint64).reshape(-1, _WORDS)
            self._coach_words = np.ascontiguousarray(words.T)  # one row per word
        rows = self._coach_words if positions is None else self._coach_words[:, positions]
        shared = np.zeros(rows.shape[1], dtype=np.uint64)
        for k, word in enumerate(_words(self._request_hour_mask(request))):
            if word:
                shared |= rows[k] & np.uint64(word)
        found: npt.NDArray[np.bool_] = shared != 0
        return found

    def pair_times(self, request: CoachingRequest, coach: Coach) -> PairTimes:
        """Coach slots that also fit the coachee's windows (coachee's clock), as arrays."""
        minutes = request.session_minutes
        if not self.may_meet(request, coach):
            return self.coach_times(coach, minutes).subset(np.zeros(0, dtype=np.int64))
        cs = self.coach_times(coach, minutes)
        lo, hi, day = self.piece_arrays(request)
        first = np.searchsorted(cs.start, lo, "left")
        last = np.searchsorted(cs.start, hi - minutes, "right")
        lengths = np.maximum(last - first, 0)
        total = int(lengths.sum())
        offsets = np.cumsum(lengths) - lengths
        idx = np.arange(total, dtype=np.int64) - np.repeat(offsets, lengths) + np.repeat(first, lengths)
        days = np.repeat(day, lengths)
        if total > 1 and bool(np.any(idx[1:] <= idx[:-1])):
            # Overlapping windows must not double a slot.
            idx, keep = np.unique(idx, return_index=True)
            days = days[keep]
        return PairTimes(cs.start[idx], cs.end[idx], cs.coach_day[idx], cs.coach_week[idx], days)


@dataclass(frozen=True)
class PairTimes:
    """Slots of a request-coach pair as parallel arrays, in time order (see `Slot`)."""

    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    coach_day: npt.NDArray[np.int64]
    coach_week: npt.NDArray[np.int64]
    coachee_day: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.start)

    def slots(self) -> list[Slot]:
        return [
            Slot(*row)
            for row in zip(
                self.start.tolist(),
                self.end.tolist(),
                self.coach_day.tolist(),
                self.coach_week.tolist(),
                self.coachee_day.tolist(),
                strict=True,
            )
        ]

    def subset(self, keep: npt.NDArray[Any]) -> PairTimes:
        """The slots picked by a Boolean mask or an index array, in that order."""
        return PairTimes(
            self.start[keep], self.end[keep], self.coach_day[keep], self.coach_week[keep], self.coachee_day[keep]
        )


@lru_cache(maxsize=4096)
def _windows_tuple(
    items: tuple[tuple[str, tuple[tuple[int, int], ...]], ...],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    table = dict(items)
    return tuple(table.get(d, ()) for d in WEEKDAYS)


def _windows_by_weekday(request: CoachingRequest) -> tuple[tuple[tuple[int, int], ...], ...]:
    return _windows_tuple(tuple(sorted(request.windows.items())))


_WORDS = 3  # 168 hours of the week in 64-bit words


def _words(mask: int) -> list[int]:
    return [(mask >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(_WORDS)]


def _hits_busy(busy: list[tuple[int, int]], start: int, end: int, buffer: int) -> bool:
    """Overlap, or less than `buffer` minutes apart, with any busy entry (sorted by start)."""
    i = bisect.bisect_left(busy, (end + buffer,))
    return any(b_end + buffer > start for _, b_end in busy[:i])
