"""The bound and OPTIMAL against an independent exact model (`benchmarks/exact.py`).

`exact.py` shares no code with the optimiser: one CP-SAT variable per session start the
validator accepts, gap rules between consecutive sessions, and the caps as linear rows.
On random small programmes (a few coaches, up to eight requests, up to three weeks, with
and without the March clock changes), and on 4 x 12 programmes of the benchmark generator
(twelve weeks, winter and March), the solver's reported bound must be at least the exact
optimum, and OPTIMAL must mean the exact optimum.

Each programme is solved twice: as it is (few chains: the model holds every one), and
with the columns cut to two sampled chains per pair, so that a proof has to come from
the relaxations (the pair LP, the target round's fixing, the chain LP) and not from the
model itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import solver.search as search
from solver import parse_instance, solve
from solver.domain import Progress
from solver.validate import validate
from tests.solver.builders import benchmark_generator, benchmark_script
from tests.solver.test_properties import programmes

exact = benchmark_script("exact")


def check_against_exact(data: dict[str, Any], sampled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for r in data["requests"]:
        r["required"] = False  # the exact model knows tier 1 only
    instance = parse_instance(data)
    truth = exact.exact_optimum(instance, time_limit=30.0, workers=1)
    if truth["status"] != "OPTIMAL":
        return  # no proven optimum to compare with (never seen on these sizes)
    optimum = truth["optimum"]
    with monkeypatch.context() as patch:
        if sampled:
            patch.setattr(search, "ALL_CHAINS_LIMIT", 0)
            patch.setattr(search, "CHAINS_PER_PAIR", 2)
        seen: list[Progress] = []
        result = solve(instance, time_limit=5.0, workers=1, on_progress=seen.append)
    assert validate(instance, result) == []
    # every bound reported on the way is valid too (a model's own bound only when it holds every chain)
    assert all(p.served_weight_bound is None or p.served_weight_bound >= optimum for p in seen)
    assert result.served_weight <= optimum
    assert result.served_weight_bound is not None and result.served_weight_bound >= optimum
    if result.status == "OPTIMAL":
        assert result.served_weight == optimum == result.served_weight_bound


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(programmes(max_coaches=4, max_requests=8, tiny=False))
def test_bound_and_optimal_agree_with_the_exact_model(data: dict[str, Any]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        check_against_exact(data, sampled=False, monkeypatch=monkeypatch)
        check_against_exact(data, sampled=True, monkeypatch=monkeypatch)


@pytest.mark.parametrize("dst", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_bound_and_optimal_agree_with_the_exact_model_on_generated_programmes(
    seed: int, dst: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = benchmark_generator().generate(4, 12, seed=seed, dst=dst)
    check_against_exact(data, sampled=False, monkeypatch=monkeypatch)
    check_against_exact(data, sampled=True, monkeypatch=monkeypatch)
