"""Every hard rule of the contract: one solution it forbids, one it allows.

Instances and solutions are written as the contract's JSON and read through the codec,
so the tests speak the same language as an outside checker.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest

from solver.codec import parse_instance, parse_solution
from solver.validate import validate
from tests.solver import builders as b

Json = dict[str, Any]


def base_instance() -> Json:
    """Two coaches, one supervisor, one request of two weekly Monday sessions."""
    monday = [["09:00", "12:00"], ["14:00", "17:00"]]
    caps = {"max_active_coachees": 3, "max_sessions_per_week": 3, "max_sessions_per_day": 2}
    return b.instance(
        [
            b.coach("c1", languages=["en", "nl"], organisation="Acme", buffer_minutes=15,
                    weekly={"mon": monday, "wed": [["18:00", "21:00"]]}, **caps),
            b.coach("c2", level="trainee", supervisor="s1", weekly={"mon": monday}, **caps),
        ],
        [request("r1")],
        horizon={"start": "2026-12-01", "end": "2027-02-28"},
        slot_minutes=30,
        supervisors=[{"id": "s1", "max_trainee_engagements": 2, "active_trainee_engagements": 1}],
    )


def request(request_id: str, **changes: Any) -> Json:
    """Two sessions, Monday or Wednesday evening, Dutch first."""
    windows = {"mon": [["09:00", "12:00"], ["14:00", "17:00"]], "wed": [["18:00", "21:00"]]}
    fields: Json = {"languages": ["nl", "en"], "organisation": "Beta", "sessions": 2, "windows": windows,
                    "submitted_at": "2026-11-13T08:00:00Z"}
    return b.request(request_id, **{**fields, **changes})


def coach(instance: Json, coach_id: str) -> Json:
    return next(c for c in instance["coaches"] if c["id"] == coach_id)


def req(instance: Json, request_id: str) -> Json:
    return next(r for r in instance["requests"] if r["id"] == request_id)


def assignment(request_id: str, coach_id: str, *starts_ends: tuple[str, str]) -> Json:
    return {
        "request": request_id,
        "coach": coach_id,
        "sessions": [{"start": s, "end": e} for s, e in starts_ends],
    }


# Monday 7 and 14 December 2026, 09:00-10:00 in Brussels (CET, UTC+1).
MON_7 = ("2026-12-07T08:00:00Z", "2026-12-07T09:00:00Z")
MON_14 = ("2026-12-14T08:00:00Z", "2026-12-14T09:00:00Z")


def weight(instance: Json, request_id: str) -> int:
    r = req(instance, request_id)
    now = datetime.fromisoformat(instance["now"])
    waited = math.floor((now - datetime.fromisoformat(r["submitted_at"])).total_seconds() / 86400)
    return int(100 * 2 ** (r["priority"] - 1) + min(max(0, waited), 90))


def solution(instance: Json, *assignments: Json) -> Json:
    served = sum(
        weight(instance, a["request"])
        for a in assignments
        if any(r["id"] == a["request"] for r in instance["requests"])
    )
    return {
        "format": "coaching-solution/1",
        "status": "FEASIBLE",
        "served_weight": served,
        "served_weight_bound": None,
        "assignments": list(assignments),
        "unassigned": [],
        "stats": {},
    }


def check(instance: Json, *assignments: Json) -> list[str]:
    parsed = parse_instance(copy.deepcopy(instance))
    return validate(parsed, parse_solution(solution(instance, *assignments), parsed))


def assert_reports(problems: list[str], *fragments: str) -> None:
    assert problems, "expected a violation, the validator found none"
    for fragment in fragments:
        assert any(fragment in p for p in problems), f"no line mentions {fragment!r}: {problems}"


def assert_valid(problems: list[str]) -> None:
    assert problems == []


def test_base_solution_is_valid() -> None:
    instance = base_instance()
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def test_empty_solution_is_valid() -> None:
    assert_valid(check(base_instance()))


# Rule 1: ids, at most once, number and length of sessions, time order.


def test_rule1_unknown_ids_are_reported() -> None:
    instance = base_instance()
    assert_reports(
        check(instance, assignment("r9", "c1", MON_7, MON_14)),
        "rule 1",
        "unknown request 'r9'",
    )
    assert_reports(
        check(instance, assignment("r1", "c9", MON_7, MON_14)),
        "rule 1",
        "unknown coach 'c9'",
    )


def test_rule1_request_assigned_twice_is_reported() -> None:
    instance = base_instance()
    twice = (
        assignment("r1", "c1", MON_7, MON_14),
        assignment("r1", "c2", MON_7, MON_14),
    )
    assert_reports(check(instance, *twice), "rule 1", "more than once")


def test_rule1_wrong_number_of_sessions_is_reported() -> None:
    instance = base_instance()
    assert_reports(check(instance, assignment("r1", "c1", MON_7)), "rule 1", "has 1 sessions")
    req(instance, "r1")["sessions"] = 1
    assert_valid(check(instance, assignment("r1", "c1", MON_7)))


def test_rule1_wrong_session_length_is_reported() -> None:
    instance = base_instance()
    long_session = ("2026-12-14T08:00:00Z", "2026-12-14T09:30:00Z")
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, long_session)),
        "rule 1",
        "lasts 90 minutes",
    )
    req(instance, "r1")["session_minutes"] = 90
    assert_valid(
        check(
            instance,
            assignment(
                "r1",
                "c1",
                ("2026-12-07T08:00:00Z", "2026-12-07T09:30:00Z"),
                long_session,
            ),
        )
    )


def test_rule1_sessions_out_of_time_order_are_reported() -> None:
    instance = base_instance()
    assert_reports(
        check(instance, assignment("r1", "c1", MON_14, MON_7)),
        "rule 1",
        "does not come after",
    )


def test_rule1_end_before_start_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["sessions"] = 1
    backwards = ("2026-12-07T09:00:00Z", "2026-12-07T08:00:00Z")
    assert_reports(check(instance, assignment("r1", "c1", backwards)), "rule 1")


def test_request_both_assigned_and_unassigned_is_reported() -> None:
    instance = base_instance()
    doc = solution(instance, assignment("r1", "c1", MON_7, MON_14))
    doc["unassigned"] = [{"request": "r1", "reasons": ["x"]}]
    parsed = parse_instance(instance)
    assert_reports(validate(parsed, parse_solution(doc, parsed)), "both assigned and unassigned")


def test_wrong_served_weight_is_reported() -> None:
    instance = base_instance()
    doc = solution(instance, assignment("r1", "c1", MON_7, MON_14))
    parsed = parse_instance(instance)
    assert validate(parsed, parse_solution(doc, parsed)) == []
    doc["served_weight"] += 1
    assert_reports(validate(parsed, parse_solution(doc, parsed)), "served_weight")
    doc["served_weight"] -= 1
    doc["served_weight_bound"] = doc["served_weight"] - 1
    assert_reports(validate(parsed, parse_solution(doc, parsed)), "served_weight_bound")


# Rule 2: coach availability, slot grid, coachee windows, earliest start, horizon, notice, DST.


def test_rule2_outside_coach_availability_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["windows"]["tue"] = [["09:00", "12:00"]]
    tuesday = ("2026-12-15T08:00:00Z", "2026-12-15T09:00:00Z")
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, tuesday)),
        "rule 2",
        "coach's availability",
    )


def test_rule2_touching_availability_intervals_are_not_joined() -> None:
    instance = base_instance()
    coach(instance, "c1")["weekly"]["mon"] = [["09:00", "10:00"], ["10:00", "11:00"]]
    straddling = ("2026-12-14T08:30:00Z", "2026-12-14T09:30:00Z")  # 09:30-10:30 local
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, straddling)),
        "rule 2",
        "coach's availability",
    )
    second_interval = (
        "2026-12-14T09:00:00Z",
        "2026-12-14T10:00:00Z",
    )  # 10:00-11:00 local
    assert_valid(check(instance, assignment("r1", "c1", MON_7, second_interval)))


def test_rule2_override_replaces_weekly_pattern() -> None:
    instance = base_instance()
    coach(instance, "c1")["overrides"] = [{"date": "2026-12-14", "intervals": []}]
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 2", "override")
    # An override can also open a day the weekly pattern leaves closed.
    coach(instance, "c1")["overrides"] = [{"date": "2026-12-15", "intervals": [["18:00", "20:00"]]}]
    req(instance, "r1")["windows"]["tue"] = [["18:00", "20:00"]]
    tuesday_evening = ("2026-12-15T17:00:00Z", "2026-12-15T18:00:00Z")
    assert_valid(check(instance, assignment("r1", "c1", MON_7, tuesday_evening)))


def test_rule2_session_crossing_local_midnight_is_reported() -> None:
    instance = base_instance()
    late = [["23:00", "24:00"]]
    coach(instance, "c1")["weekly"] = {"mon": late, "tue": [["00:00", "02:00"]]}
    req(instance, "r1").update(sessions=1, windows={"mon": late, "tue": [["00:00", "02:00"]]})
    across = ("2026-12-07T22:30:00Z", "2026-12-07T23:30:00Z")  # 23:30-00:30 local
    assert_reports(check(instance, assignment("r1", "c1", across)), "rule 2", "midnight")
    until_midnight = (
        "2026-12-07T22:00:00Z",
        "2026-12-07T23:00:00Z",
    )  # 23:00-24:00 local
    assert_valid(check(instance, assignment("r1", "c1", until_midnight)))


def test_rule2_off_grid_start_is_reported() -> None:
    instance = base_instance()
    off_grid = ("2026-12-14T08:15:00Z", "2026-12-14T09:15:00Z")
    assert_reports(check(instance, assignment("r1", "c1", MON_7, off_grid)), "rule 2", "grid")


def test_rule2_grid_is_on_the_coachs_clock() -> None:
    # Kolkata is UTC+05:30: 09:00 there is 03:30Z, on an hourly grid locally but not in UTC.
    instance = base_instance()
    instance["slot_minutes"] = 60
    kolkata = coach(instance, "c1")
    kolkata.update(timezone="Asia/Kolkata", weekly={"mon": [["09:00", "17:00"]]})
    req(instance, "r1").update(sessions=1, windows={"mon": [["00:00", "24:00"]]})
    assert_valid(
        check(
            instance,
            assignment("r1", "c1", ("2026-12-07T03:30:00Z", "2026-12-07T04:30:00Z")),
        )
    )
    assert_reports(
        check(
            instance,
            assignment("r1", "c1", ("2026-12-07T04:00:00Z", "2026-12-07T05:00:00Z")),
        ),
        "rule 2",
        "grid",
    )


def test_rule2_outside_coachee_windows_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["windows"] = {"mon": [["10:00", "12:00"]]}
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, MON_14)),
        "rule 2",
        "coachee's windows",
    )
    later = (
        ("2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z"),
        ("2026-12-14T09:00:00Z", "2026-12-14T10:00:00Z"),
    )
    assert_valid(check(instance, assignment("r1", "c1", *later)))


def test_rule2_before_earliest_start_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["earliest_start"] = "2026-12-08"
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "earliest_start")
    req(instance, "r1")["earliest_start"] = "2026-12-07"
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def test_rule2_earliest_start_is_a_date_of_the_coachee() -> None:
    # 20:00 Monday in London is already Tuesday in Auckland.
    instance = base_instance()
    london = coach(instance, "c1")
    london.update(timezone="Europe/London", weekly={"mon": [["20:00", "21:00"]]})
    req(instance, "r1").update(
        sessions=1,
        timezone="Pacific/Auckland",
        earliest_start="2026-12-08",
        windows={"tue": [["09:00", "10:00"]]},
    )
    assert_valid(
        check(
            instance,
            assignment("r1", "c1", ("2026-12-07T20:00:00Z", "2026-12-07T21:00:00Z")),
        )
    )
    req(instance, "r1")["earliest_start"] = "2026-12-09"
    assert_reports(
        check(
            instance,
            assignment("r1", "c1", ("2026-12-07T20:00:00Z", "2026-12-07T21:00:00Z")),
        ),
        "earliest_start",
    )


def test_rule2_outside_horizon_is_reported() -> None:
    instance = base_instance()
    instance["horizon"] = {"start": "2026-12-08", "end": "2027-02-28"}
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 2", "horizon")
    instance["horizon"] = {"start": "2026-12-01", "end": "2026-12-13"}
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 2", "horizon")
    instance["horizon"] = {"start": "2026-12-07", "end": "2026-12-14"}
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def test_rule2_horizon_is_in_the_programme_timezone() -> None:
    # Kiritimati is UTC+14: its 14 December ends at 2026-12-14T10:00Z.
    instance = base_instance()
    instance["timezone"] = "Pacific/Kiritimati"
    instance["horizon"] = {"start": "2026-12-01", "end": "2026-12-14"}
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))
    afternoon = (
        "2026-12-14T13:00:00Z",
        "2026-12-14T14:00:00Z",
    )  # 14:00 in Brussels, 15 Dec in Kiritimati
    assert_reports(check(instance, assignment("r1", "c1", MON_7, afternoon)), "rule 2", "horizon")


def test_rule2_too_short_notice_is_reported() -> None:
    instance = base_instance()
    instance["now"] = "2026-12-05T08:00:01Z"
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 2", "notice")
    instance["now"] = "2026-12-05T08:00:00Z"  # exactly 48 hours before the first session
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def dst_instance() -> Json:
    """Brussels around the March 2027 change (Sunday 28 March, 02:00 CET -> 03:00 CEST)."""
    instance = base_instance()
    instance["now"] = "2027-02-20T08:00:00Z"
    instance["horizon"] = {"start": "2027-03-01", "end": "2027-04-30"}
    return instance


def test_dst_brussels_wall_clock_stays_put_across_the_march_change() -> None:
    instance = dst_instance()
    coach(instance, "c1")["weekly"] = {"mon": [["18:00", "19:00"]]}
    req(instance, "r1")["windows"] = {"mon": [["18:00", "19:00"]]}
    before = ("2027-03-22T17:00:00Z", "2027-03-22T18:00:00Z")  # 18:00 CET
    after = ("2027-03-29T16:00:00Z", "2027-03-29T17:00:00Z")  # 18:00 CEST
    assert_valid(check(instance, assignment("r1", "c1", before, after)))
    same_utc = ("2027-03-29T17:00:00Z", "2027-03-29T18:00:00Z")  # 19:00 CEST
    assert_reports(
        check(instance, assignment("r1", "c1", before, same_utc)),
        "rule 2",
        "coach's availability",
    )


def test_dst_brussels_wall_clock_stays_put_across_the_october_change() -> None:
    instance = base_instance()
    instance["now"] = "2026-10-01T08:00:00Z"
    instance["horizon"] = {"start": "2026-10-12", "end": "2026-11-30"}
    coach(instance, "c1")["weekly"] = {"mon": [["18:00", "19:00"]]}
    req(instance, "r1").update(earliest_start="2026-10-12", windows={"mon": [["18:00", "19:00"]]})
    before = ("2026-10-19T16:00:00Z", "2026-10-19T17:00:00Z")  # 18:00 CEST
    after = ("2026-10-26T17:00:00Z", "2026-10-26T18:00:00Z")  # 18:00 CET
    assert_valid(check(instance, assignment("r1", "c1", before, after)))
    same_utc = ("2026-10-26T16:00:00Z", "2026-10-26T17:00:00Z")  # 17:00 CET
    assert_reports(
        check(instance, assignment("r1", "c1", before, same_utc)),
        "rule 2",
        "coach's availability",
    )


def test_dst_nonexistent_local_time_is_not_available() -> None:
    instance = dst_instance()
    coach(instance, "c1")["weekly"] = {"sun": [["02:00", "03:00"]]}
    req(instance, "r1").update(sessions=1, windows={"sun": [["00:00", "24:00"]]})
    # The only instants around 02:00 that day read 01:xx CET or 03:xx CEST.
    for start, end in (
        ("2027-03-28T00:30:00Z", "2027-03-28T01:30:00Z"),
        ("2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z"),
    ):
        assert_reports(check(instance, assignment("r1", "c1", (start, end))), "rule 2")
    # The same interval a week earlier exists and is fine.
    assert_valid(
        check(
            instance,
            assignment("r1", "c1", ("2027-03-21T01:00:00Z", "2027-03-21T02:00:00Z")),
        )
    )


def test_dst_session_spanning_the_coachs_offset_change_is_reported() -> None:
    instance = dst_instance()
    coach(instance, "c1")["weekly"] = {"sun": [["00:00", "05:00"]]}
    req(instance, "r1").update(sessions=1, timezone="Asia/Tokyo", windows={"sun": [["00:00", "24:00"]]})
    spanning = (
        "2027-03-28T00:30:00Z",
        "2027-03-28T01:30:00Z",
    )  # 01:30 CET -> 03:30 CEST
    assert_reports(
        check(instance, assignment("r1", "c1", spanning)),
        "rule 2",
        "UTC-offset change in the coach's",
    )
    assert_valid(
        check(
            instance,
            assignment("r1", "c1", ("2027-03-28T01:30:00Z", "2027-03-28T02:30:00Z")),
        )
    )


def test_dst_session_ending_or_starting_exactly_at_the_change_does_not_span_it() -> None:
    # Spring: the clocks jump at 01:00Z from 02:00 CET to 03:00 CEST.
    instance = dst_instance()
    coach(instance, "c1")["weekly"] = {"sun": [["00:00", "05:00"]]}
    req(instance, "r1").update(sessions=1, timezone="Asia/Tokyo", windows={"sun": [["00:00", "24:00"]]})
    ends_at_change = ("2027-03-28T00:00:00Z", "2027-03-28T01:00:00Z")  # 01:00-02:00 CET
    starts_at_change = ("2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z")  # 03:00-04:00 CEST
    assert_valid(check(instance, assignment("r1", "c1", ends_at_change)))
    assert_valid(check(instance, assignment("r1", "c1", starts_at_change)))
    # Autumn: at 01:00Z 03:00 CEST becomes 02:00 CET, so 02:00-03:00 happens twice.
    instance = base_instance()
    instance["now"] = "2026-10-01T08:00:00Z"
    instance["horizon"] = {"start": "2026-10-12", "end": "2026-11-30"}
    coach(instance, "c1")["weekly"] = {"sun": [["00:00", "05:00"]]}
    req(instance, "r1").update(
        sessions=1, timezone="Asia/Tokyo", earliest_start="2026-10-12", windows={"sun": [["00:00", "24:00"]]}
    )
    first_time = ("2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z")  # 02:00-03:00 CEST
    second_time = ("2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z")  # 02:00-03:00 CET
    assert_valid(check(instance, assignment("r1", "c1", first_time)))
    assert_valid(check(instance, assignment("r1", "c1", second_time)))
    spanning = ("2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z")  # 02:30 CEST -> 02:30 CET
    assert_reports(check(instance, assignment("r1", "c1", spanning)), "UTC-offset change in the coach's")


def test_dst_session_spanning_the_coachees_offset_change_is_reported() -> None:
    instance = dst_instance()
    coach(instance, "c1").update(timezone="Asia/Tokyo", weekly={"sun": [["09:00", "12:00"]]})
    req(instance, "r1").update(sessions=1, windows={"sun": [["00:00", "05:00"]]})
    spanning = ("2027-03-28T00:30:00Z", "2027-03-28T01:30:00Z")  # Tokyo 09:30-10:30
    assert_reports(
        check(instance, assignment("r1", "c1", spanning)),
        "rule 2",
        "UTC-offset change in the coachee's",
    )
    assert_valid(
        check(
            instance,
            assignment("r1", "c1", ("2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z")),
        )
    )


def new_york_london() -> Json:
    """Coach in New York (clocks change 14 March 2027), coachee in London (28 March 2027)."""
    instance = dst_instance()
    coach(instance, "c1").update(timezone="America/New_York", weekly={"mon": [["13:00", "15:00"]]})
    req(instance, "r1").update(
        sessions=4,
        timezone="Europe/London",
        min_gap_days=7,
        max_gap_days=7,
        windows={"mon": [["18:00", "19:00"]]},
    )
    coach(instance, "c1")["max_sessions_per_week"] = 5
    return instance


def test_dst_new_york_coach_london_coachee_when_only_one_side_changed() -> None:
    instance = new_york_london()
    valid_chain = (
        ("2027-03-08T18:00:00Z", "2027-03-08T19:00:00Z"),  # 13:00 EST, 18:00 GMT
        ("2027-03-15T18:00:00Z", "2027-03-15T19:00:00Z"),  # 14:00 EDT, 18:00 GMT
        ("2027-03-22T18:00:00Z", "2027-03-22T19:00:00Z"),  # 14:00 EDT, 18:00 GMT
        ("2027-03-29T17:00:00Z", "2027-03-29T18:00:00Z"),  # 13:00 EDT, 18:00 BST
    )
    assert_valid(check(instance, assignment("r1", "c1", *valid_chain)))
    # Same UTC time as the first week, but by now London has moved: 19:00 BST.
    late = (*valid_chain[:3], ("2027-03-29T18:00:00Z", "2027-03-29T19:00:00Z"))
    assert_reports(check(instance, assignment("r1", "c1", *late)), "rule 2", "coachee's windows")
    # Same New York wall time as the first week, but London has not moved yet: 17:00 GMT.
    early = (
        valid_chain[0],
        ("2027-03-15T17:00:00Z", "2027-03-15T18:00:00Z"),
        *valid_chain[2:],
    )
    assert_reports(check(instance, assignment("r1", "c1", *early)), "rule 2", "coachee's windows")


# Rule 3: no overlap with the coach's other sessions or busy time, buffers kept.


def two_single_requests(instance: Json) -> Json:
    req(instance, "r1")["sessions"] = 1
    instance["requests"].append(request("r2", sessions=1))
    return instance


def test_rule3_overlapping_new_sessions_are_reported() -> None:
    instance = two_single_requests(base_instance())
    overlapping = ("2026-12-07T08:30:00Z", "2026-12-07T09:30:00Z")
    problems = check(instance, assignment("r1", "c1", MON_7), assignment("r2", "c1", overlapping))
    assert_reports(problems, "rule 3", "overlap")


def test_rule3_buffer_between_new_sessions() -> None:
    instance = two_single_requests(base_instance())
    back_to_back = ("2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z")
    problems = check(instance, assignment("r1", "c1", MON_7), assignment("r2", "c1", back_to_back))
    assert_reports(problems, "rule 3", "buffer")
    after_a_break = ("2026-12-07T09:30:00Z", "2026-12-07T10:30:00Z")
    assert_valid(
        check(
            instance,
            assignment("r1", "c1", MON_7),
            assignment("r2", "c1", after_a_break),
        )
    )
    coach(instance, "c1")["buffer_minutes"] = 0
    assert_valid(
        check(
            instance,
            assignment("r1", "c1", MON_7),
            assignment("r2", "c1", back_to_back),
        )
    )


def test_rule3_same_time_with_different_coaches_is_fine() -> None:
    instance = two_single_requests(base_instance())
    assert_valid(check(instance, assignment("r1", "c1", MON_7), assignment("r2", "c2", MON_7)))


@pytest.mark.parametrize("is_session", [True, False])
def test_rule3_busy_time_and_its_buffer(is_session: bool) -> None:
    instance = base_instance()
    busy = coach(instance, "c1")["busy"]
    busy.append(
        {
            "start": "2026-12-07T09:00:00Z",
            "end": "2026-12-07T09:30:00Z",
            "session": is_session,
        }
    )
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 3", "buffer")
    busy[0] = {
        "start": "2026-12-07T07:30:00Z",
        "end": "2026-12-07T08:30:00Z",
        "session": is_session,
    }
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 3", "overlaps")
    busy[0] = {
        "start": "2026-12-07T09:15:00Z",
        "end": "2026-12-07T09:45:00Z",
        "session": is_session,
    }
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


# Rule 4: gaps between sessions, in the coachee's local dates.


def test_rule4_gap_too_long_or_too_short_is_reported() -> None:
    instance = base_instance()
    three_weeks = ("2026-12-28T08:00:00Z", "2026-12-28T09:00:00Z")
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, three_weeks)),
        "rule 4",
        "21 days apart",
    )
    wednesday = ("2026-12-09T17:00:00Z", "2026-12-09T18:00:00Z")
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, wednesday)),
        "rule 4",
        "2 days apart",
    )
    two_weeks = ("2026-12-21T08:00:00Z", "2026-12-21T09:00:00Z")
    assert_valid(check(instance, assignment("r1", "c1", MON_7, two_weeks)))


def test_rule4_gap_counts_the_coachees_local_dates() -> None:
    # Coach in London, coachee in Auckland (UTC+13): UTC dates 7 days apart, local ones 6.
    instance = base_instance()
    hours = [["09:00", "10:00"], ["20:00", "21:00"]]
    coach(instance, "c1").update(timezone="Europe/London", weekly={"mon": hours, "tue": hours})
    req(instance, "r1").update(
        timezone="Pacific/Auckland",
        windows={d: [["09:00", "10:00"], ["22:00", "23:00"]] for d in ("mon", "tue")},
    )
    first = ("2026-12-07T20:00:00Z", "2026-12-07T21:00:00Z")  # Tue 8 Dec 09:00 NZDT
    six_local_days = (
        "2026-12-14T09:00:00Z",
        "2026-12-14T10:00:00Z",
    )  # Mon 14 Dec 22:00 NZDT
    assert_reports(
        check(instance, assignment("r1", "c1", first, six_local_days)),
        "rule 4",
        "6 days apart",
    )
    seven_local_days = (
        "2026-12-15T09:00:00Z",
        "2026-12-15T10:00:00Z",
    )  # Tue 15 Dec 22:00 NZDT
    assert_valid(check(instance, assignment("r1", "c1", first, seven_local_days)))


# Rule 5: caps per day, per ISO week, and on active coachees.


def test_rule5_sessions_per_day() -> None:
    instance = two_single_requests(base_instance())
    afternoon = ("2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z")
    pair = (assignment("r1", "c1", MON_7), assignment("r2", "c1", afternoon))
    assert_valid(check(instance, *pair))
    coach(instance, "c1")["max_sessions_per_day"] = 1
    assert_reports(check(instance, *pair), "rule 5", "max_sessions_per_day")


def test_rule5_busy_sessions_count_toward_the_day_cap_but_other_busy_time_does_not() -> None:
    instance = two_single_requests(base_instance())
    afternoon = ("2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z")
    pair = (assignment("r1", "c1", MON_7), assignment("r2", "c1", afternoon))
    busy = {
        "start": "2026-12-07T18:00:00Z",
        "end": "2026-12-07T19:00:00Z",
        "session": False,
    }
    coach(instance, "c1")["busy"] = [busy]
    assert_valid(check(instance, *pair))
    busy["session"] = True
    assert_reports(check(instance, *pair), "rule 5", "1 already booked")


def test_rule5_day_is_the_coachs_local_date() -> None:
    # 18:00 and 22:00 Monday in New York fall on two UTC dates but one local date.
    instance = two_single_requests(base_instance())
    evening = {"mon": [["17:00", "23:00"]]}
    coach(instance, "c1").update(
        timezone="America/New_York",
        weekly=evening,
        max_sessions_per_day=1,
        buffer_minutes=0,
    )
    for r in instance["requests"]:
        r.update(timezone="America/New_York", windows=evening)
    pair = (
        assignment("r1", "c1", ("2026-12-07T23:00:00Z", "2026-12-08T00:00:00Z")),
        assignment("r2", "c1", ("2026-12-08T03:00:00Z", "2026-12-08T04:00:00Z")),
    )
    assert_reports(check(instance, *pair), "rule 5", "2026-12-07")
    coach(instance, "c1")["max_sessions_per_day"] = 2
    assert_valid(check(instance, *pair))


def test_rule5_sessions_per_iso_week() -> None:
    instance = two_single_requests(base_instance())
    instance["requests"].append(request("r3", sessions=1))
    week = (
        assignment("r1", "c1", MON_7),
        assignment("r2", "c1", ("2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z")),
        assignment("r3", "c1", ("2026-12-09T17:00:00Z", "2026-12-09T18:00:00Z")),
    )
    assert_valid(check(instance, *week))
    coach(instance, "c1")["max_sessions_per_week"] = 2
    assert_reports(check(instance, *week), "rule 5", "ISO week 2026-W50")


def test_rule5_busy_session_counts_toward_the_week_cap() -> None:
    instance = base_instance()
    coach(instance, "c1")["max_sessions_per_week"] = 1
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))
    coach(instance, "c1")["busy"] = [
        {
            "start": "2026-12-18T10:00:00Z",
            "end": "2026-12-18T11:00:00Z",
            "session": True,
        }
    ]
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, MON_14)),
        "rule 5",
        "ISO week 2026-W51",
    )


def test_rule5_active_coachees() -> None:
    instance = two_single_requests(base_instance())
    afternoon = ("2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z")
    pair = (assignment("r1", "c1", MON_7), assignment("r2", "c1", afternoon))
    coach(instance, "c1").update(max_active_coachees=3, active_coachees=1)
    assert_valid(check(instance, *pair))
    coach(instance, "c1")["active_coachees"] = 2
    assert_reports(check(instance, *pair), "rule 5", "max_active_coachees")


# Rule 6: a shared language.


def test_rule6_no_shared_language_is_reported() -> None:
    instance = base_instance()
    coach(instance, "c1")["languages"] = ["de"]
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 6")
    coach(instance, "c1")["languages"] = ["de", "en"]
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


# Rule 7: conflicts of interest, exclusions, pins.


def test_rule7_same_organisation_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["organisation"] = "Acme"
    assert_reports(check(instance, assignment("r1", "c1", MON_7, MON_14)), "rule 7", "organisation")
    req(instance, "r1")["organisation"] = None
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def test_rule7_excluded_coach_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["excluded_coaches"] = ["c1"]
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, MON_14)),
        "rule 7",
        "excludes coach c1",
    )
    req(instance, "r1")["excluded_coaches"] = ["c2"]
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def test_rule7_coach_excluding_the_request_is_reported() -> None:
    instance = base_instance()
    coach(instance, "c1")["excluded_requests"] = ["r1"]
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, MON_14)),
        "rule 7",
        "excludes request r1",
    )
    coach(instance, "c2")["excluded_requests"] = ["r1"]
    coach(instance, "c1")["excluded_requests"] = []
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def test_rule7_pin_to_another_coach_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["pinned_coach"] = "c2"
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, MON_14)),
        "rule 7",
        "pinned to coach c2",
    )
    req(instance, "r1")["pinned_coach"] = "c1"
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


# Rule 8: sensitive requests.


def test_rule8_sensitive_request_with_trainee_is_reported() -> None:
    instance = base_instance()
    req(instance, "r1")["sensitive"] = True
    assert_reports(check(instance, assignment("r1", "c2", MON_7, MON_14)), "rule 8")
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))
    coach(instance, "c1")["level"] = "senior"
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


# Rule 9: supervisor capacity for trainees.


def test_rule9_supervisor_capacity() -> None:
    instance = two_single_requests(base_instance())
    afternoon = ("2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z")
    # s1 has 1 active of at most 2 trainee engagements: one more fits, two do not.
    assert_valid(check(instance, assignment("r1", "c2", MON_7)))
    problems = check(instance, assignment("r1", "c2", MON_7), assignment("r2", "c2", afternoon))
    assert_reports(problems, "rule 9", "supervisor s1")
    instance["supervisors"][0]["max_trainee_engagements"] = 3
    assert_valid(check(instance, assignment("r1", "c2", MON_7), assignment("r2", "c2", afternoon)))


def test_rule9_engagements_of_accredited_coaches_do_not_use_supervisor_capacity() -> None:
    instance = two_single_requests(base_instance())
    instance["supervisors"][0]["active_trainee_engagements"] = 2
    assert_valid(check(instance, assignment("r1", "c1", MON_7)))
    assert_reports(check(instance, assignment("r1", "c2", MON_7)), "rule 9")


# Rule 10: supervision hours.


def test_rule10_supervision_hours() -> None:
    instance = base_instance()
    coach(instance, "c2")["coaching_hours_since_supervision"] = 13.0
    assert_valid(check(instance, assignment("r1", "c2", MON_7, MON_14)))  # 13 + 2 = 15, the trainee limit
    coach(instance, "c2")["coaching_hours_since_supervision"] = 14.0
    assert_reports(check(instance, assignment("r1", "c2", MON_7, MON_14)), "rule 10", "16 h")


def test_rule10_hours_after_next_supervision_count_afresh() -> None:
    instance = base_instance()
    coach(instance, "c2").update(coaching_hours_since_supervision=14.0, next_supervision="2026-12-10T10:00:00Z")
    assert_valid(check(instance, assignment("r1", "c2", MON_7, MON_14)))
    coach(instance, "c2")["next_supervision"] = "2026-12-14T08:00:00Z"  # the second session starts at it
    assert_valid(check(instance, assignment("r1", "c2", MON_7, MON_14)))
    coach(instance, "c2")["next_supervision"] = "2026-12-14T08:00:01Z"
    assert_reports(check(instance, assignment("r1", "c2", MON_7, MON_14)), "rule 10")


def test_rule10_limit_depends_on_level() -> None:
    instance = base_instance()
    coach(instance, "c1")["coaching_hours_since_supervision"] = 33.0
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))
    coach(instance, "c1")["coaching_hours_since_supervision"] = 33.5
    assert_reports(
        check(instance, assignment("r1", "c1", MON_7, MON_14)),
        "rule 10",
        "accredited limit of 35 h",
    )
    coach(instance, "c1")["level"] = "senior"
    assert_valid(check(instance, assignment("r1", "c1", MON_7, MON_14)))


def test_each_violation_gets_its_own_line() -> None:
    instance = base_instance()
    req(instance, "r1").update(organisation="Acme", sensitive=True, pinned_coach="c1")
    coach(instance, "c2")["languages"] = ["de"]
    problems = check(instance, assignment("r1", "c2", MON_7, MON_14))
    assert any("rule 6" in p for p in problems)
    assert any("rule 7" in p and "pinned" in p for p in problems)
    assert any("rule 8" in p for p in problems)
    assert len(problems) == 3


def test_validator_imports_nothing_of_the_optimiser() -> None:
    code = (
        "import sys, solver.validate\n"
        "bad = [m for m in sys.modules if m.startswith(('ortools', 'solver.model', 'solver.candidates',"
        " 'solver.greedy', 'solver.search', 'solver.explain'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
