"""CP-SAT model for group supervision (docs/planners.md, "Supervision sessions").

Candidate sessions are every start on the supervisor's grid inside their availability.
A coach's hours limit becomes a set of windows, each of which must hold one of the
coach's supervisions: for every coaching session j, the last session i such that the
hours of i..j pass the limit ends a window that closes when j starts (and held hours
open one at `now`). A coach is *kept under their limit* when every window of theirs holds
a supervision they attend. Objective, highest tier first:

1. coaches kept under their limit, nearest their limit first (a coach whose limit comes
   sooner is never left out to keep any number of later ones);
2. fewest supervision sessions (the supervisor's time);
3. fewest seats taken (no coach supervised more often than their windows need).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ortools.sat.python import cp_model

from solver.domain import WEEKDAYS, TimeRange
from solver.supervision.domain import (
    Calendar,
    LeftOut,
    SupervisedCoach,
    SupervisionInstance,
    SupervisionPlan,
    SupervisionSession,
    TimeSpan,
)

_EPSILON = 1e-6
# Up to this many coaches in need the first tier weighs them as powers of two (strictly
# nearest-first); beyond it, by rank, so the coefficients stay far inside 64 bits.
_STRICT_RANKS = 30


def _local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime | None:
    """The instant of local `minute` on `day`, or None when that wall-clock time does not exist."""
    naive = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        return None
    return aware.astimezone(UTC)


def _intervals_on(calendar: Calendar, day: date) -> tuple[TimeRange, ...]:
    for override in calendar.overrides:
        if override.date == day:
            return override.intervals
    return tuple(calendar.weekly.get(WEEKDAYS[day.weekday()], ()))


def _free(calendar: Calendar, start: datetime, end: datetime, others: tuple[TimeSpan, ...] = ()) -> bool:
    return not any(b.start < end and start < b.end for b in (*calendar.busy, *others))


def _fits(calendar: Calendar, start: datetime, end: datetime) -> bool:
    """Inside one availability interval of the person's local date, same UTC offset throughout."""
    tz = ZoneInfo(calendar.timezone)
    local = start.astimezone(tz)
    if local.utcoffset() != (end - timedelta(microseconds=1)).astimezone(tz).utcoffset():
        return False
    begin = local.hour * 60 + local.minute
    finish = begin + round((end - start).total_seconds() / 60)
    return any(lo <= begin and finish <= hi for lo, hi in _intervals_on(calendar, local.date()))


def candidate_starts(instance: SupervisionInstance) -> list[TimeSpan]:
    """Every session the supervisor could hold: on their grid, in their availability and the horizon."""
    cal = instance.supervisor
    tz = ZoneInfo(cal.timezone)
    programme_tz = ZoneInfo(instance.timezone)
    opens = datetime.combine(instance.horizon_start, datetime.min.time(), programme_tz).astimezone(UTC)
    closes = datetime.combine(instance.horizon_end + timedelta(days=1), datetime.min.time(), programme_tz)
    earliest = max(opens, instance.now + timedelta(hours=instance.min_notice_hours))
    length = timedelta(minutes=instance.session_minutes)
    out: list[TimeSpan] = []
    day = instance.horizon_start - timedelta(days=1)  # the supervisor's clock may run ahead of the programme's
    while day <= instance.horizon_end + timedelta(days=1):
        for low, high in _intervals_on(cal, day):
            minute = low + (-low) % instance.slot_minutes
            while minute + instance.session_minutes <= high:
                start = _local_instant(day, minute, tz)
                minute += instance.slot_minutes
                if start is None or start < earliest or start + length > closes:
                    continue
                if _fits(cal, start, start + length) and _free(cal, start, start + length):
                    out.append(TimeSpan(start, start + length))
        day += timedelta(days=1)
    return sorted(set(out), key=lambda s: s.start)


@dataclass(frozen=True)
class Window:
    """A supervision must start at or after `opens` and end by `closes` to keep the coach under their limit."""

    opens: datetime
    closes: datetime
    hours: float  # the hours the coach would reach at `closes` without one


def windows(instance: SupervisionInstance, coach: SupervisedCoach) -> list[Window]:
    """The minimal windows that must each hold one of the coach's supervisions."""
    horizon_close = datetime.combine(
        instance.horizon_end + timedelta(days=1), datetime.min.time(), ZoneInfo(instance.timezone)
    )
    sessions = [s for s in coach.sessions if s.start >= instance.now]
    out: list[Window] = []
    if coach.held_hours > coach.max_hours + _EPSILON:
        out.append(Window(instance.now, horizon_close, coach.held_hours))
    for j, last in enumerate(sessions):
        total = 0.0
        found = False
        for i in range(j, -1, -1):
            total += sessions[i].hours
            if total > coach.max_hours + _EPSILON:
                out.append(Window(sessions[i].end, last.start, total))
                found = True
                break
        if not found and coach.held_hours + total > coach.max_hours + _EPSILON:
            out.append(Window(instance.now, last.start, coach.held_hours + total))
    minimal = [w for w in out if not any(o != w and w.opens <= o.opens and o.closes <= w.closes for o in out)]
    return sorted(set(minimal), key=lambda w: (w.closes, w.opens))


