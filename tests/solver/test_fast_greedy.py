"""The fast greedy (array match order, static masks, surveyed reasons) gives the same plan
and the same reasons as the plain first-come-first-served definition."""

from __future__ import annotations

import random

import solver
from solver import parse_instance
from solver.baseline import coaches_by_match, fill
from solver.calendar import Calendar
from solver.explanations import unassigned_reasons
from solver.scoring import MatchOrder, match_rank
from tests.solver.builders import benchmark_generator


def test_match_order_is_the_match_rank_order() -> None:
    generate = benchmark_generator().generate
    for seed, dst in ((0, False), (1, True), (2, False)):
        instance = parse_instance(generate(12, 40, seed=seed, dst=dst))
        order = MatchOrder(instance.coaches)
        for request in instance.requests:
            expected = sorted(instance.coaches, key=lambda c: (match_rank(request, c), c.id))
            assert [c.id for c in order.sort(request, instance.coaches)] == [c.id for c in expected]
            subset = list(instance.coaches[::3])
            expected_subset = sorted(subset, key=lambda c: (match_rank(request, c), c.id))
            assert [c.id for c in order.sort(request, subset)] == [c.id for c in expected_subset]


def test_greedy_matches_the_plain_definition() -> None:
    generate = benchmark_generator().generate
    for seed, dst in ((0, False), (3, True), (4, False), (5, True)):
        instance = parse_instance(generate(10, 40, seed=seed, dst=dst))
        fast = solver.greedy(instance)
        calendar = Calendar(instance)
        order = sorted(instance.requests, key=lambda r: (r.submitted_at, r.id))
        booking = fill(instance, calendar, order)  # every coach, by match, rule by rule
        plain = {rid: (coach.id, tuple(s.start for s in chain)) for rid, (coach, chain) in booking.placed.items()}
        got = {
            a.request: (a.coach, tuple(int(s.start.timestamp()) // 60 for s in a.sessions)) for a in fast.assignments
        }
        assert got == plain
        placed = [a for a in fast.assignments]
        assert list(fast.unassigned) == unassigned_reasons(instance, calendar, placed)
        assert coaches_by_match(instance, instance.requests[0])  # the plain order is still there


def test_blocked_by_matches_static_blocks_coach_by_coach() -> None:
    from solver.engagements import StaticRules, static_blocks
    from tests.solver.test_engagements import random_instance

    rng = random.Random(11)
    for _ in range(60):
        instance = parse_instance(random_instance(rng))
        rules = StaticRules(instance)
        for request in instance.requests:
            expected: dict[str, list[str]] = {}
            for coach in instance.coaches:
                for block in static_blocks(instance, request, coach):
                    expected.setdefault(block.rule, []).append(coach.id)
            got = rules.blocked_by(request)
            assert list(got.items()) == list(expected.items())


def test_solve_out_of_time_returns_the_better_greedy_plan() -> None:
    from solver.validate import validate

    generate = benchmark_generator().generate
    document = generate(20, 200, seed=1)
    instance = parse_instance(document)
    baseline = solver.greedy(instance)
    result = solver.solve(instance, time_limit=0.001)
    assert result.served_weight >= baseline.served_weight
    assert result.served_weight_bound is not None and result.served_weight_bound >= result.served_weight
    assert result.stats["greedy_served_weight"] == baseline.served_weight
    assert str(result.stats["solver"]).startswith("greedy (time limit")
    assert not validate(instance, result)
