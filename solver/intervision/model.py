"""CP-SAT model for an intervision round (docs/planners.md, "Intervision rounds").

Up to n // min_group_size groups, each with one slot and one language. Objective, highest
tier first, as one weighted sum whose weights keep the tiers strictly apart:

1. people placed in a group;
2. fewest pairs who met in an earlier round (so among the plans placing the most people,
   none repeats a pair when such a plan exists);
3. groups with a facilitator.
"""

from __future__ import annotations

import time
from collections import defaultdict
from itertools import combinations

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

    model = cp_model.CpModel()
    member: dict[tuple[int, int], cp_model.IntVar] = {}
    for i, _person in enumerate(people):
        for g in range(min(i + 1, group_count)):  # symmetry: person i opens group i at the latest
            member[i, g] = model.new_bool_var(f"member_{i}_{g}")
    used = [model.new_bool_var(f"used_{g}") for g in range(group_count)]
    slot_of = {(g, s): model.new_bool_var(f"slot_{g}_{s}") for g in range(group_count) for s in slot_ids}
    lang_of = {(g, k): model.new_bool_var(f"lang_{g}_{k}") for g in range(group_count) for k in languages}
    facilitated = [model.new_bool_var(f"facilitated_{g}") for g in range(group_count)]
    for i in range(n):
        model.add_at_most_one(member[i, g] for g in range(group_count) if (i, g) in member)
    for g in range(group_count):
        inside = [member[i, g] for i in range(n) if (i, g) in member]
        size = sum(inside)
        model.add(size >= instance.min_group_size * used[g])
        model.add(size <= instance.max_group_size * used[g])
        if g + 1 < group_count:
            model.add_implication(used[g + 1], used[g])
        model.add(sum(slot_of[g, s] for s in slot_ids) == used[g])
        model.add(sum(lang_of[g, k] for k in languages) == used[g])
        for i, person in enumerate(people):
            if (i, g) not in member:
                continue
            model.add_bool_or([slot_of[g, s] for s in person.slots]).only_enforce_if(member[i, g])
            model.add_bool_or([lang_of[g, k] for k in person.languages]).only_enforce_if(member[i, g])
        by_org: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        by_level: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for i, person in enumerate(people):
            if (i, g) in member:
                if person.organisation is not None:
                    by_org[person.organisation].append(member[i, g])
                by_level[person.experience].append(member[i, g])
        for colleagues in by_org.values():
            if len(colleagues) > 1:
                model.add_at_most_one(colleagues)
        if instance.mixed_experience:
            for level in levels:
                # Not everyone in the group on one level: at least one member of another.
                model.add(sum(by_level[level]) <= size - used[g])
        facilitators = [member[i, g] for i, p in enumerate(people) if p.facilitator and (i, g) in member]
        model.add_bool_or(facilitators).only_enforce_if(facilitated[g]) if facilitators else model.add(
            facilitated[g] == 0
        )

    repeats: list[cp_model.IntVar] = []
    index = {p.id: i for i, p in enumerate(people)}
    for pair in instance.met_before:
        a, b = sorted(pair)
        if a not in index or b not in index or not _could_meet(people[index[a]], people[index[b]]):
            continue
        i, j = index[a], index[b]
        for g in range(group_count):
            if (i, g) in member and (j, g) in member:
                again = model.new_bool_var(f"again_{i}_{j}_{g}")
                model.add_bool_or([member[i, g].Not(), member[j, g].Not(), again])
                repeats.append(again)
    placed = sum(member.values())
    facilitator_weight = 1
    repeat_weight = group_count + 1
    placed_weight = repeat_weight * (len(repeats) + 1)
    model.maximize(placed_weight * placed - repeat_weight * sum(repeats) + facilitator_weight * sum(facilitated))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(model) if group_count else cp_model.OPTIMAL
    groups: list[Group] = []
    placed_ids: set[str] = set()
    if group_count and status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for g in range(group_count):
            if not solver.value(used[g]):
                continue
            members = [people[i] for i in range(n) if (i, g) in member and solver.value(member[i, g])]
            slot = next(s for s in slot_ids if solver.value(slot_of[g, s]))
            language = next(k for k in languages if solver.value(lang_of[g, k]))
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
        stats={"wall_seconds": round(time.monotonic() - started, 3), "solver": "cp-sat", "workers": workers},
    )


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
