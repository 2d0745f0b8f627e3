"""Small `coaching-instance/1` documents built in code, one knob at a time."""

from __future__ import annotations

import copy
import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@functools.cache
def benchmark_script(name: str) -> ModuleType:
    """`benchmarks/<name>.py` (the workload generator, the independent exact model), loaded once."""
    # benchmarks/ is not a package the project installs; load the script by path.
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def benchmark_generator() -> ModuleType:
    """`benchmarks/generate.py`, the workload generator."""
    return benchmark_script("generate")


def _party(pid: str) -> dict[str, Any]:
    """What a coach and a coachee both state: who, on which clock, speaking and asking about what."""
    return {"id": pid, "timezone": "Europe/Brussels", "languages": ["en"], "topics": ["leadership"]}


def coach(cid: str = "c1", **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        **_party(cid),
        "level": "accredited",
        "supervisor": None,
        "organisation": None,
        "max_active_coachees": 5,
        "active_coachees": 0,
        "max_sessions_per_week": 10,
        "max_sessions_per_day": 4,
        "buffer_minutes": 0,
        "weekly": {"mon": [["18:00", "20:00"]]},
        "overrides": [],
        "busy": [],
        "coaching_hours_since_supervision": 0,
        "next_supervision": None,
        "excluded_requests": [],
    }
    doc.update(fields)
    return doc


def request(rid: str = "r1", **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        **_party(rid),
        "organisation": None,
        "sessions": 1,
        "session_minutes": 60,
        "min_gap_days": 7,
        "max_gap_days": 14,
        "earliest_start": "2026-12-01",
        "windows": {"mon": [["18:00", "20:00"]]},
        "priority": 1,
        "submitted_at": "2026-11-10T12:00:00Z",
        "sensitive": False,
        "preferred_coaches": [],
        "excluded_coaches": [],
        "pinned_coach": None,
    }
    doc.update(fields)
    return doc


def instance(
    coaches: list[dict[str, Any]] | None = None,
    requests: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One week by default (Mon 2026-12-07 .. Sun 2026-12-13), Brussels."""
    doc: dict[str, Any] = {
        "format": "coaching-instance/1",
        "now": "2026-11-23T08:00:00Z",
        "horizon": {"start": "2026-12-07", "end": "2026-12-13"},
        "timezone": "Europe/Brussels",
        "slot_minutes": 60,
        "min_notice_hours": 48,
        "supervision": {"max_hours_between": {"trainee": 15, "accredited": 35, "senior": 50}},
        "supervisors": [{"id": "s1", "max_trainee_engagements": 6, "active_trainee_engagements": 0}],
        "coaches": copy.deepcopy(coaches if coaches is not None else [coach()]),
        "requests": copy.deepcopy(requests if requests is not None else [request()]),
        "current": [],
    }
    doc.update(fields)
    return doc
