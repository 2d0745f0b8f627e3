"""Other times one session of an engagement could move to, spread over weeks and days.

The candidates come from the same `Calendar` the optimiser uses (the coach's grid,
availability, busy time, notice and horizon, inside the coachee's windows), and each one
is accepted only when `solver.validate` finds no broken hard rule with the session put in
its place. So a reschedule never answers "does this time fit?" with rules of its own.

The caller's instance holds the engagement's request with exactly the sessions of
`engagement` (sessions already held are busy time of the coach, not part of it) and the
coach's figures without this engagement (its sessions are neither busy time nor booked
supervision hours; it does not count in `active_coachees`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

from solver.calendar import Calendar, Slot, day_number, from_minutes, iso_week_key, to_minutes
from solver.domain import Assignment, Instance, Session, Solution
from solver.validate import validate


class UnknownSession(ValueError):
    """The engagement or the session to move is not in the instance."""


def alternatives(
    instance: Instance,
    engagement: Assignment,
    index: int,
    *,
    limit: int = 6,
    not_before: date | None = None,
    not_after: date | None = None,
) -> list[Session]:
    """Up to `limit` times session `index` of `engagement` could move to, best spread first.

    Ranking: the nearest time in each ISO week (nearest week first), then the nearest
    time on each remaining day (nearest day first), then the other times nearest first;
    nearness is distance from the session's present start. A longer `limit` extends the
    same order, so "more" shows the first ones again followed by new ones.
    `not_before` / `not_after` bound the coachee-local date of the new time, for gaps to
    sessions already held that the instance no longer holds.
    """
    request = instance.request_by_id.get(engagement.request)
    coach = instance.coach_by_id.get(engagement.coach)
    if request is None or coach is None or not 0 <= index < len(engagement.sessions):
        raise UnknownSession(f"no session {index} of request {engagement.request} with coach {engagement.coach}")
    present = engagement.sessions[index]
    calendar = Calendar(instance)
    low, high = _date_bounds(calendar, engagement, index, not_before, not_after)
    here = to_minutes(present.start)
    slots = [
        slot
        for slot in calendar.pair_times(request, coach).slots()
        if slot.start != here
        and (low is None or slot.coachee_day >= low)
        and (high is None or slot.coachee_day <= high)
    ]
    slots.sort(key=lambda slot: (abs(slot.start - here), slot.start))
    verdicts: dict[int, bool] = {}

    def accepted(slot: Slot) -> bool:
        if slot.start not in verdicts:
            session = Session(from_minutes(slot.start), from_minutes(slot.end))
            verdicts[slot.start] = not move_problems(instance, engagement, index, session)
        return verdicts[slot.start]

    chosen: list[Session] = []
    taken: set[int] = set()
    for pick in _ranked(slots, accepted):
        if pick.start in taken:
            continue
        taken.add(pick.start)
        chosen.append(Session(from_minutes(pick.start), from_minutes(pick.end)))
        if len(chosen) >= limit:
            break
    return chosen


def _ranked(slots: list[Slot], accepted: Callable[[Slot], bool]) -> Iterator[Slot]:
    """Slots (nearest first) in spread order, validating lazily: week leaders, day leaders, the rest."""
    weeks: dict[int, list[Slot]] = {}
    days: dict[int, list[Slot]] = {}
    for slot in slots:
        weeks.setdefault(iso_week_key(slot.coachee_day), []).append(slot)
        days.setdefault(slot.coachee_day, []).append(slot)
    used_days: set[int] = set()
    for group in weeks.values():  # dicts keep insertion order: nearest week first
        leader = next((s for s in group if accepted(s)), None)
        if leader is not None:
            used_days.add(leader.coachee_day)
            yield leader
    for day, group in days.items():
        if day in used_days:
            continue
        leader = next((s for s in group if accepted(s)), None)
        if leader is not None:
            yield leader
    for slot in slots:
        if accepted(slot):
            yield slot


def move_problems(instance: Instance, engagement: Assignment, index: int, session: Session) -> list[str]:
    """What `solver.validate` finds wrong with session `index` of `engagement` put at `session` (empty: it fits)."""
    request = instance.request_by_id.get(engagement.request)
    if request is None or not 0 <= index < len(engagement.sessions):
        raise UnknownSession(f"no session {index} of request {engagement.request}")
    sessions = list(engagement.sessions)
    sessions[index] = session
    moved = replace(engagement, sessions=tuple(sessions), score={})
    return validate(instance, Solution("FEASIBLE", instance.weight(request), None, (moved,)))


def _date_bounds(
    calendar: Calendar, engagement: Assignment, index: int, not_before: date | None, not_after: date | None
) -> tuple[int | None, int | None]:
    """Coachee-local day numbers the new time may fall on: the gap rules to the neighbours narrow the search.

    Only a narrowing of where to look; the validator still judges every candidate.
    """
    request = calendar.instance.request_by_id[engagement.request]
    clock = calendar.clock(request.timezone)

    def local_day(moment: datetime) -> int:
        return clock.local(to_minutes(moment)) // 1440

    low = None if not_before is None else day_number(not_before)
    high = None if not_after is None else day_number(not_after)
    if index > 0:
        before = local_day(engagement.sessions[index - 1].start)
        low = max(low, before + request.min_gap_days) if low is not None else before + request.min_gap_days
        high = min(high, before + request.max_gap_days) if high is not None else before + request.max_gap_days
    if index + 1 < len(engagement.sessions):
        after = local_day(engagement.sessions[index + 1].start)
        low = max(low, after - request.max_gap_days) if low is not None else after - request.max_gap_days
        high = min(high, after - request.min_gap_days) if high is not None else after - request.min_gap_days
    return low, high


def coaches_meeting(instance: Instance, request_id: str) -> list[str]:
    """Coaches whose weekly availability (or a date's own hours) ever meets the coachee's windows.

    A cheap look at the two weekly calendars, for telling a waiting coachee that no coach is
    free at the times they gave; whether a whole engagement fits is the solve's question.
    """
    request = instance.request_by_id.get(request_id)
    if request is None:
        raise UnknownSession(f"no request {request_id}")
    # Two weeks of clocks say what a weekly pattern meets; a whole horizon of them costs a page view.
    start = max(instance.horizon_start, instance.now.date())
    calendar = Calendar(replace(instance, horizon_start=start, horizon_end=start + timedelta(days=14)))
    return [coach.id for coach in instance.coaches if calendar.may_meet(request, coach)]
