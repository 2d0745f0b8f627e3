"""Optimal scheduling of volunteer coaching engagements.

Pure Python + OR-Tools. The JSON contract lives in `solver.codec`; the data it
maps to in `solver.domain`. The CP-SAT search is imported on first use so that
reading and checking files does not load OR-Tools or the optimiser (the
validator must stay independent of it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from solver.codec import (
    InstanceError,
    SolutionError,
    parse_instance,
    parse_solution,
    solution_to_json,
)
from solver.domain import (
    Assignment,
    Coach,
    CoachingRequest,
    Instance,
    Progress,
    Reason,
    Request,
    Session,
    Solution,
    Supervisor,
    Unassigned,
)

__all__ = [
    "Assignment",
    "Coach",
    "CoachingRequest",
    "Instance",
    "InstanceError",
    "Progress",
    "Reason",
    "Request",
    "Session",
    "Solution",
    "SolutionError",
    "Supervisor",
    "Unassigned",
    "explain",
    "for_reader",
    "greedy",
    "parse_instance",
    "parse_solution",
    "solution_to_json",
    "solve",
]


def solve(
    instance: Instance,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    on_progress: Callable[[Progress], None] | None = None,
) -> Solution:
    """Best plan found within `time_limit` seconds (tier 1 never below the greedy baseline)."""
    from solver.search import solve as _solve

    return _solve(
        instance,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        on_progress=on_progress,
    )


def greedy(instance: Instance) -> Solution:
    """First-come-first-served baseline plan."""
    from solver.baseline import greedy as _greedy

    return _greedy(instance)


def explain(
    instance: Instance, solution: Solution, request_id: str | None = None
) -> dict[str, Any] | list[dict[str, Any]]:
    """Per request: score terms if assigned, the blocking rules and coaches if not."""
    from solver.explanations import explain as _explain

    return _explain(instance, solution, request_id)


def for_reader(reason: Reason, timezone: str) -> Reason:
    """`reason` worded for a reader in `timezone` (weekly times and instants in that zone)."""
    from solver.explanations import for_reader as _for_reader

    return _for_reader(reason, timezone)
