"""The benchmark generator makes valid, reproducible programmes the baseline can plan."""

from __future__ import annotations

from collections import Counter

import solver
from solver import parse_instance
from solver.validate import validate
from tests.solver.builders import benchmark_generator

generate = benchmark_generator()


def test_w1_parses_and_greedy_plan_on_it_is_valid() -> None:
    instance = parse_instance(generate.generate_workload("W1", seed=0))
    assert (len(instance.coaches), len(instance.requests)) == (16, 60)
    baseline = solver.greedy(instance)
    assert baseline.assignments, "the baseline should place somebody on W1"
    assert validate(instance, baseline) == []


def test_dst_variant_parses_and_greedy_plan_on_it_is_valid() -> None:
    instance = parse_instance(generate.generate_workload("W1-DST", seed=3))
    assert instance.horizon_start.month == 2 and instance.horizon_end.month == 5
    assert validate(instance, solver.greedy(instance)) == []


def test_generator_is_seeded() -> None:
    assert generate.generate(20, 50, seed=7) == generate.generate(20, 50, seed=7)
    assert generate.generate(20, 50, seed=7) != generate.generate(20, 50, seed=8)


def test_generated_programme_has_the_intended_shape() -> None:
    data = generate.generate(200, 2000, seed=1)
    parse_instance(data)
    coaches, requests = data["coaches"], data["requests"]
    levels = Counter(c["level"] for c in coaches)
    assert 0.12 < levels["trainee"] / len(coaches) < 0.3
    assert all(c["supervisor"] for c in coaches if c["level"] == "trainee")
    assert 0.06 < sum(r["sensitive"] for r in requests) / len(requests) < 0.14
    sessions = Counter(r["sessions"] for r in requests)
    assert sessions.most_common(1)[0][0] == 3 and set(sessions) <= set(range(1, 7))
    languages = Counter(lang for r in requests for lang in r["languages"])
    assert languages.most_common(1)[0][0] == "en"
    assert len({t for c in coaches for t in c["topics"]}) == 12
    zones = {c["timezone"].split("/")[0] for c in coaches} | {r["timezone"].split("/")[0] for r in requests}
    assert {"Europe", "America", "Asia"} <= zones
