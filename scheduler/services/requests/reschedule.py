"""Moving one session: real alternatives from the coach's free time, then the move itself.

An alternative obeys the same hard rules as the solver's sessions (see the solver
contract): inside the coach's availability on their local date (a date exception replaces
the weekly pattern) and on the slot grid of their clock; inside one of the coachee's weekly
windows in the coachee's timezone; after the minimum notice and inside the horizon; clear
of the coach's other sessions and busy times by the buffer; within the daily and weekly
caps; and between `min_gap_days` and `max_gap_days` local dates from the neighbouring
sessions of the same engagement.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import (
    BusyTime,
    Coach,
    CoachingRequest,
    CoachingSession,
    Programme,
    RequestStatus,
    SessionStatus,
    utcnow,
)
from scheduler.services.errors import Conflict
from scheduler.services.messaging import outbox
from scheduler.services.planning.approval import assert_coach_free
from scheduler.services.transitions import change_status
from scheduler.weekly import WEEKDAYS, from_time

RESCHEDULABLE = (RequestStatus.PROPOSED.value, RequestStatus.CONFIRMED.value)
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Alternative:
    """A free time the session could move to."""

    start_utc: dt.datetime
    end_utc: dt.datetime

    @property
    def key(self) -> str:
        """How a form names this alternative."""
        return self.start_utc.strftime("%Y-%m-%dT%H:%MZ")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _coach_intervals(coach: Coach, day: dt.date) -> list[tuple[int, int]]:
    """The coach's available minutes of their local `day`: the exception if any, else the weekly rules."""
    exceptions = [e for e in coach.exceptions if e.date == day]
    if exceptions:
        return [
            (_minutes(from_time(e.start)), _minutes(from_time(e.end)))
            for e in exceptions
            if e.start is not None and e.end is not None
        ]
    return [
        (_minutes(from_time(rule.start)), _minutes(from_time(rule.end)))
        for rule in coach.availability
        if rule.weekday == day.weekday()
    ]


