"""The served-weight bound: valid, and the same whichever way the pair LP is solved."""

from __future__ import annotations

import math
import random

import pytest

import solver
import solver.bound as bound_module
from solver import parse_instance, solve
from solver.calendar import Calendar, to_minutes
from solver.domain import Instance, Solution
from solver.engagements import StaticRules, survey
from solver.validate import validate
from tests.solver import builders as b
from tests.solver.test_engagements import random_instance


def pairs_of(instance: Instance) -> tuple[Calendar, list[bound_module.Pair]]:
    calendar = Calendar(instance)
    rules = StaticRules(instance)
    pairs = []
    for request in instance.requests:
        allowed = rules.allowed(request)
        for coach, seen in zip(allowed, survey(calendar, request, allowed, 20_000), strict=True):
            if seen is not None and seen.chains:
                until = to_minutes(coach.next_supervision) if coach.next_supervision else None
                forced = request.sessions * request.session_minutes if until is None or seen.last_start < until else 0
                pairs.append(bound_module.Pair(request, coach, forced, seen.chains))
    return calendar, pairs


@pytest.mark.parametrize("seed", range(6))
def test_column_generation_bound_is_valid_and_not_below_the_full_lp(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    instance = parse_instance(random_instance(random.Random(seed)))
    calendar, pairs = pairs_of(instance)
    full = bound_module.relaxation_bound(instance, calendar, pairs)
    monkeypatch.setattr(bound_module, "LP_PAIRS", 0)
    monkeypatch.setattr(bound_module, "KEPT_PER_REQUEST", 1)
    priced = bound_module.relaxation_bound(instance, calendar, pairs)
    best = solve(instance, time_limit=5, workers=1)
    assert best.served_weight <= full.bound <= priced.bound
    assert priced.bound <= full.bound + 1  # column generation closes the gap on these sizes


def _charge(instance: Instance, pricing: bound_module.Pricing, pairs: list[bound_module.Pair], plan: Solution) -> float:
    """served weight + the losses of the plan's pairs + the values of the requests it leaves out."""
    loss = {(p.request.id, p.coach.id): x for p, x in zip(pairs, pricing.loss.tolist(), strict=True)}
    taken = {(a.request, a.coach) for a in plan.assignments}
    served = {a.request for a in plan.assignments}
    return (
        plan.served_weight
        + sum(loss[key] for key in taken)
        + sum(v for rid, v in pricing.value.items() if rid not in served)
    )


@pytest.mark.parametrize("seed", range(8))
def test_reduced_cost_fixing_never_cuts_a_valid_plan(seed: int) -> None:
    """What `Pricing` says a plan pays (its pairs' losses, the values of the requests it
    leaves out) never takes a valid plan above the Lagrangian: at the LP's duals and at
    random ones, for the plans of greedy and of solve."""
    instance = parse_instance(random_instance(random.Random(seed)))
    calendar, pairs = pairs_of(instance)
    relaxation = bound_module.relaxation_bound(instance, calendar, pairs)
    plans = [solver.greedy(instance), solve(instance, time_limit=5, workers=1)]
    for plan in plans:
        assert validate(instance, plan) == []
    rng = random.Random(seed)
    trials = [relaxation.duals] + [{k: rng.choice([0.0, rng.random() * 50]) for k in relaxation.rhs} for _ in range(5)]
    for duals in trials:
        pricing = bound_module.price_pairs(instance, pairs, duals, relaxation.rhs)
        assert pricing.lagrangian >= relaxation.bound - 1e-6 or duals is not relaxation.duals
        for plan in plans:
            assert _charge(instance, pricing, pairs, plan) <= pricing.lagrangian + 1e-6


def test_at_the_lp_duals_the_lagrangian_is_the_lp_value() -> None:
    """Strong duality: priced at the LP's own duals, the Lagrangian is the LP optimum (so the
    slack L - target the target round works with is at most the bound's fractional part)."""
    for seed in range(4):
        instance = parse_instance(random_instance(random.Random(seed)))
        calendar, pairs = pairs_of(instance)
        relaxation = bound_module.relaxation_bound(instance, calendar, pairs)
        pricing = bound_module.price_pairs(instance, pairs, relaxation.duals, relaxation.rhs)
        assert math.floor(pricing.lagrangian + 1e-3) == relaxation.bound


def test_fixing_leaves_only_the_plans_worth_the_bound() -> None:
    # One coach with one engagement left; r0 (priority 2: 212) and r1 (112) both want it.
    # Whichever dual solution the LP picks (the engagement row priced anywhere in [112, 212]),
    # the fixing rules leave only the plan {r0}: at price 112 r0 is worth 100 > slack 0, so it
    # must be served; at 212 r1's pair loses 100, and the row must be filled.
    instance = parse_instance(
        b.instance(
            coaches=[b.coach("c0", max_active_coachees=1)],
            requests=[b.request("r0", priority=2), b.request("r1")],
        )
    )
    calendar, pairs = pairs_of(instance)
    relaxation = bound_module.relaxation_bound(instance, calendar, pairs)
    assert relaxation.bound == 212
    for price in (relaxation.duals.get(("engaged", "c0"), 0.0), 112.0, 150.0, 212.0):
        duals = {**relaxation.duals, ("engaged", "c0"): price}
        pricing = bound_module.price_pairs(instance, pairs, duals, relaxation.rhs)
        surviving = [plan for plan in ({"r0"}, {"r1"}, set()) if _survives(plan, pairs, pricing, 212)]
        assert surviving == [{"r0"}], price


def _survives(served: set[str], pairs: list[bound_module.Pair], pricing: bound_module.Pricing, target: int) -> bool:
    """Whether a plan serving `served` (one engagement each) passes every fixing rule for `target`."""
    slack = pricing.lagrangian - target
    losses = [x for p, x in zip(pairs, pricing.loss.tolist(), strict=True) if p.request.id in served]
    must = {rid for rid, v in pricing.value.items() if v > slack + 1e-9}
    fills = all(
        len(served) >= pricing.rhs[key] - slack / y
        for key, y in pricing.duals.items()
        if key[0] == "engaged" and y > 1e-9
    )
    return all(x <= slack + 1e-9 for x in losses) and must <= served and fills


def test_the_target_round_proves_a_mid_size_programme_optimal() -> None:
    """The benchmark's 50 x 500 winter programme: the pair bound (32015) is its optimum, and the
    target round (the model over the columns reduced-cost fixing keeps) finds a plan worth it,
    so the proof comes from there and not from the later rounds."""
    from tests.solver.builders import benchmark_generator

    instance = parse_instance(benchmark_generator().generate_workload("W2"))
    result = solve(instance, time_limit=30, workers=2)
    assert validate(instance, result) == []
    assert (result.status, result.served_weight, result.served_weight_bound) == ("OPTIMAL", 32015, 32015)
    seconds = result.stats["seconds"]
    assert isinstance(seconds, dict) and "target_end" in seconds
    assert result.stats["tier1_proven_seconds"] == pytest.approx(seconds["target_end"], abs=0.01)
