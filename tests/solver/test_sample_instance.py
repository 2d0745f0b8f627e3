"""The README's `python -m solver` lines work on the sample instance, as from a fresh clone.

The lines are read from the README itself (and the same ones from docs/solver-contract.md),
so that the commands a newcomer copies are the ones tested.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from solver import parse_instance
from solver.codec import parse_solution
from solver.validate import validate

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample-instance.json"


def _commands(document: Path) -> list[list[str]]:
    lines = re.findall(r"^python -m solver .+$", document.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return [shlex.split(line) for line in lines]


def test_readme_and_docs_show_the_same_four_commands() -> None:
    readme, docs = _commands(ROOT / "README.md"), _commands(ROOT / "docs" / "solver-contract.md")
    assert readme == docs
    assert [c[3] for c in readme] == ["solve", "validate", "greedy", "explain"]
    assert "../shared" not in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_commands_run_on_the_sample(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    outputs = []
    for command in _commands(ROOT / "README.md"):
        result = subprocess.run(
            [sys.executable, *command[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, (command, result.stderr)
        outputs.append(result.stdout)
    assert outputs[1].strip() == "ok: every hard rule holds"
    explained = json.loads(outputs[3])
    assert explained["request"] == "r5" and not explained["assigned"] and explained["details"]
    instance = parse_instance(json.loads(SAMPLE.read_text(encoding="utf-8")))
    for name in ("solution.json", "greedy.json"):
        solution = parse_solution(json.loads((tmp_path / name).read_text(encoding="utf-8")), instance)
        assert validate(instance, solution) == []


def test_the_sample_shows_a_required_request_and_a_hand_over() -> None:
    """The sample has what the docs say: a required pinned request, the flag, and c1's
    running engagement ending at the instant r1 can start."""
    from solver import solve

    instance = parse_instance(json.loads(SAMPLE.read_text(encoding="utf-8")))
    assert instance.capacity_over_time and any(r.required for r in instance.requests)
    solution = solve(instance, time_limit=5, workers=1)
    assert solution.status == "OPTIMAL" and solution.required_served == 1
    (r1,) = [a for a in solution.assignments if a.request == "r1"]
    assert r1.coach == "c1" and r1.sessions[0].start == instance.coach_by_id["c1"].active_engagements_end[0]


@pytest.mark.parametrize("field", ["capacity_over_time", "required"])
def test_the_docs_describe_the_contract_fields(field: str) -> None:
    assert f"`{field}`" in (ROOT / "docs" / "solver-contract.md").read_text(encoding="utf-8")
