"""Check an intervision plan against every rule of `intervision-instance/1`, from the instance alone."""

from __future__ import annotations

from itertools import combinations

from solver.intervision.domain import IntervisionInstance, IntervisionPlan


def repeated_pairs(instance: IntervisionInstance, plan: IntervisionPlan) -> list[tuple[str, str]]:
    """Pairs placed together again who met in an earlier round."""
    return [
        (a, b)
        for group in plan.groups
        for a, b in combinations(sorted(group.members), 2)
        if frozenset((a, b)) in instance.met_before
    ]


def validate(instance: IntervisionInstance, plan: IntervisionPlan) -> list[str]:
    """Every broken rule, one line each naming the group; empty when the plan is valid."""
    problems: list[str] = []
    people = instance.sign_up_by_id
    slots = {s.id for s in instance.slots}
    seen: dict[str, int] = {}
    for n, group in enumerate(plan.groups, start=1):
        label = f"group {n}"
        # Rule I1: size, known and distinct people, each in one group.
        if not instance.min_group_size <= len(group.members) <= instance.max_group_size:
            problems.append(
                f"{label}: rule I1: {len(group.members)} members, groups have "
                f"{instance.min_group_size} to {instance.max_group_size}"
            )
        known = []
        for who in group.members:
            if who not in people:
                problems.append(f"{label}: rule I1: unknown participant {who!r}")
            elif who in seen:
                problems.append(f"{label}: rule I1: {who} is already in group {seen[who]}")
            else:
                seen[who] = n
                known.append(people[who])
        # Rule I2: one language everyone speaks.
        for person in known:
            if group.language not in person.languages:
                problems.append(f"{label}: rule I2: {person.id} does not speak the group's language {group.language}")
        # Rule I3: one slot everyone can attend.
        if group.slot not in slots:
            problems.append(f"{label}: rule I3: unknown slot {group.slot!r}")
        for person in known:
            if group.slot not in person.slots:
                problems.append(f"{label}: rule I3: {person.id} cannot attend slot {group.slot}")
        # Rule I4: no two people from the same organisation.
        for a, b in combinations(known, 2):
            if a.organisation is not None and a.organisation == b.organisation:
                problems.append(f"{label}: rule I4: {a.id} and {b.id} are both from {a.organisation}")
        # Rule I5: mixed experience.
        if instance.mixed_experience and len(known) > 1 and len({p.experience for p in known}) < 2:
            problems.append(f"{label}: rule I5: everyone is '{known[0].experience}'; groups mix experience levels")
        # Rule I6: a named facilitator is a member who facilitates.
        if group.facilitator is not None:
            chair = people.get(group.facilitator)
            if group.facilitator not in group.members or chair is None or not chair.facilitator:
                problems.append(f"{label}: rule I6: {group.facilitator} is not a facilitating member of the group")
    # Rule I7: everyone left out is listed with a reason; the reported repeat count is true.
    listed = {x.who: x for x in plan.left_out}
    for person in instance.sign_ups:
        if person.id not in seen and not listed.get(person.id, None):
            problems.append(f"rule I7: {person.id} is in no group and has no reason")
        elif person.id not in seen and not listed[person.id].reasons:
            problems.append(f"rule I7: {person.id} is left out without a reason")
    actual = len(repeated_pairs(instance, plan))
    if actual != plan.repeated_pairs:
        problems.append(f"rule I7: the plan reports {plan.repeated_pairs} repeated pairs, it has {actual}")
    return problems
