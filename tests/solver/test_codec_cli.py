"""Reading files: every problem named by its field path; the CLI exits 2 without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from solver import InstanceError, greedy, parse_instance, parse_solution, solution_to_json
from solver.codec import instance_to_json
from tests.solver import builders as b

ROOT = Path(__file__).resolve().parents[2]


def problems(doc: Any) -> list[str]:
    with pytest.raises(InstanceError) as caught:
        parse_instance(doc)
    return caught.value.problems


def test_round_trip() -> None:
    instance = parse_instance(b.instance(requests=[b.request(), b.request("r2", priority=3)]))
    assert parse_instance(instance_to_json(instance)) == instance
    solution = greedy(instance)
    assert parse_solution(solution_to_json(solution), instance) == solution


def test_end_before_start_names_the_path() -> None:
    doc = b.instance(
        coaches=[b.coach(), b.coach("c2"), b.coach("c3"), b.coach("c4", weekly={"mon": [["12:00", "09:00"]]})]
    )
    assert problems(doc) == ["coaches[3].weekly.mon[0]: end 09:00 is before start 12:00"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(format="coaching-instance/9"), 'format: unknown format "coaching-instance/9"'),
        (lambda d: d.pop("now"), "now: missing field"),
        (lambda d: d["coaches"][0].update(timezone="Mars/Olympus"), "coaches[0].timezone: unknown timezone"),
        (lambda d: d["requests"][0].update(earliest_start="2026-02-30"), "requests[0].earliest_start: expected a date"),
        (lambda d: d["requests"][0].update(pinned_coach="ghost"), "requests[0].pinned_coach: unknown coach 'ghost'"),
        (lambda d: d["coaches"][0].update(supervisor="nobody"), "coaches[0].supervisor: unknown supervisor"),
        (lambda d: d["requests"][0].update(sessions=7), "requests[0].sessions: 7 is not between 1 and 6"),
        (lambda d: d["requests"][0].pop("windows"), "requests[0].windows: missing field"),
        (lambda d: d.update(now="2026-11-23T08:00:00"), "now: instant 2026-11-23T08:00:00 has no UTC offset"),
        (
            lambda d: d.update(horizon={"start": "2027-01-01", "end": "2026-12-01"}),
            "horizon: end 2026-12-01 is before start",
        ),
        (
            lambda d: d.update(current=[{"request": "r9", "coach": "c1", "sessions": []}]),
            "current[0].request: unknown request 'r9'",
        ),
        (lambda d: d["coaches"][0].update(level="trainee"), "coaches[0].supervisor: a trainee needs a supervisor"),
    ],
)
def test_each_problem_is_named(change: Any, expected: str) -> None:
    doc = b.instance()
    change(doc)
    found = problems(doc)
    assert any(p.startswith(expected) for p in found), found


def test_all_problems_are_collected() -> None:
    doc = b.instance(requests=[b.request(languages="en", priority=9)])
    doc["coaches"][0]["max_sessions_per_day"] = "two"
    found = problems(doc)
    assert len(found) == 3, found


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "solver", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def test_cli_bad_input_exits_2_with_paths(tmp_path: Path) -> None:
    doc = b.instance(coaches=[b.coach(weekly={"mon": [["12:00", "09:00"]]}, timezone="Nowhere/City")])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    for command in ("solve", "greedy"):
        result = cli(command, str(path))
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert f"{path}: coaches[0].timezone: unknown timezone 'Nowhere/City'" in lines
        assert f"{path}: coaches[0].weekly.mon[0]: end 09:00 is before start 12:00" in lines


@pytest.mark.parametrize("content", ["{", "[]", '"x"', '{"format": "coaching-instance/1"}'])
def test_cli_not_an_instance(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    result = cli("solve", str(path))
    assert result.returncode == 2 and result.stderr.strip()
    assert "Traceback" not in result.stderr


def test_cli_missing_file_and_bad_arguments(tmp_path: Path) -> None:
    result = cli("solve", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "cannot read" in result.stderr
    assert cli("solve").returncode == 2
    assert cli("frobnicate").returncode == 2


def test_cli_solve_validate_explain(tmp_path: Path) -> None:
    instance_path = tmp_path / "i.json"
    instance_path.write_text(json.dumps(b.instance(requests=[b.request(), b.request("r2", languages=["pt"])])))
    solution_path = tmp_path / "s.json"
    result = cli("solve", str(instance_path), "-o", str(solution_path), "--time-limit", "5", "--workers", "1")
    assert result.returncode == 0, result.stderr
    solution = json.loads(solution_path.read_text())
    assert solution["format"] == "coaching-solution/1"
    assert solution["status"] == "OPTIMAL"
    assert [a["request"] for a in solution["assignments"]] == ["r1"]
    assert cli("validate", str(instance_path), str(solution_path)).returncode == 0
    explained = cli("explain", str(instance_path), str(solution_path), "r2")
    assert explained.returncode == 0
    explained_r2 = json.loads(explained.stdout)
    assert "speaks none of the coachee's languages (pt)" in explained_r2["reasons"][0]
    assert explained_r2["details"][0]["code"] == "language"
    assert explained_r2["details"][0]["params"]["coaches"] == ["c1"]
    assert cli("explain", str(instance_path), str(solution_path), "r404").returncode == 2
    stdout = cli("greedy", str(instance_path))
    assert json.loads(stdout.stdout)["stats"]["solver"] == "greedy"


def test_cli_solve_writes_stdout_and_no_progress_when_not_a_terminal(tmp_path: Path) -> None:
    instance_path = tmp_path / "i.json"
    instance_path.write_text(json.dumps(b.instance()))
    result = cli("solve", str(instance_path), "--time-limit", "5", "--workers", "1")
    assert result.returncode == 0
    assert json.loads(result.stdout)["served_weight"] == 112
    assert result.stderr == ""


def test_progress_line_shows_elapsed_served_bound_and_gap() -> None:
    import io

    from solver.cli import _progress_printer
    from solver.domain import Progress

    stream = io.StringIO()
    _progress_printer(stream)(Progress(elapsed_seconds=1.5, served_weight=990, served_weight_bound=1000, gap=0.01))
    line = stream.getvalue()
    assert "1.5s" in line and "served 990" in line and "bound 1000" in line and "gap 1.00%" in line