def solve(instance: SupervisionInstance, *, time_limit: float = 10.0, workers: int = 2) -> SupervisionPlan:
    """Plan supervision sessions for every coach who would otherwise pass their limit in the horizon."""
    started = time.monotonic()
    candidates = candidate_starts(instance)
    need = {c.id: windows(instance, c) for c in instance.coaches}
    needy = sorted(
        (c for c in instance.coaches if need[c.id]),
        key=lambda c: (need[c.id][0].closes, -c.held_hours, c.id),
    )
    model = cp_model.CpModel()
    opened = [model.new_bool_var(f"session_{t}") for t in range(len(candidates))]
    attends: dict[tuple[str, int], cp_model.IntVar] = {}
    for coach in needy:
        for t, cand in enumerate(candidates):
            if _fits(coach.calendar, cand.start, cand.end) and _free(
                coach.calendar, cand.start, cand.end, coach.sessions
            ):
                var = model.new_bool_var(f"attends_{coach.id}_{t}")
                model.add_implication(var, opened[t])
                attends[coach.id, t] = var
    for t, cand in enumerate(candidates):
        seats = [attends[c.id, t] for c in needy if (c.id, t) in attends]
        model.add(sum(seats) <= instance.max_group_size)
        model.add(sum(seats) >= 1).only_enforce_if(opened[t])
        # One supervisor: no two sessions that overlap (the clique of those starting inside this one).
        overlapping = [opened[u] for u in range(t, len(candidates)) if candidates[u].start < cand.end]
        if len(overlapping) > 1:
            model.add_at_most_one(overlapping)

    kept: dict[str, cp_model.IntVar] = {}
    empty_window: dict[str, Window] = {}
    for coach in needy:
        kept[coach.id] = model.new_bool_var(f"kept_{coach.id}")
        for window in need[coach.id]:
            inside = [
                attends[coach.id, t]
                for t, cand in enumerate(candidates)
                if (coach.id, t) in attends and window.opens <= cand.start and cand.end <= window.closes
            ]
            if not inside:
                empty_window.setdefault(coach.id, window)
                model.add(kept[coach.id] == 0)
            else:
                model.add_bool_or(inside).only_enforce_if(kept[coach.id])
        if coach.held_hours > coach.max_hours + _EPSILON:
            pass  # already over: still planned as early as the calendars allow, reported below
    strict = len(needy) <= _STRICT_RANKS
    weights = {c.id: (2 ** (len(needy) - 1 - rank) if strict else len(needy) - rank) for rank, c in enumerate(needy)}

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    status = cp_model.UNKNOWN
    kept_value = {c.id: False for c in needy}
    chosen: list[tuple[int, tuple[str, ...]]] = []
    if needy and candidates:
        model.maximize(sum(weights[cid] * var for cid, var in kept.items()))
        solver.parameters.max_time_in_seconds = max(0.1, time_limit * 0.6)
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = round(solver.objective_value)
            model.add(sum(weights[cid] * var for cid, var in kept.items()) >= best)
            for var in (*opened, *attends.values()):
                model.add_hint(var, solver.value(var))
            seats_total = len(attends) + 1
            model.minimize(seats_total * sum(opened) + sum(attends.values()))
            solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.monotonic() - started))
            second = solver.solve(model)
            if second in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                status = (
                    cp_model.OPTIMAL
                    if (status == cp_model.OPTIMAL and second == cp_model.OPTIMAL)
                    else (cp_model.FEASIBLE)
                )
            kept_value = {cid: bool(solver.value(var)) for cid, var in kept.items()}
            for t in range(len(candidates)):
                if solver.value(opened[t]):
                    group = tuple(c.id for c in needy if (c.id, t) in attends and solver.value(attends[c.id, t]))
                    chosen.append((t, group))
    elif not needy:
        status = cp_model.OPTIMAL

    sessions = tuple(SupervisionSession(candidates[t].start, candidates[t].end, group) for t, group in chosen)
    left_out = tuple(
        LeftOut(c.id, tuple(_reasons(instance, c, need[c.id], empty_window.get(c.id), kept_value.get(c.id, False))))
        for c in needy
        if not kept_value.get(c.id, False) or c.held_hours > c.max_hours + _EPSILON
    )
    status_name = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE"}
    return SupervisionPlan(
        status=status_name.get(status, "UNKNOWN") if candidates or not needy else "OPTIMAL",
        sessions=sessions,
        left_out=left_out,
        stats={
            "wall_seconds": round(time.monotonic() - started, 3),
            "solver": "cp-sat",
            "candidate_sessions": len(candidates),
            "coaches_in_need": len(needy),
        },
    )


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _reasons(
    instance: SupervisionInstance, coach: SupervisedCoach, needs: list[Window], empty: Window | None, kept: bool
) -> list[str]:
    reasons: list[str] = []
    if coach.held_hours > coach.max_hours + _EPSILON:
        reasons.append(
            f"already over the limit: {coach.held_hours:g} of {coach.max_hours:g} hours held since the last "
            "supervision; no new coaching until supervised"
        )
        if kept:
            return reasons
    if empty is not None:
        reasons.append(
            f"no {instance.session_minutes}-minute time free for both the supervisor and the coach between "
            f"{_when(empty.opens)} and {_when(empty.closes)}, when their coaching would reach "
            f"{empty.hours:g} of {coach.max_hours:g} hours"
        )
    elif not reasons or not kept:
        first = needs[0]
        reasons.append(
            f"the supervisor's free time before {_when(first.closes)} (when their coaching would reach "
            f"{first.hours:g} of {coach.max_hours:g} hours) is taken by coaches nearer their limit; "
            f"groups hold at most {instance.max_group_size}: offer more supervision time or a larger group"
        )
    return reasons
