"""An independent exact optimum of tier 1 for small programmes, to check the solver's claims.

    python benchmarks/exact.py INSTANCE.json [--time-limit 120]

It shares no code with the optimiser. Candidate session starts are every start on the
coach's local slot grid inside the coach's availability on each date of the horizon
that the validator accepts as a one-session engagement (so every per-session rule,
busy time, static rule and notice is the validator's reading of the contract). The
model is per session, not per chain: `x[r, c, k, t]` = session k of request r is with
coach c at candidate t; consecutive sessions keep the coachee-local gap rule; the coach's
new sessions do not overlap including buffers; day, week, coachee, supervisor and
supervision-hour caps are linear constraints. Maximising served weight with CP-SAT to
proven optimality gives the true optimum, with which a solver's OPTIMAL status and
bound can be compared.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ortools.sat.python import cp_model

from solver.codec import format_instant, parse_instance, parse_solution
from solver.domain import WEEKDAYS, Assignment, Instance, Session, Solution
from solver.validate import validate


def _weight(request: Any, now: datetime) -> int:
    waited = math.floor((now - request.submitted_at).total_seconds() / 86400)
    return int(100 * 2 ** (request.priority - 1) + min(max(0, waited), 90))


def _candidate_starts(instance: Instance, request: Any, coach: Any) -> list[datetime]:
    """Starts the validator accepts for a one-session engagement of `request` with `coach`."""
    tz = ZoneInfo(coach.timezone)
    single = dataclasses.replace(request, sessions=1)
    alone = dataclasses.replace(instance, requests=(single,))
    length = timedelta(minutes=request.session_minutes)
    overrides = {o.date: o.intervals for o in coach.overrides}
    day = instance.horizon_start - timedelta(days=1)
    starts: list[datetime] = []
    while day <= instance.horizon_end + timedelta(days=1):
        intervals = overrides.get(day, coach.weekly.get(WEEKDAYS[day.weekday()], ()))
        for low, high in intervals:
            minute = low + (-low) % instance.slot_minutes
            while minute + request.session_minutes <= high:
                naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
                for fold in (0, 1):
                    moment = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
                    plan = Solution("FEASIBLE", _weight(single, instance.now), None, ())
                    plan = dataclasses.replace(
                        plan, assignments=(Assignment(request.id, coach.id, (Session(moment, moment + length),)),)
                    )
                    if moment not in starts and not validate(alone, plan):
                        starts.append(moment)
                minute += instance.slot_minutes
        day += timedelta(days=1)
    return sorted(starts)


def exact_optimum(instance: Instance, time_limit: float = 120.0, workers: int = 2) -> dict[str, Any]:
    """Proven optimum of tier 1 (or the best found and bound when time runs out)."""
    started = time.perf_counter()
    model = cp_model.CpModel()
    served: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    coach_sessions: dict[str, list[tuple[cp_model.IntVar, datetime, datetime, Any]]] = defaultdict(list)
    coach_engagements: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    n_candidates = 0
    engagements: list[tuple[Any, Any, cp_model.IntVar, list[datetime], list[list[cp_model.IntVar]]]] = []
    for request in instance.requests:
        length = timedelta(minutes=request.session_minutes)
        rtz = ZoneInfo(request.timezone)
        for coach in instance.coaches:
            starts = _candidate_starts(instance, request, coach)
            if len(starts) < request.sessions:
                continue
            use = model.new_bool_var(f"y[{request.id},{coach.id}]")
            served[request.id].append(use)
            layers: list[list[cp_model.IntVar]] = []
            engagements.append((request, coach, use, starts, layers))
            coach_engagements[coach.id].append(use)
            local_day = [s.astimezone(rtz).date() for s in starts]
            for k in range(request.sessions):
                layer = [model.new_bool_var(f"x[{request.id},{coach.id},{k},{i}]") for i in range(len(starts))]
                model.add(sum(layer) == use)
                layers.append(layer)
                for i, var in enumerate(layer):
                    coach_sessions[coach.id].append((var, starts[i], starts[i] + length, request))
                n_candidates += len(layer)
            for k in range(request.sessions - 1):
                for i, var in enumerate(layers[k]):
                    following = [
                        layers[k + 1][j]
                        for j in range(len(starts))
                        if starts[j] >= starts[i] + length
                        and request.min_gap_days <= (local_day[j] - local_day[i]).days <= request.max_gap_days
                    ]
                    if following:
                        model.add_bool_or(following).only_enforce_if(var)
                    else:
                        model.add(var == 0)
    for request in instance.requests:
        if served[request.id]:
            model.add_at_most_one(served[request.id])
    for coach in instance.coaches:
        sessions = coach_sessions[coach.id]
        if not sessions:
            continue
        tz = ZoneInfo(coach.timezone)
        epoch = instance.now
        buffer = coach.buffer_minutes
        intervals = []
        for var, start, end, _ in sessions:
            begin = int((start - epoch).total_seconds() // 60)
            finish = int((end - epoch).total_seconds() // 60) + buffer
            intervals.append(model.new_optional_fixed_size_interval_var(begin, finish - begin, var, "s"))
        model.add_no_overlap(intervals)
        by_day: dict[Any, list[cp_model.IntVar]] = defaultdict(list)
        by_week: dict[Any, list[cp_model.IntVar]] = defaultdict(list)
        for var, start, _, _ in sessions:
            local = start.astimezone(tz).date()
            by_day[local].append(var)
            by_week[local.isocalendar()[:2]].append(var)
        busy_day: dict[Any, int] = defaultdict(int)
        busy_week: dict[Any, int] = defaultdict(int)
        for busy in coach.busy:
            if busy.is_session:
                local = busy.start.astimezone(tz).date()
                busy_day[local] += 1
                busy_week[local.isocalendar()[:2]] += 1
        for key, items in by_day.items():
            model.add(sum(items) <= max(0, coach.max_sessions_per_day - busy_day[key]))
        for key, items in by_week.items():
            model.add(sum(items) <= max(0, coach.max_sessions_per_week - busy_week[key]))
        model.add(sum(coach_engagements[coach.id]) <= max(0, coach.max_active_coachees - coach.active_coachees))
        limit = instance.max_hours_between[coach.level] - coach.coaching_hours_since_supervision
        counted = [
            (var, request.session_minutes)
            for var, start, _, request in sessions
            if coach.next_supervision is None or start < coach.next_supervision
        ]
        if counted:
            model.add(sum(m * v for v, m in counted) <= math.floor(limit * 60 + 1e-6))
    for supervisor in instance.supervisors:
        trainee_uses = [
            use
            for coach in instance.coaches
            if coach.level == "trainee" and coach.supervisor == supervisor.id
            for use in coach_engagements[coach.id]
        ]
        if trainee_uses:
            capacity = supervisor.max_trainee_engagements - supervisor.active_trainee_engagements
            model.add(sum(trainee_uses) <= max(0, capacity))
    model.maximize(sum(_weight(r, instance.now) * use for r in instance.requests for use in served[r.id]))
    built = time.perf_counter()
    cp_solver = cp_model.CpSolver()
    cp_solver.parameters.max_time_in_seconds = time_limit
    cp_solver.parameters.num_workers = workers
    status = cp_solver.solve(model)
    assignments = []
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for request, coach, use, starts, layers in engagements:
            if cp_solver.boolean_value(use):
                length = timedelta(minutes=request.session_minutes)
                chosen = [
                    next(starts[i] for i, v in enumerate(layer) if cp_solver.boolean_value(v)) for layer in layers
                ]
                assignments.append(
                    {
                        "request": request.id,
                        "coach": coach.id,
                        "sessions": [{"start": format_instant(t), "end": format_instant(t + length)} for t in chosen],
                    }
                )
    return {
        "assignments": assignments,
        "status": cp_solver.status_name(status),
        "optimum": round(cp_solver.objective_value) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None,
        "bound": math.floor(cp_solver.best_objective_bound + 1e-6),
        "candidates": n_candidates,
        "build_seconds": round(built - started, 2),
        "solve_seconds": round(time.perf_counter() - built, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solution", help="write the optimal plan here (contract format)")
    args = parser.parse_args(argv)
    with open(args.instance, encoding="utf-8") as handle:
        instance = parse_instance(json.load(handle))
    result = exact_optimum(instance, args.time_limit, args.workers)
    document = {
        "format": "coaching-solution/1",
        "status": result["status"],
        "served_weight": result["optimum"] or 0,
        "served_weight_bound": result["bound"],
        "assignments": result.pop("assignments"),
        "unassigned": [],
        "stats": {"solver": "benchmarks/exact.py"},
    }
    # The exact plan must itself pass the validator, or the model above is wrong.
    result["violations"] = validate(instance, parse_solution(document, instance))
    print(json.dumps(result))
    if args.solution:
        Path(args.solution).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
