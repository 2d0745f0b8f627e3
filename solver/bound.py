"""A true upper bound on served weight that does not depend on which chains were kept.

When the engagement model holds only some of the chains, its own bound is not
valid for the instance. This relaxation forgets *when* sessions happen and keeps
only what every plan must satisfy over the request-coach pairs that have at
least one chain: one coach per request (rule 1), engagement caps (rule 5),
supervisor capacity (rule 9), the sum of the per-week session caps over the
weeks in which the coach has any slot (rule 5), and supervision minutes that a
pair cannot avoid (rule 10). Every feasible plan is feasible here, so the
LP optimum on it bounds the instance (floored: weights are integers); the LP
solution also tells the search which coaches each request is likely to get.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

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
    support: dict[str, list[str]]  # request id -> coaches it uses in the LP optimum, most first


Row = tuple[list[int], list[int], int]  # sum(coef * pair[index]) <= rhs


def _rows(instance: Instance, calendar: Calendar, pairs: list[Pair]) -> list[Row]:
    rows: list[Row] = []
    by_request: dict[str, list[int]] = defaultdict(list)
    by_coach: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        by_request[p.request.id].append(i)
        by_coach[p.coach.id].append(i)
    for idx in by_request.values():
        if len(idx) > 1:
            rows.append((idx, [1] * len(idx), 1))
    trainee_pairs: dict[str, list[int]] = defaultdict(list)
    for coach_id, idx in by_coach.items():
        coach = instance.coach_by_id[coach_id]
        rows.append((idx, [1] * len(idx), max(0, coach.max_active_coachees - coach.active_coachees)))
        _, busy_weeks = busy_session_counts(calendar, coach)
        durations = {pairs[i].request.session_minutes for i in idx}
        weeks = {s.coach_week for d in durations for s in calendar.coach_slots(coach, d)}
        room = sum(max(0, coach.max_sessions_per_week - busy_weeks[w]) for w in weeks)
        rows.append((idx, [pairs[i].request.sessions for i in idx], room))
        forced = [i for i in idx if pairs[i].forced_supervision_minutes]
        if forced:
            left = max(0, supervision_minutes_left(instance, coach))
            rows.append((forced, [pairs[i].forced_supervision_minutes for i in forced], left))
        if coach.level == "trainee" and coach.supervisor:
            trainee_pairs[coach.supervisor].extend(idx)
    for sup_id, idx in trainee_pairs.items():
        sup = instance.supervisor_by_id[sup_id]
        rows.append((idx, [1] * len(idx), max(0, sup.max_trainee_engagements - sup.active_trainee_engagements)))
    return rows


def _lp_bound(weights: list[int], rows: list[Row], time_limit: float) -> tuple[int | None, list[float]]:
    """The LP relaxation with GLOP: a bound in well under a second, and fractional guidance."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None, []
    lp.SetTimeLimit(max(1, int(1000 * time_limit)))
    x = [lp.NumVar(0.0, 1.0, "") for _ in weights]
    for idx, coefs, rhs in rows:
        row = lp.Constraint(-lp.infinity(), float(rhs))
        for i, c in zip(idx, coefs, strict=True):
            row.SetCoefficient(x[i], float(c))
    objective = lp.Objective()
    for w, v in zip(weights, x, strict=True):
        objective.SetCoefficient(v, float(w))
    objective.SetMaximization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None, []
    # Weights are integers, so the integer optimum is at most the floor of the LP value; the
    # small slack absorbs the simplex's feasibility tolerance.
    return math.floor(lp.Objective().Value() + 1e-3), [v.solution_value() for v in x]


def relaxation_bound(instance: Instance, calendar: Calendar, pairs: list[Pair], time_limit: float = 60.0) -> Relaxation:
    """Upper bound on tier 1 over all plans that use only `pairs` (pairs with any chain).

    The LP relaxation (GLOP) gives the bound; its support tells the search which coaches
    are worth chains for each request (LP-guided columns).
    """
    trivial = sum(instance.weight(r) for r in {p.request.id: p.request for p in pairs}.values())
    if not pairs:
        return Relaxation(0, {})
    weights = [instance.weight(p.request) for p in pairs]
    lp_bound, lp_values = _lp_bound(weights, _rows(instance, calendar, pairs), time_limit)
    bound = trivial if lp_bound is None else min(trivial, lp_bound)
    support: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for p, value in zip(pairs, lp_values, strict=False):
        if value > 1e-6:
            support[p.request.id].append((-value, p.coach.id))
    return Relaxation(bound, {rid: [cid for _, cid in sorted(items)] for rid, items in support.items()})
