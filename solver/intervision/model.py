"""CP-SAT model for an intervision round (docs/planners.md, "Intervision rounds").

Up to n // min_group_size groups, each typed by one slot and one language. Objective, highest
tier first:

1. people placed in a group;
2. fewest pairs who met in an earlier round (so among the plans placing the most people,
   none repeats a pair when such a plan exists);
3. groups with a facilitator.

The tiers are solved one after another, each keeping the tiers above it; `OPTIMAL` means
tiers 1 and 2 are proven (the facilitator tier is best effort, `stats.facilitators_proven`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from itertools import combinations
from typing import Any

from ortools.sat.python import cp_model

from solver.intervision.domain import Group, IntervisionInstance, IntervisionPlan, LeftOut, SignUp


def _could_meet(a: SignUp, b: SignUp) -> bool:
    return (
        (a.organisation is None or a.organisation != b.organisation)
        and bool(set(a.languages) & set(b.languages))
        and bool(set(a.slots) & set(b.slots))
    )


def solve(
    instance: IntervisionInstance, *, time_limit: float = 10.0, workers: int = 2, seed: int = 0
) -> IntervisionPlan:
    """Form the round's groups; everyone left out gets reasons."""
    started = time.monotonic()
    people = instance.sign_ups
    n = len(people)
    group_count = n // instance.min_group_size
    languages = sorted({lang for p in people for lang in p.languages})
    slot_ids = [s.id for s in instance.slots]
    levels = sorted({p.experience for p in people})

    # Groups are typed by (slot, language) up front, so a person only ever has variables for
    # the groups they could join. Within a type, the r-th eligible person joins one of the
    # first r groups (groups ordered by their first member), which removes their symmetry.
    types = [(s, k) for s in slot_ids for k in languages]
    eligible = {t: [i for i, p in enumerate(people) if t[0] in p.slots and t[1] in p.languages] for t in types}
    group_type: list[tuple[str, str]] = []
    member: dict[tuple[int, int], cp_model.IntVar] = {}
    model = cp_model.CpModel()
    for t in types:
        for j in range(min(len(eligible[t]) // instance.min_group_size, group_count)):
            g = len(group_type)
            group_type.append(t)
            for rank, i in enumerate(eligible[t]):
                if j <= rank:
                    member[i, g] = model.new_bool_var(f"member_{i}_{g}")
    groups_total = len(group_type)
    used = [model.new_bool_var(f"used_{g}") for g in range(groups_total)]
    facilitated = [model.new_bool_var(f"facilitated_{g}") for g in range(groups_total)]
    by_person: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_group: dict[int, list[int]] = defaultdict(list)
    for (i, g), var in member.items():
        by_person[i].append(var)
        by_group[g].append(i)
    for options in by_person.values():
        model.add_at_most_one(options)
    model.add(cp_model.LinearExpr.sum(used) <= group_count)
    for g in range(groups_total):
        inside = [member[i, g] for i in by_group[g]]
        size = cp_model.LinearExpr.sum(inside)
        model.add(size >= instance.min_group_size * used[g])
        model.add(size <= instance.max_group_size * used[g])
        if g > 0 and group_type[g - 1] == group_type[g]:
            model.add_implication(used[g], used[g - 1])
        by_org: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        by_level: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for i in by_group[g]:
            person = people[i]
            if person.organisation is not None:
                by_org[person.organisation].append(member[i, g])
            by_level[person.experience].append(member[i, g])
        for colleagues in by_org.values():
            if len(colleagues) > 1:
                model.add_at_most_one(colleagues)
        if instance.mixed_experience:
            for level in levels:
                # Not everyone in the group on one level: at least one member of another.
                model.add(cp_model.LinearExpr.sum(by_level[level]) <= size - used[g])
        facilitators = [member[i, g] for i in by_group[g] if people[i].facilitator]
        if facilitators:
            model.add_bool_or(facilitators).only_enforce_if(facilitated[g])
        else:
            model.add(facilitated[g] == 0)

    repeats: list[cp_model.IntVar] = []
    index = {p.id: i for i, p in enumerate(people)}
    for pair in instance.met_before:
        a, b = sorted(pair)
        if a not in index or b not in index or not _could_meet(people[index[a]], people[index[b]]):
            continue
        i, j = index[a], index[b]
        again = model.new_bool_var(f"again_{i}_{j}")
        for g in range(groups_total):
            if (i, g) in member and (j, g) in member:
                model.add_bool_or([member[i, g].Not(), member[j, g].Not(), again])
        repeats.append(again)
    placed = cp_model.LinearExpr.sum(list(member.values()))

    # Lexicographic, one tier at a time: each stage keeps the previous tiers' values and starts
    # from the previous stage's plan, so each tier is proven on its own where time allows.
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    stages: list[tuple[str, Any, float]] = [
        ("placed", placed, 0.3),
        ("repeated_pairs", -cp_model.LinearExpr.sum(repeats), 0.5),
        ("facilitated_groups", cp_model.LinearExpr.sum(facilitated), 1.0),
    ]
    proven: dict[str, bool] = {}
    reached: dict[str, float] = {}  # seconds into the solve at which each tier was settled
    every_var = (*member.values(), *used, *facilitated, *repeats)
    best: dict[int, int] = {}  # the last stage's plan, by variable index
    status = cp_model.OPTIMAL
    found = groups_total == 0
    for name, goal, share in stages:
        if not groups_total:
            break
        left = time_limit - (time.monotonic() - started)
        solver.parameters.max_time_in_seconds = max(0.05, left * share)
        if name == "repeated_pairs" and repeats and _no_repeat_plan(model, solver, repeats, every_var, best):
            proven[name] = True  # a plan without repeats: tier 2 is at its bound
            reached[name] = round(time.monotonic() - started, 3)
            model.add(cp_model.LinearExpr.sum(repeats) == 0)
            _hint(model, every_var, best)
            continue
        model.maximize(goal)
        stage_status = solver.solve(model)
        if stage_status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            proven[name] = False
            if not found:
                status = stage_status
            break
        found = True
        proven[name] = stage_status == cp_model.OPTIMAL
        reached[name] = round(time.monotonic() - started, 3)
        model.add(goal >= round(solver.objective_value))
        best.update({var.index: int(solver.value(var)) for var in every_var})
        _hint(model, every_var, best)
    if found and groups_total:
        status = cp_model.OPTIMAL if proven.get("placed") and proven.get("repeated_pairs") else cp_model.FEASIBLE
    groups: list[Group] = []
    placed_ids: set[str] = set()
    if groups_total and found:
        for g in range(groups_total):
            if not best[used[g].index]:
                continue
            members = [people[i] for i in by_group[g] if best[member[i, g].index]]
            slot, language = group_type[g]
            chair = next((p.id for p in members if p.facilitator), None)
            groups.append(Group(slot, language, tuple(p.id for p in members), chair))
            placed_ids.update(p.id for p in members)
    repeated = sum(
        1 for group in groups for a, b in combinations(group.members, 2) if frozenset((a, b)) in instance.met_before
    )
    left_out = tuple(
        LeftOut(p.id, tuple(_reasons(instance, p, len(placed_ids)))) for p in people if p.id not in placed_ids
    )
    names = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE", cp_model.INFEASIBLE: "INFEASIBLE"}
    return IntervisionPlan(
        status=names.get(status, "UNKNOWN"),
        groups=tuple(groups),
        left_out=left_out,
        repeated_pairs=repeated,
        stats={
            "wall_seconds": round(time.monotonic() - started, 3),
            "solver": "cp-sat",
            "workers": workers,
            "facilitators_proven": str(proven.get("facilitated_groups", groups_total == 0)).lower(),
            "repeats_settled_seconds": reached.get("repeated_pairs", 0.0),
        },
    )


def _hint(model: cp_model.CpModel, variables: tuple[cp_model.IntVar, ...], values: dict[int, int]) -> None:
    model.clear_hints()  # type: ignore[no-untyped-call]
    for var in variables:
        model.add_hint(var, values[var.index])


def _no_repeat_plan(
    model: cp_model.CpModel,
    solver: cp_model.CpSolver,
    repeats: list[cp_model.IntVar],
    variables: tuple[cp_model.IntVar, ...],
    best: dict[int, int],
) -> bool:
    """Look for a plan keeping tier 1 with no repeated pair at all (CP-SAT finds a feasible plan
    far sooner than it proves a minimum); on success its values go into `best`."""
    trial = model.clone()
    for var in repeats:
        trial.add(var == 0)
    status = solver.solve(trial)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    best.update({var.index: int(solver.value(var)) for var in variables})
    return True


def _reasons(instance: IntervisionInstance, person: SignUp, placed: int) -> list[str]:
    """Why a sign-up is in no group: the rule that blocks them, else competition for places."""
    need = instance.min_group_size - 1
    others = [p for p in instance.sign_ups if p.id != person.id]
    best = 0
    best_mixed = 0
    for slot in person.slots:
        for language in person.languages:
            fits = [
                p
                for p in others
                if slot in p.slots
                and language in p.languages
                and (person.organisation is None or p.organisation != person.organisation)
            ]
            # Colleagues among the others cannot share a group either: count one per organisation.
            distinct = len({p.organisation for p in fits if p.organisation}) + sum(
                1 for p in fits if not p.organisation
            )
            best = max(best, distinct)
            if any(p.experience != person.experience for p in fits):
                best_mixed = max(best_mixed, distinct)
    if best < need:
        return [
            f"fewer than {need} others from other organisations share a language and a free slot with them "
            f"(at most {best}): more slots or languages would help"
        ]
    if instance.mixed_experience and best_mixed < need:
        return [f"every group they could join would be all '{person.experience}': groups mix experience levels"]
    return [
        f"no place left: {placed} of {len(instance.sign_ups)} sign-ups are in groups of "
        f"{instance.min_group_size}-{instance.max_group_size}, and every group they could join was full or "
        "would have put colleagues together or left another sign-up out"
    ]
