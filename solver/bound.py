"""A true upper bound on served weight that does not depend on which chains were kept.

When the engagement model holds only some of the chains, its own bound is not
valid for the instance. This relaxation forgets *when* sessions happen and keeps
only what every plan must satisfy over the request-coach pairs that have at
least one chain: one coach per request (rule 1), engagement caps (rule 5),
supervisor capacity (rule 9), the sum of the per-week session caps over the
weeks in which the coach has any slot (rule 5), and supervision minutes that a
pair cannot avoid (rule 10). Every feasible plan is feasible here, so CP-SAT's
proven bound on it bounds the instance; its best solution also tells the search
which coach each request is likely to get.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.calendar import Calendar
from solver.domain import Coach, CoachingRequest, Instance
from solver.engagements import supervision_minutes_left
from solver.model import busy_session_counts


@dataclass(frozen=True)
class Pair:
    """A request-coach pair with at least one chain, and what any of its chains costs."""

    request: CoachingRequest
    coach: Coach
    forced_supervision_minutes: int  # rule-10 minutes every chain of the pair uses
    chain_count: int  # chains of the pair, capped at the enumeration limit + 1


@dataclass(frozen=True)
class Relaxation:
    bound: int
    choice: dict[str, str]  # request id -> coach id in the relaxation's best solution


def relaxation_bound(
    instance: Instance,
    calendar: Calendar,
    pairs: list[Pair],
    *,
    time_limit: float,
    workers: int,
) -> Relaxation:
    """Upper bound on tier 1 over all plans that use only `pairs` (pairs with any chain)."""
    trivial = sum(instance.weight(r) for r in {p.request.id: p.request for p in pairs}.values())
    if not pairs:
        return Relaxation(0, {})
    model = cp_model.CpModel()
    var: list[cp_model.IntVar] = []
    by_request: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    by_coach: dict[str, list[tuple[Pair, cp_model.IntVar]]] = defaultdict(list)
    for p in pairs:
        v = model.new_bool_var(f"pair_{p.request.id}_{p.coach.id}")
        var.append(v)
        by_request[p.request.id].append(v)
        by_coach[p.coach.id].append((p, v))
    for vs in by_request.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    trainee_vars: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for coach_id, items in by_coach.items():
        coach = instance.coach_by_id[coach_id]
        model.add(sum(v for _, v in items) <= max(0, coach.max_active_coachees - coach.active_coachees))
        _, busy_weeks = busy_session_counts(calendar, coach)
        durations = {p.request.session_minutes for p, _ in items}
        weeks = {s.coach_week for d in durations for s in calendar.coach_slots(coach, d)}
        room = sum(max(0, coach.max_sessions_per_week - busy_weeks[w]) for w in weeks)
        model.add(sum(p.request.sessions * v for p, v in items) <= room)
        forced = [p.forced_supervision_minutes * v for p, v in items if p.forced_supervision_minutes]
        if forced:
            model.add(sum(forced) <= max(0, supervision_minutes_left(instance, coach)))
        if coach.level == "trainee" and coach.supervisor:
            trainee_vars[coach.supervisor].extend(v for _, v in items)
    for sup_id, vs in trainee_vars.items():
        sup = instance.supervisor_by_id[sup_id]
        model.add(sum(vs) <= max(0, sup.max_trainee_engagements - sup.active_trainee_engagements))
    model.maximize(sum(instance.weight(p.request) * v for p, v in zip(pairs, var, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = max(1, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Relaxation(trivial, {})
    choice = {p.request.id: p.coach.id for p, v in zip(pairs, var, strict=True) if solver.boolean_value(v)}
    return Relaxation(min(trivial, int(solver.best_objective_bound + 1e-6)), choice)
