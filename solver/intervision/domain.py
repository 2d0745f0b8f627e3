"""The intervision planner's vocabulary: `intervision-instance/1` and `intervision-plan/1`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

# Both planners leave people out the same way; the intervision vocabulary names it too.
from solver.supervision.domain import LeftOut as LeftOut
from solver.supervision.domain import TimeSpan

INSTANCE_FORMAT = "intervision-instance/1"
PLAN_FORMAT = "intervision-plan/1"


@dataclass(frozen=True)
class Slot(TimeSpan):
    """A time the round offers for a group meeting."""

    id: str


@dataclass(frozen=True)
class SignUp:
    id: str
    languages: tuple[str, ...]
    organisation: str | None
    experience: str  # a label such as "new" or "experienced"; groups mix at least two
    facilitator: bool
    slots: tuple[str, ...]  # the round's slots this person can attend


@dataclass(frozen=True)
class IntervisionInstance:
    min_group_size: int
    max_group_size: int
    mixed_experience: bool
    slots: tuple[Slot, ...]
    sign_ups: tuple[SignUp, ...]
    met_before: frozenset[frozenset[str]]  # pairs who were in a group together in an earlier round

    @cached_property
    def sign_up_by_id(self) -> dict[str, SignUp]:
        return {s.id: s for s in self.sign_ups}


@dataclass(frozen=True)
class Group:
    slot: str
    language: str
    members: tuple[str, ...]
    facilitator: str | None = None


@dataclass(frozen=True)
class IntervisionPlan:
    status: str
    groups: tuple[Group, ...]
    left_out: tuple[LeftOut, ...] = ()
    repeated_pairs: int = 0
    stats: dict[str, float | int | str] = field(default_factory=dict)
