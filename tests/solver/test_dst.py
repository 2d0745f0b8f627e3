"""Daylight-saving changes: the wall clock rules (contract, rule 2)."""

from __future__ import annotations

from typing import Any

from solver import parse_instance, solve
from solver.validate import validate
from tests.solver import builders as b


def utc_starts(doc: dict[str, Any]) -> dict[str, list[str]]:
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    assert validate(instance, solution) == []
    return {a.request: [s.start.strftime("%Y-%m-%dT%H:%M") for s in a.sessions] for a in solution.assignments}


def test_brussels_march_change_keeps_18_00_local() -> None:
    # Clocks go forward on Sunday 2027-03-28: Monday 18:00 is 17:00Z before, 16:00Z after.
    doc = b.instance(
        now="2027-03-01T00:00:00Z",
        horizon={"start": "2027-03-22", "end": "2027-04-04"},
        coaches=[b.coach(weekly={"mon": [["18:00", "19:00"]]})],
        requests=[b.request(sessions=2, min_gap_days=7, max_gap_days=7, earliest_start="2027-03-22")],
    )
    assert utc_starts(doc) == {"r1": ["2027-03-22T17:00", "2027-03-29T16:00"]}


def test_brussels_skipped_hour_is_not_available() -> None:
    # 02:00-03:00 does not exist in Brussels on 2027-03-28.
    night = {"sun": [["02:00", "03:00"]]}
    doc = b.instance(
        now="2027-03-01T00:00:00Z",
        horizon={"start": "2027-03-28", "end": "2027-03-28"},
        coaches=[b.coach(weekly=night)],
        requests=[b.request(windows={"sun": [["00:00", "24:00"]]}, earliest_start="2027-03-28")],
    )
    assert utc_starts(doc) == {}
    doc["horizon"] = {"start": "2027-04-04", "end": "2027-04-04"}
    assert utc_starts(doc) == {"r1": ["2027-04-04T00:00"]}


def test_brussels_october_change_no_session_spans_the_change() -> None:
    # Clocks go back at 03:00 CEST on 2027-10-31; a 60-minute session from 02:30 would span it.
    doc = b.instance(
        now="2027-10-01T00:00:00Z",
        horizon={"start": "2027-10-31", "end": "2027-10-31"},
        slot_minutes=30,
        coaches=[b.coach(weekly={"sun": [["02:30", "03:30"]]})],
        requests=[b.request(windows={"sun": [["00:00", "24:00"]]}, earliest_start="2027-10-31")],
    )
    result = utc_starts(doc)
    # 02:30 exists twice (CEST then CET); only the CET one fits without spanning the change.
    assert result == {"r1": ["2027-10-31T01:30"]}


def test_brussels_october_change_keeps_18_00_local() -> None:
    doc = b.instance(
        now="2027-10-01T00:00:00Z",
        horizon={"start": "2027-10-25", "end": "2027-11-07"},
        coaches=[b.coach(weekly={"mon": [["18:00", "19:00"]]})],
        requests=[b.request(sessions=2, min_gap_days=7, max_gap_days=7, earliest_start="2027-10-25")],
    )
    assert utc_starts(doc) == {"r1": ["2027-10-25T16:00", "2027-11-01T17:00"]}


def new_york_coach_london_coachee(start: str, end: str) -> dict[str, Any]:
    # 13:00 New York = 18:00 London except between the US change (2027-03-14) and the
    # UK change (2027-03-28), when it is 17:00 London.
    return b.instance(
        now="2027-02-01T00:00:00Z",
        timezone="Europe/London",
        horizon={"start": start, "end": end},
        coaches=[b.coach(timezone="America/New_York", weekly={"mon": [["13:00", "14:00"]]})],
        requests=[
            b.request(
                timezone="Europe/London",
                windows={"mon": [["18:00", "19:00"]]},
                earliest_start=start,
            )
        ],
    )


def test_new_york_coach_london_coachee_meet_before_either_change() -> None:
    assert utc_starts(new_york_coach_london_coachee("2027-03-08", "2027-03-08")) == {"r1": ["2027-03-08T18:00"]}


def test_new_york_coach_london_coachee_miss_when_only_new_york_changed() -> None:
    assert utc_starts(new_york_coach_london_coachee("2027-03-15", "2027-03-22")) == {}


def test_new_york_coach_london_coachee_meet_again_after_both_changed() -> None:
    assert utc_starts(new_york_coach_london_coachee("2027-03-29", "2027-03-29")) == {"r1": ["2027-03-29T17:00"]}
