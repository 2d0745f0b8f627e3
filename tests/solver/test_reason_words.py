"""Reasons are for people: no rule numbers, no file-format field names, no ids but coach refs.

Over random programmes (those of the property tests, with and without capacity over
time), every reason the greedy plan, its explanation and the explanation of an empty
plan produce is checked: no "rule 5", no snake_case name such as `max_active_coachees`,
no id other than the coach refs (`c12`) an app replaces by names, no "1 coaches"
grammar; and every reason for an unserved request says what would make it servable.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solver
from solver import Solution, explain, parse_instance
from tests.solver.test_properties import programmes

Json = dict[str, Any]

RULE_NUMBER = re.compile(r"\brules?\s*\d", re.IGNORECASE)
FIELD_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")  # every field name of the format but plain words has one
OTHER_ID = re.compile(r"\b(?!c\d+\b)[a-z]\d+\b")  # s1, r3 ...: only coach refs may appear

BAD_GRAMMAR = re.compile(r"\b(?:all|\b)\s*1 \w+s\b|\b1 (?:coaches|sessions|coachees)\b|\ball 1\b")
REMEDY = re.compile(r"\bwould\b|\bmay place\b|\bcould take it\b")


def _texts(instance: solver.Instance, reader: str | None = None) -> list[tuple[str, bool]]:
    """(text, is a reason for an unserved request) for everything worded about the plans;
    with a `reader`, the reasons' details as worded for a reader in that timezone."""
    plan = solver.greedy(instance)
    if reader is not None:
        return [(solver.for_reader(d, reader).text, True) for u in plan.unassigned for d in u.details]
    out = [(text, True) for u in plan.unassigned for text in u.reasons]
    out += [(d.text, True) for u in plan.unassigned for d in u.details]
    empty = Solution("FEASIBLE", 0, None, ())
    for result in (plan, empty):
        entries = explain(instance, result)
        assert isinstance(entries, list)
        for entry in entries:
            out += [(text, not entry["assigned"]) for text in entry["reasons"]]
    return out


def check_plain_words(data: Json, reader: str | None = None) -> None:
    instance = parse_instance(data)
    # Supervisor and request ids are internal; coach ids are the refs an app names.
    internal = {s.id for s in instance.supervisors} | {r.id for r in instance.requests}
    for text, unserved in _texts(instance, reader):
        assert not RULE_NUMBER.search(text), text
        assert not FIELD_NAME.search(text), text
        assert not internal & set(re.findall(r"\w+", text)), text
        assert not BAD_GRAMMAR.search(text), text
        if unserved:
            assert REMEDY.search(text), text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.booleans().flatmap(lambda flag: programmes(max_coaches=3, max_requests=6, tiny=False, over_time=flag)))
def test_reasons_read_as_plain_words(data: Json) -> None:
    check_plain_words(data)


def test_the_checks_catch_what_they_look_for() -> None:
    assert RULE_NUMBER.search("full (rule 5)") and FIELD_NAME.search("at max_active_coachees")
    assert OTHER_ID.search("supervisor s1 is full") and not OTHER_ID.search("c12 and c3 are full")
    assert REMEDY.search("more hours would help") and not REMEDY.search("the coach is full")
    assert BAD_GRAMMAR.search("all 1 eligible coaches are full") and not BAD_GRAMMAR.search("the one coach")
