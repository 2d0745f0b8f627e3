"""The CP-SAT model: one Boolean per engagement column (request, coach, whole chain).

Every hard rule that involves more than one engagement is a linear constraint
over these Booleans:

- rule 1: at most one column per request;
- rule 3: a coach's sessions, each widened to [start, end + buffer), form an
  interval graph; its maximal cliques become at-most-one constraints;
- rule 5: per local date and per ISO week, sessions + busy sessions <= cap, and
  engagements + active coachees <= max_active_coachees;
- rule 9: trainee engagements per supervisor within its capacity;
- rules 5' and 9' (`capacity_over_time`): each column runs over a fixed interval, and
  per coach and per supervisor the columns running at each start point are limited;
- rule 10: minutes of new sessions before next supervision within what is left.

`required_served` counts the required requests taken (tier 0 of the objective).

Rules 2, 4 and 6-8 hold by construction of the columns (`solver.engagements`).
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ortools.sat.python import cp_model

from solver.calendar import Calendar, iso_week_key, to_minutes
from solver.domain import Coach, CoachingRequest, Instance
from solver.engagements import Chain, supervision_minutes_left


@dataclass(frozen=True)
class Column:
    """One candidate engagement and what it is worth."""

    request: CoachingRequest
    coach: Coach
    chain: Chain
    weight: int  # tier 1
    secondary: int  # tiers 2-5 (solver.scoring.secondary_points)


def busy_session_counts(calendar: Calendar, coach: Coach) -> tuple[Counter[int], Counter[int]]:
    """Busy sessions per coach-local date and per ISO week (rule 5 counts them)."""
    clock = calendar.clock(coach.timezone)
    days: Counter[int] = Counter()
    weeks: Counter[int] = Counter()
    for b in coach.busy:
        if b.is_session:
            day = clock.local(to_minutes(b.start)) // 1440
            days[day] += 1
            weeks[iso_week_key(day)] += 1
    return days, weeks


def supervision_minutes(coach: Coach, chain: Chain) -> int:
    """Minutes of `chain` that count toward the coach's supervision ratio (rule 10)."""
    until = to_minutes(coach.next_supervision) if coach.next_supervision else None
    return sum(s.end - s.start for s in chain if until is None or s.start < until)


