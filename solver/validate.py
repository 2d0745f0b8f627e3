"""Check a solution against every hard rule of the contract, straight from the instance.

This module is the referee: it re-derives each rule from the instance with `zoneinfo`
and knows nothing of how the optimiser builds its model (it imports no part of it), so
a bug in the model's candidate enumeration cannot hide itself here.

Conventions it applies (all from the contract):
- Wall clock rules. A session's local start and end are read in the owner's timezone.
  A session is half-open, [start, end): it spans an offset change (and is refused) when
  the coach's or the coachee's UTC offset changes at an instant strictly inside it. One
  that ends exactly when the clocks change does not span it; its local end is its local
  start plus its length on the clock it started on (01:00-02:00 CET ending as the clocks
  jump to 03:00 CEST is 01:00-02:00).
- Availability and windows are half-open; a session lies in ONE interval (touching
  intervals are not joined) on its local start date; a local end of 00:00 the next day
  is 24:00 of the start date, anything later crosses midnight.
- A session's local date and ISO week are those of its start.
- Caps on days, weeks, coachees and supervisors are reported only where a new session or
  assignment takes part, so an instance that already starts over a cap is not blamed on
  the solution.
- With `capacity_over_time`, rules 5' and 9' replace the whole-horizon coachee and
  supervisor counts: an engagement runs over [its first start, its last end), a listed
  running engagement from now to its end; one ending at t and one starting at t do not overlap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from solver.domain import (
    WEEKDAYS,
    Assignment,
    Coach,
    CoachingRequest,
    Instance,
    Session,
    Solution,
    clock,
)

_EPSILON_HOURS = 1e-6
_MINUTES_PER_DAY = 24 * 60


def validate(instance: Instance, solution: Solution) -> list[str]:
    """Return one human-readable line per hard-rule violation; empty when the solution is valid."""
    problems: list[str] = []
    coaches = {c.id: c for c in instance.coaches}
    requests = {r.id: r for r in instance.requests}

    valid: list[tuple[Assignment, Coach, CoachingRequest]] = []
    seen_requests: set[str] = set()
    for index, assignment in enumerate(solution.assignments):
        where = f"assignments[{index}]"
        request = requests.get(assignment.request)
        coach = coaches.get(assignment.coach)
        if request is None:
            problems.append(f"{where}: rule 1: unknown request {assignment.request!r}")
        if coach is None:
            problems.append(f"{where}: rule 1: unknown coach {assignment.coach!r}")
        if assignment.request in seen_requests:
            problems.append(f"{where}: rule 1: request {assignment.request} is assigned more than once")
            continue
        seen_requests.add(assignment.request)
        if request is None or coach is None:
            continue
        problems.extend(_check_sessions_shape(where, assignment, request))
        valid.append((assignment, coach, request))

    for index, unassigned in enumerate(solution.unassigned):
        where = f"unassigned[{index}]"
        if unassigned.request not in requests:
            problems.append(f"{where}: rule 1: unknown request {unassigned.request!r}")
        elif unassigned.request in seen_requests:
            problems.append(f"{where}: rule 1: request {unassigned.request} is both assigned and unassigned")

    for assignment, coach, request in valid:
        label = f"request {request.id} with coach {coach.id}"
        for number, session in enumerate(assignment.sessions, start=1):
            problems.extend(_check_session_placement(instance, coach, request, session, f"{label}, session {number}"))
        problems.extend(_check_gaps(request, assignment.sessions, label))
        problems.extend(_check_static_rules(instance, coach, request, label))

    by_coach: dict[str, list[tuple[Assignment, CoachingRequest]]] = defaultdict(list)
    for assignment, coach, request in valid:
        by_coach[coach.id].append((assignment, request))
    for coach_id, engagements in by_coach.items():
        coach = coaches[coach_id]
        problems.extend(_check_coach_time(coach, engagements))
        problems.extend(_check_caps(instance, coach, engagements))
        problems.extend(_check_supervision_hours(instance, coach, engagements))
    problems.extend(_check_supervisor_capacity(instance, coaches, [(a, c) for a, c, _ in valid]))
    problems.extend(_check_reported_weight(instance, solution, [r for _, _, r in valid]))
    return problems


# Rule 1: shape of each engagement.


def _check_sessions_shape(where: str, assignment: Assignment, request: CoachingRequest) -> list[str]:
    problems: list[str] = []
    label = f"{where} (request {request.id})"
    if len(assignment.sessions) != request.sessions:
        problems.append(
            f"{label}: rule 1: has {len(assignment.sessions)} sessions, the request needs {request.sessions}"
        )
    for number, session in enumerate(assignment.sessions, start=1):
        minutes = (session.end - session.start).total_seconds() / 60
        if minutes != request.session_minutes:
            problems.append(
                f"{label}: rule 1: session {number} lasts {minutes:g} minutes, "
                f"the request needs {request.session_minutes}"
            )
    for number in range(1, len(assignment.sessions)):
        before, after = assignment.sessions[number - 1], assignment.sessions[number]
        if after.start < before.end:
            problems.append(
                f"{label}: rule 1: session {number + 1} ({_utc(after.start)}) does not come after "
                f"session {number} ends ({_utc(before.end)})"
            )
    return problems


# Rule 2: where a session may lie in time.


def _check_session_placement(
    instance: Instance,
    coach: Coach,
    request: CoachingRequest,
    session: Session,
    label: str,
) -> list[str]:
    problems: list[str] = []
    start, end = session.start, session.end
    if end <= start:
        return [f"{label}: rule 1: ends ({_utc(end)}) before it starts ({_utc(start)})"]

    coach_tz = ZoneInfo(coach.timezone)
    coach_local = _local_span(start, end, coach_tz)
    if coach_local is None:
        problems.append(f"{label}: rule 2: spans a UTC-offset change in the coach's timezone {coach.timezone}")
    else:
        day, begin, finish = coach_local
        if finish > _MINUTES_PER_DAY:
            problems.append(f"{label}: rule 2: crosses local midnight on the coach's clock ({coach.timezone})")
        overrides = {o.date: tuple(o.intervals) for o in coach.overrides}
        if day in overrides:
            intervals, source = overrides[day], "override"
        else:
            weekday = WEEKDAYS[day.weekday()]
            intervals, source = tuple(coach.weekly.get(weekday, ())), "weekly pattern"
        if not _inside_one(begin, finish, intervals):
            problems.append(
                f"{label}: rule 2: {clock(begin)}-{clock(finish)} on {day} ({WEEKDAYS[day.weekday()]}) "
                f"is outside the coach's availability ({source}: {_intervals_text(intervals)}) in {coach.timezone}"
            )
        if begin % instance.slot_minutes != 0 or start.astimezone(coach_tz).second or start.microsecond:
            problems.append(
                f"{label}: rule 2: starts at {clock(begin)} coach's local time, "
                f"not on the {instance.slot_minutes}-minute grid"
            )

    coachee_tz = ZoneInfo(request.timezone)
    coachee_local = _local_span(start, end, coachee_tz)
    if coachee_local is None:
        problems.append(f"{label}: rule 2: spans a UTC-offset change in the coachee's timezone {request.timezone}")
    else:
        day, begin, finish = coachee_local
        windows = tuple(request.windows.get(WEEKDAYS[day.weekday()], ()))
        if finish > _MINUTES_PER_DAY:
            problems.append(f"{label}: rule 2: crosses local midnight on the coachee's clock ({request.timezone})")
        if not _inside_one(begin, finish, windows):
            problems.append(
                f"{label}: rule 2: {clock(begin)}-{clock(finish)} on {day} ({WEEKDAYS[day.weekday()]}) "
                f"is outside the coachee's windows ({_intervals_text(windows)}) in {request.timezone}"
            )

    programme_tz = ZoneInfo(instance.timezone)
    horizon_open = _local_midnight(instance.horizon_start, programme_tz)
    horizon_close = _local_midnight(instance.horizon_end + timedelta(days=1), programme_tz)
    if start < horizon_open or end > horizon_close:
        problems.append(
            f"{label}: rule 2: {_utc(start)}-{_utc(end)} is outside the horizon "
            f"{instance.horizon_start} 00:00 to {instance.horizon_end} 24:00 ({instance.timezone})"
        )
    earliest_allowed = instance.now + timedelta(hours=instance.min_notice_hours)
    if start < earliest_allowed:
        problems.append(
            f"{label}: rule 2: starts {_utc(start)}, before now + {instance.min_notice_hours:g} h notice "
            f"({_utc(earliest_allowed)})"
        )
    return problems


def _local_span(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, int, int] | None:
    """(local start date, start minute, end minute counted from that date's midnight), or None
    when the UTC offset changes inside [start, end)."""
    local_start = start.astimezone(tz)
    # Offsets are steps and sessions far shorter than the months between changes, so one
    # offset at the start and just before the end means one offset throughout.
    last_instant = (end - timedelta(microseconds=1)).astimezone(tz)
    if local_start.utcoffset() != last_instant.utcoffset():
        return None
    day = local_start.date()
    begin = local_start.hour * 60 + local_start.minute
    # With one offset throughout, wall-clock minutes advance like real ones.
    finish = begin + math.ceil((end - start).total_seconds() / 60)
    return day, begin, finish


def _inside_one(begin: int, finish: int, intervals: Iterable[tuple[int, int]]) -> bool:
    return any(low <= begin and finish <= high for low, high in intervals)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # A zone that skips midnight starts the day at the first instant after it.
    naive = datetime.combine(day, time(0, 0))
    aware = naive.replace(tzinfo=tz)
    round_trip = aware.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != naive:
        aware = aware.replace(fold=1)
    return aware.astimezone(UTC)


# Rule 3: the coach's time.


def _check_coach_time(coach: Coach, engagements: list[tuple[Assignment, CoachingRequest]]) -> list[str]:
    problems: list[str] = []
    buffer = timedelta(minutes=coach.buffer_minutes)
    sessions = sorted(
        ((s.start, s.end, request.id) for assignment, request in engagements for s in assignment.sessions),
        key=lambda item: item[0],
    )
    for i, (start_a, end_a, owner_a) in enumerate(sessions):
        for start_b, end_b, owner_b in sessions[i + 1 :]:
            if start_b >= end_a + buffer:
                break
            if end_b <= start_b:
                continue
            problems.append(
                f"coach {coach.id}: rule 3: session of request {owner_a} ({_utc(start_a)}-{_utc(end_a)}) and "
                f"session of request {owner_b} ({_utc(start_b)}-{_utc(end_b)}) "
                f"{'overlap' if start_b < end_a else 'leave less than the buffer'} "
                f"({coach.buffer_minutes} min buffer)"
            )
        for busy in coach.busy:
            if start_a < busy.end + buffer and busy.start < end_a + buffer:
                kind = "busy session" if busy.is_session else "busy time"
                relation = "overlaps" if start_a < busy.end and busy.start < end_a else "leaves less than the buffer to"
                problems.append(
                    f"coach {coach.id}: rule 3: session of request {owner_a} ({_utc(start_a)}-{_utc(end_a)}) "
                    f"{relation} {kind} {_utc(busy.start)}-{_utc(busy.end)} ({coach.buffer_minutes} min buffer)"
                )
    return problems


# Rule 4: gaps between consecutive sessions.


def _check_gaps(request: CoachingRequest, sessions: tuple[Session, ...], label: str) -> list[str]:
    problems: list[str] = []
    tz = ZoneInfo(request.timezone)
    days = [s.start.astimezone(tz).date() for s in sessions]
    if days and days[0] < request.earliest_start:
        problems.append(
            f"{label}: rule 2: first session on {days[0]} ({request.timezone}) is before "
            f"earliest_start {request.earliest_start}"
        )
    for number in range(1, len(days)):
        gap = (days[number] - days[number - 1]).days
        if not request.min_gap_days <= gap <= request.max_gap_days:
            problems.append(
                f"{label}: rule 4: sessions {number} and {number + 1} are {gap} days apart "
                f"({days[number - 1]} to {days[number]}, {request.timezone}), "
                f"allowed {request.min_gap_days}-{request.max_gap_days}"
            )
    return problems


# Rule 5: caps per coach.


def _check_caps(
    instance: Instance,
    coach: Coach,
    engagements: list[tuple[Assignment, CoachingRequest]],
) -> list[str]:
    problems: list[str] = []
    tz = ZoneInfo(coach.timezone)
    new_days: dict[date, int] = defaultdict(int)
    new_weeks: dict[tuple[int, int], int] = defaultdict(int)
    for assignment, _ in engagements:
        for session in assignment.sessions:
            day = session.start.astimezone(tz).date()
            new_days[day] += 1
            new_weeks[_iso_week(day)] += 1
    busy_days: dict[date, int] = defaultdict(int)
    busy_weeks: dict[tuple[int, int], int] = defaultdict(int)
    for busy in coach.busy:
        if busy.is_session:
            day = busy.start.astimezone(tz).date()
            busy_days[day] += 1
            busy_weeks[_iso_week(day)] += 1
    for day, count in sorted(new_days.items()):
        total = count + busy_days[day]
        if total > coach.max_sessions_per_day:
            problems.append(
                f"coach {coach.id}: rule 5: {total} sessions on {day} ({coach.timezone}; {count} new, "
                f"{busy_days[day]} already booked), max_sessions_per_day is {coach.max_sessions_per_day}"
            )
    for week, count in sorted(new_weeks.items()):
        total = count + busy_weeks[week]
        if total > coach.max_sessions_per_week:
            problems.append(
                f"coach {coach.id}: rule 5: {total} sessions in ISO week {week[0]}-W{week[1]:02d} "
                f"({coach.timezone}; {count} new, {busy_weeks[week]} already booked), "
                f"max_sessions_per_week is {coach.max_sessions_per_week}"
            )
    if instance.capacity_over_time:
        problems.extend(
            _check_running(
                f"coach {coach.id}: rule 5'",
                "coachees",
                coach.max_active_coachees,
                coach.active_engagements_end,
                [(assignment, request.id) for assignment, request in engagements],
            )
        )
        return problems
    engaged = len(engagements) + coach.active_coachees
    if engaged > coach.max_active_coachees:
        problems.append(
            f"coach {coach.id}: rule 5: {len(engagements)} new + {coach.active_coachees} active coachees "
            f"exceed max_active_coachees {coach.max_active_coachees}"
        )
    return problems


def _check_running(
    label: str,
    what: str,
    cap: int,
    listed_ends: Iterable[datetime],
    new: list[tuple[Assignment, str]],
) -> list[str]:
    """Rules 5' and 9': at every instant a new engagement runs, [first start, last end), the
    listed engagements ending after it plus the new ones running then stay within `cap`.

    New engagements only add at their starts and listed ones only end, so the starts of
    the new engagements are the instants to look at.
    """
    spans = [(min(x.start for x in a.sessions), max(x.end for x in a.sessions), rid) for a, rid in new if a.sessions]
    problems: list[str] = []
    for start, _, _ in sorted(spans):
        running = sorted(rid for s, e, rid in spans if s <= start < e)
        listed = sum(1 for end in listed_ends if end > start)
        if listed + len(running) > cap:
            problems.append(
                f"{label}: at {_utc(start)} {listed} running + {len(running)} new engagements "
                f"({', '.join(running)}) exceed {cap} {what} at once"
            )
    return problems


def _iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


# Rules 6, 7, 8 and the trainee's need of a supervisor: who may coach whom.


def _check_static_rules(instance: Instance, coach: Coach, request: CoachingRequest, label: str) -> list[str]:
    problems: list[str] = []
    if not set(coach.languages) & set(request.languages):
        problems.append(
            f"{label}: rule 6: coach speaks {', '.join(coach.languages) or 'nothing'}, "
            f"request needs one of {', '.join(request.languages)}"
        )
    if coach.organisation and request.organisation and coach.organisation == request.organisation:
        problems.append(f"{label}: rule 7: coach and coachee are both of organisation {coach.organisation!r}")
    if coach.id in request.excluded_coaches:
        problems.append(f"{label}: rule 7: the request excludes coach {coach.id}")
    if request.id in coach.excluded_requests:
        problems.append(f"{label}: rule 7: the coach excludes request {request.id}")
    if request.pinned_coach is not None and request.pinned_coach != coach.id:
        problems.append(f"{label}: rule 7: the request is pinned to coach {request.pinned_coach}")
    if request.sensitive and coach.level not in ("accredited", "senior"):
        problems.append(f"{label}: rule 8: sensitive request given to a {coach.level} coach")
    if coach.level == "trainee" and (
        coach.supervisor is None or coach.supervisor not in {s.id for s in instance.supervisors}
    ):
        problems.append(f"{label}: rule 9: trainee coach {coach.id} has no supervisor")
    return problems


# Rule 9: supervisor capacity.


def _check_supervisor_capacity(
    instance: Instance,
    coaches: dict[str, Coach],
    assigned: list[tuple[Assignment, Coach]],
) -> list[str]:
    problems: list[str] = []
    new_by_supervisor: dict[str, list[str]] = defaultdict(list)
    for assignment, coach in assigned:
        if coach.level == "trainee" and coach.supervisor is not None:
            new_by_supervisor[coach.supervisor].append(assignment.request)
    if instance.capacity_over_time:
        new_engagements: dict[str, list[tuple[Assignment, str]]] = defaultdict(list)
        for assignment, coach in assigned:
            if coach.level == "trainee" and coach.supervisor is not None:
                new_engagements[coach.supervisor].append((assignment, assignment.request))
        for supervisor in instance.supervisors:
            problems.extend(
                _check_running(
                    f"supervisor {supervisor.id}: rule 9'",
                    "trainee engagements",
                    supervisor.max_trainee_engagements,
                    supervisor.active_trainee_engagements_end,
                    new_engagements.get(supervisor.id, []),
                )
            )
        return problems
    for supervisor in instance.supervisors:
        new = new_by_supervisor.get(supervisor.id, [])
        if new and supervisor.active_trainee_engagements + len(new) > supervisor.max_trainee_engagements:
            problems.append(
                f"supervisor {supervisor.id}: rule 9: {supervisor.active_trainee_engagements} active + "
                f"{len(new)} new trainee engagements ({', '.join(sorted(new))}) exceed "
                f"max_trainee_engagements {supervisor.max_trainee_engagements}"
            )
    return problems


# Rule 10: supervision hours.


def _check_supervision_hours(
    instance: Instance,
    coach: Coach,
    engagements: list[tuple[Assignment, CoachingRequest]],
) -> list[str]:
    limit = instance.max_hours_between.get(coach.level)
    if limit is None:
        return [f"coach {coach.id}: rule 10: no supervision.max_hours_between for level {coach.level!r}"]
    new_hours = sum(
        (session.end - session.start).total_seconds() / 3600
        for assignment, _ in engagements
        for session in assignment.sessions
        if coach.next_supervision is None or session.start < coach.next_supervision
    )
    total = coach.coaching_hours_since_supervision + new_hours
    if new_hours > 0 and total > limit + _EPSILON_HOURS:
        before = "in all" if coach.next_supervision is None else f"before {_utc(coach.next_supervision)}"
        return [
            f"coach {coach.id}: rule 10: {coach.coaching_hours_since_supervision:g} h since supervision + "
            f"{new_hours:g} h of new sessions {before} = {total:g} h, "
            f"over the {coach.level} limit of {limit:g} h"
        ]
    return []


# The solution's own figures.


def _check_reported_weight(instance: Instance, solution: Solution, served: list[CoachingRequest]) -> list[str]:
    problems: list[str] = []
    expected = sum(_weight(request, instance.now) for request in served)
    if solution.served_weight != expected:
        problems.append(f"served_weight is {solution.served_weight}, but the assignments are worth {expected}")
    bound = solution.served_weight_bound
    if bound is not None and bound < expected:
        problems.append(f"served_weight_bound {bound} is below the served weight {expected} of the assignments")
    if solution.status == "OPTIMAL" and bound is not None and bound != solution.served_weight:
        problems.append(f"status OPTIMAL, but served_weight_bound {bound} differs from served_weight")
    required = sum(1 for request in served if request.required)
    if solution.required_served is not None and solution.required_served != required:
        problems.append(
            f"required_served is {solution.required_served}, but the assignments serve {required} required requests"
        )
    return problems


def _weight(request: CoachingRequest, now: datetime) -> int:
    waited_days = math.floor((now - request.submitted_at).total_seconds() / 86400)
    return int(100 * 2 ** (request.priority - 1) + min(max(0, waited_days), 90))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _intervals_text(intervals: Iterable[tuple[int, int]]) -> str:
    text = ", ".join(f"{clock(a)}-{clock(b)}" for a, b in intervals)
    return text or "none"
