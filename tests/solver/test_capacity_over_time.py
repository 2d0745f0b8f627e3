"""Rules 5' and 9' (`capacity_over_time`): coachees and trainee engagements counted at once.

Paired at the instant boundary, through solve and through the validator: an engagement
ending at 18:00 UTC and another starting at 18:00 UTC on the same coach (or under the
same supervisor) is a hand-over and allowed; overlapping ones beyond the cap are not.
Brussels is UTC+1 in December: 18:00 local is 17:00Z.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from solver import Assignment, Session, Solution, explain, greedy, parse_instance, solve
from solver.codec import instance_to_json
from solver.validate import validate
from tests.solver import builders as b

Json = dict[str, Any]
TWO_WEEKS = {"start": "2026-12-07", "end": "2026-12-20"}


def _doc(coaches: list[Json], requests: list[Json], **fields: Any) -> Json:
    return b.instance(coaches=coaches, requests=requests, capacity_over_time=True, **fields)


def _served(doc: Json) -> list[str]:
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    assert validate(instance, solution) == []
    assert solution.status == "OPTIMAL"
    baseline = greedy(instance)
    assert validate(instance, baseline) == []
    assert solution.served_weight >= baseline.served_weight
    return sorted(a.request for a in solution.assignments)


def _plan(doc: Json, *engagements: tuple[str, str, list[str]]) -> list[str]:
    """The validator's lines for a hand-made plan: (request, coach, session starts in UTC)."""
    instance = parse_instance(doc)
    assignments = []
    for rid, cid, starts in engagements:
        minutes = instance.request_by_id[rid].session_minutes
        sessions = []
        for start in starts:
            begin = datetime.fromisoformat(start)
            sessions.append(Session(begin, begin.replace(hour=begin.hour + minutes // 60)))
        assignments.append(Assignment(rid, cid, tuple(sessions)))
    weight = sum(instance.weight(instance.request_by_id[a.request]) for a in assignments)
    return validate(instance, Solution("FEASIBLE", weight, None, tuple(assignments)))


# 5': a running engagement listed with its end.


def _listed(end: str, flag: bool = True) -> Json:
    coach = b.coach(max_active_coachees=1, active_coachees=1, active_engagements_end=[end])
    request = b.request(windows={"mon": [["18:00", "19:00"]]})
    return b.instance(coaches=[coach], requests=[request], capacity_over_time=flag)


def test_rule5_prime_a_listed_engagement_ending_at_the_start_hands_over() -> None:
    assert _served(_listed("2026-12-07T17:00:00Z")) == ["r1"]
    assert _plan(_listed("2026-12-07T17:00:00Z"), ("r1", "c1", ["2026-12-07T17:00:00+00:00"])) == []


def test_rule5_prime_a_listed_engagement_still_running_blocks() -> None:
    assert _served(_listed("2026-12-07T17:30:00Z")) == []
    (line,) = _plan(_listed("2026-12-07T17:30:00Z"), ("r1", "c1", ["2026-12-07T17:00:00+00:00"]))
    assert "rule 5'" in line and "1 running + 1 new" in line


def test_without_the_flag_the_listed_end_is_not_read() -> None:
    assert _served(_listed("2026-12-07T17:00:00Z", flag=False)) == []


# 5': two new engagements on one coach with room for one at once.


def _two_new(first_sessions: int) -> Json:
    coach = b.coach(max_active_coachees=1, weekly={"mon": [["18:00", "20:00"]]})
    return _doc(
        [coach],
        [
            b.request("r1", sessions=first_sessions, windows={"mon": [["18:00", "19:00"]]}),
            b.request("r2", windows={"mon": [["19:00", "20:00"]]}),
        ],
        horizon=TWO_WEEKS,
    )


def test_rule5_prime_allows_a_hand_over_at_the_same_instant() -> None:
    assert _served(_two_new(1)) == ["r1", "r2"]
    plan = ("r1", "c1", ["2026-12-07T17:00:00+00:00"]), ("r2", "c1", ["2026-12-07T18:00:00+00:00"])
    assert _plan(_two_new(1), *plan) == []


def _overlapping() -> Json:
    """r1 can only run from Monday 7 to Monday 14 December; r2 only on Tuesday 8 December."""
    coach = b.coach(max_active_coachees=1, weekly={"mon": [["18:00", "20:00"]], "tue": [["18:00", "20:00"]]})
    return _doc(
        [coach],
        [
            b.request("r1", sessions=2, windows={"mon": [["18:00", "19:00"]]}),
            b.request("r2", windows={"tue": [["18:00", "19:00"]]}),
        ],
        horizon={"start": "2026-12-07", "end": "2026-12-14"},
    )


def test_rule5_prime_forbids_overlapping_engagements() -> None:
    assert len(_served(_overlapping())) == 1
    plan = (
        ("r1", "c1", ["2026-12-07T17:00:00+00:00", "2026-12-14T17:00:00+00:00"]),
        ("r2", "c1", ["2026-12-08T17:00:00+00:00"]),
    )
    (line,) = _plan(_overlapping(), *plan)
    assert line.startswith("coach c1: rule 5': at 2026-12-08T17:00Z 0 running + 2 new engagements (r1, r2)")


def test_without_the_flag_the_cap_counts_the_whole_horizon() -> None:
    doc = _two_new(1) | {"capacity_over_time": False}
    assert len(_served(doc)) == 1


# 9': trainee engagements per supervisor.


def _supervised(overlap: bool, listed_end: str | None = None, horizon_end: str = "2026-12-14") -> Json:
    """Two trainees of one supervisor with room for one trainee engagement at once: r1 with
    c1 at 18:00 local (two Mondays when `overlap`), r2 with c2 at 19:00 local, or on the
    Tuesday in between when `overlap`."""
    supervisor: Json = {"id": "s1", "max_trainee_engagements": 1, "active_trainee_engagements": 0}
    if listed_end:
        supervisor["active_trainee_engagements_end"] = [listed_end]
    weekly = {"mon": [["18:00", "20:00"]], "tue": [["18:00", "20:00"]]}
    coaches = [b.coach(cid, level="trainee", supervisor="s1", weekly=weekly) for cid in ("c1", "c2")]
    second = {"tue": [["18:00", "19:00"]]} if overlap else {"mon": [["19:00", "20:00"]]}
    requests = [
        b.request("r1", sessions=2 if overlap else 1, windows={"mon": [["18:00", "19:00"]]}, pinned_coach="c1"),
        b.request("r2", windows=second, pinned_coach="c2"),
    ]
    horizon = {"start": "2026-12-07", "end": horizon_end}
    return _doc(coaches, requests, horizon=horizon, supervisors=[supervisor])


def test_rule9_prime_allows_a_hand_over_between_trainees() -> None:
    assert _served(_supervised(overlap=False)) == ["r1", "r2"]
    plan = ("r1", "c1", ["2026-12-07T17:00:00+00:00"]), ("r2", "c2", ["2026-12-07T18:00:00+00:00"])
    assert _plan(_supervised(overlap=False), *plan) == []


def test_rule9_prime_forbids_overlapping_trainee_engagements() -> None:
    assert len(_served(_supervised(overlap=True))) == 1
    plan = (
        ("r1", "c1", ["2026-12-07T17:00:00+00:00", "2026-12-14T17:00:00+00:00"]),
        ("r2", "c2", ["2026-12-08T17:00:00+00:00"]),
    )
    (line,) = _plan(_supervised(overlap=True), *plan)
    assert line.startswith("supervisor s1: rule 9': at 2026-12-08T17:00Z 0 running + 2 new")


@pytest.mark.parametrize(("end", "served"), [("2026-12-07T17:00:00Z", ["r1", "r2"]), ("2026-12-07T17:30:00Z", ["r2"])])
def test_rule9_prime_listed_trainee_engagement(end: str, served: list[str]) -> None:
    # One week: the listed engagement ends at 18:00 local (a hand-over for r1 at 18:00,
    # then r2 at 19:00) or at 18:30 (r1 blocked, r2 at 19:00 after it ends).
    assert _served(_supervised(overlap=False, listed_end=end, horizon_end="2026-12-13")) == served


# Explanations and the file format.


def test_explanation_says_until_when_the_coach_is_full() -> None:
    doc = _overlapping()
    doc["requests"][0]["priority"] = 3
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    entry = explain(instance, solution, "r2")
    assert isinstance(entry, dict) and not entry["assigned"]
    text = " ".join(entry["reasons"])
    assert "c1 is at one coachee at once until 14 December 2026; free from then" in text
    (detail,) = [d for d in entry["details"] if d["code"] == "coach_full_until"]
    assert detail["params"]["until"].startswith("2026-12-14T18:00")


def test_flag_and_running_ends_round_trip() -> None:
    doc = _listed("2026-12-07T17:00:00Z")
    doc["supervisors"][0]["active_trainee_engagements_end"] = ["2027-01-20T19:00:00Z"]
    instance = parse_instance(doc)
    assert instance.capacity_over_time and instance.coaches[0].active_engagements_end
    again = parse_instance(instance_to_json(instance))
    assert again == instance


def test_running_ends_are_checked_only_under_the_flag() -> None:
    from solver import InstanceError

    bad = _listed("yesterday")
    with pytest.raises(InstanceError, match=r"coaches\[0\]\.active_engagements_end\[0\]"):
        parse_instance(bad)
    parse_instance(bad | {"capacity_over_time": False})
