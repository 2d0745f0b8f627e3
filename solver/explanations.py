"""Why a plan looks the way it does, in words a programme manager can act on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from solver.baseline import Booking
from solver.calendar import Calendar, Slot, day_of, iso_week_key, to_minutes
from solver.codec import InstanceError, assignment_to_json
from solver.domain import Assignment, Coach, CoachingRequest, Instance, Solution, Unassigned
from solver.engagements import Chain, ChainFinder, StaticRules, static_blocks

TIME_LIMIT_REASON = (
    "time limit: the solve ended before this request's coaches were examined; solve again with a longer time limit"
)


def _names(ids: list[str]) -> str:
    return ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")


def _weeks(first_day: int, last_day: int) -> str:
    first, last = day_of(first_day).isocalendar(), day_of(last_day).isocalendar()
    if first[:2] == last[:2]:
        return f"week {first[1]}"
    if first[0] == last[0]:
        return f"weeks {first[1]}-{last[1]}"
    return f"weeks {first[1]} of {first[0]} to {last[1]} of {last[0]}"


# What the calendar says about a pair that keeps the static rules: "no_time" (no common
# slot), "no_chain" (slots, but the gap rules fit no engagement), or the first and last
# coachee-local dates of its slots.
PairFact = str | tuple[int, int]


def pair_fact(calendar: Calendar, request: CoachingRequest, coach: Coach) -> PairFact:
    times = calendar.pair_times(request, coach)
    if not len(times):
        return "no_time"
    finder = ChainFinder(request, coach, times)
    can = finder.completable()[request.sessions]
    if not any(can[i] for i in finder.starts):
        return "no_chain"
    return int(times.coachee_day.min()), int(times.coachee_day.max())


@dataclass
class RequestFacts:
    """What the calendar says about one request's coaches that keep the static rules.

    Kept per request, not per pair, so that a search over millions of pairs can hand
    it over cheaply.
    """

    no_time: list[str] = field(default_factory=list)
    no_chain: list[str] = field(default_factory=list)
    eligible: list[str] = field(default_factory=list)
    first_day: int | None = None  # over the eligible coaches' slots
    last_day: int | None = None

    def add(self, coach_id: str, fact: PairFact) -> None:
        if fact == "no_time":
            self.no_time.append(coach_id)
        elif fact == "no_chain":
            self.no_chain.append(coach_id)
        elif isinstance(fact, tuple):
            self.eligible.append(coach_id)
            self.first_day = fact[0] if self.first_day is None else min(self.first_day, fact[0])
            self.last_day = fact[1] if self.last_day is None else max(self.last_day, fact[1])


def request_reasons(
    instance: Instance,
    calendar: Calendar,
    request: CoachingRequest,
    facts: RequestFacts | None = None,
    rules: StaticRules | None = None,
) -> list[str]:
    """Why `request` is not served: blocking rules with the coaches each rules out, else capacity.

    `facts` spares recomputing what a search already found out; `rules` (with `facts`)
    finds the blocking rules for all coaches at once.
    """
    if not instance.coaches:
        return ["no coaches in the programme"]
    by_message: dict[str, list[str]] = {}
    found = RequestFacts()
    if facts is not None and rules is not None:
        by_message = rules.blocked_by(request)
    else:
        for coach in instance.coaches:
            blocks = static_blocks(instance, request, coach)
            for block in blocks:
                by_message.setdefault(block.message, []).append(coach.id)
            if not blocks and facts is None:
                found.add(coach.id, pair_fact(calendar, request, coach))
    if facts is not None:
        found = facts
    reasons = [f"{message}: {_names(ids)}" for message, ids in by_message.items()]
    if found.no_time:
        reasons.append(
            "no common time (rule 2): the coachee's windows, after notice, earliest_start and within the "
            f"horizon, never meet the availability of {_names(found.no_time)}"
        )
    if found.no_chain:
        gaps = f"{request.min_gap_days}-{request.max_gap_days} days apart"
        reasons.append(
            f"gap rules (rule 4): {request.sessions} sessions {gaps} do not fit the common times with "
            f"{_names(found.no_chain)}"
        )
    if found.eligible and found.first_day is not None and found.last_day is not None:
        reasons.append(
            f"capacity: all {len(found.eligible)} eligible coaches are full in the coachee's windows "
            f"during {_weeks(found.first_day, found.last_day)} ({_names(found.eligible)})"
        )
    return reasons


def unassigned_reasons(
    instance: Instance,
    calendar: Calendar,
    assignments: Iterable[Assignment],
    facts: Mapping[str, RequestFacts] | None = None,
) -> list[Unassigned]:
    served = {a.request for a in assignments}
    out: list[Unassigned] = []
    rules = StaticRules(instance) if facts is not None and instance.coaches else None
    for r in instance.requests:
        if r.id in served:
            continue
        if facts is not None and r.id not in facts:
            reasons = [TIME_LIMIT_REASON]
        else:
            reasons = request_reasons(instance, calendar, r, None if facts is None else facts[r.id], rules)
        out.append(Unassigned(r.id, tuple(reasons)))
    return out


def _assignment_reasons(instance: Instance, assignment: Assignment) -> list[str]:
    request = instance.request_by_id.get(assignment.request)
    coach = instance.coach_by_id.get(assignment.coach)
    if request is None or coach is None:
        return ["unknown request or coach id"]
    out: list[str] = []
    shared = sorted(set(request.topics) & set(coach.topics))
    out.append(f"shares topics {', '.join(shared)}" if shared else "shares no topic")
    spoken = [lang for lang in request.languages if lang in coach.languages]
    if spoken:
        first = " (the coachee's first choice)" if spoken[0] == request.languages[0] else ""
        out.append(f"speaks {spoken[0]}{first}")
    if coach.id in request.preferred_coaches:
        out.append("a coach the coachee asked for")
    current = instance.current_by_request.get(request.id)
    if current is not None:
        if current.coach != coach.id:
            out.append(f"moved from {current.coach} in the current plan")
        elif [s.start for s in current.sessions] == [s.start for s in assignment.sessions]:
            out.append("unchanged from the current plan")
        else:
            out.append("same coach as the current plan, new times")
    return out


def _as_chain(calendar: Calendar, request: CoachingRequest, coach: Coach, a: Assignment) -> Chain:
    clock_coach, clock_coachee = calendar.clock(coach.timezone), calendar.clock(request.timezone)
    chain = []
    for session in a.sessions:
        start, end = to_minutes(session.start), to_minutes(session.end)
        coach_day = clock_coach.local(start) // 1440
        chain.append(Slot(start, end, coach_day, iso_week_key(coach_day), clock_coachee.local(start) // 1440))
    return tuple(chain)


def _capacity_details(
    instance: Instance, calendar: Calendar, plan: Booking, request: CoachingRequest, headline: str
) -> list[str]:
    """For each eligible coach, what in the plan keeps it from taking `request`.

    `headline` is the capacity line of `request_reasons`, kept when no coach has room.
    """
    engaged, supervised, busy, free = [], [], [], []
    for coach in instance.coaches:
        if static_blocks(instance, request, coach) or pair_fact(calendar, request, coach) in ("no_time", "no_chain"):
            continue
        book = plan.books[coach.id]
        if book.engagements >= coach.max_active_coachees:
            engaged.append(coach.id)
        elif not plan.coach_can_engage(coach):
            supervised.append(coach.id)
        elif plan.find(request, coach, checked=True) is None:
            busy.append(coach.id)
        else:
            free.append(coach.id)
    out = [] if free else [headline]
    if engaged:
        out.append(f"capacity: at max_active_coachees with this plan (rule 5): {_names(engaged)}")
    if supervised:
        out.append(
            f"capacity: their supervisor has no trainee capacity left with this plan (rule 9): {_names(supervised)}"
        )
    if busy:
        out.append(
            "capacity: their remaining free times, day and week caps and supervision hours fit no "
            f"{request.sessions} sessions {request.min_gap_days}-{request.max_gap_days} days apart "
            f"in the coachee's windows (rules 3, 5, 10): {_names(busy)}"
        )
    if free:
        out.append(
            f"not placed although {_names(free)} could still take it: the solve stopped before finding "
            "that (time limit), or a lower-weight plan was kept"
        )
    return out


def explain(
    instance: Instance, solution: Solution, request_id: str | None = None
) -> dict[str, Any] | list[dict[str, Any]]:
    """Per request: the score breakdown and reasons if assigned, the blocking rules if not."""
    calendar = Calendar(instance)
    by_request = {a.request: a for a in solution.assignments}

    def one(request: CoachingRequest) -> dict[str, Any]:
        weight = instance.weight(request)
        assignment = by_request.get(request.id)
        if assignment is not None:
            entry = assignment_to_json(assignment)
            entry.update({"assigned": True, "weight": weight, "reasons": _assignment_reasons(instance, assignment)})
            return entry
        reasons = request_reasons(instance, calendar, request)
        if reasons and reasons[-1].startswith("capacity:"):
            reasons[-1:] = _capacity_details(instance, calendar, booking(), request, reasons[-1])
        return {"request": request.id, "assigned": False, "weight": weight, "reasons": reasons}

    cache: list[Booking] = []

    def booking() -> Booking:
        """The plan's engagements booked in order, to ask what each coach still has room for."""
        if not cache:
            plan = Booking(instance, calendar)
            for a in solution.assignments:
                request, coach = instance.request_by_id.get(a.request), instance.coach_by_id.get(a.coach)
                if request is not None and coach is not None:
                    plan.take(request, coach, _as_chain(calendar, request, coach, a))
            cache.append(plan)
        return cache[0]

    if request_id is not None:
        request = instance.request_by_id.get(request_id)
        if request is None:
            raise InstanceError([f"request {request_id!r}: not in the instance"])
        return one(request)
    return [one(r) for r in instance.requests]
