"""Tier 0: a required request (a supervisor's "place this one") is served before any weight.

Paired: a required request placed at the cost of served weight elsewhere, and one that
cannot be placed, with a reason naming what blocks it with its pinned coach.
"""

from __future__ import annotations

from typing import Any

from solver import greedy, parse_instance, solution_to_json, solve
from solver.validate import validate
from tests.solver import builders as b

Json = dict[str, Any]


def _contested(required: bool) -> Json:
    """One coach, one Monday slot; r1 is urgent, r2 normal and pinned to the coach."""
    return b.instance(
        coaches=[b.coach(max_active_coachees=1)],
        requests=[
            b.request("r1", priority=3),
            b.request("r2", priority=1, pinned_coach="c1", required=required),
        ],
    )


def test_a_required_request_is_placed_at_the_cost_of_weight_elsewhere() -> None:
    instance = parse_instance(_contested(required=True))
    solution = solve(instance, time_limit=5, workers=1)
    assert validate(instance, solution) == []
    assert [a.request for a in solution.assignments] == ["r2"]
    assert solution.required_served == 1
    assert solution.status == "OPTIMAL"
    assert solution.served_weight == instance.weight(instance.request_by_id["r2"])
    # Among plans serving the required request, nothing better exists: the bound says so.
    assert solution.served_weight_bound == solution.served_weight
    assert solution_to_json(solution)["required_served"] == 1
    assert [a.request for a in greedy(instance).assignments] == ["r2"]


def test_without_the_flag_the_heavier_request_wins() -> None:
    instance = parse_instance(_contested(required=False))
    solution = solve(instance, time_limit=5, workers=1)
    assert [a.request for a in solution.assignments] == ["r1"]
    assert solution.required_served is None
    assert "required_served" not in solution_to_json(solution)


def test_tier0_beats_the_greedy_order_and_the_weight() -> None:
    """First come takes 18:00 for r1, which r2 needed; serving both required costs r3 (urgent)."""
    doc = b.instance(
        coaches=[b.coach(max_active_coachees=2)],
        requests=[
            b.request("r1", required=True, priority=2, submitted_at="2026-11-01T12:00:00Z"),
            b.request("r2", required=True, windows={"mon": [["18:00", "19:00"]]}),
            b.request("r3", priority=3),
        ],
    )
    instance = parse_instance(doc)
    baseline = greedy(instance)
    assert baseline.required_served == 1
    solution = solve(instance, time_limit=5, workers=1)
    assert validate(instance, solution) == []
    assert sorted(a.request for a in solution.assignments) == ["r1", "r2"]
    assert solution.required_served == 2
    assert solution.served_weight < baseline.served_weight  # tier 0 first, then weight
    assert solution.status == "OPTIMAL"


def test_a_required_request_that_cannot_be_placed_says_what_blocks_it_with_its_coach() -> None:
    doc = b.instance(
        coaches=[b.coach("c1", weekly={"tue": [["09:00", "12:00"]]}), b.coach("c2")],
        requests=[b.request("r1", pinned_coach="c1", required=True)],
    )
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    assert validate(instance, solution) == []
    assert solution.assignments == ()
    assert solution.required_served == 0
    assert solution.status == "OPTIMAL"  # no plan serves it: tier 0 is proven at 0
    (unserved,) = solution.unassigned
    text = " ".join(unserved.reasons)
    assert "c1" in text and "Tuesday" in text and "Monday" in text
    # The pinned coach's lines come first, then who else could take it.
    assert unserved.details[0].code == "no_common_time" and unserved.details[0].params["coaches"] == ["c1"]
    (pin,) = [d for d in unserved.details if d.code == "pinned"]
    assert pin.params["others"] == ["c2"] and "unpinning it would let c2 take it" in pin.text


def test_validate_checks_the_reported_required_count() -> None:
    instance = parse_instance(_contested(required=True))
    solution = solve(instance, time_limit=5, workers=1)
    wrong = solution_to_json(solution) | {"required_served": 0}
    from solver import parse_solution

    problems = validate(instance, parse_solution(wrong, instance))
    assert any("required_served is 0" in p for p in problems)
