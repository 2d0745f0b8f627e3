"""Intervision rounds: one forbidden and one allowed case per grouping rule, through the
planner and through its validator (docs/planners.md, rules I1-I7), and the repeat tier
checked against an exhaustive search on small rounds."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from itertools import combinations
from typing import Any

from solver.intervision.codec import parse_instance, parse_plan, plan_to_json
from solver.intervision.domain import IntervisionInstance, SignUp
from solver.intervision.model import solve
from solver.intervision.validate import validate

SLOTS = [
    {"id": "tue", "start": "2027-01-12T17:00:00Z", "end": "2027-01-12T19:00:00Z"},
    {"id": "thu", "start": "2027-01-14T17:00:00Z", "end": "2027-01-14T19:00:00Z"},
]


def person(
    pid: str,
    *,
    languages: Any = ("en",),
    org: str | None = None,
    exp: str | None = None,
    facilitator: bool = False,
    slots: Any = ("tue",),
) -> dict[str, Any]:
    return {
        "id": pid,
        "languages": list(languages),
        "organisation": org if org is not None else f"org-{pid}",
        "experience": exp or ("experienced" if pid.endswith(("0", "5")) else "new"),
        "facilitator": facilitator,
        "slots": list(slots),
    }


def round_doc(people: list[dict[str, Any]], met: Any = (), **top: Any) -> dict[str, Any]:
    return {
        "format": "intervision-instance/1",
        "group_size": {"min": 4, "max": 5},
        "slots": SLOTS,
        "participants": people,
        "met_before": [list(p) for p in met],
        **top,
    }


def planned(doc: dict[str, Any]) -> tuple[IntervisionInstance, Any]:
    inst = parse_instance(doc)
    plan = solve(inst, time_limit=5, workers=1)
    assert validate(inst, plan) == [], plan
    return inst, plan


def plan_of(groups: list[dict[str, Any]], repeated: int = 0) -> Any:
    return parse_plan(
        {"format": "intervision-plan/1", "status": "FEASIBLE", "groups": groups, "repeated_pairs": repeated}
    )


def group(
    members: list[str], slot: str = "tue", language: str = "en", facilitator: str | None = None
) -> dict[str, Any]:
    return {"slot": slot, "language": language, "members": members, "facilitator": facilitator}


FOUR = [person(f"p{i}") for i in range(4)]


# --- I1: group size ------------------------------------------------------------------------


def test_i1_three_sign_ups_make_no_group_and_each_gets_a_reason() -> None:
    _, plan = planned(round_doc(FOUR[:3]))
    assert plan.groups == ()
    assert all("fewer than 3 others" in x.reasons[0] for x in plan.left_out) and len(plan.left_out) == 3


def test_i1_four_and_nine_sign_ups_fill_groups_of_four_or_five() -> None:
    _, plan = planned(round_doc(FOUR))
    assert [len(g.members) for g in plan.groups] == [4]
    _, plan = planned(round_doc([person(f"p{i}") for i in range(9)]))
    assert sorted(len(g.members) for g in plan.groups) == [4, 5] and plan.left_out == ()


def test_i1_validator_refuses_three_six_and_a_double_booking() -> None:
    inst = parse_instance(round_doc([person(f"p{i}") for i in range(10)]))
    assert any("rule I1: 3 members" in p for p in validate(inst, plan_of([group(["p0", "p1", "p2"])])))
    six = [f"p{i}" for i in range(6)]
    assert any("rule I1: 6 members" in p for p in validate(inst, plan_of([group(six)])))
    twice = validate(inst, plan_of([group(["p0", "p1", "p2", "p3"]), group(["p0", "p5", "p6", "p7"])]))
    assert any("already in group 1" in p for p in twice)


# --- I2: a common language ----------------------------------------------------------------


def test_i2_no_group_without_a_common_language() -> None:
    _, plan = planned(round_doc([*FOUR[:3], person("p3", languages=["fr"])]))
    assert plan.groups == ()


def test_i2_a_second_language_in_common_is_enough() -> None:
    people = [person(f"p{i}", languages=["fr", "en"]) for i in range(3)] + [person("p3", languages=["en"])]
    _, plan = planned(round_doc(people))
    assert [(g.language, len(g.members)) for g in plan.groups] == [("en", 4)]


def test_i2_validator() -> None:
    inst = parse_instance(round_doc([*FOUR[:3], person("p3", languages=["fr", "en"])]))
    assert any("rule I2: p0" in p for p in validate(inst, plan_of([group(["p0", "p1", "p2", "p3"], language="fr")])))
    assert validate(inst, plan_of([group(["p0", "p1", "p2", "p3"])])) == []


# --- I3: a common slot ----------------------------------------------------------------------


def test_i3_no_group_without_a_common_slot() -> None:
    _, plan = planned(round_doc([*FOUR[:3], person("p3", slots=["thu"])]))
    assert plan.groups == ()


def test_i3_a_group_meets_at_the_slot_everyone_has() -> None:
    people = [person(f"p{i}", slots=["tue", "thu"]) for i in range(3)] + [person("p3", slots=["thu"])]
    _, plan = planned(round_doc(people))
    assert [g.slot for g in plan.groups] == ["thu"]


def test_i3_validator() -> None:
    inst = parse_instance(round_doc([*FOUR[:3], person("p3", slots=["thu", "tue"])]))
    assert any(
        "rule I3: p0 cannot attend slot thu" in p
        for p in validate(inst, plan_of([group(["p0", "p1", "p2", "p3"], slot="thu")]))
    )
    assert validate(inst, plan_of([group(["p0", "p1", "p2", "p3"])])) == []


# --- I4: never two colleagues -------------------------------------------------------------------


def test_i4_colleagues_never_share_a_group() -> None:
    _, plan = planned(round_doc([*FOUR[:3], person("p3", org="org-p0")]))
    assert plan.groups == ()
    _, plan = planned(round_doc([*FOUR, person("p4", org="org-p0")]))
    assert [len(g.members) for g in plan.groups] == [4]
    assert not {"p0", "p4"} <= set(plan.groups[0].members)


def test_i4_people_without_an_organisation_are_not_colleagues() -> None:
    people = [dict(person(f"p{i}"), organisation=None) for i in range(4)]
    _, plan = planned(round_doc(people))
    assert len(plan.groups) == 1


def test_i4_validator() -> None:
    inst = parse_instance(round_doc([*FOUR[:3], person("p3", org="org-p0")]))
    assert any("rule I4: p0 and p3" in p for p in validate(inst, plan_of([group(["p0", "p1", "p2", "p3"])])))


# --- I5: mixed experience -------------------------------------------------------------------------


def test_i5_a_group_of_only_newcomers_is_not_formed() -> None:
    _, plan = planned(round_doc([person(f"p{i}", exp="new") for i in range(4)]))
    assert plan.groups == ()
    assert "mix experience" in plan.left_out[0].reasons[0]


def test_i5_one_experienced_member_makes_the_group_mixed_and_the_rule_can_be_switched_off() -> None:
    _, plan = planned(round_doc([person(f"p{i}", exp="new") for i in range(3)] + [person("p3", exp="experienced")]))
    assert len(plan.groups) == 1
    _, plan = planned(round_doc([person(f"p{i}", exp="new") for i in range(4)], mixed_experience=False))
    assert len(plan.groups) == 1


def test_i5_validator() -> None:
    inst = parse_instance(round_doc([person(f"p{i}", exp="new") for i in range(4)]))
    assert any("rule I5" in p for p in validate(inst, plan_of([group(["p0", "p1", "p2", "p3"])])))


# --- I6: a facilitator where available -----------------------------------------------------------


def test_i6_each_group_gets_a_facilitator_when_there_are_enough() -> None:
    people = [person(f"p{i}", facilitator=i in (0, 4)) for i in range(8)]
    _, plan = planned(round_doc(people))
    assert len(plan.groups) == 2 and all(g.facilitator in ("p0", "p4") for g in plan.groups)
    assert {g.facilitator for g in plan.groups} == {"p0", "p4"}


def test_i6_no_facilitator_named_when_nobody_facilitates() -> None:
    _, plan = planned(round_doc(FOUR))
    assert plan.groups[0].facilitator is None


def test_i6_validator() -> None:
    inst = parse_instance(round_doc([person(f"p{i}", facilitator=i == 0) for i in range(5)]))
    assert any("rule I6" in p for p in validate(inst, plan_of([group(["p1", "p2", "p3", "p4"], facilitator="p0")])))
    assert any("rule I6" in p for p in validate(inst, plan_of([group(["p1", "p2", "p3", "p4"], facilitator="p1")])))
    assert validate(inst, plan_of([group(["p0", "p2", "p3", "p4"], facilitator="p0")]))[:1] == [
        "rule I7: p1 is in no group and has no reason"
    ]


# --- I7 and the repeat tier -----------------------------------------------------------------------


def test_repeats_avoided_when_a_split_without_them_exists() -> None:
    people = [person(f"p{i}") for i in range(8)]
    met = [("p0", "p1"), ("p2", "p3"), ("p0", "p2"), ("p4", "p5"), ("p6", "p7")]
    _, plan = planned(round_doc(people, met))
    assert len(plan.groups) == 2 and plan.repeated_pairs == 0


def test_repeats_accepted_when_unavoidable_rather_than_leaving_people_out() -> None:
    met = list(combinations([f"p{i}" for i in range(4)], 2))
    _, plan = planned(round_doc(FOUR, met))
    assert len(plan.groups) == 1 and plan.repeated_pairs == 6


def test_i7_validator_checks_the_reported_repeats() -> None:
    inst = parse_instance(round_doc(FOUR, [("p0", "p1")]))
    assert any("rule I7: the plan reports 0" in p for p in validate(inst, plan_of([group(["p0", "p1", "p2", "p3"])])))
    assert validate(inst, plan_of([group(["p0", "p1", "p2", "p3"])], repeated=1)) == []


def _valid_group(inst: IntervisionInstance, members: tuple[SignUp, ...]) -> bool:
    orgs = [p.organisation for p in members if p.organisation]
    return (
        len(set(orgs)) == len(orgs)
        and bool(set.intersection(*(set(p.languages) for p in members)))
        and bool(set.intersection(*(set(p.slots) for p in members)))
        and (not inst.mixed_experience or len({p.experience for p in members}) > 1)
    )


def exact_best(inst: IntervisionInstance) -> tuple[int, int]:
    """(most people placed, fewest repeated pairs among those plans), by trying every grouping."""
    people = inst.sign_ups
    best = (0, 0)

    def repeats(members: tuple[SignUp, ...]) -> int:
        return sum(1 for a, b in combinations(members, 2) if frozenset((a.id, b.id)) in inst.met_before)

    def walk(rest: tuple[SignUp, ...], placed: int, again: int) -> None:
        nonlocal best
        if (placed, -again) > (best[0], -best[1]):
            best = (placed, again)
        if not rest:
            return
        head, tail = rest[0], rest[1:]
        walk(tail, placed, again)  # head left out
        for size in range(inst.min_group_size - 1, inst.max_group_size):
            for others in combinations(tail, size):
                members = (head, *others)
                if _valid_group(inst, members):
                    walk(tuple(p for p in tail if p not in others), placed + len(members), again + repeats(members))

    walk(tuple(people), 0, 0)
    return best


def random_round(rng: random.Random, size: int) -> dict[str, Any]:
    people = [
        person(
            f"p{i}",
            languages=rng.choice([["en"], ["en"], ["nl"], ["en", "nl"]]),
            org=rng.choice(["a", "b", "c", "d", "e", "f", "g"]),
            exp=rng.choice(["new", "experienced"]),
            facilitator=rng.random() < 0.3,
            slots=rng.choice([["tue"], ["thu"], ["tue", "thu"], ["tue", "thu"]]),
        )
        for i in range(size)
    ]
    ids = [p["id"] for p in people]
    met = {tuple(sorted(rng.sample(ids, 2))) for _ in range(size)}
    return round_doc(people, sorted(met))


def test_planner_matches_exhaustive_search_on_small_rounds() -> None:
    rng = random.Random(14)
    checked = 0
    for case in range(24):
        inst = parse_instance(random_round(rng, 8 + case % 3))
        plan = solve(inst, time_limit=5, workers=1)
        assert validate(inst, plan) == []
        placed = sum(len(g.members) for g in plan.groups)
        assert plan.status == "OPTIMAL"
        assert (placed, plan.repeated_pairs) == exact_best(inst), case
        checked += placed > 0
    assert checked >= 8  # enough of the cases form groups for the comparison to mean something


def test_command_line_solve_then_validate(tmp_path: Any) -> None:
    source = tmp_path / "round.json"
    source.write_text(json.dumps(round_doc([person(f"p{i}") for i in range(9)])))
    out = tmp_path / "plan.json"
    run = [sys.executable, "-m", "solver", "intervision"]
    assert subprocess.run([*run, "solve", str(source), "-o", str(out)], check=False).returncode == 0
    plan = json.loads(out.read_text())
    assert sorted(len(g["members"]) for g in plan["groups"]) == [4, 5]
    ok = subprocess.run([*run, "validate", str(source), str(out)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0
    plan["groups"][0]["language"] = "pt"
    out.write_text(json.dumps(plan))
    bad = subprocess.run([*run, "validate", str(source), str(out)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "rule I2" in bad.stdout
    source.write_text(json.dumps(round_doc([person("p0", slots=["sat"])])))
    broken = subprocess.run([*run, "solve", str(source)], capture_output=True, text=True, check=False)
    assert broken.returncode == 2 and "participants[0].slots[0]: unknown slot 'sat'" in broken.stderr


def test_plan_round_trips_through_json() -> None:
    _, plan = planned(round_doc([person(f"p{i}") for i in range(9)]))
    assert parse_plan(json.loads(json.dumps(plan_to_json(plan)))).groups == plan.groups
