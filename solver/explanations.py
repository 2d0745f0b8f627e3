"""Why a plan looks the way it does, in words a programme manager can act on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from solver.calendar import Calendar, day_of
from solver.codec import InstanceError, assignment_to_json
from solver.domain import Assignment, CoachingRequest, Instance, Solution, Unassigned
from solver.engagements import ChainFinder, static_blocks


def _names(ids: list[str]) -> str:
    return ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")


def _weeks(days: Iterable[int]) -> str:
    weeks = sorted({day_of(d).isocalendar()[:2] for d in days})
    if not weeks:
        return ""
    first, last = weeks[0][1], weeks[-1][1]
    return f"week {first}" if first == last else f"weeks {first}-{last}"


def request_reasons(instance: Instance, calendar: Calendar, request: CoachingRequest) -> list[str]:
    """Why `request` is not served: blocking rules with the coaches each rules out, else capacity."""
    if not instance.coaches:
        return ["no coaches in the programme"]
    by_message: dict[str, list[str]] = {}
    no_time: list[str] = []
    no_chain: list[str] = []
    eligible: list[str] = []
    days: list[int] = []
    for coach in instance.coaches:
        blocks = static_blocks(instance, request, coach)
        for block in blocks:
            by_message.setdefault(block.message, []).append(coach.id)
        if blocks:
            continue
        slots = calendar.pair_slots(request, coach)
        if not slots:
            no_time.append(coach.id)
            continue
        finder = ChainFinder(request, coach, slots)
        can = finder.completable()[request.sessions]
        if not any(can[i] for i in finder.starts):
            no_chain.append(coach.id)
            continue
        eligible.append(coach.id)
        days.extend(s.coachee_day for s in slots)
    reasons = [f"{message}: {_names(ids)}" for message, ids in by_message.items()]
    if no_time:
        reasons.append(
            "no common time (rule 2): the coachee's windows, after notice, earliest_start and within the "
            f"horizon, never meet the availability of {_names(no_time)}"
        )
    if no_chain:
        gaps = f"{request.min_gap_days}-{request.max_gap_days} days apart"
        reasons.append(
            f"gap rules (rule 4): {request.sessions} sessions {gaps} do not fit the common times with "
            f"{_names(no_chain)}"
        )
    if eligible:
        when = _weeks(days)
        reasons.append(
            f"capacity: all {len(eligible)} eligible coaches are full in the coachee's windows"
            + (f" during {when}" if when else "")
            + f" ({_names(eligible)})"
        )
    return reasons


def unassigned_reasons(instance: Instance, calendar: Calendar, assignments: Iterable[Assignment]) -> list[Unassigned]:
    served = {a.request for a in assignments}
    return [
        Unassigned(r.id, tuple(request_reasons(instance, calendar, r))) for r in instance.requests if r.id not in served
    ]


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
        return {
            "request": request.id,
            "assigned": False,
            "weight": weight,
            "reasons": request_reasons(instance, calendar, request),
        }

    if request_id is not None:
        request = instance.request_by_id.get(request_id)
        if request is None:
            raise InstanceError([f"request {request_id!r}: not in the instance"])
        return one(request)
    return [one(r) for r in instance.requests]
