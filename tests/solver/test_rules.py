"""Every hard rule, solved: one instance where the rule forbids a placement, one where it allows it.

Each solution also goes through the independent validator.
"""

from __future__ import annotations

from typing import Any

import pytest

from solver import Solution, parse_instance, solve
from solver.validate import validate
from tests.solver import builders as b

Json = dict[str, Any]


def run(doc: Json) -> Solution:
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    assert validate(instance, solution) == []
    assert solution.status == "OPTIMAL"
    return solution


def served(doc: Json) -> set[str]:
    return {a.request for a in run(doc).assignments}


def starts(doc: Json, request_id: str = "r1") -> list[str]:
    solution = run(doc)
    (assignment,) = [a for a in solution.assignments if a.request == request_id]
    return [s.start.strftime("%Y-%m-%dT%H:%M") for s in assignment.sessions]


# Rule 1: exactly `sessions` sessions, in time order, at most one assignment.


def test_rule1_forbids_a_short_engagement() -> None:
    # One Monday in the horizon cannot hold two sessions a week apart.
    assert served(b.instance(requests=[b.request(sessions=2)])) == set()


def test_rule1_allows_all_sessions_in_order() -> None:
    doc = b.instance(requests=[b.request(sessions=2)], horizon={"start": "2026-12-07", "end": "2026-12-20"})
    first, second = starts(doc)
    assert first[:10] == "2026-12-07" and second[:10] == "2026-12-14" and first[10:] == second[10:]


# Rule 2: coach availability (weekly or override), grid, coachee windows, notice, horizon.


def test_rule2_forbids_times_outside_the_coachee_windows() -> None:
    doc = b.instance(requests=[b.request(windows={"mon": [["09:00", "12:00"]]})])
    assert served(doc) == set()


def test_rule2_allows_the_intersection_of_both_calendars() -> None:
    doc = b.instance(requests=[b.request(windows={"mon": [["19:00", "22:00"]]})])
    assert starts(doc) == ["2026-12-07T18:00"]


def test_rule2_override_replaces_the_weekly_pattern() -> None:
    closed = b.instance(coaches=[b.coach(overrides=[{"date": "2026-12-07", "intervals": []}])])
    assert served(closed) == set()
    moved = b.instance(coaches=[b.coach(overrides=[{"date": "2026-12-07", "intervals": [["19:00", "20:00"]]}])])
    assert starts(moved) == ["2026-12-07T18:00"]


def test_rule2_sessions_start_on_the_coach_grid() -> None:
    off_grid = b.instance(
        coaches=[b.coach(weekly={"mon": [["18:15", "19:45"]]})],
        requests=[b.request(session_minutes=60)],
    )
    assert served(off_grid) == set()  # 18:15 and 18:45 are off the 60-minute grid
    on_grid = b.instance(coaches=[b.coach(weekly={"mon": [["18:00", "19:45"]]})])
    assert starts(on_grid) == ["2026-12-07T17:00"]


def test_rule2_notice_and_horizon() -> None:
    too_soon = b.instance(now="2026-12-06T18:00:00Z")  # 48 h notice ends Tue 18:00
    assert served(too_soon) == set()
    just_enough = b.instance(now="2026-12-05T18:00:00Z")
    assert starts(just_enough) == ["2026-12-07T18:00"]  # 17:00Z would be an hour short
    outside = b.instance(horizon={"start": "2026-12-08", "end": "2026-12-13"})
    assert served(outside) == set()


def test_rule2_earliest_start_of_the_first_session() -> None:
    late = b.instance(requests=[b.request(earliest_start="2026-12-08")])
    assert served(late) == set()
    assert served(b.instance(requests=[b.request(earliest_start="2026-12-07")])) == {"r1"}


# Rule 3: no overlap with each other or busy time, buffers kept.


def test_rule3_forbids_busy_time_and_its_buffer() -> None:
    busy = [{"start": "2026-12-07T17:00:00Z", "end": "2026-12-07T17:50:00Z", "session": False}]
    doc = b.instance(coaches=[b.coach(busy=busy, buffer_minutes=15)])
    assert served(doc) == set()  # 19:00 local is only 10 minutes after the busy end


def test_rule3_allows_a_session_after_the_buffer() -> None:
    busy = [{"start": "2026-12-07T17:00:00Z", "end": "2026-12-07T17:45:00Z", "session": False}]
    doc = b.instance(coaches=[b.coach(busy=busy, buffer_minutes=15)])
    assert starts(doc) == ["2026-12-07T18:00"]


def test_rule3_buffer_between_new_sessions() -> None:
    two = [b.request("r1"), b.request("r2")]
    assert len(served(b.instance(coaches=[b.coach(buffer_minutes=15)], requests=two))) == 1
    assert len(served(b.instance(coaches=[b.coach(buffer_minutes=0)], requests=two))) == 2


# Rule 4: gaps between consecutive sessions in coachee-local dates.


def test_rule4_forbids_sessions_too_close() -> None:
    doc = b.instance(
        coaches=[b.coach(weekly={"mon": [["18:00", "20:00"]], "wed": [["18:00", "20:00"]]})],
        requests=[
            b.request(sessions=2, min_gap_days=3, windows={"mon": [["18:00", "20:00"]], "wed": [["18:00", "20:00"]]})
        ],
    )
    assert served(doc) == set()


