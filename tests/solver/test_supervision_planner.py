"""Group supervision: one forbidden and one allowed case per rule, through the planner and
through its validator (docs/planners.md, rules S1-S4)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from solver.supervision.codec import parse_instance, parse_plan, plan_to_json
from solver.supervision.model import solve, windows
from solver.supervision.validate import validate

NOW = "2026-12-01T08:00:00Z"  # a Tuesday; Brussels is UTC+1 in December


def coach(cid: str, held: float = 9.0, *, weekly: Any = None, sessions: Any = None, busy: Any = None) -> dict[str, Any]:
    return {
        "id": cid,
        "timezone": "Europe/Brussels",
        "weekly": weekly if weekly is not None else {"wed": [["09:00", "12:00"]]},
        "busy": busy or [],
        "max_hours": 10,
        "held_hours": held,
        # A two-hour session on Thursday 10 December takes a coach holding 9 hours past 10.
        "sessions": sessions
        if sessions is not None
        else [{"start": "2026-12-10T09:00:00Z", "end": "2026-12-10T11:00:00Z"}],
    }


def instance(
    coaches: list[dict[str, Any]], *, supervisor_weekly: Any = None, end: str = "2026-12-08", **top: Any
) -> dict[str, Any]:
    return {
        "format": "supervision-instance/1",
        "now": NOW,
        "horizon": {"start": "2026-12-01", "end": end},
        "timezone": "Europe/Brussels",
        "slot_minutes": 30,
        "session_minutes": 90,
        "max_group_size": 4,
        "supervisor": {"timezone": "Europe/Brussels", "weekly": supervisor_weekly or {"wed": [["10:00", "11:30"]]}},
        "coaches": coaches,
        **top,
    }


def planned(doc: dict[str, Any]) -> tuple[Any, Any]:
    inst = parse_instance(doc)
    plan = solve(inst, time_limit=5, workers=1)
    # The plan breaks no rule, except the hours limit of the coaches it leaves out and says why.
    left = {x.who for x in plan.left_out}
    assert all(x.reasons for x in plan.left_out)
    assert {p.split(":")[0] for p in validate(inst, plan)} == {f"coach {c}" for c in left}, plan
    return inst, plan


def plan_doc(sessions: list[tuple[str, str, list[str]]]) -> Any:
    return parse_plan(
        {
            "format": "supervision-plan/1",
            "status": "FEASIBLE",
            "sessions": [{"start": s, "end": e, "coaches": c} for s, e, c in sessions],
        }
    )


WED_10 = ("2026-12-02T09:00:00Z", "2026-12-02T10:30:00Z")  # Wednesday 2 December 10:00-11:30 Brussels


# --- S1: group size ---------------------------------------------------------------------


def test_s1_planner_leaves_the_fifth_coach_out_of_a_full_group_and_says_why() -> None:
    _, plan = planned(instance([coach(f"c{i}") for i in range(5)]))
    assert len(plan.sessions) == 1 and len(plan.sessions[0].coaches) == 4
    [left] = plan.left_out
    assert "at most 4" in left.reasons[0]


def test_s1_planner_groups_four_coaches_in_one_session() -> None:
    _, plan = planned(instance([coach(f"c{i}") for i in range(4)]))
    assert [len(s.coaches) for s in plan.sessions] == [4] and plan.left_out == ()


def test_s1_validator_refuses_five_and_accepts_four() -> None:
    inst = parse_instance(instance([coach(f"c{i}") for i in range(5)]))
    five = validate(inst, plan_doc([(*WED_10, [f"c{i}" for i in range(5)])]))
    assert any("rule S1" in p for p in five)
    four = validate(inst, plan_doc([(*WED_10, [f"c{i}" for i in range(4)])]))
    assert not any("rule S1" in p for p in four)


def test_s1_validator_refuses_a_session_of_the_wrong_length() -> None:
    inst = parse_instance(instance([coach("c0")]))
    assert any("rule S1" in p for p in validate(inst, plan_doc([(WED_10[0], "2026-12-02T10:00:00Z", ["c0"])])))


def test_nearest_their_limit_first() -> None:
    # c4's two hours come on 10 December, the others' on the 9th: c4 is the one left for later.
    coaches = [
        coach(f"c{i}", sessions=[{"start": "2026-12-09T14:00:00Z", "end": "2026-12-09T16:00:00Z"}]) for i in range(4)
    ]
    coaches.append(coach("c4"))
    _, plan = planned(instance(coaches))
    assert [x.who for x in plan.left_out] == ["c4"]


# --- S2: the supervisor's time --------------------------------------------------------


def test_s2_planner_finds_no_session_outside_the_supervisors_availability() -> None:
    _, plan = planned(instance([coach("c0")], supervisor_weekly={"wed": [["14:00", "15:30"]]}))
    assert plan.sessions == ()
    assert "no 90-minute time free for both" in plan.left_out[0].reasons[0]


def test_s2_planner_meets_inside_the_supervisors_availability() -> None:
    _, plan = planned(instance([coach("c0")], supervisor_weekly={"wed": [["09:00", "10:30"]]}))
    assert [(s.start.isoformat(), s.coaches) for s in plan.sessions] == [("2026-12-02T08:00:00+00:00", ("c0",))]


def test_s2_validator_refuses_time_outside_the_supervisors_availability_and_overlaps() -> None:
    inst = parse_instance(instance([coach("c0"), coach("c1")]))
    outside = validate(inst, plan_doc([("2026-12-02T08:00:00Z", "2026-12-02T09:30:00Z", ["c0"])]))
    assert any("rule S2" in p and "supervisor's availability" in p for p in outside)
    overlap = validate(
        inst,
        plan_doc([(*WED_10, ["c0"]), ("2026-12-02T09:00:00Z", "2026-12-02T10:30:00Z", ["c1"])]),
    )
    assert any("rule S2" in p and "previous session" in p for p in overlap)
    assert validate(inst, plan_doc([(*WED_10, ["c0", "c1"])])) == []


def test_s2_supervisor_busy_time_is_respected() -> None:
    doc = instance([coach("c0")])
    doc["supervisor"]["busy"] = [{"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T09:30:00Z"}]
    _, plan = planned(doc)
    assert plan.sessions == ()
    assert any("busy time" in p for p in validate(parse_instance(doc), plan_doc([(*WED_10, ["c0"])])))


# --- S3: each coach's time ------------------------------------------------------------


def test_s3_planner_does_not_book_a_busy_coach() -> None:
    busy = [{"start": "2026-12-02T09:30:00Z", "end": "2026-12-02T10:00:00Z"}]
    _, plan = planned(instance([coach("c0", busy=busy), coach("c1")]))
    assert [s.coaches for s in plan.sessions] == [("c1",)]
    assert [x.who for x in plan.left_out] == ["c0"]


def test_s3_planner_books_a_coach_free_and_available() -> None:
    _, plan = planned(instance([coach("c0"), coach("c1")]))
    assert [sorted(s.coaches) for s in plan.sessions] == [["c0", "c1"]]


def test_s3_validator_refuses_a_coach_unavailable_or_busy() -> None:
    doc = instance(
        [
            coach("c0", weekly={"thu": [["09:00", "12:00"]]}),
            coach("c1", busy=[{"start": WED_10[0], "end": WED_10[1]}]),
            coach("c2"),
        ]
    )
    inst = parse_instance(doc)
    problems = validate(inst, plan_doc([(*WED_10, ["c0", "c1", "c2"])]))
    assert any("rule S3: coach c0" in p and "availability" in p for p in problems)
    assert any("rule S3: coach c1 is busy" in p for p in problems)
    assert not any("coach c2" in p for p in problems)


# --- S4: hours limit ------------------------------------------------------------------


def test_s4_planner_supervises_before_the_limit_and_leaves_others_alone() -> None:
    _, plan = planned(instance([coach("over", held=9), coach("fine", held=5)]))
    assert [s.coaches for s in plan.sessions] == [("over",)]
    assert plan.sessions[0].end.isoformat() <= "2026-12-10T09:00:00+00:00"


def test_s4_validator_counts_held_hours_and_resets_at_supervision() -> None:
    inst = parse_instance(instance([coach("c0", held=9)]))
    without = validate(inst, plan_doc([]))
    assert without == ["coach c0: rule S4: 11 of 10 hours at 2026-12-10T09:00Z without a supervision in between"]
    assert validate(inst, plan_doc([(*WED_10, ["c0"])])) == []
    assert validate(parse_instance(instance([coach("c0", held=8)])), plan_doc([])) == []


def test_s4_validator_reports_a_coach_already_over_the_limit() -> None:
    inst = parse_instance(instance([coach("c0", held=12, sessions=[])]))
    assert any("already at" in p for p in validate(inst, plan_doc([(*WED_10, ["c0"])])))
    _, plan = planned(instance([coach("c1", held=10, sessions=[])]))
    assert plan.sessions == ()  # exactly at the limit is allowed


def test_s4_a_busy_coach_needs_a_supervision_between_sessions() -> None:
    # 2 hours every Thursday for four weeks against a 4-hour limit: sessions 1-3 and 2-4 each pass
    # it, so one supervision must fall between the 1st and 3rd, one between the 2nd and 4th:
    # Wednesday 16 December serves both.
    sessions = [
        {"start": f"2026-12-{day:02d}T09:00:00Z", "end": f"2026-12-{day:02d}T11:00:00Z"} for day in (3, 10, 17, 24)
    ]
    c = coach("c0", held=0, sessions=sessions)
    c["max_hours"] = 4
    inst, plan = planned(instance([c], end="2026-12-31"))
    assert len(windows(inst, inst.coaches[0])) == 2
    assert [s.start.date().isoformat() for s in plan.sessions] == ["2026-12-16"]
    assert any("rule S4" in p for p in validate(inst, plan_doc([(*WED_10, ["c0"])])))


# --- contract and command line ---------------------------------------------------------


def test_bad_instance_names_each_field() -> None:
    doc = instance([coach("c0")])
    doc["max_group_size"] = 0
    doc["coaches"][0]["sessions"][0]["end"] = "soon"
    with pytest.raises(ValueError) as err:
        parse_instance(doc)
    assert "max_group_size: 0 is not between 1 and 20" in str(err.value)
    assert "coaches[0].sessions[0].end: expected an ISO 8601 instant" in str(err.value)


def test_command_line_solve_then_validate(tmp_path: Any) -> None:
    source = tmp_path / "supervision.json"
    source.write_text(json.dumps(instance([coach("c0"), coach("c1", held=2)])))
    out = tmp_path / "plan.json"
    run = [sys.executable, "-m", "solver", "supervision"]
    assert (
        subprocess.run([*run, "solve", str(source), "-o", str(out), "--time-limit", "5"], check=False).returncode == 0
    )
    assert json.loads(out.read_text())["sessions"][0]["coaches"] == ["c0"]
    checked = subprocess.run([*run, "validate", str(source), str(out)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "ok" in checked.stdout
    bad = json.loads(out.read_text())
    bad["sessions"] = []
    out.write_text(json.dumps(bad))
    checked = subprocess.run([*run, "validate", str(source), str(out)], capture_output=True, text=True, check=False)
    assert checked.returncode == 1 and "rule S4" in checked.stdout
    source.write_text('{"format": "supervision-instance/1"}')
    broken = subprocess.run([*run, "solve", str(source)], capture_output=True, text=True, check=False)
    assert broken.returncode == 2 and "now: missing field" in broken.stderr and "Traceback" not in broken.stderr


def test_plan_round_trips_through_json() -> None:
    _, plan = planned(instance([coach("c0")]))
    again = parse_plan(json.loads(json.dumps(plan_to_json(plan))))
    assert again.sessions == plan.sessions
