"""JSON <-> dataclasses for `intervision-instance/1` and `intervision-plan/1` (field-path errors,
every problem at once, as in the coaching codec)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from solver.codec import InstanceError, SolutionError, _Reader, _show
from solver.intervision.domain import (
    INSTANCE_FORMAT,
    PLAN_FORMAT,
    Group,
    IntervisionInstance,
    IntervisionPlan,
    LeftOut,
    SignUp,
    Slot,
)
from solver.supervision.codec import _span, document, duplicate_id, left_out_entry, plan_header, unique


def _slot(rd: _Reader, o: Mapping[str, Any], p: str) -> Slot | None:
    sid = rd.string(rd.field(o, "id", p), f"{p}.id")
    span = _span(rd, o, p)
    return None if sid is None or span is None else Slot(span.start, span.end, sid)


def _sign_up(rd: _Reader, o: Mapping[str, Any], p: str, slot_ids: set[str] | None) -> SignUp | None:
    n = len(rd.problems)
    sid = rd.string(rd.field(o, "id", p), f"{p}.id")
    languages = rd.strings(rd.field(o, "languages", p), f"{p}.languages")
    if languages is not None and not languages:
        rd.problem(f"{p}.languages", "at least one language")
    organisation = rd.optional_string(rd.field(o, "organisation", p, None), f"{p}.organisation")
    experience = rd.string(rd.field(o, "experience", p), f"{p}.experience")
    facilitator = rd.boolean(rd.field(o, "facilitator", p, False), f"{p}.facilitator")
    slots = rd.strings(rd.field(o, "slots", p), f"{p}.slots")
    if slots is not None and slot_ids is not None:
        for i, slot in enumerate(slots):
            if slot not in slot_ids:
                rd.problem(f"{p}.slots[{i}]", f"unknown slot {slot!r}")
    if len(rd.problems) > n:
        return None
    assert sid and languages and experience and facilitator is not None and slots is not None
    return SignUp(sid, languages, organisation, experience, facilitator, slots)


def parse_instance(data: Any) -> IntervisionInstance:
    """Build an `IntervisionInstance` from parsed JSON or raise `InstanceError` listing every problem."""
    rd, top = document(data, INSTANCE_FORMAT, InstanceError)
    low = high = None
    size = rd.field(top, "group_size", "")
    if size is not None and (so := rd.obj(size, "group_size")) is not None:
        low = rd.integer(rd.field(so, "min", "group_size"), "group_size.min", 2, 20)
        high = rd.integer(rd.field(so, "max", "group_size"), "group_size.max", 2, 20)
        if low is not None and high is not None and high < low:
            rd.problem("group_size", f"max {high} is below min {low}")
    mixed = rd.boolean(rd.field(top, "mixed_experience", "", True), "mixed_experience")
    slots = rd.items(rd.field(top, "slots", ""), "slots", lambda o, p: _slot(rd, o, p))
    slot_ids = {s.id for s in slots} if slots is not None else None
    if slots is not None and slot_ids is not None and len(slot_ids) != len(slots):
        rd.problem("slots", "slot ids must be unique")
    sign_ups = rd.items(rd.field(top, "participants", ""), "participants", lambda o, p: _sign_up(rd, o, p, slot_ids))
    unique(rd, sign_ups, "participants[{}].id", lambda s: s.id, duplicate_id)
    pairs: set[frozenset[str]] = set()
    raw = rd.array(rd.field(top, "met_before", "", []), "met_before")
    for i, pair in enumerate(raw or []):
        path = f"met_before[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            rd.problem(path, f'expected ["id", "id"], got {_show(pair)}')
        elif pair[0] == pair[1]:
            rd.problem(path, "a pair needs two different people")
        else:
            pairs.add(frozenset(pair))  # people from earlier rounds who did not sign up are simply ignored
    if rd.problems:
        raise InstanceError(rd.problems)
    assert low and high and mixed is not None and slots is not None and sign_ups is not None
    return IntervisionInstance(low, high, mixed, tuple(slots), tuple(sign_ups), frozenset(pairs))


def _group(rd: _Reader, o: Mapping[str, Any], p: str) -> Group | None:
    slot = rd.string(rd.field(o, "slot", p), f"{p}.slot")
    language = rd.string(rd.field(o, "language", p), f"{p}.language")
    members = rd.strings(rd.field(o, "members", p), f"{p}.members")
    facilitator = rd.optional_string(rd.field(o, "facilitator", p, None), f"{p}.facilitator")
    if slot is None or language is None or members is None:
        return None
    return Group(slot, language, members, facilitator)


def _left_out(rd: _Reader, o: Mapping[str, Any], p: str) -> LeftOut | None:
    entry = left_out_entry(rd, o, p, "participant")
    return None if entry is None else LeftOut(*entry)


def parse_plan(data: Any) -> IntervisionPlan:
    """Build an `IntervisionPlan` from parsed JSON or raise `SolutionError`."""
    rd, top, status = plan_header(data, PLAN_FORMAT)
    groups = rd.items(rd.field(top, "groups", ""), "groups", lambda o, p: _group(rd, o, p))
    left_out = rd.items(rd.field(top, "left_out", "", []), "left_out", lambda o, p: _left_out(rd, o, p))
    repeated = rd.integer(rd.field(top, "repeated_pairs", "", 0), "repeated_pairs", 0)
    if rd.problems:
        raise SolutionError(rd.problems)
    assert groups is not None and left_out is not None and repeated is not None and isinstance(status, str)
    return IntervisionPlan(status, tuple(groups), tuple(left_out), repeated)


def plan_to_json(plan: IntervisionPlan) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "status": plan.status,
        "repeated_pairs": plan.repeated_pairs,
        "groups": [
            {"slot": g.slot, "language": g.language, "members": list(g.members), "facilitator": g.facilitator}
            for g in plan.groups
        ],
        "left_out": [{"participant": x.who, "reasons": list(x.reasons)} for x in plan.left_out],
        "stats": dict(plan.stats),
    }
