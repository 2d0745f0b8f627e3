"""The search as a whole: tiers, stability, bound, time limit, progress, explanations."""

from __future__ import annotations

import time

from solver import Progress, Solution, explain, greedy, parse_instance, solve
from solver.validate import validate
from tests.solver import builders as b


def test_tier1_beats_first_come_first_served() -> None:
    # The early, normal request would take the only slot the urgent one can use.
    doc = b.instance(
        coaches=[b.coach(weekly={"mon": [["18:00", "20:00"]]}, max_sessions_per_day=1)],
        requests=[
            b.request("early", submitted_at="2026-11-01T00:00:00Z", windows={"mon": [["18:00", "20:00"]]}),
            b.request("urgent", priority=3, submitted_at="2026-11-20T00:00:00Z"),
        ],
    )
    instance = parse_instance(doc)
    baseline = greedy(instance)
    best = solve(instance, time_limit=5, workers=1)
    assert [a.request for a in baseline.assignments] == ["early"]
    assert [a.request for a in best.assignments] == ["urgent"]
    assert best.served_weight > baseline.served_weight
    assert validate(instance, baseline) == [] and validate(instance, best) == []


def test_match_quality_decides_between_equal_plans() -> None:
    doc = b.instance(
        coaches=[b.coach("plain", topics=[]), b.coach("match", topics=["leadership"], languages=["nl", "en"])],
        requests=[b.request(languages=["nl", "en"], topics=["leadership"])],
    )
    solution = solve(parse_instance(doc), time_limit=5, workers=1)
    (assignment,) = solution.assignments
    assert assignment.coach == "match"
    assert assignment.score["topics"] == 1 and assignment.score["language"] == 1


def test_preferred_coach() -> None:
    doc = b.instance(
        coaches=[b.coach("a"), b.coach("b")],
        requests=[b.request(preferred_coaches=["b"])],
    )
    (assignment,) = solve(parse_instance(doc), time_limit=5, workers=1).assignments
    assert assignment.coach == "b" and assignment.score["preferred_coach"] == 1


def test_resolve_keeps_the_current_plan() -> None:
    current = [
        {"request": "r1", "coach": "b", "sessions": [{"start": "2026-12-07T18:00:00Z", "end": "2026-12-07T19:00:00Z"}]}
    ]
    doc = b.instance(coaches=[b.coach("a"), b.coach("b")], current=current)
    (assignment,) = solve(parse_instance(doc), time_limit=5, workers=1).assignments
    assert (assignment.coach, assignment.sessions[0].start.hour) == ("b", 18)
    assert assignment.score["kept"] == 1


def test_cancellation_resolve_moves_nobody_else() -> None:
    coaches = [b.coach("a", max_sessions_per_day=1), b.coach("b", max_sessions_per_day=1)]
    current = [
        {"request": "r1", "coach": "a", "sessions": [{"start": "2026-12-07T17:00:00Z", "end": "2026-12-07T18:00:00Z"}]},
        {"request": "r2", "coach": "b", "sessions": [{"start": "2026-12-07T18:00:00Z", "end": "2026-12-07T19:00:00Z"}]},
    ]
    # r3 withdrew; the others stay exactly where they were.
    doc = b.instance(coaches=coaches, requests=[b.request("r1"), b.request("r2")], current=current)
    solution = solve(parse_instance(doc), time_limit=5, workers=1)
    assert all(a.score["kept"] == 1 for a in solution.assignments) and len(solution.assignments) == 2


def test_bound_is_honest_and_status_optimal_when_reached() -> None:
    doc = b.instance(requests=[b.request(f"r{i}") for i in range(4)], coaches=[b.coach(max_active_coachees=2)])
    solution = solve(parse_instance(doc), time_limit=5, workers=1)
    assert solution.status == "OPTIMAL"
    assert solution.served_weight == solution.served_weight_bound == 2 * 112


def test_progress_callback_and_time_limit() -> None:
    doc = b.instance(
        horizon={"start": "2026-12-07", "end": "2027-02-28"},
        coaches=[b.coach(f"c{i}", weekly={"mon": [["09:00", "21:00"]], "wed": [["09:00", "21:00"]]}) for i in range(4)],
        requests=[
            b.request(f"r{i}", sessions=3, windows={"mon": [["09:00", "21:00"]], "wed": [["09:00", "21:00"]]})
            for i in range(30)
        ],
    )
    seen: list[Progress] = []
    began = time.perf_counter()
    solution = solve(parse_instance(doc), time_limit=3, workers=2, on_progress=seen.append)
    assert time.perf_counter() - began < 6
    assert seen and seen[-1].served_weight == solution.served_weight
    assert all(p.served_weight_bound is None or p.served_weight <= p.served_weight_bound for p in seen)
    assert solution.served_weight_bound is not None and solution.served_weight <= solution.served_weight_bound


