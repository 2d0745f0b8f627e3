"""The served-weight bound: valid, and the same whichever way the pair LP is solved."""

from __future__ import annotations

import random

import pytest

import solver.bound as bound_module
from solver import parse_instance, solve
from solver.calendar import Calendar, to_minutes
from solver.domain import Instance
from solver.engagements import StaticRules, survey
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