def _wall_clock(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime | None:
    """`day` at `minute` past midnight in `zone`, or None where that wall time does not exist (DST gap)."""
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    back = local.astimezone(dt.UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local


def _in_coachee_windows(request: CoachingRequest, start: dt.datetime, end: dt.datetime) -> bool:
    zone = ZoneInfo(request.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.utcoffset() != local_end.utcoffset():
        return False
    begin = local_start.hour * 60 + local_start.minute
    finish = begin + int((end - start).total_seconds() // 60)
    if finish > MINUTES_PER_DAY:
        return False
    day = WEEKDAYS[local_start.weekday()]
    return any(_minutes(s) <= begin and finish <= _minutes(e) for s, e in request.windows.get(day, []))


@dataclass
class _Calendar:
    """What the coach already has, without the session being moved."""

    blocked: list[tuple[dt.datetime, dt.datetime]]  # widened by the buffer
    per_day: Counter[dt.date]
    per_week: Counter[tuple[int, int]]


def _coach_calendar(db: Session, session: CoachingSession, coach: Coach) -> _Calendar:
    zone = ZoneInfo(coach.timezone)
    buffer = dt.timedelta(minutes=coach.buffer_minutes)
    others = db.scalars(
        select(CoachingSession).where(
            CoachingSession.coach_id == coach.id,
            CoachingSession.status == SessionStatus.SCHEDULED.value,
            CoachingSession.id != session.id,
        )
    ).all()
    busy = db.scalars(select(BusyTime).where(BusyTime.coach_id == coach.id)).all()
    blocked = [(s.start_utc - buffer, s.end_utc + buffer) for s in others]
    blocked += [(b.start_utc - buffer, b.end_utc + buffer) for b in busy]
    per_day: Counter[dt.date] = Counter()
    per_week: Counter[tuple[int, int]] = Counter()
    for other in others:
        local = other.start_utc.astimezone(zone)
        per_day[local.date()] += 1
        per_week[local.isocalendar()[:2]] += 1
    return _Calendar(blocked, per_day, per_week)


def _neighbours(session: CoachingSession) -> tuple[CoachingSession | None, CoachingSession | None]:
    siblings = sorted(
        (s for s in session.engagement.sessions if s.id != session.id and s.status == SessionStatus.SCHEDULED.value),
        key=lambda s: s.start_utc,
    )
    before = [s for s in siblings if s.start_utc < session.start_utc]
    after = [s for s in siblings if s.start_utc > session.start_utc]
    return (before[-1] if before else None), (after[0] if after else None)


def _coachee_date_bounds(session: CoachingSession, request: CoachingRequest) -> tuple[dt.date | None, dt.date | None]:
    """The coachee-local dates the session may move between, from its neighbours' gaps."""
    zone = ZoneInfo(request.timezone)
    previous, following = _neighbours(session)
    low: dt.date | None = None if previous else request.earliest_start
    high: dt.date | None = None
    if previous is not None:
        day = previous.start_utc.astimezone(zone).date()
        low = day + dt.timedelta(days=request.min_gap_days)
        high = day + dt.timedelta(days=request.max_gap_days)
    if following is not None:
        day = following.start_utc.astimezone(zone).date()
        earliest = day - dt.timedelta(days=request.max_gap_days)
        latest = day - dt.timedelta(days=request.min_gap_days)
        low = max(low, earliest) if low else earliest
        high = min(high, latest) if high else latest
    return low, high


def alternatives(
    db: Session,
    session: CoachingSession,
    *,
    now: dt.datetime | None = None,
    limit: int = 15,
    per_day: int = 3,
) -> list[Alternative]:
    """Times the session could move to, by day, at most `per_day` per coachee-local date spread over that day."""
    by_day: dict[dt.date, list[Alternative]] = {}
    zone = ZoneInfo(session.engagement.request.timezone)
    for option in free_times(db, session, now=now):
        by_day.setdefault(option.start_utc.astimezone(zone).date(), []).append(option)
    chosen: list[Alternative] = []
    for day in sorted(by_day):
        chosen.extend(_spread(by_day[day], per_day))
        if len(chosen) >= limit:
            break
    return chosen[:limit]


def _spread(options: list[Alternative], count: int) -> list[Alternative]:
    """`count` of `options` from first to last, evenly apart (a morning, a noon and an evening)."""
    if len(options) <= count:
        return options
    if count == 1:
        return options[:1]
    picks = sorted({round(i * (len(options) - 1) / (count - 1)) for i in range(count)})
    return [options[i] for i in picks]


def free_times(db: Session, session: CoachingSession, *, now: dt.datetime | None = None) -> list[Alternative]:
    """Every time on the slot grid the session could move to, earliest first."""
    now = now or utcnow()
    request = session.engagement.request
    coach = session.coach
    programme = db.get(Programme, request.programme_id)
    if programme is None:
        return []
    coach_zone, coachee_zone, programme_zone = (
        ZoneInfo(coach.timezone),
        ZoneInfo(request.timezone),
        ZoneInfo(programme.timezone),
    )
    duration = session.end_utc - session.start_utc
    minutes = int(duration.total_seconds() // 60)
    horizon_start = dt.datetime.combine(programme.horizon_start, dt.time(0), tzinfo=programme_zone)
    horizon_end = dt.datetime.combine(programme.horizon_end + dt.timedelta(days=1), dt.time(0), tzinfo=programme_zone)
    earliest = max(now + dt.timedelta(hours=programme.min_notice_hours), horizon_start)
    low_date, high_date = _coachee_date_bounds(session, request)
    calendar = _coach_calendar(db, session, coach)

    found: list[Alternative] = []
    day = earliest.astimezone(coach_zone).date()
    last_day = horizon_end.astimezone(coach_zone).date()
    while day <= last_day:
        week = day.isocalendar()[:2]
        if calendar.per_day[day] < coach.max_sessions_per_day and calendar.per_week[week] < coach.max_sessions_per_week:
            for begin, finish in sorted(_coach_intervals(coach, day)):
                minute = -(-begin // programme.slot_minutes) * programme.slot_minutes
                while minute + minutes <= finish:
                    candidate = _candidate(
                        day, minute, duration, coach_zone, earliest, horizon_end, session, request, calendar
                    )
                    if candidate is not None:
                        local_date = candidate.start_utc.astimezone(coachee_zone).date()
                        if (low_date is None or local_date >= low_date) and (
                            high_date is None or local_date <= high_date
                        ):
                            found.append(candidate)
                    minute += programme.slot_minutes
        day += dt.timedelta(days=1)
    return found


def _candidate(
    day: dt.date,
    minute: int,
    duration: dt.timedelta,
    coach_zone: ZoneInfo,
    earliest: dt.datetime,
    horizon_end: dt.datetime,
    session: CoachingSession,
    request: CoachingRequest,
    calendar: _Calendar,
) -> Alternative | None:
    local = _wall_clock(day, minute, coach_zone)
    if local is None:
        return None
    start = local.astimezone(dt.UTC)
    end = start + duration
    if end.astimezone(coach_zone).utcoffset() != local.utcoffset():
        return None  # the session would span a change of the coach's UTC offset
    if start < earliest or end > horizon_end or start == session.start_utc:
        return None
    if not _in_coachee_windows(request, start, end):
        return None
    if any(start < block_end and block_start < end for block_start, block_end in calendar.blocked):
        return None
    return Alternative(start, end)


def move_session(
    db: Session, session: CoachingSession, new_start: dt.datetime, *, now: dt.datetime | None = None
) -> CoachingSession:
    """Move a scheduled session to one of its alternatives; both people get an updated invite."""
    request = session.engagement.request
    if request.status not in RESCHEDULABLE or session.status != SessionStatus.SCHEDULED.value:
        raise Conflict("Only a scheduled session of a proposed or confirmed request can be moved.")
    # Checked again here, inside this transaction, so the time is still free when it commits.
    chosen = next(
        (a for a in alternatives(db, session, now=now, limit=1000, per_day=1000) if a.start_utc == new_start), None
    )
    if chosen is None:
        raise Conflict(
            "That time is no longer free. Please choose another one.",
            {"start": "is not one of the free times for this session"},
        )
    change_status(
        db,
        session,
        SessionStatus.SCHEDULED.value,
        SessionStatus.SCHEDULED.value,
        start_utc=chosen.start_utc,
        end_utc=chosen.end_utc,
        sequence=session.sequence + 1,
        reminder_sent_at=None,  # the moved session gets its own reminder
    )
    assert_coach_free(db, session)
    outbox.enqueue_session_messages(db, session, outbox.REQUEST)
    return session