def test_rule4_allows_sessions_within_the_gap() -> None:
    doc = b.instance(
        coaches=[b.coach(weekly={"mon": [["18:00", "20:00"]], "wed": [["18:00", "20:00"]]})],
        requests=[
            b.request(
                sessions=2,
                min_gap_days=2,
                max_gap_days=2,
                windows={"mon": [["18:00", "20:00"]], "wed": [["18:00", "20:00"]]},
            )
        ],
    )
    first, second = starts(doc)
    assert first.startswith("2026-12-07") and second.startswith("2026-12-09")


# Rule 5: per-day, per-week and engagement caps, counting busy sessions.


def test_rule5_day_cap_counts_busy_sessions() -> None:
    busy = [{"start": "2026-12-07T08:00:00Z", "end": "2026-12-07T09:00:00Z", "session": True}]
    capped = b.instance(coaches=[b.coach(busy=busy, max_sessions_per_day=1)])
    assert served(capped) == set()
    other = [{"start": "2026-12-07T08:00:00Z", "end": "2026-12-07T09:00:00Z", "session": False}]
    assert served(b.instance(coaches=[b.coach(busy=other, max_sessions_per_day=1)])) == {"r1"}


def test_rule5_week_cap() -> None:
    two = [b.request("r1"), b.request("r2")]
    assert len(served(b.instance(coaches=[b.coach(max_sessions_per_week=1)], requests=two))) == 1
    assert len(served(b.instance(coaches=[b.coach(max_sessions_per_week=2)], requests=two))) == 2


def test_rule5_engagement_cap_counts_active_coachees() -> None:
    two = [b.request("r1"), b.request("r2")]
    full = b.coach(max_active_coachees=2, active_coachees=1)
    assert len(served(b.instance(coaches=[full], requests=two))) == 1
    room = b.coach(max_active_coachees=3, active_coachees=1)
    assert len(served(b.instance(coaches=[room], requests=two))) == 2


# Rules 6-8: language, conflicts of interest, sensitive requests.


def test_rule6_language() -> None:
    assert served(b.instance(requests=[b.request(languages=["fr"])])) == set()
    assert served(b.instance(requests=[b.request(languages=["fr", "en"])])) == {"r1"}


@pytest.mark.parametrize(
    ("coach_fields", "request_fields"),
    [
        ({"organisation": "Acme"}, {"organisation": "Acme"}),
        ({}, {"excluded_coaches": ["c1"]}),
        ({"excluded_requests": ["r1"]}, {}),
        ({}, {"pinned_coach": "c2"}),
    ],
)
def test_rule7_conflicts_forbid(coach_fields: Json, request_fields: Json) -> None:
    doc = b.instance(
        coaches=[b.coach(**coach_fields), b.coach("c2", languages=["de"])], requests=[b.request(**request_fields)]
    )
    assert served(doc) == set()


def test_rule7_allows_other_organisations_and_the_pinned_coach() -> None:
    doc = b.instance(
        coaches=[b.coach(organisation="Acme"), b.coach("c2", topics=["x"], organisation="Beta")],
        requests=[b.request(organisation="Beta", pinned_coach="c1")],
    )
    solution = run(doc)
    assert [(a.request, a.coach) for a in solution.assignments] == [("r1", "c1")]


def test_rule8_sensitive_requests_go_to_accredited_coaches() -> None:
    trainee = b.coach(level="trainee", supervisor="s1")
    assert served(b.instance(coaches=[trainee], requests=[b.request(sensitive=True)])) == set()
    assert served(b.instance(coaches=[trainee], requests=[b.request(sensitive=False)])) == {"r1"}
    assert served(b.instance(coaches=[b.coach(level="senior")], requests=[b.request(sensitive=True)])) == {"r1"}


# Rule 9: supervisor capacity for trainees' engagements.


def test_rule9_supervisor_capacity() -> None:
    trainees = [b.coach("c1", level="trainee", supervisor="s1"), b.coach("c2", level="trainee", supervisor="s1")]
    two = [b.request("r1"), b.request("r2")]
    tight = [{"id": "s1", "max_trainee_engagements": 2, "active_trainee_engagements": 1}]
    assert len(served(b.instance(coaches=trainees, requests=two, supervisors=tight))) == 1
    loose = [{"id": "s1", "max_trainee_engagements": 3, "active_trainee_engagements": 1}]
    assert len(served(b.instance(coaches=trainees, requests=two, supervisors=loose))) == 2


# Rule 10: supervision hours before the next supervision.


def test_rule10_supervision_hours() -> None:
    tired = b.coach(level="trainee", supervisor="s1", coaching_hours_since_supervision=14.5)
    assert served(b.instance(coaches=[tired])) == set()  # 14.5 + 1 > 15
    fresh = b.coach(level="trainee", supervisor="s1", coaching_hours_since_supervision=14.0)
    assert served(b.instance(coaches=[fresh])) == {"r1"}


def test_rule10_hours_after_the_next_supervision_count_afresh() -> None:
    tired = b.coach(
        level="trainee",
        supervisor="s1",
        coaching_hours_since_supervision=15,
        next_supervision="2026-12-07T12:00:00Z",
    )
    assert served(b.instance(coaches=[tired])) == {"r1"}
    later = dict(tired, next_supervision="2026-12-07T20:00:00Z")
    assert served(b.instance(coaches=[later])) == set()


def test_priority_wins_the_contested_slot() -> None:
    doc = b.instance(
        coaches=[b.coach(max_active_coachees=1)],
        requests=[b.request("r1", submitted_at="2026-11-01T00:00:00Z"), b.request("r2", priority=3)],
    )
    solution = run(doc)
    assert [a.request for a in solution.assignments] == ["r2"]
    assert solution.served_weight == solution.served_weight_bound == 400 + 12
