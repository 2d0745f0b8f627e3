"""Group supervision planner: when the supervisor meets which coaches, so that no coach
passes their hours limit given the coaching already scheduled.

`supervision-instance/1` in, `supervision-plan/1` out (docs/planners.md). The CP-SAT
model lives in `solver.supervision.model`; `solver.supervision.validate` re-checks a plan
from the instance alone and imports nothing of the model.
"""

from __future__ import annotations

from solver.supervision.codec import parse_instance, parse_plan, plan_to_json
from solver.supervision.domain import (
    Calendar,
    LeftOut,
    SupervisedCoach,
    SupervisionInstance,
    SupervisionPlan,
    SupervisionSession,
    TimeSpan,
)

__all__ = [
    "Calendar",
    "LeftOut",
    "SupervisedCoach",
    "SupervisionInstance",
    "SupervisionPlan",
    "SupervisionSession",
    "TimeSpan",
    "parse_instance",
    "parse_plan",
    "plan_to_json",
]
