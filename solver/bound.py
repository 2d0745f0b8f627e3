"""A true upper bound on served weight that does not depend on which chains were kept.

When the engagement model holds only a sample of the chains, its own bound is
not valid for the instance. This relaxation forgets *when* sessions happen and
keeps only what any plan must satisfy per request-coach pair that has at least
one chain: one coach per request (rule 1), engagement caps (rule 5), supervisor
capacity (rule 9), the total of the per-week session caps over the weeks in
which the coach has any slot (rule 5), and supervision minutes that a pair
cannot avoid (rule 10). Every feasible plan is feasible here, so CP-SAT's
proven bound on it bounds the instance.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from solver.calendar import Calendar, to_minutes
from solver.domain import Coach, CoachingRequest, Instance
from solver.engagements import supervision_minutes_left
from solver.model import busy_session_counts


def relaxation_bound(
    instance: Instance,
    calendar: Calendar,
    pairs: list[tuple[CoachingRequest, Coach]],
    *,
    time_limit: float,
    workers: int,
) -> int:
    """Upper bound on tier 1 over all plans that use only `pairs` (pairs with any chain)."""
    if not pairs:
        return 0
    model = cp_model.CpModel()
    var: dict[tuple[str, str], cp_model.IntVar] = {}
    by_request: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    by_coach: dict[str, list[tuple[CoachingRequest, cp_model.IntVar]]] = defaultdict(list)
    for request, coach in pairs:
        v = model.new_bool_var(f"pair_{request.id}_{coach.id}")
        var[(request.id, coach.id)] = v
        by_request[request.id].append(v)
        by_coach[coach.id].append((request, v))
    for vs in by_request.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    trainee_vars: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for coach_id, items in by_coach.items():
        coach = instance.coach_by_id[coach_id]
        model.add(sum(v for _, v in items) <= max(0, coach.max_active_coachees - coach.active_coachees))
        _, busy_weeks = busy_session_counts(calendar, coach)
        durations = {request.session_minutes for request, _ in items}
        weeks = {s.coach_week for d in durations for s in calendar.coach_slots(coach, d)}
        room = sum(max(0, coach.max_sessions_per_week - busy_weeks[w]) for w in weeks)
        model.add(sum(r.sessions * v for r, v in items) <= room)
        until = to_minutes(coach.next_supervision) if coach.next_supervision else None
        forced = []
        for request, v in items:
            slots = calendar.pair_slots(request, coach)
            if until is None or all(s.start < until for s in slots):
                forced.append(request.sessions * request.session_minutes * v)
        if forced:
            model.add(sum(forced) <= max(0, supervision_minutes_left(instance, coach)))
        if coach.level == "trainee" and coach.supervisor:
            trainee_vars[coach.supervisor].extend(v for _, v in items)
    for sup_id, vs in trainee_vars.items():
        sup = instance.supervisor_by_id[sup_id]
        model.add(sum(vs) <= max(0, sup.max_trainee_engagements - sup.active_trainee_engagements))
    model.maximize(sum(instance.weight(instance.request_by_id[rid]) * v for (rid, _), v in var.items()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = max(1, workers)
    status = solver.solve(model)
    trivial = sum(instance.weight(instance.request_by_id[rid]) for rid in by_request)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return min(trivial, int(solver.best_objective_bound + 1e-6))
    return trivial
