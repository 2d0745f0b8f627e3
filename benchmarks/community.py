"""Intervision rounds on a generated community: two rounds of 60 sign-ups, the second
avoiding the pairs who met in the first.

    python benchmarks/community.py                 # seeds 1-5, 60 sign-ups, 20 s per round
    python benchmarks/community.py --seeds 1 2 --size 60 --time-limit 20

Each round is planned by the CP-SAT intervision planner and checked by its validator.
`OPTIMAL` means the planner proved that no plan places more people and that, among plans
placing that many, none repeats fewer pairs (so 0 repeats whenever 0 is possible).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.intervision.codec import parse_instance
from solver.intervision.model import solve
from solver.intervision.validate import validate

LANGUAGES = [["en"], ["en"], ["en"], ["nl", "en"], ["nl", "en"], ["nl"], ["fr", "en"], ["fr"]]
EXPERIENCE = ["new", "practised", "experienced"]


def community(seed: int, size: int = 60, met_before: list[list[str]] | None = None) -> dict[str, Any]:
    """A seeded round: `size` sign-ups from ~size/3 organisations over six two-hour slots."""
    rng = random.Random(seed)
    first = datetime(2027, 1, 11, 17, tzinfo=UTC)
    slots = [
        {"id": f"slot{k}", "start": (first + timedelta(days=d)).isoformat(), "end": (first + timedelta(days=d, hours=2)).isoformat()}
        for k, d in enumerate((0, 2, 4, 7, 9, 11))
    ]
    organisations = [f"org{k}" for k in range(size // 3)]
    people = []
    for i in range(size):
        people.append(
            {
                "id": f"m{i:02d}",
                "languages": rng.choice(LANGUAGES),
                "organisation": rng.choice(organisations) if rng.random() < 0.85 else None,
                "experience": rng.choice(EXPERIENCE),
                "facilitator": rng.random() < 0.25,
                "slots": sorted(rng.sample([s["id"] for s in slots], rng.randint(2, 4))),
            }
        )
    return {
        "format": "intervision-instance/1",
        "group_size": {"min": 4, "max": 5},
        "slots": slots,
        "participants": people,
        "met_before": met_before or [],
    }


def plan_round(doc: dict[str, Any], time_limit: float) -> dict[str, Any]:
    instance = parse_instance(doc)
    started = time.monotonic()
    plan = solve(instance, time_limit=time_limit, workers=2)
    wall = time.monotonic() - started
    problems = validate(instance, plan)
    pairs = [sorted(p) for g in plan.groups for p in combinations(g.members, 2)]
    return {
        "status": plan.status,
        "groups": len(plan.groups),
        "sizes": sorted(len(g.members) for g in plan.groups),
        "placed": sum(len(g.members) for g in plan.groups),
        "left_out": len(plan.left_out),
        "with_facilitator": sum(1 for g in plan.groups if g.facilitator),
        "repeated_pairs": plan.repeated_pairs,
        "valid": not problems,
        "wall": wall,
        "tiers_1_2": float(plan.stats.get("repeats_settled_seconds", 0.0)),
        "pairs": pairs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--time-limit", type=float, default=20.0)
    args = parser.parse_args(argv)
    print("| seed | round | status | groups (sizes) | placed | left out | with facilitator | repeated pairs | valid | tiers 1-2 settled s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        first = plan_round(community(seed, args.size), args.time_limit)
        second = plan_round(community(seed, args.size, met_before=first["pairs"]), args.time_limit)
        for name, r in (("1", first), ("2 (after 1)", second)):
            sizes = "+".join(str(s) for s in r["sizes"])
            print(
                f"| {seed} | {name} | {r['status']} | {r['groups']} ({sizes}) | {r['placed']} | {r['left_out']} | "
                f"{r['with_facilitator']} | {r['repeated_pairs']} | {'yes' if r['valid'] else 'NO'} | {r['tiers_1_2']:.2f} | {r['wall']:.2f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
