"""Check a supervision plan against every rule of `supervision-instance/1`, from the instance alone.

Independent of the model: it reads each session's local time with `zoneinfo` (the model
goes the other way, from local grids to instants) and replays each coach's hours moment
by moment rather than reasoning about windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from solver.domain import WEEKDAYS
from solver.supervision.domain import Calendar, SupervisionInstance, SupervisionPlan, TimeSpan
from solver.validate import _inside_one, _local_midnight, _local_span

_EPSILON = 1e-6


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _availability_problem(calendar: Calendar, start: datetime, end: datetime, whose: str) -> str | None:
    local = _local_span(start, end, ZoneInfo(calendar.timezone))
    if local is None:
        return f"spans a UTC-offset change in the {whose}'s timezone {calendar.timezone}"
    day, begin, finish = local
    overrides = {o.date: o.intervals for o in calendar.overrides}
    intervals = overrides[day] if day in overrides else tuple(calendar.weekly.get(WEEKDAYS[day.weekday()], ()))
    if not _inside_one(begin, finish, intervals):
        return f"is outside the {whose}'s availability on {day} ({calendar.timezone})"
    return None


def _overlaps(spans: tuple[TimeSpan, ...], start: datetime, end: datetime) -> TimeSpan | None:
    return next((s for s in spans if s.start < end and start < s.end), None)


def validate(instance: SupervisionInstance, plan: SupervisionPlan) -> list[str]:
    """Every broken rule, one line each naming the session or coach; empty when the plan is valid."""
    problems: list[str] = []
    coaches = {c.id: c for c in instance.coaches}
    programme_tz = ZoneInfo(instance.timezone)
    opens = _local_midnight(instance.horizon_start, programme_tz)
    closes = _local_midnight(instance.horizon_end + timedelta(days=1), programme_tz)
    earliest = instance.now + timedelta(hours=instance.min_notice_hours)
    supervisor_tz = ZoneInfo(instance.supervisor.timezone)
    ordered = sorted(plan.sessions, key=lambda s: s.start)
    for n, session in enumerate(ordered):
        label = f"supervision session {n + 1} at {_utc(session.start)}"
        # Rule S1: length and group.
        if session.end - session.start != timedelta(minutes=instance.session_minutes):
            problems.append(
                f"{label}: rule S1: lasts {session.end - session.start}, not {instance.session_minutes} min"
            )
        if not 1 <= len(session.coaches) <= instance.max_group_size:
            problems.append(
                f"{label}: rule S1: {len(session.coaches)} coaches, group size is 1 to {instance.max_group_size}"
            )
        if len(set(session.coaches)) != len(session.coaches):
            problems.append(f"{label}: rule S1: a coach is listed twice")
        # Rule S2: the supervisor's time.
        local = session.start.astimezone(supervisor_tz)
        if (local.hour * 60 + local.minute) % instance.slot_minutes or local.second or local.microsecond:
            problems.append(f"{label}: rule S2: not on the supervisor's {instance.slot_minutes}-minute grid")
        if (why := _availability_problem(instance.supervisor, session.start, session.end, "supervisor")) is not None:
            problems.append(f"{label}: rule S2: {why}")
        if (busy := _overlaps(instance.supervisor.busy, session.start, session.end)) is not None:
            problems.append(f"{label}: rule S2: overlaps the supervisor's busy time from {_utc(busy.start)}")
        if session.start < opens or session.end > closes:
            problems.append(f"{label}: rule S2: outside the horizon {instance.horizon_start} to {instance.horizon_end}")
        if session.start < earliest:
            problems.append(f"{label}: rule S2: starts before now + {instance.min_notice_hours:g} h notice")
        if n > 0 and ordered[n - 1].end > session.start:
            problems.append(f"{label}: rule S2: overlaps the supervisor's previous session")
        # Rule S3: each coach's time.
        for cid in session.coaches:
            coach = coaches.get(cid)
            if coach is None:
                problems.append(f"{label}: rule S1: unknown coach {cid!r}")
                continue
            if (why := _availability_problem(coach.calendar, session.start, session.end, "coach")) is not None:
                problems.append(f"{label}: rule S3: coach {cid} {why}")
            clash = _overlaps((*coach.calendar.busy, *coach.sessions), session.start, session.end)
            if clash is not None:
                problems.append(f"{label}: rule S3: coach {cid} is busy from {_utc(clash.start)}")
    problems.extend(_check_hours(instance, plan))
    return problems


def _check_hours(instance: SupervisionInstance, plan: SupervisionPlan) -> list[str]:
    """Rule S4: replay each coach's counter: held hours, plus each coaching session at its start,
    back to zero at the start of each supervision they attend. It may never pass the limit."""
    problems: list[str] = []
    for coach in instance.coaches:
        counter = coach.held_hours
        if counter > coach.max_hours + _EPSILON:
            problems.append(
                f"coach {coach.id}: rule S4: {counter:g} of {coach.max_hours:g} hours already at {_utc(instance.now)}"
            )
            continue
        # (time, order, hours): a supervision starting when a coaching session starts comes first.
        events = [(s.start, 0, 0.0) for s in plan.sessions if coach.id in s.coaches]
        events += [(s.start, 1, s.hours) for s in coach.sessions if s.start >= instance.now]
        for moment, kind, hours in sorted(events):
            if kind == 0:
                counter = 0.0
                continue
            counter += hours
            if counter > coach.max_hours + _EPSILON:
                problems.append(
                    f"coach {coach.id}: rule S4: {counter:g} of {coach.max_hours:g} hours at {_utc(moment)} "
                    "without a supervision in between"
                )
                break
    return problems
