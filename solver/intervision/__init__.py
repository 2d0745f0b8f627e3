"""Intervision round planner: groups of peers with a common language and a common free slot,
mixed experience, no two colleagues, and as few people meeting again as the sign-ups allow.

`intervision-instance/1` in, `intervision-plan/1` out (docs/planners.md). The CP-SAT model
is in `solver.intervision.model`; `solver.intervision.validate` checks a plan without it.
"""

from __future__ import annotations

from solver.intervision.codec import parse_instance, parse_plan, plan_to_json
from solver.intervision.domain import Group, IntervisionInstance, IntervisionPlan, LeftOut, SignUp, Slot

__all__ = [
    "Group",
    "IntervisionInstance",
    "IntervisionPlan",
    "LeftOut",
    "SignUp",
    "Slot",
    "parse_instance",
    "parse_plan",
    "plan_to_json",
]