def test_explain_assigned_and_blocked() -> None:
    doc = b.instance(
        coaches=[b.coach("c1", organisation="Acme"), b.coach("c2", languages=["de"])],
        requests=[b.request("ok", topics=["leadership"]), b.request("blocked", organisation="Acme")],
    )
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    ok = explain(instance, solution, "ok")
    assert isinstance(ok, dict) and ok["assigned"] and ok["coach"] == "c1"
    assert "shares topics leadership" in ok["reasons"]
    blocked = explain(instance, solution, "blocked")
    assert isinstance(blocked, dict) and not blocked["assigned"]
    assert any("the coachee's own organisation (Acme)" in r and "c1" in r for r in blocked["reasons"])
    assert any("speaks none of the coachee's languages (en)" in r and "c2" in r for r in blocked["reasons"])
    assert [d["code"] for d in blocked["details"]] == ["organisation", "language"]
    (unassigned,) = solution.unassigned
    assert unassigned.request == "blocked" and unassigned.reasons


def test_explain_capacity_competition() -> None:
    doc = b.instance(
        coaches=[b.coach("c1", max_active_coachees=1)],
        requests=[b.request("first", priority=2), b.request("second")],
    )
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    reasons = explain(instance, solution, "second")
    assert isinstance(reasons, dict)
    headline = (
        "the one coach who could take it, c1, has no room left in the coachee's times on 7 December 2026; "
        "more hours or higher limits for them, or another coach, would make room"
    )
    assert reasons["reasons"] == [
        headline,
        "c1 has as many coachees as they take with this plan; a higher limit of coachees would make room",
    ]
    assert [d["code"] for d in reasons["details"]] == ["no_room", "coach_full"]
    (unassigned,) = solution.unassigned  # the solution itself carries the headline
    assert unassigned.reasons == (headline,)
    everything = explain(instance, solution)
    assert isinstance(everything, list) and [e["request"] for e in everything] == ["first", "second"]


def test_time_limit_too_short_to_scan_returns_the_greedy_plan_with_a_valid_bound() -> None:
    doc = b.instance(requests=[b.request(f"r{i}") for i in range(3)], coaches=[b.coach(max_active_coachees=1)])
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=1e-9, workers=1)
    assert validate(instance, solution) == []
    assert solution.served_weight == greedy(instance).served_weight == 112
    assert solution.served_weight_bound is not None and solution.served_weight_bound >= 112
    assert all(u.reasons for u in solution.unassigned)


def test_explain_time_taken_and_calendar_reasons() -> None:
    doc = b.instance(
        coaches=[
            b.coach("c1", max_sessions_per_day=1, weekly={"mon": [["18:00", "19:00"]]}),
            b.coach("c2", weekly={"tue": [["09:00", "10:00"]]}),
        ],
        requests=[
            b.request("first", priority=2),
            b.request("second"),
            b.request("twice", sessions=2, windows={"mon": [["18:00", "19:00"]], "tue": [["09:00", "10:00"]]}),
        ],
    )
    instance = parse_instance(doc)
    solution = solve(instance, time_limit=5, workers=1)
    second = explain(instance, solution, "second")
    assert isinstance(second, dict)
    assert any(r.startswith("c2 is available Tuesdays 09:00-10:00") for r in second["reasons"])
    assert any("c1 has no free time left in the coachee's times for one session" in r for r in second["reasons"])
    twice = explain(instance, solution, "twice")
    assert isinstance(twice, dict)
    assert any(
        r.startswith("the coachee shares some times with c1 and c2, but not enough for two sessions")
        for r in twice["reasons"]
    )


def test_explain_names_a_coach_with_room_in_a_poor_plan() -> None:
    doc = b.instance(coaches=[b.coach("c1")], requests=[b.request("r1")])
    instance = parse_instance(doc)
    empty = Solution(status="FEASIBLE", served_weight=0, served_weight_bound=None, assignments=())
    reasons = explain(instance, empty, "r1")
    assert isinstance(reasons, dict)
    assert reasons["reasons"] == [
        "c1 could still take it: the solve stopped before finding that, or kept a plan serving more weight; "
        "solving again with more time may place it"
    ]
