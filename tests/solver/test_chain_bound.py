"""The bound that knows time (`solver.chain_bound`): it cuts where coachees compete for the
same hours or days of a coach, it never cuts a plan that exists, and it is valid whenever
column generation stops."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

import solver.bound as bound_module
from solver import parse_instance, solve
from solver.chain_bound import ChainLP
from solver.domain import Instance
from tests.solver import builders as b
from tests.solver.test_bound import pairs_of
from tests.solver.test_engagements import random_instance
from tests.solver.test_properties import brute_force_optimum


def optimum(instance: Instance) -> int:
    """Served weight of the best plan (these instances have no required request)."""
    return brute_force_optimum(instance)[1]


def bounds(instance: Instance, seconds: float = 5.0) -> tuple[int, int]:
    """(pair bound, time-aware bound) of an instance."""
    calendar, pairs = pairs_of(instance)
    pair = bound_module.relaxation_bound(instance, calendar, pairs).bound
    chain = ChainLP(instance, calendar, pairs).run(time.perf_counter() + seconds, []).bound
    return pair, chain


def one_coach(requests: list[dict[str, Any]], **coach: Any) -> Instance:
    return parse_instance(b.instance(coaches=[b.coach(**coach)], requests=requests))


# Every request below waited 12 days: weight 112 each.


def test_coachees_wanting_the_same_hour_of_one_coach_count_once() -> None:
    # One coach, Monday 18:00-20:00; three coachees who can only meet at 18:00.
    instance = one_coach([b.request(f"r{i}", windows={"mon": [["18:00", "19:00"]]}) for i in range(3)])
    pair, chain = bounds(instance)
    assert pair == 3 * 112  # the pair relaxation sees room for three engagements
    assert chain == 112 == optimum(instance)


def test_coachees_at_different_hours_of_one_coach_are_not_cut() -> None:
    instance = one_coach(
        [
            b.request("r0", windows={"mon": [["18:00", "19:00"]]}),
            b.request("r1", windows={"mon": [["19:00", "20:00"]]}),
        ]
    )
    assert bounds(instance) == (224, 224) == (optimum(instance),) * 2


def test_the_day_cap_is_seen() -> None:
    requests = [
        b.request("r0", windows={"mon": [["18:00", "19:00"]]}),
        b.request("r1", windows={"mon": [["19:00", "20:00"]]}),
    ]
    one_a_day = one_coach(requests, max_sessions_per_day=1)
    assert bounds(one_a_day) == (224, 112)
    assert optimum(one_a_day) == 112
    two_a_day = one_coach(requests, max_sessions_per_day=2)
    assert bounds(two_a_day) == (224, 224)


def test_the_buffer_is_seen() -> None:
    # 18:00 and 19:00 sessions of one coach need 15 minutes between them when buffered.
    requests = [
        b.request("r0", windows={"mon": [["18:00", "19:00"]]}),
        b.request("r1", windows={"mon": [["19:00", "20:00"]]}),
    ]
    assert bounds(one_coach(requests, buffer_minutes=15))[1] == 112
    assert bounds(one_coach(requests, buffer_minutes=0))[1] == 224


@pytest.mark.parametrize("seed", range(6))
def test_valid_on_random_programmes_and_never_looser_than_the_pair_bound(seed: int) -> None:
    instance = parse_instance(random_instance(random.Random(seed)))
    pair, chain = bounds(instance)
    # Few chains in all: the CP-SAT model holds every one, so its OPTIMAL is exact.
    best = solve(instance, time_limit=5, workers=1)
    assert best.status == "OPTIMAL"
    assert best.served_weight <= chain <= pair


@pytest.mark.parametrize("seed", range(3))
def test_valid_when_stopped_before_any_round(seed: int) -> None:
    """The Lagrangian value is a bound at any prices, so stopping early never makes it wrong."""
    instance = parse_instance(random_instance(random.Random(seed)))
    calendar, pairs = pairs_of(instance)
    stopped = ChainLP(instance, calendar, pairs).run(time.perf_counter(), [])
    assert stopped.bound >= solve(instance, time_limit=5, workers=1).served_weight


def test_solve_proves_a_contested_hour_optimal() -> None:
    instance = one_coach([b.request(f"r{i}", windows={"mon": [["18:00", "19:00"]]}) for i in range(3)])
    solution = solve(instance, time_limit=5, workers=1)
    assert (solution.status, solution.served_weight, solution.served_weight_bound) == ("OPTIMAL", 112, 112)


def required_bound(instance: Instance) -> int:
    """The time-aware bound on how many required requests a plan serves (tier 0)."""
    calendar, pairs = pairs_of(instance)
    required = [p for p in pairs if p.request.required]
    return ChainLP(instance, calendar, required, worth=lambda r: 1).run(time.perf_counter() + 5, []).bound


def test_tier0_two_pinned_coachees_wanting_the_same_hour_count_once() -> None:
    pinned = {"pinned_coach": "c1", "required": True, "windows": {"mon": [["18:00", "19:00"]]}}
    instance = one_coach([b.request("r0", **pinned), b.request("r1", **pinned)])
    assert required_bound(instance) == 1
    solution = solve(instance, time_limit=5, workers=1)
    assert (solution.status, solution.required_served) == ("OPTIMAL", 1)


def test_tier0_two_pinned_coachees_at_different_hours_both_count() -> None:
    pinned = {"pinned_coach": "c1", "required": True}
    instance = one_coach(
        [
            b.request("r0", windows={"mon": [["18:00", "19:00"]]}, **pinned),
            b.request("r1", windows={"mon": [["19:00", "20:00"]]}, **pinned),
        ]
    )
    assert required_bound(instance) == 2
    assert solve(instance, time_limit=5, workers=1).required_served == 2


# The benchmark's 16 x 60 programme across the March clock changes: its optimum, 5134, is
# proven by the independent exact model (benchmarks/exact.py); the pair bound says 5168.
W1_DST_OPTIMUM = 5134


def w1_dst() -> Instance:
    from tests.solver.builders import benchmark_generator

    return parse_instance(benchmark_generator().generate_workload("W1-DST"))


def test_a_programme_across_the_clock_changes_is_proven_optimal() -> None:
    solution = solve(w1_dst(), time_limit=30, workers=2)
    assert (solution.status, solution.served_weight, solution.served_weight_bound) == (
        "OPTIMAL",
        W1_DST_OPTIMUM,
        W1_DST_OPTIMUM,
    )


def test_a_short_limit_returns_a_valid_plan_at_least_greedy_with_a_valid_bound() -> None:
    from solver import greedy
    from solver.validate import validate

    instance = w1_dst()
    solution = solve(instance, time_limit=2, workers=2)
    assert validate(instance, solution) == []
    assert solution.served_weight >= greedy(instance).served_weight
    assert solution.served_weight_bound is not None and solution.served_weight_bound >= W1_DST_OPTIMUM