class PackingModel:
    """CP-SAT over engagement columns; `take[i]` is true when column i is in the plan."""

    def __init__(self, instance: Instance, calendar: Calendar, columns: Sequence[Column]) -> None:
        self.instance = instance
        self.columns = list(columns)
        self.model = cp_model.CpModel()
        self.take = [self.model.new_bool_var(f"take_{c.request.id}_{c.coach.id}_{i}") for i, c in enumerate(columns)]
        by_request: dict[str, list[int]] = defaultdict(list)
        by_coach: dict[str, list[int]] = defaultdict(list)
        for i, col in enumerate(self.columns):
            by_request[col.request.id].append(i)
            by_coach[col.coach.id].append(i)
        for idx in by_request.values():
            if len(idx) > 1:
                self.model.add_at_most_one(self.take[i] for i in idx)
        for coach_id, idx in by_coach.items():
            self._add_coach_rules(calendar, instance.coach_by_id[coach_id], idx)
        self._add_supervisor_rules(by_coach)
        self.served_weight = sum(col.weight * self.take[i] for i, col in enumerate(self.columns))
        # Tier 0: required requests served (each request has at most one column taken).
        self.required_served = sum(self.take[i] for i, col in enumerate(self.columns) if col.request.required)
        self.secondary = sum(col.secondary * self.take[i] for i, col in enumerate(self.columns))

    def _add_coach_rules(self, calendar: Calendar, coach: Coach, idx: list[int]) -> None:
        take = self.take
        self._add_time_cliques(coach, idx)
        busy_days, busy_weeks = busy_session_counts(calendar, coach)
        per_day: dict[int, Counter[int]] = defaultdict(Counter)
        per_week: dict[int, Counter[int]] = defaultdict(Counter)
        for i in idx:
            for s in self.columns[i].chain:
                per_day[s.coach_day][i] += 1
                per_week[s.coach_week][i] += 1
        for day, terms in per_day.items():
            room = max(0, coach.max_sessions_per_day - busy_days[day])
            self._add_capacity(terms, room)
        for week, terms in per_week.items():
            room = max(0, coach.max_sessions_per_week - busy_weeks[week])
            self._add_capacity(terms, room)
        if self.instance.capacity_over_time:
            self._add_running_cap(idx, coach.max_active_coachees, coach.active_engagements_end)
        else:
            requests = {self.columns[i].request.id for i in idx}
            room = max(0, coach.max_active_coachees - coach.active_coachees)
            if len(requests) > room:
                self.model.add(sum(take[i] for i in idx) <= room)
        left = max(0, supervision_minutes_left(self.instance, coach))
        minutes = {i: supervision_minutes(coach, self.columns[i].chain) for i in idx}
        if sum(minutes.values()) > left:
            self.model.add(sum(m * take[i] for i, m in minutes.items() if m) <= left)

    def _add_capacity(self, terms: Counter[int], room: int) -> None:
        if sum(terms.values()) > room:
            self.model.add(sum(n * self.take[i] for i, n in terms.items()) <= room)

    def _add_running_cap(self, idx: list[int], cap: int, listed_ends: Iterable[datetime]) -> None:
        """Rules 5' and 9': at each start point t of a column, the columns running at t
        ([first start, last end), half-open) <= cap - listed engagements ending after t.

        The count of new engagements only rises at start points and the listed ones only
        end, so start points are the only instants to check; a start point's set is left
        out when the next start point's set holds it with no less room (nothing ends between).
        """
        ends = sorted(to_minutes(e) for e in listed_ends)
        spans = sorted((self.columns[i].chain[0].start, self.columns[i].chain[-1].end, i) for i in idx)
        points = sorted({s for s, _, _ in spans})
        running: list[tuple[int, int]] = []  # heap of (end, column)
        k = 0
        for n, t in enumerate(points):
            while running and running[0][0] <= t:
                heapq.heappop(running)
            while k < len(spans) and spans[k][0] == t:
                heapq.heappush(running, (spans[k][1], spans[k][2]))
                k += 1
            after = points[n + 1] if n + 1 < len(points) else None
            listed = len(ends) - bisect.bisect_right(ends, t)
            changes = after is None or running[0][0] <= after or bisect.bisect_right(ends, after) > len(ends) - listed
            if not changes:
                continue  # the next start point's constraint implies this one
            room = max(0, cap - listed)
            members = [i for _, i in running]
            if len({self.columns[i].request.id for i in members}) > room:
                self.model.add(sum(self.take[i] for i in members) <= room)

    def _add_time_cliques(self, coach: Coach, idx: list[int]) -> None:
        """At most one column per maximal clique of overlapping [start, end + buffer)."""
        buf = coach.buffer_minutes
        spans = sorted((s.start, s.end + buf, i) for i in idx for s in self.columns[i].chain)
        active: list[tuple[int, int]] = []  # heap of (end, column)
        members: Counter[int] = Counter()
        k = 0
        while k < len(spans):
            point = spans[k][0]
            while active and active[0][0] <= point:
                _, gone = heapq.heappop(active)
                members[gone] -= 1
                if not members[gone]:
                    del members[gone]
            while k < len(spans) and spans[k][0] == point:
                heapq.heappush(active, (spans[k][1], spans[k][2]))
                members[spans[k][2]] += 1
                k += 1
            next_point = spans[k][0] if k < len(spans) else None
            # Only a set that loses a member before the next start is a maximal clique.
            if (next_point is None or active[0][0] <= next_point) and len(members) > 1:
                self.model.add_at_most_one(self.take[i] for i in members)

    def _add_supervisor_rules(self, by_coach: dict[str, list[int]]) -> None:
        trainee_columns: dict[str, list[int]] = defaultdict(list)
        for coach_id, idx in by_coach.items():
            coach = self.instance.coach_by_id[coach_id]
            if coach.level == "trainee" and coach.supervisor:
                trainee_columns[coach.supervisor].extend(idx)
        for sup_id, idx in trainee_columns.items():
            sup = self.instance.supervisor_by_id[sup_id]
            if self.instance.capacity_over_time:
                self._add_running_cap(idx, sup.max_trainee_engagements, sup.active_trainee_engagements_end)
                continue
            room = max(0, sup.max_trainee_engagements - sup.active_trainee_engagements)
            if len({self.columns[i].request.id for i in idx}) > room:
                self.model.add(sum(self.take[i] for i in idx) <= room)

    def hint(self, chosen: set[int]) -> None:
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        for i, var in enumerate(self.take):
            self.model.add_hint(var, i in chosen)


class ProgressWatcher(cp_model.CpSolverSolutionCallback):
    """Reports (objective, bound) as CP-SAT improves either."""

    def __init__(self, report: Callable[[float, float], None] | None, stop_at: float | None) -> None:
        super().__init__()
        self._report = report
        self._stop_at = stop_at

    def on_solution_callback(self) -> None:
        if self._report is not None:
            self._report(self.objective_value, self.best_objective_bound)
        if self._stop_at is not None and self.objective_value >= self._stop_at - 1e-6:
            self.stop_search()  # a bound proven outside this model is reached: optimal


def run(
    pm: PackingModel,
    *,
    time_limit: float,
    workers: int,
    seed: int,
    on_improvement: Callable[[float, float], None] | None = None,
    stop_at: float | None = None,
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """Solve the model as it stands; returns the solver and its status."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.05, time_limit)
    params.num_workers = max(1, workers)
    params.random_seed = seed
    # Set packing: a stronger LP pays off (see the solver issue's measurements).
    params.linearization_level = 2
    watcher = ProgressWatcher(on_improvement, stop_at)
    status = solver.solve(pm.model, watcher)
    return solver, status
